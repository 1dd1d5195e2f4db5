/* test_match: Go filepath.Match's own test table, moby/patternmatcher's
 * `**` cases, pruning (pattern_may_match_below) and pattern_has_meta. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "match.h"
#include "tap.h"
#include "util.h"

/* Makes a string printable for a TAP description (one static slot per
 * call site argument position). */
static const char *vis(const char *s, int slot)
{
	static char out[2][256];
	size_t k = 0;

	for (; *s && k < sizeof(out[0]) - 5; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(out[slot] + k, 5, "\\x%02x", c);
		else
			out[slot][k++] = (char)c;
	}
	out[slot][k] = '\0';
	return out[slot];
}

struct mcase {
	const char *glob, *path;
	int want; /* 1 match, 0 no match, -1 bad pattern */
};

/* Go's path/filepath match_test.go table (Unix rows). */
static const struct mcase go_cases[] = {
    {"abc", "abc", 1},
    {"*", "abc", 1},
    {"*c", "abc", 1},
    {"a*", "a", 1},
    {"a*", "abc", 1},
    {"a*", "ab/c", 0},
    {"a*/b", "abc/b", 1},
    {"a*/b", "a/c/b", 0},
    {"a*b*c*d*e*/f", "axbxcxdxe/f", 1},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/f", 1},
    {"a*b*c*d*e*/f", "axbxcxdxe/xxx/f", 0},
    {"a*b*c*d*e*/f", "axbxcxdxexxx/fff", 0},
    {"a*b?c*x", "abxbbxdbxebxczzx", 1},
    {"a*b?c*x", "abxbbxdbxebxczzy", 0},
    {"ab[c]", "abc", 1},
    {"ab[b-d]", "abc", 1},
    {"ab[e-g]", "abc", 0},
    {"ab[^c]", "abc", 0},
    {"ab[^b-d]", "abc", 0},
    {"ab[^e-g]", "abc", 1},
    {"a\\*b", "a*b", 1},
    {"a\\*b", "ab", 0},
    {"a?b", "a☺b", 1},
    {"a[^a]b", "a☺b", 1},
    {"a???b", "a☺b", 0},
    {"a[^a][^a][^a]b", "a☺b", 0},
    {"[a-ζ]*", "α", 1},
    {"*[a-ζ]", "A", 0},
    {"a?b", "a/b", 0},
    {"a*b", "a/b", 0},
    {"[\\]a]", "]", 1},
    {"[\\-]", "-", 1},
    {"[x\\-]", "x", 1},
    {"[x\\-]", "-", 1},
    {"[x\\-]", "z", 0},
    {"[\\-x]", "x", 1},
    {"[\\-x]", "-", 1},
    {"[\\-x]", "a", 0},
    {"[]a]", "]", -1},
    {"[-]", "-", -1},
    {"[x-]", "x", -1},
    {"[-x]", "x", -1},
    {"\\", "a", -1},
    {"[a-b-c]", "a", -1},
    {"[", "a", -1},
    {"[^", "a", -1},
    {"[^bc", "a", -1},
    {"a[", "a", -1},
    {"a[", "ab", -1},
    {"a/b[", "x", -1},
    {"[a\\", "a", -1},
    {"[a-\\", "a", -1},
    {"*x", "xxx", 1},
    /* a negated class may match '/', as in Go */
    {"a[^x]b", "a/b", 1},
    {"a[/]b", "a/b", 1},
    /* reversed range: valid, matches nothing */
    {"[z-a]", "m", 0},
    {"[^z-a]", "m", 1},
    {"[!a]", "!", 1},
    {"[!a]", "b", 0},
    {"x]", "x]", 1},
    {"a.c", "abc", 0},
    {"a+(b)|{c}$^", "a+(b)|{c}$^", 1},
    {"", "", 1},
    {"", "a", 0},
    {"*", "", 1},
    {"*", "a\nb", 1},
    {"?", "\n", 1},
    {"a\\b", "ab", 1},
    {"\\[x]", "[x]", 1},
};

/* moby/patternmatcher's `**` and escaping cases that need no parent
 * matching (those are in test_ignore). */
