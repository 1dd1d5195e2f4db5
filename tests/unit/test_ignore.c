/* test_ignore: .dockerignore reading and matching (moby/patternmatcher
 * semantics), pruning, and the choice of ignore file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "tap.h"
#include "util.h"

struct icase {
	const char *text; /* the .dockerignore */
	const char *path;
	int want; /* 1 excluded */
};

static const struct icase cases[] = {
    {"*.go", "main.go", 1},
    {"*.go", "a/main.go", 0},
    {"**/*.go", "a/b/c.go", 1},
    {"**/*.go", "c.go", 1},
    {"**/*.go", "c.goo", 0},
    {"*\n!keep", "x", 1},
    {"*\n!keep", "keep", 0},
    {"*\n!keep", "keep/sub", 0},
    {"*\n!keep", "dir/keep", 1},
    {"a/**", "a", 0},
    {"a/**", "a/b", 1},
    {"a/**", "a/b/c", 1},
    {"dir", "dir", 1},
    {"dir", "dir/file", 1},
    {"dir", "dir/a/b", 1},
    {"dir", "dirx", 0},
    {"dir", "x/dir", 0},
    {"/dir", "dir/file", 1},
    {"./dir/", "dir/f", 1},
    {"dir//sub/./", "dir/sub/f", 1},
    {"dir\n!dir/keep", "dir/x", 1},
    {"dir\n!dir/keep", "dir/keep", 0},
    {"dir\n!dir/keep", "dir/keep/y", 0},
    {"!dir/keep\ndir", "dir/keep", 1},
    {"# comment\n#dir\n dir2 ", "#dir", 0},
    {"# comment\n#dir\n dir2 ", "dir2", 1},
    {" #x", "#x", 1},
    {"\\#file", "#file", 1},
    {"\xef\xbb\xbfsecret", "secret", 1},
    {"a\r\nb\r\n", "a", 1},
    {"a\r\nb\r\n", "b", 1},
    {"a/../b", "b", 1},
    {"a/../b", "a", 0},
    {"../x", "x", 0},
    {"**", "any/thing", 1},
    {"*\n!*.md\nREADME-secret.md", "x", 1},
    {"*\n!*.md\nREADME-secret.md", "a.md", 0},
    {"*\n!*.md\nREADME-secret.md", "README-secret.md", 1},
    {"**/node_modules", "node_modules", 1},
    {"**/node_modules", "a/node_modules/x", 1},
    {"**/node_modules", "a/node_modules_x", 0},
    {"temp?", "temp1", 1},
    {"temp?", "temp", 0},
    {"temp?", "temp12", 0},
    {"*/temp*", "a/temporary", 1},
    {"*/temp*", "a/b/temp", 0},
    {"*/*/temp*", "a/b/temp1", 1},
    {"[ab]c", "ac", 1},
    {"[ab]c", "cc", 0},
    {"[^ab]c", "cc", 1},
    {"! keep\n*", "keep", 1},
    {"*\n! keep", "keep", 0},
    {".git\n!.git/HEAD", ".git/config", 1},
    {".git\n!.git/HEAD", ".git/HEAD", 0},
    {"**/dir", "dir/file", 1},
    {"**/dir2/*", "dir/dir2/file/x", 1},
    {"**file", "dir/dir/file", 1},
    {"**.go", "x/y.go", 1},
    {"\t\n  \n", "x", 0},
    {"x\ny\n!x\n", "x", 0},
    {"x\ny\n!x\n", "y", 1},
    {"docs\n!docs/*.md\ndocs/private.md", "docs/a.md", 0},
    {"docs\n!docs/*.md\ndocs/private.md", "docs/private.md", 1},
    {"docs\n!docs/*.md\ndocs/private.md", "docs/img.png", 1},
    {"a b", "a b", 1},
    {"\xc2\xa0spaced\xc2\xa0", "spaced", 1},
    {"x", "./x", 1},
    {"x", "x/", 1},
    {"a*", "a\xff", 1},
};

/* Shows control characters as \xNN so a TAP line stays one line. */
static const char *vis(const char *s)
{
	static char out[256];
	size_t k = 0;

	for (; *s && k < sizeof(out) - 5; s++) {
		unsigned char c = (unsigned char)*s;
		if (c < 0x20 || c == 0x7f)
			k += (size_t)snprintf(out + k, 5, "\\x%02x", c);
		else
			out[k++] = (char)c;
	}
	out[k] = '\0';
	return out;
}

