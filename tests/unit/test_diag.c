/* test_diag: the diagnostics list (compiler/diag.h): order and format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "tap.h"
#include "util.h"

static void add(struct diags *d, const char *file, int line, int col, enum diag_sev sev,
		const char *rule, const char *msg)
{
	struct diag r = {.file = file, .line = line, .col = col, .sev = sev, .rule = rule};

	r.msg = xstrdup(msg);
	r.url = rule ? "https://example/rule" : NULL;
	diag_add(d, &r);
}

/* Prints d into a string (malloc'd). */
static char *print(const struct diags *d, int urls)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	diag_print(d, f, urls);
	fclose(f);
	return s;
}

/* diag_show of the records of d into a string (malloc'd). */
static char *show(const struct diags *d)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	diag_show_all(d, f);
	fclose(f);
	return s;
}

/* Errors show the source line and a caret; notes follow; lint findings
 * stay one line. The text comes from memory (loc_keep_source). */
static void show_tests(void)
{
	static const char text[] = "FROM scratch\n\tCOPY --chwon=1 a /b\n";
	struct loc at = {"mem/Dockerfile", 2, 7, 2};
	struct diags d = {0};
	char *s;

	loc_keep_source("mem/Dockerfile", text, sizeof(text) - 1);
	TAP_OK(diag_error(&d, &at, "unknown flag: %s", "--chwon") == -1,
	       "diag_error returns -1 for `return diag_error(...)`");
	s = show(&d);
	TAP_STREQ(s,
		  "mem/Dockerfile:2:7: error: unknown flag: --chwon\n"
		  "\tCOPY --chwon=1 a /b\n"
		  "\t     ^\n",
		  "error: message line, source line, caret under the column (tab kept)");
	free(s);
	d.v[0].note = xstrdup("flags go before the sources");
	add(&d, "mem/Dockerfile", 1, 1, DIAG_WARNING, "R", "a finding");
	add(&d, NULL, 0, 0, DIAG_ERROR, NULL, "no place");
	d.v[2].note = xstrdup("see --help");
	s = show(&d);
	TAP_STREQ(s,
		  "mem/Dockerfile:2:7: error: unknown flag: --chwon\n"
		  "\tCOPY --chwon=1 a /b\n"
		  "\t     ^\n"
		  "mem/Dockerfile:2:7: note: flags go before the sources\n"
		  "mem/Dockerfile:1:1: warning: R: a finding\n"
		  "test_diag: no place\n"
		  "test_diag: note: see --help\n",
		  "a note follows its record; a lint finding is one line; an error with no "
		  "place reads as the command line's (PROG: MSG)");
	free(s);
	diag_free(&d);
	at.line = 9;
	diag_error(&d, &at, "past the end");
	s = show(&d);
	TAP_STREQ(s, "mem/Dockerfile:9:7: error: past the end\n",
		  "no source line when the line does not exist");
	free(s);
	diag_free(&d);
}

int main(void)
{
	struct diags d = {0};
	char *s;

	argv0 = "test_diag";
	add(&d, "Dockerfile", 4, 1, DIAG_WARNING, "B", "zeta");
	add(&d, "Dockerfile", 2, 1, DIAG_WARNING, "A", "beta");
	add(&d, "Dockerfile", 4, 1, DIAG_WARNING, "C", "alpha");
	add(&d, "Dockerfile", 4, 1, DIAG_WARNING, "C", "alpha");
	add(&d, NULL, 0, 0, DIAG_ERROR, NULL, "no place");
	diag_sort(&d);
	s = print(&d, 0);
	TAP_STREQ(s,
		  "test_diag: error: no place\n"
		  "Dockerfile:2:1: warning: A: beta\n"
		  "Dockerfile:4:1: warning: C: alpha\n"
		  "Dockerfile:4:1: warning: C: alpha\n"
		  "Dockerfile:4:1: warning: B: zeta\n",
		  "sorted by file, line, column, then message; no place first");
	free(s);
	TAP_OK(d.v[2].seq < d.v[3].seq, "equal records keep their order of arrival");
	s = print(&d, 1);
	TAP_OK(strstr(s, "warning: A: beta [https://example/rule]\n") != NULL,
	       "with urls, the rule's URL in brackets");
	TAP_OK(strstr(s, "error: no place\n") != NULL, "no URL without a rule");
	free(s);
	TAP_OK(diag_count(&d, DIAG_WARNING) == 4 && diag_count(&d, DIAG_ERROR) == 1,
	       "counts by severity");
	diag_free(&d);
	TAP_OK(d.n == 0 && d.v == NULL, "freed list is empty");
	show_tests();
	return tap_done();
}
