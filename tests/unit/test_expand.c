/* test_expand: BuildKit's shell/envVarTest and shell/wordsTest vectors,
 * then our own cases for every operator and error message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expand.h"
#include "tap.h"
#include "util.h"

/* Trims ASCII blanks (Go strings.TrimSpace for the data we read). */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* Opens a conformance file; NULL (and a failed TAP line) if missing. */
static FILE *open_conf(const char *name)
{
	const char *dir = getenv("CONFORMANCE");
	char *path;
	FILE *f;

	if (!dir)
		dir = "tests/conformance";
	path = xasprintf("%s/buildkit/shell/%s", dir, name);
	f = fopen(path, "r");
	(void)TAP_OK(f != NULL, "open %s", path);
	free(path);
	return f;
}

/* Expands one word and compares with want ("error" = must fail). */
static void check_word(const char *in, const char *want, const struct expand_env *env,
		       const char *where)
{
	struct expand_error err;
	char *got = expand_word(in, '\\', env, &err);

	if (strcmp(want, "error") == 0) {
		if (!TAP_OK(got == NULL && err.msg[0], "%s: [%s] fails", where, in))
			printf("#   got: [%s]\n", got ? got : "(null)");
	} else {
		TAP_STREQ(got, want, "%s: [%s] -> [%s]%s%s", where, in, want,
			  got ? "" : " err: ", got ? "" : err.msg);
	}
	free(got);
}

static void run_env_var_test(void)
{
	static const char *const env[] = {"PWD=/home", "SHELL=bash", "KOREAN=한국어",
					  "NULL=", NULL};
	struct expand_env e = expand_env_kv(env);
	char line[4096], where[64];
	FILE *f = open_conf("envVarTest");
	int lineno = 0, cases = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *p1, *p2, *plat = line;
		lineno++;
		if (line[0] == '#' || !*trim(line))
			continue;
		p1 = strchr(line, '|');
		p2 = p1 ? strchr(p1 + 1, '|') : NULL;
		if (!p1 || !p2) {
			(void)TAP_OK(0, "envVarTest:%d malformed", lineno);
			continue;
		}
		*p1 = *p2 = '\0';
		if (strcmp(trim(plat), "W") == 0)
			continue;
		snprintf(where, sizeof(where), "envVarTest:%d", lineno);
		check_word(trim(p1 + 1), trim(p2 + 1), &e, where);
		cases++;
	}
	fclose(f);
	(void)TAP_OK(cases > 200, "envVarTest ran %d cases", cases);
}

/* Joins words with ',' as wordsTest writes them. */
static char *join_words(char **w)
{
	struct buf b = {0};

	for (size_t i = 0; w && w[i]; i++) {
		if (i)
			buf_addc(&b, ',');
		buf_adds(&b, w[i]);
	}
	return buf_steal(&b);
}

/* One wordsTest line: input | expected words joined with ','. */
static void words_case(char *line, struct strlist *env, int lineno)
{
	struct expand_env e = expand_env_kv(env->v);
	struct expand_error err;
	char *bar = strchr(line, '|'), *in, *want, **w, *got;
	size_t n;

	if (!bar) {
		(void)TAP_OK(0, "wordsTest:%d malformed", lineno);
		return;
	}
	*bar = '\0';
	in = trim(line);
	want = bar + 1;
	want += strspn(want, " \t");
	n = strlen(want);
	if (n && want[n - 1] == '\n')
		want[n - 1] = '\0';
	w = expand_words(in, '\\', &e, &err);
	if (strcmp(want, "error") == 0) {
		(void)TAP_OK(w == NULL && err.msg[0], "wordsTest:%d [%s] fails", lineno, in);
	} else {
		got = join_words(w);
		TAP_STREQ(w ? got : NULL, want, "wordsTest:%d [%s] -> [%s]", lineno, in, want);
		free(got);
	}
	expand_free_words(w);
}

static void run_words_test(void)
{
	char line[4096];
	struct strlist env = {0};
	FILE *f = open_conf("wordsTest");
	int lineno = 0;

	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (line[0] == '#' || strspn(line, " \t\r\n") == strlen(line))
			continue;
		if (strncmp(line, "ENV ", 4) == 0) {
			line[strcspn(line, "\n")] = '\0';
			strlist_add(&env, line + 4);
			continue;
		}
		words_case(line, &env, lineno);
	}
	strlist_free(&env);
	fclose(f);
}

struct wcase {
	const char *in, *want; /* want NULL: error with message msg */
	const char *msg;
};

