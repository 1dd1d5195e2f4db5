/* mounts: executing the mount ops in the child. Every mount inside the
 * rootfs is made with the fd-based API (fsopen/open_tree + move_mount
 * onto an O_PATH fd of the target), so a target is resolved once, inside
 * the rootfs, and cannot be swapped for a symlink between the check and
 * the mount. The ops come from mounts_plan.c; cache directories and
 * locks from mounts_cache.c. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "mounts.h"
#include "mountsrc.h"
#include "rt.h"
#include "safeopen.h"
#include "sandbox.h"
#include "snapshot.h"
#include "util.h"

/* ---- child side: primitives ---- */

/* "..", absolute symlinks and absolute paths all stay below dirfd, as in
 * a chroot (lib/safeopen.c). */
static int in_root(int dirfd, const char *path, int flags)
{
	return safe_open(dirfd, path, flags, SAFE_IN_ROOT);
}

/* The path of fd relative to root ("/etc/hosts"), from /proc/self/fd. */
static char *path_in_root(int fd, const char *root)
{
	char link[64], buf[4096];
	ssize_t n;
	size_t rl = strlen(root);

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	if (strncmp(buf, root, rl) != 0 || (buf[rl] != '/' && buf[rl] != '\0'))
		return NULL;
	return xstrdup(buf[rl] ? buf + rl : "/");
}

/* Creates the missing component path (a dir, or an empty file). */
static int create_stub(int rootfd, const char *root, const char *path, int as_file,
		       struct strlist *stubs, struct error *e)
{
	char *dir = xstrdup(path), *base = strrchr(dir, '/');
	int pfd, fd = -1, r = 0;

	*base++ = '\0';
	pfd = in_root(rootfd, dir, O_PATH | O_DIRECTORY);
	if (pfd < 0)
		r = error_set(e, errno, "open %s", *dir ? dir : "/");
	else if (as_file)
		fd = openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	else if (mkdirat(pfd, base, 0755) == 0)
		fd = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (pfd >= 0 && fd < 0)
		r = error_set(e, errno, "create mount point %s%s", path,
			      errno == EEXIST ? " (a dangling symlink?)" : "");
	if (fd >= 0) {
		char *real = path_in_root(fd, root);
		if (real)
			strlist_take(stubs, real);
		close(fd);
	}
	if (pfd >= 0)
		close(pfd);
	free(dir);
	return r;
}

/* When p (a component of a missing target) is a dangling symlink, the path
 * it points to (inside the root) followed by rest; else NULL. */
static char *follow_dangling(int rootfd, const char *p, const char *rest)
{
	char *dir = xstrdup(p), *base = strrchr(dir, '/'), link[4096], *r = NULL;
	int pfd;
	ssize_t n = -1;

	*base++ = '\0';
	pfd = in_root(rootfd, dir, O_PATH | O_DIRECTORY);
	if (pfd >= 0) {
		n = readlinkat(pfd, base, link, sizeof(link) - 1);
		close(pfd);
	}
	if (n > 0) {
		link[n] = '\0';
		r = xasprintf("%s/%s/%s", link[0] == '/' ? "" : dir, link, rest);
	}
	free(dir);
	return r;
}

/* Creates the missing components of p one by one; a dangling symlink on
 * the way is followed inside the root (BuildKit's RootPath + MkdirAll). */
static int create_path(int rootfd, const char *root, char *p, int as_file, int depth,
		       struct strlist *stubs, struct error *e)
{
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		int cfd = in_root(rootfd, p, O_PATH);
		if (cfd >= 0) {
			close(cfd);
		} else if (errno != ENOENT) {
			return error_set(e, errno, "open %s", p);
		} else {
			char *next = depth < 40 ? follow_dangling(rootfd, p, c ? s + 1 : "") : NULL;
			if (next) {
				char *clean = path_clean(next);
				int r =
				    create_path(rootfd, root, clean, as_file, depth + 1, stubs, e);
				free(next);
				free(clean);
				return r;
			}
			if (create_stub(rootfd, root, p, c == '\0' && as_file, stubs, e) < 0)
				return -1;
		}
		*s = c;
		if (c == '\0')
			return 0;
	}
}

