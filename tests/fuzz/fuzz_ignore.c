/* fuzz_ignore: .dockerignore parsing and matching.
 * Input: ignore-file text, then a NUL byte, then newline-separated paths.
 * Besides crashes, it checks that pruning is sound: whenever a path is
 * matched (or kept), every ancestor directory must report that something
 * below it may match (or be re-included), or a walker would skip it. */
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"
#include "fuzz.h"
#include "ignore.h"
#include "match.h"

/* 1 if p is a clean context-relative path (what walkers produce). */
static int fuzz_is_clean(const char *p)
{
	char *c;
	int same;

	if (!*p || p[0] == '/' || strncmp(p, "..", 2) == 0)
		return 0;
	c = path_clean(p);
	same = strcmp(c, p) == 0;
	free(c);
	return same;
}

/* For each proper ancestor dir of path, calls check(ctx, dir). */
static void fuzz_each_ancestor(const char *path, void (*check)(const void *, const char *),
			       const void *ctx)
{
	char *d = strdup(path);

	if (!d)
		abort();
	for (char *s = strchr(d, '/'); s; s = strchr(s + 1, '/')) {
		*s = '\0';
		check(ctx, d);
		*s = '/';
	}
	free(d);
}

static void fuzz_check_pattern_below(const void *p, const char *dir)
{
	if (!pattern_may_match_below(p, dir))
		abort(); /* a match below dir that pruning would miss */
}

static void fuzz_check_ignore_below(const void *ig, const char *dir)
{
	if (ignore_excluded(ig, dir) && !ignore_may_include_below(ig, dir))
		abort(); /* a kept path inside a pruned, excluded dir */
}

/* Checks one path against the matcher and against each line as a glob. */
static void fuzz_path(const struct ignore *ig, const char *text, const char *path)
{
	char *lines = strdup(text), *save = NULL;

	if (!lines)
		abort();
	if (!ignore_excluded(ig, path))
		fuzz_each_ancestor(path, fuzz_check_ignore_below, ig);
	for (char *l = strtok_r(lines, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		struct pattern *p = pattern_compile(l, NULL);
		if (p && pattern_match(p, path))
			fuzz_each_ancestor(path, fuzz_check_pattern_below, p);
		pattern_free(p);
	}
	free(lines);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *paths, *save = NULL;
	struct error e;
	struct ignore *ig;
	size_t tlen;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	tlen = strlen(buf);
	paths = tlen < size ? buf + tlen + 1 : buf + size;
	ig = ignore_parse(buf, tlen, "fuzz", &e);
	if (ig) {
		for (char *p = strtok_r(paths, "\n", &save); p; p = strtok_r(NULL, "\n", &save))
			if (fuzz_is_clean(p))
				fuzz_path(ig, buf, p);
		ignore_free(ig);
	}
	free(buf);
	return 0;
}

#ifndef DF_LIBFUZZER
int main(int argc, char **argv)
{
	return fuzz_replay_main(argc, argv, "ignore");
}
#endif
