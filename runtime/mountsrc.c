/* mountsrc: cache seeding (a full copy: the cache is writable and must
 * never write through to the context or a step's layers) and the
 * .dockerignore filter for context binds. The filter is the cheapest view
 * that hides files completely: a read-only overlay whose top lower, on a
 * private tmpfs, holds only whiteouts (char 0:0, allowed unprivileged
 * since Linux 5.8) and the directories leading to them. Nothing is copied
 * and the walk skips excluded subtrees. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "mountsrc.h"
#include "util.h"

/* Owner, mode and times of st onto name in dir (AT_SYMLINK_NOFOLLOW). */
static int set_meta(int dir, const char *name, const struct stat *st, int lax, struct error *e)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 &&
	    !(lax && (errno == EINVAL || errno == EPERM)))
		return error_set(e, errno, "chown %s", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dir, name, st->st_mode & 07777, 0) < 0)
		return error_set(e, errno, "chmod %s", name);
	if (utimensat(dir, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "set times of %s", name);
	return 0;
}

static int copy_bytes(int in, int out)
{
	char buf[65536];
	ssize_t n;

	/* copy_file_range reflinks or copies in the kernel; EXDEV/ENOSYS
	 * and friends fall back to read/write. */
	while ((n = copy_file_range(in, NULL, out, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return -1;
	return n < 0 ? -1 : 0;
}

static int copy_file(int src, int dst, const char *name, struct error *e)
{
	int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1, r = 0;

	if (in >= 0)
		out = openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (in < 0 || out < 0 || copy_bytes(in, out) < 0)
		r = error_set(e, errno, "copy %s", name);
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	return r;
}

static int copy_link(int src, int dst, const char *name, struct error *e)
{
	char target[4096];
	ssize_t n = readlinkat(src, name, target, sizeof(target) - 1);

	if (n < 0)
		return error_set(e, errno, "readlink %s", name);
	target[n] = '\0';
	return symlinkat(target, dst, name) < 0 ? error_set(e, errno, "symlink %s", name) : 0;
}

static int copy_dir(int src, int dst, const char *name, int lax, struct error *e)
{
	int s, d = -1, r;

	if (mkdirat(dst, name, 0700) < 0)
		return error_set(e, errno, "mkdir %s", name);
	s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (s >= 0)
		d = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	r = s < 0 || d < 0 ? error_set(e, errno, "open %s", name)
			   : mountsrc_copy_tree(s, d, lax, e);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return r < 0 ? error_wrap(e, "%s", name) : 0;
}

static int copy_entry(int src, int dst, const char *name, int lax, struct error *e)
{
	struct stat st;
	int r;

	if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "stat %s", name);
	if (S_ISDIR(st.st_mode))
		r = copy_dir(src, dst, name, lax, e);
	else if (S_ISREG(st.st_mode))
		r = copy_file(src, dst, name, e);
	else if (S_ISLNK(st.st_mode))
		r = copy_link(src, dst, name, e);
	else if (mknodat(dst, name, st.st_mode, st.st_rdev) < 0)
		r = error_set(e, errno, "mknod %s", name);
	else
		r = 0;
	return r < 0 ? -1 : set_meta(dst, name, &st, lax, e);
}

int mountsrc_copy_tree(int src, int dst, int lax, struct error *e)
{
	int fd = dup(src), r = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return error_set(e, errno, "read directory");
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(src, dst, de->d_name, lax, e);
	closedir(d);
	return r;
}

/* ---- the ignore filter ---- */

struct walk {
	const struct ignore *ig;
	int lax;
	size_t n; /* whiteouts made */
	struct error *e;
};

static long filter(struct walk *w, int dir, int wh, const char *rel);

static int whiteout(struct walk *w, int wh, const char *name)
{
	if (mknodat(wh, name, S_IFCHR | 0000, makedev(0, 0)) < 0)
		return error_set(w->e, errno, "whiteout %s", name);
	w->n++;
	return 0;
}

/* Removes a mirror directory: it holds only directories and whiteouts. */
static void remove_mirror(int wh, const char *name)
{
	int fd = openat(wh, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;

	while (d && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    unlinkat(fd, de->d_name, 0) < 0 && errno == EISDIR)
			remove_mirror(fd, de->d_name);
	if (d)
		closedir(d);
	unlinkat(wh, name, AT_REMOVEDIR);
}

static int set_meta_fd(int fd, const struct stat *st, int lax, struct error *e)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};

	if (fchown(fd, st->st_uid, st->st_gid) < 0 && !(lax && (errno == EINVAL || errno == EPERM)))
		return error_set(e, errno, "chown");
	if (fchmod(fd, st->st_mode & 07777) < 0 || futimens(fd, ts) < 0)
		return error_set(e, errno, "chmod");
	return 0;
}

/* A directory: filtered into a mirror in wh. Returns 1 if it stays
 * visible, 0 if it is whited out, -1 on error. An excluded directory left
 * with nothing visible goes as a whole: BuildKit would not have sent it. */
static int filter_dir(struct walk *w, int dir, int wh, const char *name, const char *rel,
		      int excluded)
{
	int s = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), m = -1;
	size_t before = w->n;
	long visible = -1;
	struct stat st;

	if (s < 0 || fstat(s, &st) < 0 || mkdirat(wh, name, 0700) < 0 ||
	    (m = openat(wh, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		error_set(w->e, errno, "filter %s", rel);
	else
		visible = filter(w, s, m, rel);
	if (visible >= 0 && w->n > before && !(excluded && visible == 0) &&
	    set_meta_fd(m, &st, w->lax, w->e) < 0)
		visible = -1;
	if (s >= 0)
		close(s);
	if (m >= 0)
		close(m);
	if (visible < 0)
		return -1;
	if (w->n == before) /* nothing hidden below: no mirror needed */
		unlinkat(wh, name, AT_REMOVEDIR);
	if (!(excluded && visible == 0))
		return 1;
	remove_mirror(wh, name);
	return whiteout(w, wh, name) < 0 ? -1 : 0;
}

static int is_dir(int dir, const struct dirent *de)
{
	struct stat st;

	if (de->d_type != DT_UNKNOWN)
		return de->d_type == DT_DIR;
	return fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
}

/* One entry; 1 if it stays visible, 0 if hidden, -1 on error. */
static int filter_entry(struct walk *w, int dir, int wh, const char *rel, const struct dirent *de)
{
	char *child = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
	int excluded = ignore_excluded(w->ig, child), isdir = is_dir(dir, de), r = 1;

	if (excluded && !(isdir && ignore_may_include_below(w->ig, child)))
		r = whiteout(w, wh, de->d_name) < 0 ? -1 : 0;
	else if (isdir)
		r = filter_dir(w, dir, wh, de->d_name, child, excluded);
	free(child);
	return r;
}

/* The number of entries of dir left visible, or -1. */
static long filter(struct walk *w, int dir, int wh, const char *rel)
{
	int fd = dup(dir), r = 0;
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *de;
	long visible = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return error_set(w->e, errno, "read %s", *rel ? rel : ".");
	}
	while (r >= 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
			r = filter_entry(w, dir, wh, rel, de);
			visible += r > 0;
		}
	closedir(d);
	return r < 0 ? -1 : visible;
}

int mountsrc_whiteouts(int dir, const char *rel, int wh, const struct ignore *ig, int lax,
		       size_t *n, struct error *e)
{
	struct walk w = {.ig = ig, .lax = lax, .e = e};
	struct stat st;

	/* The source itself may be excluded: then only what is re-included
	 * below it exists (BuildKit would not find it otherwise). */
	if (*rel && ignore_excluded(ig, rel) && !ignore_may_include_below(ig, rel))
		return error_set(e, ENOENT, "%s is excluded by the ignore file", rel);
	if (filter(&w, dir, wh, rel) < 0)
		return -1;
	*n = w.n;
	/* The overlay's root comes from its top layer: it must look like dir. */
	if (fstat(dir, &st) < 0)
		return error_set(e, errno, "stat %s", *rel ? rel : ".");
	return set_meta_fd(wh, &st, lax, e);
}
