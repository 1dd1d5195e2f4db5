/* test_snapshot: chain.json bookkeeping and overlay option strings (the
 * mounts themselves are exercised by tests/sh/sandbox/snapshot.sh). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "rt.h"
#include "snapshot.h"
#include "tap.h"
#include "util.h"

static void test_escape(void)
{
	char *s = snapshot_escape("/a:b,c\\d");
	char *lowers[] = {"/l/top", "/l/x:y", NULL};
	char *o;

	TAP_STREQ(s, "/a\\:b\\,c\\\\d", "escape : , and backslash");
	free(s);
	o = snapshot_overlay_opts(lowers, "/s/k/upper", "/s/k,w", 0);
	TAP_STREQ(o,
		  "lowerdir=/l/top:/l/x\\:y,upperdir=/s/k/upper,workdir=/s/k\\,w,volatile,"
		  "redirect_dir=off,index=off,metacopy=off",
		  "rw options (volatile: no sync of the upper fs at unmount)");
	free(o);
	o = snapshot_overlay_opts(lowers, NULL, NULL, 1);
	TAP_STREQ(o,
		  "lowerdir=/l/top:/l/x\\:y,redirect_dir=nofollow,index=off,metacopy=off,userxattr",
		  "ro options in a userns");
	free(o);
}

static char *chain_text(const struct rt *rt, const char *key)
{
	struct error e = {0};
	json_t *c = chain_read(rt, key, &e);
	char *s;

	if (!c)
		return xasprintf("error: %s", e.msg);
	s = json_dumps(c, JSON_COMPACT);
	json_decref(c);
	return s;
}

static void test_chain(const char *tmp)
{
	struct rt rt = {.state = tmp, .store = tmp};
	struct error e = {0};
	char *up, *got, *want;
	const char *k1 = "11111111111111111111111111111111",
		   *k2 = "22222222222222222222222222222222";

	TAP_OK(chain_commit(&rt, k1, NULL, &e) < 0, "commit without step dir fails");
	up = rt_path(&rt, k1, "/upper");
	mkdir_p(up, 0755, &e);
	TAP_OK(chain_commit(&rt, k1, NULL, &e) == 0, "scratch + empty upper commits");
	got = chain_text(&rt, k1);
	TAP_STREQ(got, "[]", "empty upper adds no layer");
	free(got);
	free(up);
	up = rt_path(&rt, k2, "/upper/f");
	mkdir_p(up, 0755, &e);
	TAP_OK(chain_commit(&rt, k2, k1, &e) == 0, "commit on parent");
	got = chain_text(&rt, k2);
	want = xasprintf("[{\"dir\":\"%s/%s/upper\",\"step\":\"%s\"}]", tmp, k2, k2);
	TAP_STREQ(got, want, "non-empty upper appended");
	free(got);
	free(want);
	free(up);
	got = chain_text(&rt, "33333333333333333333333333333333");
	TAP_OK(strncmp(got, "error: unable to open ", 22) == 0, "missing chain is an error: %s",
	       got);
	free(got);
	TAP_OK(chain_commit(&rt, k2, "44444444444444444444444444444444", &e) < 0 &&
		   strstr(e.msg, "parent step 44444444") != NULL,
	       "missing parent named: %s", e.msg);
}

static void test_dir_is_empty(const char *tmp)
{
	char *d = path_join(tmp, "d"), *f = path_join(tmp, "d/.hidden");
	struct error e;

	TAP_OK(dir_is_empty(d), "missing dir counts as empty");
	mkdir_p(d, 0755, &e);
	TAP_OK(dir_is_empty(d), "new dir is empty");
	write_atomic(f, "", 0, 0644, &e);
	TAP_OK(!dir_is_empty(d), "dot file makes it non-empty");
	free(d);
	free(f);
}

/* Writes STATE/KEY/chain.json listing dirs bottom-first. */
static void write_chain(const struct rt *rt, const char *key, char **dirs, size_t n)
{
	json_t *c = json_array();
	char *p = rt_path(rt, key, NULL);
	struct error e;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(c, json_pack("{s:s}", "dir", dirs[i]));
	mkdir_p(p, 0755, &e);
	free(p);
	p = rt_path(rt, key, "/chain.json");
	json_dump_file(c, p, 0);
	json_decref(c);
	free(p);
}

static char *mkfile(const char *dir, const char *rel, const char *text)
{
	char *p = path_join(dir, rel);
	struct error e;

	mkdir_p(dir, 0755, &e);
	write_atomic(p, text, strlen(text), 0644, &e);
	return p;
}

static int file_is(const char *path, const char *want)
{
	char *got = NULL;
	struct error e;
	int same = read_file(path, &got, NULL, &e) == 0 && strcmp(got, want) == 0;

	free(got);
	return same;
}

