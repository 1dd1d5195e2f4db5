/* match: globs compiled to pcre2.
 *
 * Syntax is checked with Go filepath.Match's rules (what
 * moby/patternmatcher does before compiling), and the translation follows
 * patternmatcher's compile(): `*` and `?` never cross '/', `**` spans
 * directories (a '/' after `**` is eaten, so "a/ ** /b" without the
 * blanks also matches "a/b"). Like patternmatcher, a pattern that is a literal after a
 * leading `**` is a plain suffix test ("**.go" matches "x/y.go"), and a
 * literal before a trailing `**` is a plain prefix test. Character
 * classes follow filepath.Match (only `^` negates; `-` and `]` must be
 * escaped). Invalid UTF-8, in patterns and paths, counts as U+FFFD as in
 * Go. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "match.h"
#include "utf8.h"
#include "util.h"

#define BAD_PATTERN "syntax error in pattern"

enum match_type { MATCH_EXACT, MATCH_PREFIX, MATCH_SUFFIX, MATCH_REGEX };

struct pattern {
	enum match_type type;
	char *lit; /* exact text, prefix or suffix (for the non-regex types) */
	pcre2_code *re;
};

/* utf8_decode plus Go's "bad byte" test (RUNE_ERROR of width 1). */
static int match_decode(const char *s, size_t n, int *width, int *bad)
{
	int r = utf8_decode(s, n, width);

	*bad = r == RUNE_ERROR && *width == 1;
	return r;
}

/* Returns a copy of s with invalid UTF-8 bytes replaced by U+FFFD, or
 * NULL when s is valid (the common case, no copy). */
static char *match_sanitize(const char *s)
{
	size_t n = strlen(s), i = 0, good = 0;
	struct buf b = {0};
	int w, bad, any = 0;

	while (i < n) {
		match_decode(s + i, n - i, &w, &bad);
		if (bad) {
			buf_addn(&b, s + good, i - good);
			buf_adds(&b, "\xef\xbf\xbd");
			good = i + 1;
			any = 1;
		}
		i += (size_t)w;
	}
	if (!any)
		return NULL;
	buf_addn(&b, s + good, n - good);
	return buf_steal(&b);
}

/* Go's getEsc: one possibly escaped class rune; NULL on a bad pattern.
 * Like Go, a class element must be followed by something. */
static const char *match_get_esc(const char *p, int *r)
{
	int w, bad;

	if (!*p || *p == '-' || *p == ']')
		return NULL;
	if (*p == '\\' && !*++p)
		return NULL;
	*r = match_decode(p, strlen(p), &w, &bad);
	if (bad || !p[w])
		return NULL;
	return p + w;
}

/* Appends a rune as a literal usable inside and outside classes:
 * letters and digits as is, other ASCII escaped, non-ASCII as UTF-8. */