/* Our own cases, against a richer environment. */
static const struct wcase own_cases[] = {
    {"$FOO", "foo/bar.tar.gz", NULL},
    {"${FOO}x",
     "foo/bar.tar.gz"
     "x",
     NULL},
    {"${UNSET-dflt}", "dflt", NULL},
    {"${EMPTY-dflt}", "", NULL},
    {"${EMPTY:-dflt}", "dflt", NULL},
    {"${UNSET+alt}", "", NULL},
    {"${EMPTY+alt}", "alt", NULL},
    {"${EMPTY:+alt}", "", NULL},
    {"${FOO:+alt}", "alt", NULL},
    {"${EMPTY?}", "", NULL},
    {"${FOO:?}", "foo/bar.tar.gz", NULL},
    {"${UNSET?}", NULL, "UNSET: is not allowed to be unset"},
    {"${UNSET:?}", NULL, "UNSET: is not allowed to be unset"},
    {"${EMPTY:?}", NULL, "EMPTY: is not allowed to be empty"},
    {"${UNSET?custom text}", NULL, "UNSET: custom text"},
    {"${EMPTY:?need $FOO}", NULL, "EMPTY: need foo/bar.tar.gz"},
    {"${FOO#*/}", "bar.tar.gz", NULL},
    {"${FOO##*.}", "gz", NULL},
    {"${FOO#*.}", "tar.gz", NULL},
    {"${FOO%.*}", "foo/bar.tar", NULL},
    {"${FOO%%.*}", "foo/bar", NULL},
    {"${FOO%/*}", "foo", NULL},
    {"${FOO#nomatch}", "foo/bar.tar.gz", NULL},
    {"${FOO#f?o}", "/bar.tar.gz", NULL},
    {"${FOO%g?}", "foo/bar.tar.", NULL},
    {"${STAR#a\\*}", "b", NULL},
    {"${STAR%\\*b}", "a", NULL},
    {"${STAR#a*}", "*b", NULL},
    {"${STAR##a*}", "", NULL},
    {"${BRK#[x]}", "y", NULL},
    {"${BRK#[}", "x]y", NULL},
    {"${UNSET#x}", "", NULL},
    {"${FOO/bar/baz}", "foo/baz.tar.gz", NULL},
    {"${FOO//a/A}", "foo/bAr.tAr.gz", NULL},
    {"${FOO/a/A}", "foo/bAr.tar.gz", NULL},
    {"${FOO/*./X}", "Xgz", NULL},
    {"${FOO//?/x}", "xxxxxxxxxxxxxx", NULL},
    {"${FOO/nomatch/x}", "foo/bar.tar.gz", NULL},
    {"${FOO/bar/}", "foo/.tar.gz", NULL},
    {"${FOO/\\//:}", "foo:bar.tar.gz", NULL},
    {"${FOO//./-}", "foo/bar-tar-gz", NULL},
    {"${FOO//$DOT/-}", "foo/bar-tar-gz", NULL},
    {"${AB//x/-}", "abab", NULL},
    {"${AB///-}", "-a-b-a-b-", NULL},
    {"${AB//*/Z}", "Z", NULL},
    {"${AB//b/$$}", "aa", NULL},
    {"${AB//b/$DOLLAR$DOLLAR}", "a$a$", NULL},
    {"${AB//b/\\$0}", "a\\ba\\b", NULL},
    {"${AB/b/\\$0}", "a\\$0ab", NULL},
    {"${AB//b/[${DOLLAR}0]}", "a[b]a[b]", NULL},
    {"${AB//b/<${DOLLAR}FOO>}", "a<>a<>", NULL},
    {"${UNSET/a/b}", "", NULL},
    {"${AB/a/x\\}y}", "x\\}ybab", NULL},
    {"${AB//a/\\t}", "\\tb\\tb", NULL},
    {"${KO#한}", "국어", NULL},
    {"${KO%?}", "한국", NULL},
    {"${KO/국/-}", "한-어", NULL},
    {"${FOO:#x}", NULL, "unsupported modifier (:#) in substitution"},
    {"${FOO:%x}", NULL, "unsupported modifier (:%) in substitution"},
    {"${FOO:x}", NULL, "unsupported modifier (:x) in substitution"},
    {"${FOO=x}", NULL, "unsupported modifier (=) in substitution"},
    {"${FOO", NULL, "unsupported modifier (\xef\xbf\xbd) in substitution"},
    {"${FOO:", NULL, "syntax error: missing '}'"},
    {"${FOO:-x", NULL, "syntax error: missing '}'"},
    {"${FOO/a", NULL, "syntax error: missing '/' in ${}"},
    {"${FOO/a/b", NULL, "syntax error: missing '}'"},
    {"${FOO#\\a}", NULL, "invalid pattern (\\a) in substitution: invalid escape '\\a'"},
    {"${FOO#$BS}", NULL, "invalid pattern (\\) in substitution: invalid escape '\\%!c(int32=-1)'"},
    {"${}", NULL, "syntax error: bad substitution"},
    {"${:-x}", NULL, "syntax error: bad substitution"},
    {"${{x}", NULL, "syntax error: bad substitution"},
    {"${", NULL, "syntax error: missing '}'"},
    {"${x:-'a", NULL, "syntax error: missing '}'"},
    {"${x:-'a'b", NULL, "syntax error: missing '}'"},
    {"${x:-${y:?bad}}", NULL, "y: bad"},
    {"${x:-${y:?bad}", NULL, "syntax error: missing '}'"},
    {"'abc", NULL, "unexpected end of statement while looking for matching single-quote"},
    {"\"abc", NULL, "unexpected end of statement while looking for matching double-quote"},
    {"\"a$FOO\"", "afoo/bar.tar.gz", NULL},
    {"\"a\\tb\\\"c\\$d\\\\e\"", "a\\tb\"c$d\\e", NULL},
    {"${x:-\"a b\"}", "a b", NULL},
    {"${x:-'$FOO'}", "$FOO", NULL},
    {"${x:-a\\}b}", "a}b", NULL},
    {"${FOO#\\f}", NULL, "invalid pattern (\\f) in substitution: invalid escape '\\f'"},
    {"${FOO#fo\\o}", NULL, "invalid pattern (fo\\o) in substitution: invalid escape '\\o'"},
    {"${STAR#a\\\\}", "a*b", NULL},
    {"$$x$@y$1z", "xyz", NULL},
    {"$", "$", NULL},
    {"a$ b", "a$ b", NULL},
    {"$ÿ", "", NULL},
    {"$한국어", "", NULL},
    {"$KO", "한국어", NULL},
    {"$KO_x", "", NULL},
    {"$٣x", "x", NULL},
    {"${٣:-d}", "d", NULL},
    {"$é٣.", ".", NULL},
    {"$€", "$€", NULL},
    {"${FOO}}", "foo/bar.tar.gz}", NULL},
    {"a\xff"
     "b",
     "a\xef\xbf\xbd"
     "b",
     NULL},
};

