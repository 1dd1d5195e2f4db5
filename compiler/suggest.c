/* suggest: BuildKit's "did you mean" (util/suggest), see suggest.h. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "suggest.h"
#include "util.h"

/* A byte as the distance compares it. */
static int suggest_byte(char c, int fold_case)
{
	return fold_case ? tolower((unsigned char)c) : (unsigned char)c;
}

size_t suggest_distance(const char *a, const char *b, int fold_case)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (suggest_byte(a[i - 1], fold_case) !=
				       suggest_byte(b[j - 1], fold_case));
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

void suggest_append(char *msg, size_t size, const char *val, const char *const *opts, size_t n,
		    int case_sensitive)
{
	char *v = case_sensitive ? xstrdup(val) : parse_lower(val), *o, *match = NULL;
	size_t i, d, best = 3, len;

	for (i = 0; i < n; i++) {
		o = case_sensitive ? xstrdup(opts[i]) : parse_lower(opts[i]);
		if (!strcmp(v, o)) {
			free(o);
			free(match);
			free(v);
			return;
		}
		d = suggest_distance(v, o, 0);
		if (d < best) {
			best = d;
			free(match);
			match = o;
		} else {
			free(o);
		}
	}
	if (match && !case_sensitive) {
		/* matchCase: follow the case of what the user wrote */
		char *low = parse_lower(val), *up = parse_upper(val);
		if (strcmp(val, low) && !strcmp(val, up)) {
			o = parse_upper(match);
			free(match);
			match = o;
		}
		free(low);
		free(up);
	}
	if (match) {
		len = strlen(msg);
		snprintf(msg + len, size - len, " (did you mean %s?)", match);
	}
	free(match);
	free(v);
}