static void run_cases(void)
{
	for (size_t i = 0; i < LEN(cases); i++) {
		struct error e = {0};
		struct ignore *ig = ignore_parse(cases[i].text, strlen(cases[i].text), "ign", &e);
		char desc[300];
		snprintf(desc, sizeof(desc), "%s", vis(cases[i].text));
		if (!ig) {
			(void)TAP_OK(0, "case %zu [%s] parses: %s", i, desc, e.msg);
			continue;
		}
		(void)TAP_OK(ignore_excluded(ig, cases[i].path) == cases[i].want,
			     "case %zu [%s]: %s is %s", i, desc, vis(cases[i].path),
			     cases[i].want ? "excluded" : "kept");
		ignore_free(ig);
	}
}

struct ecase {
	const char *text, *msg;
};

static const struct ecase errors[] = {
    {"a\n!\n", "f:2: illegal exclusion pattern: \"!\""},
    {"!   ", "f:1: illegal exclusion pattern: \"!\""},
    {"ok\n\na[\n", "f:3: syntax error in pattern: a["},
    {"x/[]a]", "f:1: syntax error in pattern: x/[]a]"},
    {"trailing\\", "f:1: syntax error in pattern: trailing\\"},
    {"!bad[", "f:1: syntax error in pattern: bad["},
};

static void run_errors(void)
{
	for (size_t i = 0; i < LEN(errors); i++) {
		struct error e = {0};
		struct ignore *ig = ignore_parse(errors[i].text, strlen(errors[i].text), "f", &e);
		TAP_STREQ(ig ? "(parsed)" : e.msg, errors[i].msg, "error case %zu", i);
		ignore_free(ig);
	}
	/* bufio.Scanner refuses lines of 64 KiB and more */
	size_t n = 70000;
	char *big = xmalloc(n + 1);
	struct error e = {0};
	memset(big, 'x', n);
	big[n] = '\0';
	struct ignore *ig = ignore_parse(big, n, "f", &e);
	TAP_STREQ(ig ? "(parsed)" : e.msg, "f:1: line too long (over 65535 bytes)",
		  "error: line too long");
	ignore_free(ig);
	big[65535] = '\n';
	ig = ignore_parse(big, n, "f", &e);
	(void)TAP_OK(ig && ignore_count(ig) == 2, "a 65535-byte line is accepted");
	ignore_free(ig);
	free(big);
}

static void run_misc(void)
{
	struct error e = {0};
	const char *t = "# c\n\na\n!b\n  \nc/d\n";
	struct ignore *ig = ignore_parse(t, strlen(t), "f", &e);

	(void)TAP_OK(ig && ignore_count(ig) == 3, "count skips comments and blanks");
	ignore_free(ig);
	ig = ignore_parse("", 0, "f", &e);
	(void)TAP_OK(ig && ignore_count(ig) == 0 && !ignore_excluded(ig, "x"),
		     "empty file excludes nothing");
	ignore_free(ig);
	ig = ignore_parse("a\0b\nc", 5, "f", &e);
	(void)TAP_OK(ig && ignore_excluded(ig, "a") && ignore_excluded(ig, "c"),
		     "NUL ends a pattern, later lines still read");
	ignore_free(ig);
	(void)TAP_OK(!ignore_excluded(NULL, "x") && ignore_count(NULL) == 0 &&
			 !ignore_may_include_below(NULL, "x"),
		     "NULL matcher excludes nothing");
	ignore_free(NULL);
	ig = ignore_parse(NULL, 0, NULL, &e);
	(void)TAP_OK(ig && ignore_count(ig) == 0, "NULL text is an empty file");
	ignore_free(ig);
}

struct bcase {
	const char *text, *dir;
	int want;
};

static const struct bcase below[] = {
    {"dir\n!dir/keep", "dir", 1},
    {"dir\n!other", "dir", 0},
    {"*\n!**/x", "a/b", 1},
    {"dir\n!dir/*/y", "dir/a", 1},
    {"dir\n!dir/*/y", "dir/a/b", 0},
    {"dir", "dir", 0},
    {"*\n!*.md", "sub", 0},
    {"*\n!sub/*.md", "sub", 1},
    {"*\n!sub/*.md", "./sub/", 1},
    {"*\n!a/**", "a", 1},
    {"*\n!a/**", "b", 0},
};