/* The common case of a missing target, in a third of create_path's
 * system calls: its directory exists and it is not a dangling symlink
 * (O_EXCL, mkdirat: EEXIST). An O_PATH fd of the stub made in dir, or
 * -1 with nothing made (create_path then does it, or reports why not). */
static int create_in_dir(int rootfd, const char *root, const char *p, int as_file,
			 struct strlist *stubs)
{
	cleanup_free char *dir = xstrdup(p);
	char *base = strrchr(dir, '/'), *real;
	cleanup_close int pfd = -1, made = -1;
	int fd;

	*base++ = '\0';
	pfd = in_root(rootfd, *dir ? dir : "/", O_PATH | O_DIRECTORY);
	if (pfd < 0 || !*base)
		return -1;
	if (as_file)
		made =
		    openat(pfd, base, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	else if (mkdirat(pfd, base, 0755) == 0)
		made = openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (made < 0)
		return -1;
	if ((real = path_in_root(made, root)))
		strlist_take(stubs, real);
	fd = as_file ? openat(pfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC) : steal_fd(&made);
	return fd;
}

int mounts_open_target(int rootfd, const char *root, const char *dest, int as_file,
		       struct strlist *stubs, struct error *e)
{
	char *p = path_clean(dest);
	int fd = in_root(rootfd, p, O_PATH);
	int missing = fd < 0 && errno == ENOENT && strcmp(p, "/") != 0;