static void run_own_cases(void)
{
	static const char *const env[] = {
	    "FOO=ignored", "FOO=foo/bar.tar.gz", "EMPTY=",    "STAR=a*b", "BRK=[x]y", "DOT=.",
	    "AB=abab",	   "DOLLAR=$",		 "KO=한국어", "BS=\\",	  "NOEQ",     NULL};
	struct expand_env e = expand_env_kv(env);
	struct expand_error err;

	for (size_t i = 0; i < LEN(own_cases); i++) {
		const struct wcase *c = &own_cases[i];
		char *got = expand_word(c->in, '\\', &e, &err);
		if (c->want) {
			TAP_STREQ(got, c->want, "own: [%s] -> [%s]%s", c->in, c->want,
				  got ? "" : err.msg);
		} else {
			TAP_STREQ(got ? "(no error)" : err.msg, c->msg, "own: [%s] fails", c->in);
		}
		free(got);
	}
	TAP_STREQ(expand_kv_lookup((void *)env, "NOEQ"), "", "kv: entry without '=' is empty");
	(void)TAP_OK(expand_kv_lookup((void *)env, "FO") == NULL, "kv: prefix is not a match");
	(void)TAP_OK(expand_kv_lookup(NULL, "FOO") == NULL, "kv: NULL vector");
}

/* Error offsets point at the construct or the end of input. */
static void run_offsets(void)
{
	static const char *const env[] = {"EMPTY=", NULL};
	struct expand_env e = expand_env_kv(env);
	struct expand_error err;
	char *got;

	got = expand_word("abc${EMPTY:?}", '\\', &e, &err);
	(void)TAP_OK(!got && err.offset == 3, "offset of ${EMPTY:?} is 3 (got %zu)", err.offset);
	got = expand_word("ab'cd", '\\', &e, &err);
	(void)TAP_OK(!got && err.offset == 2, "offset of open quote is 2 (got %zu)", err.offset);
	got = expand_word("x${a:-b", '\\', &e, &err);
	(void)TAP_OK(!got && err.offset == 7, "offset of missing } is the end (got %zu)",
		     err.offset);
	got = expand_word("$x", '\\', NULL, NULL);
	TAP_STREQ(got, "", "NULL env and NULL err are allowed");
	free(got);
}