/* rw overlay over a two-layer chain whose dirs need escaping. */
static void test_mount_rw(const struct rt *rt, const char *tmp)
{
	char *l1 = path_join(tmp, "lay:er,1"), *l2 = path_join(tmp, "lay\\er2");
	char *dirs[] = {l1, l2}, *mnt = path_join(tmp, "mnt");
	char *up = rt_path(rt, "bbbb", "/upper"), *wh = path_join(up, "a");
	struct error e = {0};
	struct stat st;

	free(mkfile(l1, "a", "A1"));
	free(mkfile(l1, "b", "B1"));
	free(mkfile(l2, "b", "B2"));
	write_chain(rt, "aaaa", dirs, 2);
	mkdir_p(mnt, 0755, &e);
	TAP_OK(snapshot_mount_rw(rt, "aaaa", "bbbb", mnt, NULL, &e) == 0, "mount rw: %s", e.msg);
	free(mkfile(mnt, "c", "C"));
	TAP_OK(file_is(path_join(mnt, "b"), "B2"), "top layer wins");
	TAP_OK(unlink(path_join(mnt, "a")) == 0, "delete a lower file");
	umount(mnt);
	TAP_OK(file_is(path_join(up, "c"), "C"), "new file in upper");
	TAP_OK(lstat(wh, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == 0, "whiteout in upper");
	TAP_OK(file_is(path_join(l1, "a"), "A1"), "lower untouched");
	TAP_OK(chain_commit(rt, "bbbb", "aaaa", &e) == 0, "commit: %s", e.msg);
	TAP_OK(snapshot_mount_ro(rt, "bbbb", mnt, &e) == 0, "mount ro view: %s", e.msg);
	TAP_OK(access(path_join(mnt, "a"), F_OK) < 0 && file_is(path_join(mnt, "c"), "C"),
	       "ro view shows the step's result");
	TAP_OK(creat(path_join(mnt, "x"), 0644) < 0 && errno == EROFS, "ro view is read-only");
	umount(mnt);
}

/* scratch and a chain too long for one page of mount data. */
static void test_mount_edge(const struct rt *rt, const char *tmp)
{
	char *dirs[80], *mnt = path_join(tmp, "mnt");
	struct snapshot_work run = {.fd = -1};
	struct error e = {0};

	TAP_OK(snapshot_mount_rw(rt, NULL, "cccc", mnt, &run, &e) == 0, "scratch mount: %s", e.msg);
	TAP_OK(dir_is_empty(mnt), "scratch is empty");
	umount(mnt);
	for (size_t i = 0; i < LEN(dirs); i++) {
		char *d = xasprintf("%s/layers/%064zu", tmp, i);
		char *name = xasprintf("f%zu", i);
		free(mkfile(d, name, "x"));
		free(name);
		dirs[i] = d;
	}
	write_chain(rt, "dddd", dirs, LEN(dirs));
	TAP_OK(snapshot_mount_ro(rt, "dddd", mnt, &e) == 0, "80-layer chain mounts: %s", e.msg);
	TAP_OK(access(path_join(mnt, "f0"), F_OK) == 0 && access(path_join(mnt, "f79"), F_OK) == 0,
	       "bottom and top layers visible");
	umount(mnt);
}

/* A RUN's rootfs: an image with /etc shows the shared stubs of
 * /etc/hosts and resolv.conf under the image's /etc (its mode wins) and
 * its upper stays empty; one without /etc gets none (the sandbox makes
 * them, and /etc with them, in the upper); a non-RUN mount gets none. */
static void test_mount_run_stubs(const struct rt *rt, const char *tmp)
{
	char *img = path_join(tmp, "img-etc"), *bare = path_join(tmp, "img-bare");
	char *mnt = path_join(tmp, "mnt"), *etc = path_join(img, "etc");
	char *up = rt_path(rt, "ffff", "/upper"), *stub = path_join(mnt, "etc/hosts");
	char *rc = path_join(mnt, "etc/resolv.conf"), *me = path_join(mnt, "etc");
	char *p;
	struct snapshot_work run = {.fd = -1};
	struct error e = {0};
	struct stat st;

	free(mkfile(etc, "passwd", "root:x:0:0::/:/bin/sh\n"));
	chmod(etc, 0750);
	write_chain(rt, "eeee", &img, 1);
	TAP_OK(snapshot_mount_rw(rt, "eeee", "ffff", mnt, &run, &e) == 0, "RUN mount: %s", e.msg);
	TAP_OK(lstat(stub, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 0 &&
		   lstat(rc, &st) == 0 && S_ISREG(st.st_mode),
	       "RUN rootfs: empty /etc/hosts and resolv.conf from the stubs");
	TAP_OK(lstat(me, &st) == 0 && (st.st_mode & 07777) == 0750, "the image's /etc mode wins");
	p = path_join(mnt, "etc/passwd");
	TAP_OK(access(p, F_OK) == 0, "the image's /etc files stay");
	free(p);
	umount(mnt);
	TAP_OK(dir_is_empty(up), "the upper stays empty");
	TAP_OK(snapshot_mount_rw(rt, "eeee", "gggg", mnt, NULL, &e) == 0 && access(stub, F_OK) < 0,
	       "no stubs in a COPY's rootfs");
	umount(mnt);
	mkdir_p(bare, 0755, &e);
	free(mkfile(bare, "bin", "x"));
	write_chain(rt, "hhhh", &bare, 1);
	TAP_OK(snapshot_mount_rw(rt, "hhhh", "iiii", mnt, &run, &e) == 0 && access(me, F_OK) < 0,
	       "an image without /etc gets no stubs' /etc");
	umount(mnt);
	free(img), free(bare), free(mnt), free(etc), free(up), free(stub), free(rc), free(me);
}

/* The RUN work dir pool: a held slot is not handed out twice, a slot's
 * work tree goes at release, and one a killed step left (the volatile
 * marker that refuses a mount) goes at the next take. */
static void test_work_pool(const struct rt *rt, const char *tmp)
{
	char *mnt = path_join(tmp, "mnt"), *s0 = path_join(tmp, ".work/0");
	char *left = path_join(s0, "work/work/incompat/volatile"), *p;
	struct snapshot_work a, b;
	struct error e = {0};
	char *lay = path_join(tmp, "img-pool");

	free(mkfile(lay, "f", "x"));
	write_chain(rt, "jjjj", &lay, 1);
	snapshot_work_take(rt, &a);
	snapshot_work_take(rt, &b);
	TAP_OK(a.path && strcmp(a.path, s0) == 0 && b.path && strcmp(a.path, b.path) != 0,
	       "two takes: two slots (%s, %s)", a.path ? a.path : "-", b.path ? b.path : "-");
	TAP_OK(snapshot_mount_rw(rt, "jjjj", "kkkk", mnt, &a, &e) == 0, "mount on a slot: %s",
	       e.msg);
	p = path_join(a.path, "work");
	TAP_OK(access(p, F_OK) == 0, "overlayfs works in the slot");
	free(p);
	p = rt_path(rt, "kkkk", "/work");
	TAP_OK(access(p, F_OK) < 0, "no work dir of the step's own");
	free(p);
	umount(mnt);
	snapshot_work_release(&a);
	snapshot_work_release(&b);
	p = path_join(s0, "work");
	TAP_OK(access(p, F_OK) < 0 && a.path == NULL && a.fd == -1,
	       "release removes the work tree");
	free(p);
	mkdir_p(left, 0755, &e);
	snapshot_work_take(rt, &a);
	TAP_OK(a.path && strcmp(a.path, s0) == 0 && access(left, F_OK) < 0,
	       "a killed step's volatile marker goes at the next take");
	TAP_OK(snapshot_mount_rw(rt, "jjjj", "llll", mnt, &a, &e) == 0, "and the slot mounts: %s",
	       e.msg);
	umount(mnt);
	snapshot_work_release(&a);
	free(mnt), free(s0), free(left), free(lay);
}

/* Mount tests run in a child inside a private mount namespace (as root,
 * or in a fresh user namespace when not). Paths leak: the child exits. */
static void test_mounts(const char *tmp)
{
	struct rt rt = {.state = tmp, .store = tmp};
	struct error e = {0};

	if (snapshot_private_ns(&e) < 0) {
		printf("ok %d - mount tests # SKIP %s\n", ++tap_n, e.msg);
		return;
	}
	(void)TAP_OK(1, "private namespace (userns: %d)", snapshot_in_userns());
	test_mount_rw(&rt, tmp);
	test_mount_edge(&rt, tmp);
	test_mount_run_stubs(&rt, tmp);
	test_work_pool(&rt, tmp);
}

int main(int argc, char **argv)
{
	char tmpl[] = "/tmp/test_snapshot.XXXXXX";
	char *tmp = mkdtemp(tmpl);
	struct error e;
	pid_t pid;
	int st, fds[2], counts[2] = {0, 0};

	test_escape();
	test_chain(tmp);
	test_dir_is_empty(tmp);
	fflush(stdout);
	if (pipe(fds) < 0 || (pid = fork()) < 0)
		return 1;
	if (pid == 0) {
		test_mounts(tmp);
		fflush(stdout);
		counts[0] = tap_n;
		counts[1] = tap_failed;
		_exit(write(fds[1], counts, sizeof(counts)) == sizeof(counts) ? 0 : 1);
	}
	close(fds[1]);
	/* The child numbered on from our count; take over its totals. */
	if (read(fds[0], counts, sizeof(counts)) == sizeof(counts)) {
		tap_n = counts[0];
		tap_failed = counts[1];
	} else {
		(void)TAP_OK(0, "mount test child reported its results");
	}
	waitpid(pid, &st, 0);
	TAP_OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "mount test child exited cleanly");
	(void)argc;
	(void)argv;
	remove_tree(tmp, &e);
	return tap_done();
}