static const struct mcase pm_cases[] = {
    {"**", "file", 1},
    {"**", "dir/file", 1},
    {"**/**", "dir/file", 1},
    {"dir/**", "dir/file", 1},
    {"dir/**", "dir/dir2/file", 1},
    {"**/dir", "dir", 1},
    {"**/dir2/*", "dir/dir2/file", 1},
    {"**/dir2/**", "dir/dir2/dir3/file", 1},
    {"**file", "file", 1},
    {"**file", "dir/file", 1},
    {"**/file", "dir/file", 1},
    {"**file", "dir/dir/file", 1},
    {"**/file", "dir/dir/file", 1},
    {"**/file*", "dir/dir/file", 1},
    {"**/file*", "dir/dir/file.txt", 1},
    {"**/file*txt", "dir/dir/file.txt", 1},
    {"**/file*.txt", "dir/dir/file.txt", 1},
    {"**/file*.txt*", "dir/dir/file.txt", 1},
    {"**/**/*.txt", "dir/dir/file.txt", 1},
    {"**/**/*.txt2", "dir/dir/file.txt", 0},
    {"**/*.txt", "file.txt", 1},
    {"**/**/*.txt", "file.txt", 1},
    {"a**/*.txt", "a/file.txt", 1},
    {"a**/*.txt", "a/dir/file.txt", 1},
    {"a**/*.txt", "a/dir/dir/file.txt", 1},
    {"a/*.txt", "a/dir/file.txt", 0},
    {"a/*.txt", "a/file.txt", 1},
    {"a/*.txt**", "a/file.txt", 1},
    {"a[b-d]e", "ae", 0},
    {"a[b-d]e", "ace", 1},
    {"a[b-d]e", "aae", 0},
    {"a[^b-d]e", "aze", 1},
    {".*", ".foo", 1},
    {".*", "foo", 0},
    {"abc.def", "abcdef", 0},
    {"abc.def", "abc.def", 1},
    {"abc.def", "abcZdef", 0},
    {"abc?def", "abcZdef", 1},
    {"abc?def", "abcdef", 0},
    {"a\\\\", "a\\", 1},
    {"**/foo/bar", "foo/bar", 1},
    {"**/foo/bar", "dir/foo/bar", 1},
    {"**/foo/bar", "dir/dir2/foo/bar", 1},
    {"abc/**", "abc", 0},
    {"abc/**", "abc/def", 1},
    {"abc/**", "abc/def/ghi", 1},
    {"**/.foo", ".foo", 1},
    {"**/.foo", "bar.foo", 0},
    {"a(b)c/def", "a(b)c/def", 1},
    {"a(b)c/def", "a(b)c/xyz", 0},
    {"a.|)$(}+{bc", "a.|)$(}+{bc", 1},
    {"dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
     "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 1},
    {"dist/*.whl", "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl", 1},
    /* patternmatcher quirks: leading ** + literal is a suffix test */
    {"**.go", "x/y.go", 1},
    {"**.go", "y.go", 1},
    {"**go", "x/ago", 1},
    /* "**" in the middle of a name needs a '/' after what it spans */
    {"a**b", "ab", 1},
    {"a**b", "ax/b", 1},
    {"a**b", "axb", 0},
    {"x/**/y", "x/y", 1},
    {"x/**/y", "x/a/b/y", 1},
    {"x/**/y", "x/a/b/z", 0},
    {"x/**/*.c", "x/m/n.c", 1},
    {"x/**/*.c", "x/m/n.h", 0},
    {"a/**/", "a/b", 1},
    {"a/**/", "a", 0},
    {"*/**", "a/b/c", 1},
    {"*/**", "a", 0},
    /* invalid UTF-8 counts as U+FFFD, as in Go */
    {"?", "\xff", 1},
    {"a*", "a\xfe\xff", 1},
    {"\xff", "\xfe", 0},
    {"\xff", "\xff", 1},
    {"[\xff]", "\xfe", 1},
};

static void run_cases(const struct mcase *cs, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++) {
		const char *msg = NULL;
		struct pattern *p = pattern_compile(cs[i].glob, &msg);
		if (cs[i].want < 0) {
			TAP_STREQ(p ? "(compiled)" : msg, "syntax error in pattern",
				  "%s: [%s] is a bad pattern", what, cs[i].glob);
		} else if (!p) {
			(void)TAP_OK(0, "%s: [%s] compiles (%s)", what, cs[i].glob, msg);
		} else {
			int got = pattern_match(p, cs[i].path);
			(void)TAP_OK(got == cs[i].want, "%s: [%s] %s [%s]", what,
				     vis(cs[i].glob, 0), cs[i].want ? "matches" : "does not match",
				     vis(cs[i].path, 1));
		}
		pattern_free(p);
	}
}

