/* test_context: source cleaning, glob resolution, .dockerignore and the
 * walker over a real directory tree built in a temp dir. */
#include <fcntl.h>
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
	/* links to ignored paths: the client never sends the target */
	resolve_is(ig, "ignlink", "ERR:\"ignlink\": not found");
	resolve_is(NULL, "ignlink", "ignlink");
	resolve_is(ig, "privlink", "ERR:\"privlink\": not found");
	resolve_is(ig, "privlink/k", "ERR:\"privlink/k\": not found");
	resolve_is(ig, "privlink/*", "ERR:\"privlink\": not found");
	resolve_is(ig, "otherlink/*", "otherlink/pub");
	resolve_is(ig, "otherlink/sec*", "");
	resolve_is(ig, "otherlink/secret", "ERR:\"otherlink/secret\": not found");
}

/* ctx_resolve_in's IN_ROOT scope: absolute links stay inside the root. */
static void test_in_root(void)
{
	struct strlist out = {0};
	struct error e = {0};
	char *got;
	int r = ctx_resolve_in(root, CTX_IN_ROOT, NULL, "rootabs/x.txt", &out, &e);

	got = r < 0 ? xasprintf("ERR:%s", e.msg) : joined(&out);
	TAP_STREQ(got, "rootabs/x.txt", "IN_ROOT: a link to /dir is the root's dir");
	free(got);
	strlist_free(&out);
	r = ctx_resolve_in(root, CTX_IN_ROOT, NULL, "outlink", &out, &e);
	TAP_OK(r < 0 && strstr(e.msg, "\"outlink\": not found") && !strstr(e.msg, "context"),
	       "IN_ROOT: /etc/passwd below the root is missing, not the host's: %s", e.msg);
	strlist_free(&out);
}

/* ctx_real_path: where a name leads, relative to the root. */
static void test_real_path(void)
{
	static const char *cases[][3] = {
	    {"a.txt", "a.txt", "b"},	  {"link", "a.txt", "b"},
	    {"privlink", "private", "b"}, {"linkdir/x.txt", "other/x.txt", "b"},
	    {"dir/lnk", "other", "b"},	  {".", ".", "b"},
	    {"rootabs", "dir", "r"},	  {"outlink", NULL, "b"},
	};
	for (size_t i = 0; i < LEN(cases); i++) {
		int fd = open(root, O_PATH | O_DIRECTORY);
		enum ctx_scope sc = cases[i][2][0] == 'r' ? CTX_IN_ROOT : CTX_BENEATH;
		char *got = ctx_real_path(fd, cases[i][0], sc);
		TAP_STREQ(got ? got : "(null)", cases[i][1] ? cases[i][1] : "(null)",
			  "real path of %s", cases[i][0]);
		free(got);
		close(fd);
	}
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
		"dir/x.txt ignlink@ link@ linkdir@ other/ other/x.txt otherlink@ outlink@ "
		"privlink@ rootabs@ shared/ shared/pub uplink@");
	walk_is(ig, "ign.txt", "ERR:source \"ign.txt\": not found in the build context");
	walk_is(ig, "otherlink", "otherlink/ otherlink/pub");
	walk_is(NULL, "otherlink", "otherlink/ otherlink/pub otherlink/secret");
	walk_is(ig, "privlink", "ERR:source \"privlink\": not found in the build context");
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
	mk("private", NULL);
	mk("private/k", "k");
	mk("shared", NULL);
	mk("shared/pub", "p");
	mk("shared/secret", "s");
	mklink("ign.txt", "ignlink");
	mklink("private", "privlink");
	mklink("shared", "otherlink");
	mklink("/dir", "rootabs");
	ig = ignore_parse("ign.txt\nprivate\nshared/secret\n", 30, ".dockerignore", &e);
	TAP_OK(ig != NULL, "ignore file parses");
	test_clean();
	test_resolve(ig);
	test_walk(ig);
	test_in_root();
	test_real_path();
	ignore_free(ig);
	remove_tree(root, &e);
	return tap_done();
}