static void match_put_rune(struct buf *re, int cp)
{
	char u[4];
	int n = 0;

	if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9'))
		buf_addc(re, (char)cp);
	else if (cp < 0x20 || cp == 0x7f)
		buf_printf(re, "\\x{%x}", (unsigned)cp);
	else if (cp < 0x80)
		buf_printf(re, "\\%c", cp);
	else {
		if (cp < 0x800) {
			u[n++] = (char)(0xc0 | (cp >> 6));
		} else if (cp < 0x10000) {
			u[n++] = (char)(0xe0 | (cp >> 12));
			u[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		} else {
			u[n++] = (char)(0xf0 | (cp >> 18));
			u[n++] = (char)(0x80 | ((cp >> 12) & 0x3f));
			u[n++] = (char)(0x80 | ((cp >> 6) & 0x3f));
		}
		u[n++] = (char)(0x80 | (cp & 0x3f));
		buf_addn(re, u, (size_t)n);
	}
}

/* Parses a class starting after '['; appends the regex and returns the
 * text after ']', or NULL on a bad pattern. Reversed ranges match
 * nothing, as in Go (pcre2 would reject them). */
static const char *match_class(const char *p, struct buf *re)
{
	struct buf body = {0};
	int neg = 0, nrange = 0, lo, hi;

	if (*p == '^')
		neg = 1, p++;
	for (;;) {
		if (*p == ']' && nrange > 0) {
			p++;
			break;
		}
		if (!(p = match_get_esc(p, &lo)))
			break;
		hi = lo;
		if (*p == '-' && !(p = match_get_esc(p + 1, &hi)))
			break;
		if (lo <= hi) {
			match_put_rune(&body, lo);
			buf_addc(&body, '-');
			match_put_rune(&body, hi);
		}
		nrange++;
	}
	if (p && body.len)
		buf_printf(re, "[%s%s]", neg ? "^" : "", body.s);
	else if (p)
		buf_adds(re, neg ? "(?s:.)" : "(*FAIL)");
	buf_free(&body);
	return p;
}

struct xlate {
	const char *glob, *p; /* whole pattern and current position */
	struct buf re;
	enum match_type type;
};

/* Translates "**" (p is after it); patternmatcher's rules. */
static void match_double_star(struct xlate *x, int first)
{
	if (*x->p == '/')
		x->p++;
	if (!*x->p) {
		if (x->type == MATCH_EXACT) {
			x->type = MATCH_PREFIX;
		} else {
			buf_adds(&x->re, "[^\\n]*");
			x->type = MATCH_REGEX;
		}
	} else {
		buf_adds(&x->re, "(?:[^\\n]*/)?");
		x->type = MATCH_REGEX;
	}
	if (first)
		x->type = MATCH_SUFFIX;
}

/* Translates one glob element at x->p; -1 on a bad pattern. */
static int match_step(struct xlate *x)
{
	int first = x->p == x->glob, cp, w, bad;
	char c = *x->p++;

	if (c == '*' && *x->p == '*') {
		x->p++;
		match_double_star(x, first);
	} else if (c == '*') {
		buf_adds(&x->re, "[^/]*");
		x->type = MATCH_REGEX;
	} else if (c == '?') {
		buf_adds(&x->re, "[^/]");
		x->type = MATCH_REGEX;
	} else if (c == '[') {
		if (!(x->p = match_class(x->p, &x->re)))
			return -1;
		x->type = MATCH_REGEX;
	} else {
		if (c == '\\') {
			if (!*x->p)
				return -1;
			x->type = MATCH_REGEX;
		} else if (c == ']') {
			x->type = MATCH_REGEX;
			x->p--;
		} else {
			x->p--;
		}
		cp = match_decode(x->p, strlen(x->p), &w, &bad);
		x->p += w;
		match_put_rune(&x->re, cp);
	}
	return 0;
}

/* Compiles the translated regex anchored at both ends; \z rather than
 * PCRE2_ENDANCHORED, which pcre2 refuses with partial matching. */
static pcre2_code *match_build(struct buf *re)
{
	int ec;
	PCRE2_SIZE eo;

	buf_adds(re, "\\z");
	return pcre2_compile((PCRE2_SPTR)re->s, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_ANCHORED,
			     &ec, &eo, NULL);
}

/* Fills p from a valid-UTF-8 glob; -1 on a bad pattern, -2 when pcre2
 * cannot compile it (too long). */
static int match_translate(struct pattern *pat, const char *glob)
{
	struct xlate x = {.glob = glob, .p = glob, .type = MATCH_EXACT};

	while (*x.p) {
		if (match_step(&x) < 0) {
			buf_free(&x.re);
			return -1;
		}
	}
	pat->type = x.type;
	/* only regex patterns need pcre2; the others compare text */
	if (x.type == MATCH_REGEX)
		pat->re = match_build(&x.re);
	buf_free(&x.re);
	return x.type == MATCH_REGEX && !pat->re ? -2 : 0;
}

/* The plain text the non-regex types compare with, taken from the raw
 * glob as patternmatcher does: all of it, the part before a trailing
 * "**" (or "**" + '/'), or the part after the leading "**". */
static char *match_literal(enum match_type type, const char *glob)
{
	size_t n = strlen(glob);

	if (type == MATCH_EXACT)
		return xstrdup(glob);
	if (type == MATCH_SUFFIX)
		return xstrdup(glob + 2);
	if (type == MATCH_PREFIX)
		return xstrndup(glob, n - (glob[n - 1] == '/' ? 3 : 2));
	return NULL;
}

struct pattern *pattern_compile(const char *glob, const char **errmsg)
{
	char *clean = match_sanitize(glob);
	struct pattern *p = xcalloc(1, sizeof(*p));
	int rc = match_translate(p, clean ? clean : glob);

	free(clean);
	if (rc < 0) {
		if (errmsg)
			*errmsg = rc == -1 ? BAD_PATTERN : "pattern too long or complex";
		pattern_free(p);
		return NULL;
	}
	p->lit = match_literal(p->type, glob);
	return p;
}

/* Full (or, with partial, partial-hard) regex match of s. */
static int match_regex(const pcre2_code *re, const char *s, int partial)
{
	char *clean = match_sanitize(s);
	const char *subj = clean ? clean : s;
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	int rc = pcre2_match(re, (PCRE2_SPTR)subj, strlen(subj), 0,
			     partial ? PCRE2_PARTIAL_HARD : 0, md, NULL);

	pcre2_match_data_free(md);
	free(clean);
	if (rc >= 0)
		return 1;
	return partial && rc == PCRE2_ERROR_PARTIAL;
}

int pattern_match(const struct pattern *p, const char *path)
{
	size_t n, m;

	switch (p->type) {
	case MATCH_EXACT:
		return strcmp(path, p->lit) == 0;
	case MATCH_PREFIX:
		return startswith(path, p->lit);
	case MATCH_SUFFIX:
		/* "**" + "/foo" also matches "foo" itself */
		n = strlen(path);
		m = strlen(p->lit);
		if (n >= m && memcmp(path + n - m, p->lit, m) == 0)
			return 1;
		return p->lit[0] == '/' && strcmp(path, p->lit + 1) == 0;
	case MATCH_REGEX:
		break;
	}
	return match_regex(p->re, path, 0);
}

int pattern_may_match_below(const struct pattern *p, const char *dir)
{
	char *sub;
	int rc;

	if (p->type == MATCH_SUFFIX)
		return 1;
	if (!*dir || strcmp(dir, ".") == 0)
		return 1;
	sub = xasprintf("%s/", dir);
	if (p->type == MATCH_PREFIX)
		rc = startswith(sub, p->lit) || startswith(p->lit, sub);
	else if (p->type == MATCH_EXACT)
		rc = startswith(p->lit, sub);
	else
		rc = match_regex(p->re, sub, 1);
	free(sub);
	return rc;
}

void pattern_free(struct pattern *p)
{
	if (!p)
		return;
	pcre2_code_free(p->re);
	free(p->lit);
	free(p);
}

int pattern_has_meta(const char *s)
{
	for (; *s; s++) {
		if (*s == '\\') {
			if (!*++s)
				break;
			continue;
		}
		if (*s == '*' || *s == '?' || *s == '[')
			return 1;
	}
	return 0;
}