struct bcase {
	const char *glob, *dir;
	int want;
};

static const struct bcase below_cases[] = {
    {"a/*/c", "a", 1},	   {"a/*/c", "b", 0},	  {"a/*/c", "a/x", 1},
    {"a/*/c", "a/x/c", 0}, {"a/*/c", "a/x/y", 0}, {"**/x", "anything/at/all", 1},
    {"**.go", "src", 1},   {"a/**", "a", 1},	  {"a/**", "a/b", 1},
    {"a/**", "b", 0},	   {"a/**", "ab", 0},	  {"dir/**", "d", 0},
    {"abc", "ab", 0},	   {"abc", "abc", 0},	  {"a/b", "a", 1},
    {"a/b", "a/b", 0},	   {"a*", "abc", 0},	  {"a*/x", "abc", 1},
    {"[ab]/x", "a", 1},	   {"[ab]/x", "c", 0},	  {"x/**/y", "x/p/q", 1},
    {"x/**/y", "z", 0},	   {"*", ".", 1},	  {"x/y", "", 1},
    {"a\\*/b", "a*", 1},   {"a\\*/b", "ab", 0},	  {"?/?", "ab", 0},
    {"?/?", "a", 1},
};

static void run_below(void)
{
	for (size_t i = 0; i < LEN(below_cases); i++) {
		const struct bcase *c = &below_cases[i];
		struct pattern *p = pattern_compile(c->glob, NULL);
		int got = p ? pattern_may_match_below(p, c->dir) : -1;
		(void)TAP_OK(got == c->want, "below: [%s] under [%s] is %d (got %d)", c->glob,
			     c->dir, c->want, got);
		pattern_free(p);
	}
}

static void run_meta(void)
{
	static const struct {
		const char *s;
		int want;
	} mc[] = {
	    {"abc", 0},	 {"a*c", 1},	{"a?c", 1},   {"a[b]c", 1},   {"a\\*c", 0},
	    {"a\\", 0},	 {"a\\\\*", 1}, {"", 0},      {"a]b", 0},     {"**", 1},
	    {"\\[x", 0}, {"x/y.z", 0},	{"{a,b}", 0}, {"a\\?\\[", 0},
	};
	for (size_t i = 0; i < LEN(mc); i++)
		(void)TAP_OK(pattern_has_meta(mc[i].s) == mc[i].want, "has_meta([%s]) == %d",
			     mc[i].s, mc[i].want);
	pattern_free(NULL);
	/* pcre2 has a size limit; a huge glob is refused, not fatal */
	char *huge = xmalloc(200002);
	const char *msg = NULL;
	huge[0] = '*';
	memset(huge + 1, 'a', 200000);
	huge[200001] = '\0';
	struct pattern *hp = pattern_compile(huge, &msg);
	TAP_STREQ(hp ? "(compiled)" : msg, "pattern too long or complex", "huge glob refused");
	pattern_free(hp);
	hp = pattern_compile(huge + 1, &msg);
	(void)TAP_OK(hp && pattern_match(hp, huge + 1), "huge literal glob still works");
	pattern_free(hp);
	free(huge);
	(void)TAP_OK(pattern_compile("[", NULL) == NULL, "bad pattern with NULL errmsg");
}

int main(void)
{
	run_cases(go_cases, LEN(go_cases), "go");
	run_cases(pm_cases, LEN(pm_cases), "pm");
	run_below();
	run_meta();
	return tap_done();
}