/* Builds ${AB//?/${AB//?/...x}} nested depth times: 4^depth bytes. */
static char *nested_replace(int depth)
{
	struct buf b = {0};

	for (int i = 0; i < depth; i++)
		buf_adds(&b, "${AB//?/");
	buf_adds(&b, "x");
	for (int i = 0; i < depth; i++)
		buf_addc(&b, '}');
	return buf_steal(&b);
}

/* Results are bounded: nested replace-all grows exponentially. */
static void run_limits(void)
{
	static const char *const env[] = {"AB=abab", NULL};
	struct expand_env e = expand_env_kv(env);
	struct expand_error err;
	char *l10 = nested_replace(10), *l11 = nested_replace(11), *two, *got;

	got = expand_word(l10, '\\', &e, &err);
	(void)TAP_OK(got && strlen(got) == 1u << 20, "a 1 MiB result is allowed");
	free(got);
	got = expand_word(l11, '\\', &e, &err);
	TAP_STREQ(got ? "(expanded)" : err.msg, "expansion result too long (over 1048576 bytes)",
		  "replace-all over 1 MiB fails");
	free(got);
	two = xasprintf("%s%s", l10, l10);
	got = expand_word(two, '\\', &e, &err);
	TAP_STREQ(got ? "(expanded)" : err.msg, "expansion result too long (over 1048576 bytes)",
		  "a word over 1 MiB fails");
	(void)TAP_OK(!got && err.offset == strlen(l10), "offset is the second substitution");
	free(got);
	free(two);
	free(l10);
	free(l11);
}

/* The backtick escape (# escape=`) and word splitting specifics. */
static void run_escape_and_words(void)
{
	static const char *const env[] = {"SP= a  b ", "X=x", NULL};
	struct expand_env e = expand_env_kv(env);
	struct expand_error err;
	char *got, **w, *j;

	got = expand_word("a`$X\\b", '`', &e, &err);
	TAP_STREQ(got, "a$X\\b", "backtick escapes $, backslash is literal");
	free(got);
	got = expand_word("\"`\"`$X\"", '`', &e, &err);
	TAP_STREQ(got, "\"$X", "backtick escapes inside double quotes");
	free(got);
	got = expand_word("C:\\dir\\$X", '`', &e, &err);
	TAP_STREQ(got, "C:\\dir\\x", "backslash before $ does not escape under `");
	free(got);
	got = expand_word("a\\", '\\', &e, &err);
	TAP_STREQ(got, "a", "trailing escape dropped");
	free(got);

	struct {
		const char *in, *want;
	} wc[] = {
	    {"a $SP c", "a,a,b,c"},
	    {"a\"$SP\"c", "a a  b c"},
	    {"a '' b", "a,b"},
	    {"'' \"\"", ""},
	    {"  lead  trail  ", "lead,trail"},
	    {"a\\ b c", "a b,c"},
	    {"x${SP:+'1 2'}y", "x1,2y"},
	    {"p${UNSET:-q r}s", "pq,rs"},
	    {"a\tb\nc", "a,b,c"},
	    {"a\xc2\xa0"
	     "b",
	     "a,b"},
	    {"a\xe3\x80\x80"
	     "b",
	     "a,b"},
	};
	for (size_t i = 0; i < LEN(wc); i++) {
		w = expand_words(wc[i].in, '\\', &e, &err);
		j = join_words(w);
		TAP_STREQ(w ? j : NULL, wc[i].want, "words case %zu -> [%s]", i, wc[i].want);
		free(j);
		expand_free_words(w);
	}
	w = expand_words("a 'b", '\\', &e, &err);
	(void)TAP_OK(w == NULL && strstr(err.msg, "single-quote"), "expand_words reports errors");
	w = expand_words("", '\\', &e, &err);
	(void)TAP_OK(w && w[0] == NULL, "empty input gives an empty word list");
	expand_free_words(w);
	expand_free_words(NULL);
}

int main(void)
{
	run_env_var_test();
	run_words_test();
	run_own_cases();
	run_offsets();
	run_escape_and_words();
	run_limits();
	return tap_done();
}