	if (missing && (fd = create_in_dir(rootfd, root, p, as_file, stubs)) >= 0) {
		free(p);
		return fd;
	}
	if (missing && create_path(rootfd, root, p, as_file, 0, stubs, e) < 0) {
		free(p);
		return -1;
	}
	free(p);
	p = path_clean(dest);
	if (fd < 0)
		fd = in_root(rootfd, p, O_PATH);
	if (fd < 0)
		error_set(e, errno, "open mount point %s", dest);
	free(p);
	return fd;
}

int mounts_mkdir_in_root(int rootfd, const char *dest, unsigned uid, unsigned gid, struct error *e)
{
	char *p = path_clean(dest);
	int r = 0;

	for (char *s = p + 1; p[1] && r == 0; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s, *base;
		*s = '\0';
		base = strrchr(p, '/');
		*base = '\0';
		int pfd = in_root(rootfd, p, O_PATH | O_DIRECTORY);
		*base = '/';
		if (pfd < 0)
			r = error_set(e, errno, "open %s", p);
		else if (mkdirat(pfd, base + 1, 0755) == 0) {
			if (fchownat(pfd, base + 1, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
				r = error_set(e, errno, "chown %s", p);
		} else if (errno != EEXIST) {
			r = error_set(e, errno, "mkdir %s", p);
		}
		if (pfd >= 0)
			close(pfd);
		*s = c;
		if (c == '\0')
			break;
	}
	free(p);
	return r;
}

int mounts_fs_new(const char *type, const char *opts, unsigned attrs, struct error *e)
{
	cleanup_close int fd = fsopen(type, FSOPEN_CLOEXEC);
	cleanup_free char *o = opts ? xstrdup(opts) : NULL;
	char *save = NULL;
	int mfd;

	if (fd < 0)
		return error_set(e, errno, "fsopen %s", type);
	for (char *kv = o ? strtok_r(o, ",", &save) : NULL; kv; kv = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(kv, '=');
		int r = eq ? (*eq = '\0', fsconfig(fd, FSCONFIG_SET_STRING, kv, eq + 1, 0))
			   : fsconfig(fd, FSCONFIG_SET_FLAG, kv, NULL, 0);
		if (r < 0)
			return error_set(e, errno, "%s option %s", type, kv);
	}
	if (fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		return error_set(e, errno, "create %s", type);
	mfd = fsmount(fd, FSMOUNT_CLOEXEC, attrs);
	if (mfd < 0)
		return error_set(e, errno, "fsmount %s", type);
	return mfd;
}

/* Adds attrs (MOUNT_ATTR_*) to the detached tree mfd, submounts too. */
static int set_attrs(int mfd, unsigned attrs, struct error *e)
{
	struct mount_attr a = {.attr_set = attrs};

	if (attrs && mount_setattr(mfd, "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof(a)) < 0)
		return error_set(e, errno, "set mount attributes%s",
				 attrs & MOUNT_ATTR_RDONLY ? " (read-only)" : "");
	return 0;
}

static int set_ro(int mfd, struct error *e)
{
	return set_attrs(mfd, MOUNT_ATTR_RDONLY, e);
}

/* Attaches the detached mount mfd on the target fd tfd; closes both. */
static int attach(int mfd, int tfd, struct error *e)
{
	int r = 0;

	if (move_mount(mfd, "", tfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		r = error_set(e, errno, "move_mount");
	close(mfd);
	close(tfd);
	return r;
}

/* Mounts a new fs of type at dest (a directory). */
static int apply_fs(int rootfd, const char *root, const struct sandbox_op *op, const char *type,
		    const char *opts, unsigned attrs, struct strlist *stubs, struct error *e)
{
	cleanup_close int tfd = mounts_open_target(rootfd, root, op->dest, 0, stubs, e);
	cleanup_close int mfd = tfd < 0 ? -1 : mounts_fs_new(type, opts, attrs, e);

	if (mfd < 0 || (op->flags & SB_RO && set_ro(mfd, e) < 0))
		return -1;
	return attach(steal_fd(&mfd), steal_fd(&tfd), e);
}

static int apply_sysfs(int rootfd, const char *root, const struct sandbox_op *op,
		       struct strlist *stubs, struct error *e)
{
	unsigned attrs =
	    MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	cleanup_close int tfd = mounts_open_target(rootfd, root, op->dest, 0, stubs, e);
	cleanup_close int mfd = tfd < 0 ? -1 : mounts_fs_new("sysfs", NULL, attrs, e);

	/* sysfs needs a network namespace owned by our user namespace; a
	 * rootless RUN on the host network gets a read-only rbind instead. */
	if (tfd >= 0 && mfd < 0 && e->code == EPERM) {
		mfd =
		    open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
		if (mfd < 0)
			return error_set(e, errno, "bind /sys");
		if (set_attrs(mfd, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, e) < 0)
			return -1;
	}
	if (mfd < 0)
		return -1;
	return attach(steal_fd(&mfd), steal_fd(&tfd), e);
}

/* The file or directory to bind: src, then sub inside it (RESOLVE_IN_ROOT:
 * source=../../etc cannot leave the context or the step's view). */
static int open_source(const char *src, const char *sub, struct error *e)
{
	int sfd = open(src, O_PATH | O_CLOEXEC), fd;

	if (sfd < 0)
		return error_set(e, errno, "open %s", src);
	if (!sub)
		return sfd;
	fd = in_root(sfd, sub, O_PATH);
	if (fd < 0)
		error_set(e, errno, "source %s in %s", sub, src);
	close(sfd);
	return fd;
}

/* The upper dir takes the source's mode and owner: an overlay's root shows
 * the upper's, and BuildKit's rw bind shows the source's own (a 0750 5:6
 * dir stays so). An id the user namespace cannot map stays as created. */
static int upper_like_source(const char *upper, int sfd, struct error *e)
{
	struct stat st;

	if (fstat(sfd, &st) < 0)
		return error_set(e, errno, "stat the mount's source");
	if (chown(upper, st.st_uid, st.st_gid) < 0 && errno != EINVAL)
		return error_set(e, errno, "chown %s", upper);
	if (chmod(upper, st.st_mode & 07777) < 0)
		return error_set(e, errno, "chmod %s", upper);
	return 0;
}

/* Writable but thrown away: an overlay whose upper lives in
 * STATE/KEY/discard-N and is deleted after the step. */
static int discard_overlay(const struct sandbox *sb, size_t i, int sfd, struct error *e)
{
	cleanup_free char *dir = rt_path(sb->rt, sb->key, NULL);
	cleanup_free char *base = xasprintf("%s/discard-%zu", dir, i);
	cleanup_free char *lower = xasprintf("/proc/self/fd/%d", sfd);
	cleanup_free char *upper = xasprintf("%s/upper", base);
	cleanup_free char *work = xasprintf("%s/work", base);
	cleanup_free char *opts = xasprintf("lowerdir=%s,upperdir=%s,workdir=%s,volatile%s", lower,
					    upper, work, sb->userns ? ",userxattr" : "");
	int mfd;

	if (snapshot_mkdir(upper, 0755, e) < 0 || snapshot_mkdir(work, 0755, e) < 0 ||
	    upper_like_source(upper, sfd, e) < 0)
		return -1;
	mfd = mounts_fs_new("overlay", opts, MOUNT_ATTR_NODEV, e);
	if (mfd >= 0)
		snapshot_open_work(work);
	return mfd;
}

/* A writable bind of one file: a copy with its mode and owner in
 * STATE/KEY/discard-N (an overlay needs a directory), removed after the
 * step with the other scratch, so the writes are thrown away as
 * BuildKit's rw bind of a file does. Returns the copy as a detached mount. */
static int discard_file(const struct sandbox *sb, size_t i, int sfd, const struct stat *st,
			struct error *e)
{
	cleanup_free char *dir = rt_path(sb->rt, sb->key, NULL);
	cleanup_free char *base = xasprintf("%s/discard-%zu", dir, i);
	cleanup_free char *path = xasprintf("%s/file", base);
	cleanup_free char *src = xasprintf("/proc/self/fd/%d", sfd);
	cleanup_close int in = -1, out = -1;
	char buf[65536];
	ssize_t n;
	int mfd;

	if (!S_ISREG(st->st_mode))
		return error_set(e, EINVAL, "a writable bind needs a directory or a regular file");
	if (snapshot_mkdir(base, 0755, e) < 0)
		return -1;
	/* the O_PATH fd reopened for reading: no path is walked again */
	in = open(src, O_RDONLY | O_CLOEXEC);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (in < 0 || out < 0)
		return error_set(e, errno, "copy of the source for a writable bind");
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return error_set(e, errno, "write %s", path);
	if (n < 0)
		return error_set(e, errno, "read the source of a writable bind");
	if (fchown(out, st->st_uid, st->st_gid) < 0 && errno != EINVAL)
		return error_set(e, errno, "chown %s", path);
	if (fchmod(out, st->st_mode & 07777) < 0)
		return error_set(e, errno, "chmod %s", path);
	mfd = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0)
		return error_set(e, errno, "clone mount of %s", path);
	return mfd;
}

/* STATE/KEY/NAME-i: scratch in the child's mount namespace, removed
 * after the step with the step's other scratch. */
static char *scratch_dir(const struct sandbox *sb, const char *name, size_t i, struct error *e)
{
	char *dir = rt_path(sb->rt, sb->key, NULL), *p = xasprintf("%s/%s-%zu", dir, name, i);

	free(dir);
	if (snapshot_mkdir(p, 0755, e) == 0)
		return p;
	free(p);
	return NULL;
}

static int filtered_source(const struct sandbox *sb, size_t i, const char *ctx, int sfd,
			   struct error *e);

/* The seed as an O_PATH fd: the context directory, or a read-only view
 * of the step mounted at STATE/KEY/seed-i; then source inside it. */
static int open_seed(const struct sandbox *sb, size_t i, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	char *view = NULL;
	int fd;

	if (op->flags & SB_SEEDSTEP) {
		view = scratch_dir(sb, "seed", i, e);
		if (!view || snapshot_mount_ro(sb->rt, op->seed, view, e) < 0) {
			free(view);
			return -1;
		}
	}
	fd = open_source(view ? view : op->seed, op->seed_sub, e);
	free(view);
	if (fd >= 0 && op->ig)
		fd = filtered_source(sb, i, op->seed, fd, e);
	return fd;
}

/* Copies the seed directory sfd into dfd, whose own mode and owner the
 * cache root takes. */
static int copy_seed(int sfd, int dfd, int lax, struct error *e)
{
	struct stat st;

	if (fstat(sfd, &st) < 0)
		return error_set(e, errno, "stat");
	if (mountsrc_copy_tree(sfd, dfd, lax, e) < 0)
		return -1;
	if (fchown(dfd, st.st_uid, st.st_gid) < 0 && !lax)
		return error_set(e, errno, "owner of the cache");
	if (fchmod(dfd, st.st_mode & 07777) < 0)
		return error_set(e, errno, "mode of the cache");
	return 0;
}

/* The cache's first content: a copy of the seed. */
static int seed_cache(const struct sandbox *sb, size_t i, int dfd, struct error *e)
{
	cleanup_close int pfd = open_seed(sb, i, e), sfd = -1;
	int r = -1;

	if (pfd >= 0) {
		sfd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = sfd < 0 ? error_set(e, errno, "open") : copy_seed(sfd, dfd, sb->userns, e);
	}
	return r < 0 ? error_wrap(e, "seed from %s", sb->ops[i].seed_sub) : 0;
}

/* First use of a cache: fill the parent's fresh directory (the seed, or
 * just the mount's owner and mode), then rename it into place. If another
 * step's first use won the race, its cache is used and ours dropped. */
static int init_cache(const struct sandbox *sb, size_t i, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	cleanup_close int fd = open(op->fresh, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int r = 0;

	if (fd < 0)
		return error_set(e, errno, "open %s", op->fresh);
	if (op->seed)
		r = seed_cache(sb, i, fd, e);
	else if (fchown(fd, op->uid, op->gid) < 0 || fchmod(fd, op->mode) < 0)
		r = error_set(e, errno, "set owner %u:%u mode %o of %s", (unsigned)op->uid,
			      (unsigned)op->gid, (unsigned)op->mode, op->src);
	if (r == 0 && rename(op->fresh, op->src) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = error_set(e, errno, "rename %s", op->fresh);
	return r;
}

/* A read-only overlay without upper: lowerdir is already escaped. */
static int overlay_ro(const char *lowerdir, int userns, struct error *e)
{
	int fd = fsopen("overlay", FSOPEN_CLOEXEC), mfd = -1;

	if (fd < 0)
		return error_set(e, errno, "fsopen overlay");
	if (fsconfig(fd, FSCONFIG_SET_STRING, "lowerdir", lowerdir, 0) < 0 ||
	    (userns && fsconfig(fd, FSCONFIG_SET_FLAG, "userxattr", NULL, 0) < 0) ||
	    fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		error_set(e, errno, "overlay lowerdir=%s", lowerdir);
	else if ((mfd = fsmount(fd, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)) < 0)
		error_set(e, errno, "fsmount overlay");
	close(fd);
	return mfd;
}

/* Mounts mfd (closed) on the directory path. */
static int attach_path(int mfd, const char *path, struct error *e)
{
	int tfd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (tfd < 0) {
		close(mfd);
		return error_set(e, errno, "open %s", path);
	}
	return attach(mfd, tfd, e);
}

/* dir/view = overlay(dir/wh over the source sfd); an O_PATH fd of it. */
static int mount_filtered(const struct sandbox *sb, const char *dir, int sfd, struct error *e)
{
	char *wh = xasprintf("%s/wh", dir), *view = xasprintf("%s/view", dir);
	char *src = xasprintf("/proc/self/fd/%d", sfd);
	char *ewh = snapshot_escape(wh), *esrc = snapshot_escape(src);
	char *lower = xasprintf("%s:%s", ewh, esrc);
	int mfd = overlay_ro(lower, sb->userns, e), fd = -1;

	if (mfd >= 0 && attach_path(mfd, view, e) == 0 &&
	    (fd = open(view, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		error_set(e, errno, "open %s", view);
	free(wh);
	free(view);
	free(src);
	free(ewh);
	free(esrc);
	free(lower);
	return fd;
}

/* Fills dir/wh (see mountsrc_whiteouts) from the source sfd. */
static int fill_whiteouts(const struct sandbox *sb, size_t i, int dfd, int sfd, const char *ctx,
			  size_t *n, struct error *e)
{
	char *real = realpath(ctx, NULL), *rel = real ? path_in_root(sfd, real) : NULL;
	int src = openat(sfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC), wfd = -1, r = -1;

	if (!rel)
		error_set(e, errno ? errno : EINVAL, "source outside %s", ctx);
	else if (src < 0 || mkdirat(dfd, "wh", 0700) < 0 || mkdirat(dfd, "view", 0700) < 0 ||
		 (wfd = openat(dfd, "wh", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		error_set(e, errno, "whiteout layer");
	else
		r = mountsrc_whiteouts(src, rel + 1, wfd, sb->ops[i].ig, sb->userns, n, e);
	if (src >= 0)
		close(src);
	if (wfd >= 0)
		close(wfd);
	free(real);
	free(rel);
	return r;
}

/* The whiteout layer on a private tmpfs at dir; the number made in *n. */
static int make_whiteouts(const struct sandbox *sb, size_t i, const char *dir, int sfd,
			  const char *ctx, size_t *n, struct error *e)
{
	int mfd = mounts_fs_new("tmpfs", "mode=0700", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e), dfd,
	    r;

	if (mfd < 0 || attach_path(mfd, dir, e) < 0)
		return -1;
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd < 0)
		return error_set(e, errno, "open %s", dir);
	r = fill_whiteouts(sb, i, dfd, sfd, ctx, n, e);
	close(dfd);
	return r;
}

/* A context bind with an ignore file: the source with every excluded
 * path invisible (see mountsrc.c). Takes sfd; returns the fd to bind. */
static int filtered_source(const struct sandbox *sb, size_t i, const char *ctx, int sfd,
			   struct error *e)
{
	char *dir;
	size_t n = 0;
	struct stat st;
	int fd = -1;

	if (fstat(sfd, &st) < 0 || !S_ISDIR(st.st_mode))
		return sfd; /* a single file: ctx_resolve-like checks are the compiler's */
	dir = scratch_dir(sb, "ign", i, e);
	if (dir && make_whiteouts(sb, i, dir, sfd, ctx, &n, e) == 0)
		fd = n == 0 ? dup(sfd) : mount_filtered(sb, dir, sfd, e);
	free(dir);
	close(sfd);
	return fd < 0 ? error_wrap(e, "ignore file %s", sb->ops[i].ignore) : fd;
}

/* The source of a bind: src + sub, filtered by the ignore file if any. */
static int bind_source(const struct sandbox *sb, size_t i, const char *src, struct error *e)
{
	int sfd = open_source(src, sb->ops[i].sub, e);

	if (sfd < 0 || !sb->ops[i].ig)
		return sfd;
	return filtered_source(sb, i, src, sfd, e);
}

/* The detached mount to bind: a clone of sfd's tree, or for a writable
 * bind an overlay over it (a copy of a file) whose writes are thrown away. */
static int bind_mount(const struct sandbox *sb, size_t i, int sfd, const struct stat *st,
		      const char *src, struct error *e)
{
	int mfd;

	if (sb->ops[i].flags & SB_DISCARD)
		return S_ISDIR(st->st_mode) ? discard_overlay(sb, i, sfd, e)
					    : discard_file(sb, i, sfd, st, e);
	mfd =
	    open_tree(sfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (mfd < 0)
		return error_set(e, errno, "clone mount of %s", src);
	return mfd;
}

static int apply_bind(const struct sandbox *sb, size_t i, const char *src, int rootfd,
		      const char *root, struct strlist *stubs, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	cleanup_close int sfd = -1, tfd = -1, mfd = -1;
	struct stat st;

	if (op->flags & SB_INITOWNER && init_cache(sb, i, e) < 0)
		return -1;
	sfd = bind_source(sb, i, src, e);
	if (sfd < 0)
		return -1;
	if (fstat(sfd, &st) < 0)
		return error_set(e, errno, "stat source");
	tfd = mounts_open_target(rootfd, root, op->dest, !S_ISDIR(st.st_mode), stubs, e);
	if (tfd < 0 || (mfd = bind_mount(sb, i, sfd, &st, src, e)) < 0)
		return -1;
	/* nodev: a device node in a context, a cache or a layer (made by an
	 * earlier RUN, shipped in a base image or an ADDed archive) cannot be
	 * opened; only the allowed /dev nodes are bound without it. */
	if (set_attrs(mfd,
		      (op->flags & SB_RO ? MOUNT_ATTR_RDONLY : 0) |
			  (op->kind == SB_DEVICE ? 0 : MOUNT_ATTR_NODEV),
		      e) < 0)
		return -1;
	return attach(steal_fd(&mfd), steal_fd(&tfd), e);
}

static int apply_view(const struct sandbox *sb, size_t i, int rootfd, const char *root,
		      struct strlist *stubs, struct error *e)
{
	char *dir = rt_path(sb->rt, sb->key, NULL), *view = xasprintf("%s/view-%zu", dir, i);
	int r = -1;

	/* Mounted in the child's namespace only; gone with it. */
	if (snapshot_mkdir(view, 0755, e) == 0 &&
	    snapshot_mount_ro(sb->rt, sb->ops[i].src, view, e) == 0)
		r = apply_bind(sb, i, view, rootfd, root, stubs, e);
	free(dir);
	free(view);
	return r;
}

/* Child side, made once per sandbox and kept until it exits: new
 * superblocks cost more than clones of one. */
static int files_fd = -1, empty_fd = -1, devices_fd = -1;

/* The private tmpfs that holds every SB_FILE op's file. */
static int files_tmpfs(struct error *e)
{
	if (files_fd < 0)
		files_fd =
		    mounts_fs_new("tmpfs", "mode=0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV, e);
	return files_fd;
}

/* An empty read-only tmpfs, cloned to mask directories. */
static int empty_tmpfs(struct error *e)
{
	if (empty_fd < 0)
		empty_fd =
		    mounts_fs_new("tmpfs", "size=0", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NODEV, e);
	return empty_fd;
}

/* op's data as file "fI" of the files tmpfs; a detached mount of it. */
static int make_file(const struct sandbox_op *op, size_t i, struct error *e)
{
	int mfd = files_tmpfs(e), ffd;
	cleanup_close int fd = -1;
	char name[32];

	if (mfd < 0)
		return -1;
	snprintf(name, sizeof(name), "f%zu", i);
	fd = openat(mfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	if (fd < 0)
		return error_set(e, errno, "create file");
	if (write_all(fd, op->data, op->len) < 0 || fchown(fd, op->uid, op->gid) < 0 ||
	    fchmod(fd, op->mode) < 0)
		return error_set(e, errno, "write file");
	ffd = open_tree(mfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (ffd < 0)
		return error_set(e, errno, "clone file");
	return ffd;
}

/* data as a file on a private tmpfs: secrets never touch the upper. */
static int apply_file(const struct sandbox *sb, size_t i, int rootfd, const char *root,
		      struct strlist *stubs, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	cleanup_close int tfd = mounts_open_target(rootfd, root, op->dest, 1, stubs, e);
	cleanup_close int ffd = tfd < 0 ? -1 : make_file(op, i, e);

	if (ffd < 0 || (op->flags & SB_RO && set_ro(ffd, e) < 0))
		return -1;
	return attach(steal_fd(&ffd), steal_fd(&tfd), e);
}

static int apply_symlink(int rootfd, const struct sandbox_op *op, struct error *e)
{
	char *dir = xstrdup(op->dest), *base = strrchr(dir, '/');
	int pfd, r = 0;

	*base++ = '\0';
	pfd = in_root(rootfd, dir, O_PATH | O_DIRECTORY);
	if (pfd < 0 || symlinkat(op->src, pfd, base) < 0)
		r = error_set(e, errno, "symlink");
	if (pfd >= 0)
		close(pfd);
	free(dir);
	return r;
}

/* Masks and read-only remounts apply to paths that exist; never create. */
static int apply_mask(int rootfd, const struct sandbox_op *op, struct error *e)
{
	int tfd = in_root(rootfd, op->dest, O_PATH), mfd;
	struct stat st;

	if (tfd < 0)
		return errno == ENOENT ? 0 : error_set(e, errno, "open");
	if (fstat(tfd, &st) < 0) {
		close(tfd);
		return error_set(e, errno, "stat");
	}
	if (op->kind == SB_RDONLY)
		mfd = open_tree(tfd, "",
				OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	else if (S_ISDIR(st.st_mode))
		mfd = empty_tmpfs(e) < 0
			  ? -1
			  : open_tree(empty_fd, "",
				      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	else
		mfd = open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0 || set_ro(mfd, e) < 0) {
		if (mfd >= 0)
			close(mfd);
		close(tfd);
		return error_set(e, errno, "mask");
	}
	return attach(mfd, tfd, e);
}

/* The private tmpfs (never attached) where init makes the allowed device
 * nodes: it is the one filesystem of the sandbox without nodev. */
static int devices_tmpfs(struct error *e)
{
	if (devices_fd < 0)
		devices_fd =
		    mounts_fs_new("tmpfs", "mode=0755", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, e);
	return devices_fd;
}

/* The node itself, 0666 as runc makes them, on the devices tmpfs; a
 * detached mount of it, to bind into /dev (which is nodev). */
static int make_node(const struct sandbox_op *op, size_t i, dev_t rdev, struct error *e)
{
	int dfd = devices_tmpfs(e), mfd;
	char name[32];

	if (dfd < 0)
		return -1;
	snprintf(name, sizeof(name), "d%zu", i);
	if (mknodat(dfd, name, S_IFCHR | 0666, rdev) < 0 ||
	    fchmodat(dfd, name, 0666, 0) < 0) /* past init's umask */
		return error_set(e, errno, "mknod %s", op->src);
	mfd = open_tree(dfd, name, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (mfd < 0)
		return error_set(e, errno, "clone %s", op->src);
	return mfd;
}

/* /dev is nodev, so that a node made there by the command cannot be
 * opened: each allowed node is a bind mount of its own. As root it is
 * made with mknod (runc's node: the host's numbers, 0666, 0:0); a user
 * namespace may not mknod (nor may a root without CAP_MKNOD): then the
 * host's node is bound in, like every rootless runtime does. */
static int apply_device(const struct sandbox *sb, size_t i, int rootfd, const char *root,
			struct strlist *stubs, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	cleanup_close int mfd = -1, tfd = -1;
	struct stat st;

	if (sb->userns || stat(op->src, &st) < 0 || !S_ISCHR(st.st_mode) ||
	    (mfd = make_node(op, i, st.st_rdev, e)) < 0)
		return apply_bind(sb, i, op->src, rootfd, root, stubs, e);
	tfd = mounts_open_target(rootfd, root, op->dest, 1, stubs, e);
	if (tfd < 0)
		return -1;
	return attach(steal_fd(&mfd), steal_fd(&tfd), e);
}

void mounts_apply_end(void)
{
	int *fds[] = {&files_fd, &empty_fd, &devices_fd};

	for (size_t i = 0; i < LEN(fds); i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

int mounts_apply(const struct sandbox *sb, size_t i, int rootfd, const char *root,
		 struct strlist *stubs, struct error *e)
{
	const struct sandbox_op *op = &sb->ops[i];
	unsigned noexec = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
	char pts[64];

	snprintf(pts, sizeof(pts), "newinstance,ptmxmode=0666,mode=0620%s",
		 sb->userns ? "" : ",gid=5");
	switch (op->kind) {
	case SB_PROC:
		return apply_fs(rootfd, root, op, "proc", NULL, noexec, stubs, e);
	case SB_TMPFS: /* nodev: /dev too, its allowed nodes are binds */
		return apply_fs(rootfd, root, op, "tmpfs", op->data,
				MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
				    (op->flags & SB_NOSUID ? noexec : 0),
				stubs, e);
	case SB_DEVPTS:
		return apply_fs(rootfd, root, op, "devpts", pts,
				MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC, stubs, e);
	case SB_MQUEUE:
		return apply_fs(rootfd, root, op, "mqueue", NULL, noexec, stubs, e);
	case SB_SYSFS:
		return apply_sysfs(rootfd, root, op, stubs, e);
	case SB_CGROUP:
		return mounts_cgroup(rootfd, sb->insecure, e);
	case SB_BIND:
		return apply_bind(sb, i, op->src, rootfd, root, stubs, e);
	case SB_VIEW:
		return apply_view(sb, i, rootfd, root, stubs, e);
	case SB_FILE:
		return apply_file(sb, i, rootfd, root, stubs, e);
	case SB_DEVICE:
		return apply_device(sb, i, rootfd, root, stubs, e);
	case SB_SYMLINK:
		return apply_symlink(rootfd, op, e);
	case SB_MASK:
	case SB_RDONLY:
		return apply_mask(rootfd, op, e);
	}
	return error_set(e, 0, "unknown op");
}
