/* test_safeopen: lib/safeopen against a hostile tree: symlinks that leave
 * it by an absolute path and by "..", magic links, symlinks where none
 * may be, and openat2's EAGAIN under concurrent renames. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "safeopen.h"
#include "tap.h"
#include "util.h"

static char *top; /* TOP/root is the tree, TOP/outside its neighbour */

static void put(const char *rel, const char *text)
{
	char *p = path_join(top, rel);
	struct error e;

	if (write_atomic(p, text, strlen(text), 0644, &e) < 0)
		fatal("%s", e.msg);
	free(p);
}

static void link_at(const char *target, const char *rel)
{
	char *p = path_join(top, rel);

	if (symlink(target, p) < 0)
		fatal("symlink %s: %s", p, strerror(errno));
	free(p);
}

/* The first bytes of what safe_open gives, "errno:NAME" when it fails. */
static char *got(int rootfd, const char *path, int how)
{
	static char buf[64];
	int fd = safe_open(rootfd, path, O_RDONLY, how);
	ssize_t n;

	if (fd < 0) {
		snprintf(buf, sizeof(buf), "%s",
			 errno == EXDEV	   ? "EXDEV"
			 : errno == ELOOP  ? "ELOOP"
			 : errno == ENOENT ? "ENOENT"
					   : strerror(errno));
		return buf;
	}
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static void make_tree(void)
{
	struct error e;
	char *p = path_join(top, "root/etc");

	mkdir_p(p, 0755, &e);
	free(p);
	p = path_join(top, "root/dir/a");
	mkdir_p(p, 0755, &e);
	free(p);
	p = path_join(top, "outside");
	mkdir_p(p, 0755, &e);
	free(p);
	put("root/etc/passwd", "inside");
	put("outside/secret", "SECRET");
	link_at("/etc", "root/abs");
	link_at("../../..", "root/up");
	link_at("../outside/secret", "root/sibling");
	link_at("etc", "root/rel");
	p = xasprintf("%s/outside/secret", top);
	link_at(p, "root/hostabs");
	free(p);
}

static void test_beneath(int root)
{
	TAP_STREQ(got(root, "etc/passwd", SAFE_BENEATH), "inside", "beneath: a plain path opens");
	TAP_STREQ(got(root, "rel/passwd", SAFE_BENEATH), "inside", "beneath: a link inside");
	TAP_STREQ(got(root, "../outside/secret", SAFE_BENEATH), "EXDEV", "beneath: .. out: EXDEV");
	TAP_STREQ(got(root, "sibling", SAFE_BENEATH), "EXDEV", "beneath: link with .. out: EXDEV");
	TAP_STREQ(got(root, "abs/passwd", SAFE_BENEATH), "EXDEV", "beneath: absolute link: EXDEV");
	TAP_STREQ(got(root, "up/outside/secret", SAFE_BENEATH), "EXDEV",
		  "beneath: link climbing out: EXDEV");
	TAP_STREQ(got(root, "/etc/passwd", SAFE_BENEATH), "EXDEV",
		  "beneath: an absolute path is refused, not re-rooted");
	TAP_STREQ(got(root, "rel/passwd", SAFE_BENEATH | SAFE_NO_SYMLINKS), "ELOOP",
		  "beneath, no symlinks: any link fails");
}

static void test_in_root(int root)
{
	TAP_STREQ(got(root, "abs/passwd", SAFE_IN_ROOT), "inside",
		  "in root: an absolute link resolves inside, not to the host's /etc");
	TAP_STREQ(got(root, "../../etc/passwd", SAFE_IN_ROOT), "inside",
		  "in root: .. stops at root");
	TAP_STREQ(got(root, "/etc/passwd", SAFE_IN_ROOT), "inside", "in root: /etc/passwd");
	TAP_STREQ(got(root, "up/etc/passwd", SAFE_IN_ROOT), "inside", "in root: ../../.. link");
	TAP_STREQ(got(root, "sibling", SAFE_IN_ROOT), "ENOENT",
		  "in root: ../outside/secret is root/outside/secret: absent");
	TAP_STREQ(got(root, "hostabs", SAFE_IN_ROOT), "ENOENT",
		  "in root: a link to the host path of the secret stays inside");
	TAP_STREQ(got(root, "etc/passwd", SAFE_IN_ROOT | SAFE_NO_SYMLINKS), "inside",
		  "in root, no symlinks: plain path");
	TAP_STREQ(got(root, "abs/passwd", SAFE_IN_ROOT | SAFE_NO_SYMLINKS), "ELOOP",
		  "in root, no symlinks: link fails");
}

static void test_magic(int root)
{
	int proc = open("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
	char fdpath[32];
	struct stat a, b;
	int fd;

	snprintf(fdpath, sizeof(fdpath), "fd/%d", root);
	TAP_STREQ(got(proc, "root/etc/hostname", SAFE_IN_ROOT), "ELOOP",
		  "magic link /proc/self/root refused (in root)");
	TAP_STREQ(got(proc, "root/etc/hostname", SAFE_BENEATH), "ELOOP",
		  "magic link /proc/self/root refused (beneath)");
	TAP_STREQ(got(proc, "cwd", SAFE_BENEATH), "ELOOP", "magic link /proc/self/cwd refused");
	snprintf(fdpath, sizeof(fdpath), "fd/%d/../outside/secret", root);
	TAP_STREQ(got(proc, fdpath, SAFE_IN_ROOT), "ELOOP", "magic link /proc/self/fd/N refused");
	close(proc);
	fd = safe_open(root, "", O_PATH | O_DIRECTORY, SAFE_IN_ROOT);
	TAP_OK(fd >= 0 && fstat(fd, &a) == 0 && fstat(root, &b) == 0 && a.st_ino == b.st_ino,
	       "\"\" opens the root itself");
	if (fd >= 0)
		close(fd);
}

/* safe_lstat: the path's own links are not followed, nor any parent's. */
static void test_lstat(void)
{
	char *rootp = path_join(top, "root");
	struct stat st;

	TAP_OK(safe_lstat(rootp, "/etc/passwd", &st) == 0 && S_ISREG(st.st_mode),
	       "safe_lstat: a plain path (leading / dropped)");
	TAP_OK(safe_lstat(rootp, "abs", &st) == 0 && S_ISLNK(st.st_mode),
	       "safe_lstat: the last component is not followed");
	errno = 0;
	TAP_OK(safe_lstat(rootp, "abs/passwd", &st) < 0 && errno == ELOOP,
	       "safe_lstat: a symlinked parent is refused (ELOOP), not followed to the host");
	TAP_OK(safe_lstat(rootp, "up/outside/secret", &st) < 0, "safe_lstat: nor a .. link");
	free(rootp);
}

/* A child renames a directory back and forth; the kernel then answers
 * EAGAIN to walks through ".." (rename_lock changed), which safe_open
 * retries: every open succeeds. */
static void test_eagain(int root)
{
	char *a = path_join(top, "root/dir/a"), *b = path_join(top, "root/dir/b");
	unsigned long before = safe_open_retries();
	int failures = 0, opens = 0;
	time_t end = time(NULL) + 3;
	pid_t pid = fork();

	if (pid == 0) {
		for (;;) {
			rename(a, b);
			rename(b, a);
		}
	}
	while (time(NULL) < end && safe_open_retries() - before < 50) {
		int fd = safe_open(root, "dir/../etc/../dir/../etc/passwd", O_RDONLY, SAFE_IN_ROOT);
		opens++;
		if (fd < 0)
			failures++;
		else
			close(fd);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	TAP_OK(failures == 0, "%d opens through .. during renames, %d failed", opens, failures);
	if (safe_open_retries() > before)
		(void)TAP_OK(1, "EAGAIN provoked %lu times and retried",
			     safe_open_retries() - before);
	else
		(void)TAP_OK(1, "# SKIP the kernel answered no EAGAIN in 3 s of renames");
	free(a);
	free(b);
}

int main(void)
{
	char tmpl[] = "/tmp/test_safeopen.XXXXXX";
	struct error e;
	char *rootp;
	int root;

	top = mkdtemp(tmpl);
	if (!top)
		fatal("mkdtemp");
	make_tree();
	rootp = path_join(top, "root");
	root = open(rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		fatal("open %s", rootp);
	test_beneath(root);
	test_in_root(root);
	test_magic(root);
	test_lstat();
	test_eagain(root);
	close(root);
	free(rootp);
	remove_tree(top, &e);
	return tap_done();
}
