/* ignore: .dockerignore as BuildKit reads it (moby/patternmatcher
 * ignorefile.ReadAll + PatternMatcher.MatchesOrParentMatches).
 *
 * Reading: a UTF-8 BOM on the first line is dropped, a line starting with
 * '#' is a comment (checked before trimming, so " #x" is a pattern),
 * lines are trimmed, blank lines skipped, a leading '!' marks an
 * exception, and the rest is cleaned like filepath.Clean with a leading
 * '/' dropped. Matching: every pattern is tried against the path and
 * each of its parent directories; the last pattern that matches decides. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "fsutil.h"
#include "input.h"
#include "buf.h"
#include "ignore.h"
#include "match.h"
#include "util.h"

/* bufio.Scanner's default limit: longer lines are a read error in Go. */
#define IGNORE_MAX_LINE (64 * 1024)

struct ignore_pat {
	struct pattern *pat;
	int exception; /* a "!" line: re-includes what it matches */
};

struct ignore {
	struct ignore_pat *v;
	size_t n;
};

/* UTF-8 encodings of the non-ASCII runes Go's TrimSpace removes. */
static const char *const ignore_uspaces[] = {
    "\xc2\x85",	    "\xc2\xa0",	    "\xe1\x9a\x80", "\xe2\x80\x80", "\xe2\x80\x81",
    "\xe2\x80\x82", "\xe2\x80\x83", "\xe2\x80\x84", "\xe2\x80\x85", "\xe2\x80\x86",
    "\xe2\x80\x87", "\xe2\x80\x88", "\xe2\x80\x89", "\xe2\x80\x8a", "\xe2\x80\xa8",
    "\xe2\x80\xa9", "\xe2\x80\xaf", "\xe2\x81\x9f", "\xe3\x80\x80",
};

/* Length of the white-space rune at s (or ending at s+n when back), or 0. */
static size_t ignore_space_len(const char *s, size_t n, int back)
{
	if (!n)
		return 0;
	if (strchr(" \t\n\v\f\r", back ? s[n - 1] : s[0]) && (back ? s[n - 1] : s[0]))
		return 1;
	for (size_t i = 0; i < LEN(ignore_uspaces); i++) {
		size_t k = strlen(ignore_uspaces[i]);
		if (k <= n && memcmp(back ? s + n - k : s, ignore_uspaces[i], k) == 0)
			return k;
	}
	return 0;
}

/* strings.TrimSpace on [*s, *s+*n). */
static void ignore_trim(const char **s, size_t *n)
{
	size_t k;

	while ((k = ignore_space_len(*s, *n, 0)))
		*s += k, *n -= k;
	while ((k = ignore_space_len(*s, *n, 1)))
		*n -= k;
}

/* ReadAll's normalisation: clean, drop one leading '/' (not "/" itself). */
static char *ignore_normalize(const char *s, size_t n)
{
	char *raw = xstrndup(s, n), *clean = path_clean(raw), *out;

	free(raw);
	if (strlen(clean) > 1 && clean[0] == '/') {
		out = xstrdup(clean + 1);
		free(clean);
		return out;
	}
	return clean;
}

/* Adds one non-comment line; -1 with e set on a bad pattern. */
static int ignore_add_line(struct ignore *ig, const char *s, size_t n, const char *fname,
			   size_t lineno, struct error *e)
{
	struct ignore_pat ip = {0};
	const char *msg = NULL;
	char *norm;

	ignore_trim(&s, &n);
	if (!n)
		return 0;
	if (*s == '!') {
		ip.exception = 1;
		s++, n--;
		ignore_trim(&s, &n);
		if (!n)
			return error_set(e, 0, "%s:%zu: illegal exclusion pattern: \"!\"", fname,
					 lineno);
	}
	norm = ignore_normalize(s, n);
	ip.pat = pattern_compile(norm, &msg);
	if (!ip.pat) {
		error_set(e, 0, "%s:%zu: %s: %s", fname, lineno, msg, norm);
		free(norm);
		return -1;
	}
	free(norm);
	ig->v = xreallocarray(ig->v, ig->n + 1, sizeof(*ig->v));
	ig->v[ig->n++] = ip;
	return 0;
}

void ignore_exclude_path(struct ignore *ig, const char *context, const char *abspath)
{
	char *ctx = path_clean(context), *abs = path_clean(abspath);
	size_t n = strlen(ctx);
	struct buf glob = {0};
	const char *msg = NULL;
	struct ignore_pat ip = {0};

	if (strncmp(abs, ctx, n) == 0 && abs[n] == '/' && abs[n + 1]) {
		/* a literal pattern: escape the glob metacharacters */
		for (const char *p = abs + n + 1; *p; p++) {
			if (strchr("*?[\\", *p))
				buf_addc(&glob, '\\');
			buf_addc(&glob, *p);
		}
		ip.pat = pattern_compile(glob.s, &msg);
	}
	if (ip.pat) {
		ig->v = xreallocarray(ig->v, ig->n + 1, sizeof(*ig->v));
		ig->v[ig->n++] = ip;
	}
	buf_free(&glob);
	free(ctx);
	free(abs);
}

