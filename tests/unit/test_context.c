/* test_context: source cleaning, glob resolution, .dockerignore and the
 * walker over a real directory tree built in a temp dir. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "context.h"
#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "tap.h"
#include "util.h"

static char *root;

/* Creates root/rel with content (or a directory when content is NULL). */
static void mk(const char *rel, const char *content)
{
	char *p = path_join(root, rel);
	struct error e;

	if (content)
		write_atomic(p, content, strlen(content), 0644, &e);
	else
		mkdir_p(p, 0755, &e);
	free(p);
}

static void mklink(const char *target, const char *rel)
{
	char *p = path_join(root, rel);
	if (symlink(target, p) < 0)
		fatal("symlink %s", p);
	free(p);
}

/* Joins a list with spaces for comparison. */
static char *joined(const struct strlist *l)
{
	char *s = xstrdup("");
	for (size_t i = 0; i < l->n; i++) {
		char *t = xasprintf("%s%s%s", s, i ? " " : "", l->v[i]);
		free(s);
		s = t;
	}
	return s;
}

static void test_clean(void)
{
	static const char *cases[][2] = {
	    {"/a/../b/", "b"},	    {".", "."}, {"", "."},	 {"../../x", "x"},
	    {"a//b/./c/", "a/b/c"}, {"/", "."}, {"./a/..", "."}, {"a/../../b", "b"},
	};
	for (size_t i = 0; i < LEN(cases); i++) {
		char *got = ctx_clean_source(cases[i][0]);
		TAP_STREQ(got, cases[i][1], "clean \"%s\"", cases[i][0]);
		free(got);
	}
}

/* Resolves src and compares the result (or "ERR:" + a message fragment). */
static void resolve_is(const struct ignore *ig, const char *src, const char *want)
{
	struct strlist out = {0};
	struct error e = {0};
	int r = ctx_resolve(root, ig, src, &out, &e);
	char *got = r < 0 ? xasprintf("ERR:%s", e.msg) : joined(&out);

	if (strncmp(want, "ERR:", 4) == 0 && r < 0)
		TAP_OK(strstr(got, want + 4) != NULL, "resolve %s fails: %s", src, got);
	else
		TAP_STREQ(got, want, "resolve %s", src);
	free(got);
	strlist_free(&out);
}

static void test_resolve(const struct ignore *ig)
{
	resolve_is(ig, "*.txt", "a.txt b.txt");
	resolve_is(ig, "*/x.txt", "dir/x.txt other/x.txt");
	resolve_is(ig, "nomatch*", "");
	resolve_is(ig, "missing", "ERR:\"missing\": not found");
	resolve_is(ig, "dir/missing/x", "ERR:\"dir/missing/x\": not found");
	resolve_is(ig, "ign.txt", "ERR:\"ign.txt\": not found");
	resolve_is(ig, "outlink", "ERR:outside the build context");
	resolve_is(ig, "uplink", "ERR:outside the build context");
	resolve_is(ig, "link", "link");
	resolve_is(ig, "/dir/../a.txt", "a.txt");
	resolve_is(ig, "../../a.txt", "a.txt");
	resolve_is(ig, "d?r", "dir");
	resolve_is(ig, "dir/", "dir");
	resolve_is(ig, ".", ".");
	resolve_is(ig, "dir/*", "dir/lnk dir/sub dir/x.txt");
	resolve_is(ig, "[ab].txt", "a.txt b.txt");
	resolve_is(ig, "*/*/y.txt", "dir/sub/y.txt");
	resolve_is(ig, "nodir/*.txt", "ERR:\"nodir\": not found");
	resolve_is(ig, "linkdir/x.txt", "linkdir/x.txt");
	resolve_is(ig, "linkdir/*.txt", "linkdir/x.txt");
	resolve_is(NULL, "*.txt", "a.txt b.txt ign.txt");
}

static int collect(const char *rel, const struct stat *st, void *arg)
{
	char *s = xasprintf("%s%s", rel,
			    S_ISDIR(st->st_mode)   ? "/"
			    : S_ISLNK(st->st_mode) ? "@"
						   : "");
	strlist_take(arg, s);
	return 0;
}

static void walk_is(const struct ignore *ig, const char *rel, const char *want)
{
	struct strlist out = {0};
	struct error e = {0};
	int r = ctx_walk(root, ig, rel, collect, &out, &e);
	char *got = r < 0 ? xasprintf("ERR:%s", e.msg) : joined(&out);

	TAP_STREQ(got, want, "walk %s", rel);
	free(got);
	strlist_free(&out);
}

static int stop_at_two(const char *rel, const struct stat *st, void *arg)
{
	(void)rel;
	(void)st;
	return ++*(int *)arg == 2;
}

static void test_walk(const struct ignore *ig)
{
	struct error e = {0};
	int n = 0;

	walk_is(ig, "dir", "dir/ dir/lnk@ dir/sub/ dir/sub/y.txt dir/x.txt");
	walk_is(ig, "a.txt", "a.txt");
	walk_is(ig, "link", "link");
	walk_is(ig, "linkdir", "linkdir/ linkdir/x.txt");
	walk_is(ig, ".",
		"./ .dockerignore a.txt b.txt c.md dir/ dir/lnk@ dir/sub/ dir/sub/y.txt "
		"dir/x.txt link@ linkdir@ other/ other/x.txt outlink@ uplink@");
	walk_is(ig, "ign.txt", "ERR:source \"ign.txt\": not found in the build context");
	TAP_OK(ctx_walk(root, ig, "dir", stop_at_two, &n, &e) == 0 && n == 2,
	       "walk stops when the callback says so");
}

int main(void)
{
	char tmpl[] = "/tmp/test_context.XXXXXX";
	struct error e = {0};
	struct ignore *ig;

	argv0 = "test_context";
	root = mkdtemp(tmpl);
	mk("a.txt", "a");
	mk("b.txt", "b");
	mk("c.md", "c");
	mk("ign.txt", "i");
	mk(".dockerignore", "ign.txt\n");
	mk("dir", NULL);
	mk("dir/sub", NULL);
	mk("dir/x.txt", "x");
	mk("dir/sub/y.txt", "y");
	mk("other", NULL);
	mk("other/x.txt", "o");
	mklink("a.txt", "link");
	mklink("other", "linkdir");
	mklink("/etc/passwd", "outlink");
	mklink("../../../../etc/passwd", "uplink");
	mklink("../other", "dir/lnk");
	ig = ignore_parse("ign.txt\n", 8, ".dockerignore", &e);
	TAP_OK(ig != NULL, "ignore file parses");
	test_clean();
	test_resolve(ig);
	test_walk(ig);
	ignore_free(ig);
	remove_tree(root, &e);
	return tap_done();
}