static void run_below(void)
{
	for (size_t i = 0; i < LEN(below); i++) {
		struct error e = {0};
		struct ignore *ig = ignore_parse(below[i].text, strlen(below[i].text), "f", &e);
		(void)TAP_OK(ig && ignore_may_include_below(ig, below[i].dir) == below[i].want,
			     "may_include_below [%s] %s = %d", vis(below[i].text), below[i].dir,
			     below[i].want);
		ignore_free(ig);
	}
}

/* Writes a file, creating parents. */
static void put(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel), *slash = strrchr(p, '/');
	struct error e;

	*slash = '\0';
	mkdir_p(p, 0755, &e);
	*slash = '/';
	if (write_atomic(p, text, strlen(text), 0644, &e) < 0)
		printf("# %s\n", e.msg);
	free(p);
}

/* Loads and reports which file was chosen (relative to base). */
static char *load_used(const char *ctx, const char *df, size_t base, size_t *count)
{
	struct error e = {0};
	char *used = NULL, *r;
	struct ignore *ig = ignore_load(ctx, df, &used, &e);

	if (!ig)
		return xasprintf("error: %s", e.msg);
	*count = ignore_count(ig);
	ignore_free(ig);
	r = xstrdup(used ? used + base : "(none)");
	free(used);
	return r;
}

static void run_load(void)
{
	const char *tmp = getenv("TEST_TMPDIR");
	char *root = xasprintf("%s/ignore-load.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *ctx, *df, *got, *dir;
	size_t base, n = 99;
	struct error e = {0};

	if (!mkdtemp(root)) {
		(void)TAP_OK(0, "mkdtemp: %s", strerror(errno));
		return;
	}
	base = strlen(root) + 1;
	ctx = path_join(root, "ctx");
	df = path_join(root, "ctx/build/app.Dockerfile");
	mkdir_p(ctx, 0755, &e);

	got = load_used(ctx, df, base, &n);
	TAP_STREQ(got, "(none)", "load: no ignore file");
	(void)TAP_OK(n == 0, "load: no file gives an empty matcher");
	free(got);

	put(ctx, ".containerignore", "c1\n");
	got = load_used(ctx, df, base, &n);
	TAP_STREQ(got, "ctx/.containerignore", "load: .containerignore as a last resort");
	free(got);

	put(ctx, ".dockerignore", "d1\nd2\n");
	got = load_used(ctx, df, base, &n);
	TAP_STREQ(got, "ctx/.dockerignore", "load: .dockerignore beats .containerignore");
	(void)TAP_OK(n == 2, "load: .dockerignore content read");
	free(got);

	put(ctx, "build/app.Dockerfile.dockerignore", "x\n");
	got = load_used(ctx, df, base, &n);
	TAP_STREQ(got, "ctx/build/app.Dockerfile.dockerignore",
		  "load: <Dockerfile>.dockerignore wins");
	(void)TAP_OK(n == 1, "load: its content read");
	free(got);

	got = load_used(ctx, "-", base, &n);
	TAP_STREQ(got, "ctx/.dockerignore", "load: Dockerfile from stdin uses the context's");
	free(got);
	got = load_used(ctx, NULL, base, &n);
	TAP_STREQ(got, "ctx/.dockerignore", "load: NULL Dockerfile uses the context's");
	free(got);

	put(ctx, "build/app.Dockerfile.dockerignore", "ok\n!\n");
	got = load_used(ctx, df, base, &n);
	char *want = xasprintf("error: %s/ctx/build/app.Dockerfile.dockerignore:2: illegal "
			       "exclusion pattern: \"!\"",
			       root);
	TAP_STREQ(got, want, "load: pattern error names the file and line");
	free(want);
	free(got);

	dir = path_join(root, "ctx2/.dockerignore");
	mkdir_p(dir, 0755, &e);
	free(ctx);
	ctx = path_join(root, "ctx2");
	got = load_used(ctx, NULL, base, &n);
	want = xasprintf("error: %s is a directory, not a regular file", dir);
	TAP_STREQ(got, want, "load: unreadable ignore file is an error");
	free(want);
	free(got);
	free(dir);

	remove_tree(root, &e);
	free(ctx);
	free(df);
	free(root);
}

int main(void)
{
	run_cases();
	run_errors();
	run_misc();
	run_below();
	run_load();
	return tap_done();
}