/* Splits text into lines like bufio.ScanLines (a trailing "\r" is
 * dropped, a last line without "\n" still counts) and adds each. */
static int ignore_add_lines(struct ignore *ig, const char *text, size_t len, const char *fname,
			    struct error *e)
{
	size_t pos = 0, lineno = 0;

	if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
		pos = 3;
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
		lineno++;
		if (n >= IGNORE_MAX_LINE)
			return error_set(e, 0, "%s:%zu: line too long (over %d bytes)", fname,
					 lineno, IGNORE_MAX_LINE - 1);
		if (n && text[end - 1] == '\r')
			n--;
		n = strnlen(text + pos, n); /* a pattern is a C string */
		if (!(n && text[pos] == '#') &&
		    ignore_add_line(ig, text + pos, n, fname, lineno, e) < 0)
			return -1;
		pos = nl ? end + 1 : len;
	}
	return 0;
}

struct ignore *ignore_parse(const char *text, size_t len, const char *fname, struct error *e)
{
	struct ignore *ig = xcalloc(1, sizeof(*ig));

	if (ignore_add_lines(ig, text ? text : "", text ? len : 0, fname ? fname : ".dockerignore",
			     e) < 0) {
		ignore_free(ig);
		return NULL;
	}
	return ig;
}

struct ignore *ignore_from_list(char *const *pats, size_t n, const char *what, struct error *e)
{
	struct ignore *ig = xcalloc(1, sizeof(*ig));

	for (size_t i = 0; i < n; i++)
		if (ignore_add_line(ig, pats[i], strlen(pats[i]), what, i + 1, e) < 0) {
			ignore_free(ig);
			return NULL;
		}
	return ig;
}

/* Reads and parses path; 1 if it does not exist, 0 ok, -1 error. */
static int ignore_try(const char *path, struct ignore **out, struct error *e)
{
	char *data;
	size_t len;
	struct error re = {0};

	/* a FIFO or device named .dockerignore is refused, never read */
	if (input_read(path, INPUT_MAX, &data, &len, &re) < 0) {
		if (re.code == ENOENT || re.code == ENOTDIR)
			return 1;
		*e = re;
		return -1;
	}
	*out = ignore_parse(data, len, path, e);
	free(data);
	return *out ? 0 : -1;
}

struct ignore *ignore_load(const char *context, const char *dockerfile, char **used,
			   struct error *e)
{
	static const char *const names[] = {".dockerignore", ".containerignore"};
	struct ignore *ig = NULL;
	char *cand[3] = {NULL, NULL, NULL};
	int rc = 1;

	*used = NULL;
	if (dockerfile && *dockerfile && strcmp(dockerfile, "-") != 0)
		cand[0] = xasprintf("%s.dockerignore", dockerfile);
	for (size_t i = 0; i < LEN(names); i++)
		cand[i + 1] = path_join(context && *context ? context : ".", names[i]);
	for (size_t i = 0; i < LEN(cand) && rc == 1; i++) {
		if (!cand[i] || (rc = ignore_try(cand[i], &ig, e)) != 0)
			continue;
		*used = cand[i];
		cand[i] = NULL;
	}
	for (size_t i = 0; i < LEN(cand); i++)
		free(cand[i]);
	if (rc < 0)
		return NULL;
	return ig ? ig : xcalloc(1, sizeof(*ig));
}

/* 1 if the pattern matches path or one of its parent directories. */
static int ignore_pat_matches(const struct pattern *p, const char *path)
{
	char *dir;
	int hit = 0;

	if (pattern_match(p, path))
		return 1;
	dir = xstrdup(path);
	for (char *s = strchr(dir, '/'); s && !hit; s = strchr(s + 1, '/')) {
		*s = '\0';
		hit = pattern_match(p, dir);
		*s = '/';
	}
	free(dir);
	return hit;
}

int ignore_excluded(const struct ignore *ig, const char *relpath)
{
	char *path;
	int excluded = 0;

	if (!ig || !ig->n)
		return 0;
	path = path_clean(relpath);
	for (size_t i = 0; i < ig->n; i++) {
		/* only a pattern that would flip the verdict needs matching */
		if (ig->v[i].exception != excluded)
			continue;
		if (ignore_pat_matches(ig->v[i].pat, path))
			excluded = !ig->v[i].exception;
	}
	free(path);
	return excluded;
}

int ignore_may_include_below(const struct ignore *ig, const char *reldir)
{
	char *dir;
	int may = 0;

	if (!ig)
		return 0;
	dir = path_clean(reldir);
	for (size_t i = 0; i < ig->n && !may; i++)
		may = ig->v[i].exception && pattern_may_match_below(ig->v[i].pat, dir);
	free(dir);
	return may;
}

size_t ignore_count(const struct ignore *ig)
{
	return ig ? ig->n : 0;
}

void ignore_free(struct ignore *ig)
{
	if (!ig)
		return;
	for (size_t i = 0; i < ig->n; i++)
		pattern_free(ig->v[i].pat);
	free(ig->v);
	free(ig);
}
