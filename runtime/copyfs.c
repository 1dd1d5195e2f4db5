/* copyfs: fd-based tree copy. Destination directories are reached either
 * through root_open (symlinks resolved as if the rootfs were "/") or, below
 * a directory the copy itself walks into, with O_NOFOLLOW one component at
 * a time, so nothing is ever written outside the destination root. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "chmod.h"
#include "context.h"
#include "copyfs.h"
#include "copyidx.h"
#include "safeopen.h"
#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "match.h"
#include "unpack.h"
#include "util.h"

/* Hardlinked inodes remembered as open fds; past this many, later links
 * are copied as separate files rather than running out of descriptors. */
#define MAX_HLINKS 512

struct hlink {
	dev_t dev;
	ino_t ino;
	int fd;
};

struct copyfs {
	int root;
	const char *srcbase; /* context-relative path of the source being copied */
	char *ignbase;	     /* where srcbase leads through its symlinks: what
			      * the ignore file is matched against */
	struct copyfs_opts o;
	struct hlink *links;
	size_t nlinks;
};

/* A regular file's bytes: an open fd, or memory for a heredoc. */
struct src_file {
	int fd;
	const char *data;
	size_t len;
};

struct copyfs *copyfs_new(int dstroot, const struct copyfs_opts *o)
{
	struct copyfs *c = xcalloc(1, sizeof(*c));

	c->root = dstroot;
	c->srcbase = ".";
	c->o = *o;
	return c;
}

/* Forgets the hardlinked inodes seen so far. */
static void forget_links(struct copyfs *c)
{
	for (size_t i = 0; i < c->nlinks; i++)
		close(c->links[i].fd);
	c->nlinks = 0;
}

void copyfs_free(struct copyfs *c)
{
	if (!c)
		return;
	forget_links(c);
	free(c->links);
	free(c->ignbase);
	free(c);
}

int copyfs_excluded(const struct copyfs *c, const char *rel, int isdir)
{
	char *full;
	int hit;

	if (!c->o.excludes)
		return 0;
	/* both relative to the source and to the context root, so "*.txt"
	 * and "dir/secret" both do what they say; an excluded directory that
	 * a `!` exception may reach into is still walked */
	full = strcmp(c->srcbase, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", c->srcbase, rel);
	hit = (ignore_excluded(c->o.excludes, rel) || ignore_excluded(c->o.excludes, full)) &&
	      !(isdir && (ignore_may_include_below(c->o.excludes, rel) ||
			  ignore_may_include_below(c->o.excludes, full)));
	free(full);
	return hit;
}

int root_open(int root, const char *path, int flags)
{
	/* IN_ROOT: an absolute symlink or ".." stops at the rootfs's "/". */
	return safe_open(root, path, flags, SAFE_IN_ROOT);
}

/* Opens one existing component of a directory path, or -1. */
static int open_component(int root, int cur, const char *prefix, const char *comp, int nofollow)
{
	if (nofollow)
		return openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	return root_open(root, prefix, O_PATH | O_DIRECTORY);
}

/* Creates comp below cur with mode and owner; --link first removes a
 * non-directory in the way, as a scratch layer merged on top would hide it. */
static int make_component(int cur, const char *comp, mode_t mode, uid_t uid, gid_t gid, int replace,
			  struct error *e)
{
	struct stat st;

	if (replace && fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode) &&
	    rm_at(cur, comp, e) < 0)
		return -1;
	if (mkdirat(cur, comp, mode) < 0 && errno != EEXIST)
		return error_set(e, errno, "mkdir %s", comp);
	if (uid != (uid_t)-1 && fchownat(cur, comp, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "chown %s", comp);
	return 0;
}

/* The path a dangling symlink comp (below parent, inside the root) names,
 * followed by rest; NULL if comp is not a symlink. */
static char *through_link(int cur, const char *parent, const char *comp, const char *rest)
{
	char target[4096];
	ssize_t n = readlinkat(cur, comp, target, sizeof(target) - 1);

	if (n < 0)
		return NULL;
	target[n] = '\0';
	if (target[0] == '/')
		return xasprintf("%s/%s", target, rest ? rest : "");
	return xasprintf("%s/%s/%s", parent, target, rest ? rest : "");
}

static int mkdirs_depth(int root, const char *path, mode_t mode, uid_t uid, gid_t gid, int nofollow,
			int depth, struct error *e);

/* One component that does not resolve: create it, or (not --link) create
 * what a dangling symlink there points to, with the rest of the path, as
 * fsutil's RootPath + MkdirAll do (*done = 1 then). */
static int missing_component(int root, int cur, const char *parent, const char *comp,
			     const char *rest, mode_t mode, uid_t uid, gid_t gid, int nofollow,
			     int depth, int *done, struct error *e)
{
	char *via = NULL;
	int fd = -1;

	if (!nofollow && depth < 40)
		via = through_link(cur, *parent ? parent : "/", comp, rest);
	if (via) {
		*done = 1;
		fd = mkdirs_depth(root, via, mode, uid, gid, nofollow, depth + 1, e);
	} else if (make_component(cur, comp, mode, uid, gid, nofollow, e) == 0) {
		fd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0)
			error_set(e, errno, "open %s/%s", parent, comp);
	}
	free(via);
	return fd;
}

static int mkdirs_depth(int root, const char *path, mode_t mode, uid_t uid, gid_t gid, int nofollow,
			int depth, struct error *e)
{
	char *copy = xstrdup(path), *save = NULL, *prefix = xstrdup("");
	int cur = openat(root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), done = 0;

	for (char *comp = strtok_r(copy, "/", &save); comp && cur >= 0 && !done;
	     comp = strtok_r(NULL, "/", &save)) {
		char *np = xasprintf("%s/%s", prefix, comp);
		int fd = open_component(root, cur, np, comp, nofollow);
		if (fd < 0 &&
		    (errno == ENOENT || (nofollow && (errno == ELOOP || errno == ENOTDIR))))
			fd = missing_component(root, cur, prefix, comp, save, mode, uid, gid,
					       nofollow, depth, &done, e);
		else if (fd < 0)
			error_set(e, errno == ENOTDIR ? 0 : errno, "%s%s", np,
				  errno == ENOTDIR ? ": not a directory" : "");
		free(prefix);
		prefix = np;
		close(cur);
		cur = fd;
	}
	free(copy);
	free(prefix);
	return cur;
}

int root_mkdirs(int root, const char *path, mode_t mode, uid_t uid, gid_t gid, int nofollow,
		struct error *e)
{
	return mkdirs_depth(root, path, mode, uid, gid, nofollow, 0, e);
}

static int rm_dir_contents(int fd, struct error *e)
{
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct dirent *de;
	int r = 0;

	if (!d)
		return error_set(e, errno, "open directory");
	while (r == 0 && (de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = rm_at(fd, de->d_name, e);
	closedir(d);
	return r;
}

int rm_at(int dirfd, const char *name, struct error *e)
{
	int fd, r;

	if (unlinkat(dirfd, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno != EISDIR && errno != EPERM)
		return error_set(e, errno, "remove %s", name);
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, errno, "open %s", name);
	r = rm_dir_contents(fd, e);
	close(fd);
	if (r == 0 && unlinkat(dirfd, name, AT_REMOVEDIR) < 0)
		r = error_set(e, errno, "remove %s", name);
	return r;
}

/* uid/gid a copied entry gets: --chown, else the source's for --from,
 * else 0:0 (the client resets context files). */
static void owner_of(const struct copyfs *c, const struct stat *st, uid_t *u, gid_t *g)
{
	*u = c->o.chown ? c->o.uid : c->o.keep_owner ? st->st_uid : 0;
	*g = c->o.chown ? c->o.gid : c->o.keep_owner ? st->st_gid : 0;
}

/* Permission bits of a copied entry (--chmod never touches the top dir). */
static mode_t mode_of(const struct copyfs *c, const struct stat *st, int top)
{
	if (c->o.chmod && !top)
		return chmod_apply(c->o.chmod, st->st_mode, S_ISDIR(st->st_mode));
	return st->st_mode & 07777;
}

/* Owner, then mode (chown clears set-id bits), then times, on an open fd. */
static int set_meta_fd(const struct copyfs *c, int fd, const struct stat *st, int top,
		       const char *what, struct error *e)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	uid_t u;
	gid_t g;

	owner_of(c, st, &u, &g);
	if (fchown(fd, u, g) < 0)
		return error_set(e, errno, "chown %s", what);
	if (fchmod(fd, mode_of(c, st, top)) < 0)
		return error_set(e, errno, "chmod %s", what);
	if (futimens(fd, ts) < 0)
		return error_set(e, errno, "set times of %s", what);
	return 0;
}

/* The same for entries that cannot be opened (symlinks, devices, fifos). */
static int set_meta_at(const struct copyfs *c, int dirfd, const char *name, const struct stat *st,
		       struct error *e)
{
	struct timespec ts[2] = {st->st_atim, st->st_mtim};
	uid_t u;
	gid_t g;

	owner_of(c, st, &u, &g);
	if (fchownat(dirfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "chown %s", name);
	if (!S_ISLNK(st->st_mode) && fchmodat(dirfd, name, mode_of(c, st, 0), 0) < 0)
		return error_set(e, errno, "chmod %s", name);
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "set times of %s", name);
	return 0;
}

/* Copies extended attributes; failures to set are ignored as BuildKit's
 * AllowXAttrErrors does (e.g. security.* on a filesystem refusing it). */
static void copy_xattrs(int sfd, int dfd)
{
	char names[65536], val[65536];
	ssize_t n = flistxattr(sfd, names, sizeof(names));

	for (ssize_t i = 0; n > 0 && i < n; i += (ssize_t)strlen(names + i) + 1) {
		ssize_t v = fgetxattr(sfd, names + i, val, sizeof(val));
		if (v >= 0)
			(void)fsetxattr(dfd, names + i, val, (size_t)v, 0);
	}
}

/* Copies bytes, in the kernel when it can. */
static int copy_bytes(int sfd, int dfd)
{
	char buf[65536];
	ssize_t n;

	while ((n = copy_file_range(sfd, NULL, dfd, NULL, 1 << 30, 0)) > 0)
		;
	if (n == 0)
		return 0;
	if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
		return -1;
	while ((n = read(sfd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || write_all(dfd, buf, (size_t)n) < 0)
			return -1;
	}
	return 0;
}

/* Makes room for a non-directory at dirfd/name: a directory there is an
 * error (fsutil ensureEmptyFileTarget), anything else is replaced. */
static int empty_target(int dirfd, const char *name, struct error *e)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_set(e, errno, "stat %s", name);
	if (S_ISDIR(st.st_mode))
		return error_set(e, 0, "cannot replace to directory %s with file", name);
	if (unlinkat(dirfd, name, 0) < 0)
		return error_set(e, errno, "remove %s", name);
	return 0;
}

/* Links name to an inode copied earlier in this op; 1 = linked. */
static int link_known(struct copyfs *c, const struct stat *st, int dirfd, const char *name)
{
	if (st->st_nlink < 2)
		return 0;
	for (size_t i = 0; i < c->nlinks; i++) {
		if (c->links[i].dev != st->st_dev || c->links[i].ino != st->st_ino)
			continue;
		char proc[64];
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", c->links[i].fd);
		/* via /proc: linkat(AT_EMPTY_PATH) would need CAP_DAC_READ_SEARCH */
		return linkat(AT_FDCWD, proc, dirfd, name, AT_SYMLINK_FOLLOW) == 0;
	}
	return 0;
}

static void remember_link(struct copyfs *c, const struct stat *st, int dfd)
{
	if (st->st_nlink < 2 || c->nlinks >= MAX_HLINKS)
		return;
	c->links = xreallocarray(c->links, c->nlinks + 1, sizeof(*c->links));
	c->links[c->nlinks++] = (struct hlink){st->st_dev, st->st_ino, dup(dfd)};
	if (c->links[c->nlinks - 1].fd < 0)
		c->nlinks--;
}

static int copy_reg(struct copyfs *c, const struct src_file *src, const struct stat *st, int dirfd,
		    const char *name, struct error *e)
{
	int dfd, r = 0;

	if (empty_target(dirfd, name, e) < 0)
		return -1;
	if (link_known(c, st, dirfd, name))
		return 0;
	dfd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (dfd < 0)
		return error_set(e, errno, "create %s", name);
	if (src->fd >= 0 ? copy_bytes(src->fd, dfd) : write_all(dfd, src->data, src->len))
		r = error_set(e, errno, "write %s", name);
	/* xattrs after the owner, as fsutil's copy does: a chown clears
	 * security.capability (a file capability would be lost). */
	if (r == 0)
		r = set_meta_fd(c, dfd, st, 0, name, e);
	if (r == 0 && src->fd >= 0)
		copy_xattrs(src->fd, dfd);
	if (r == 0)
		remember_link(c, st, dfd);
	close(dfd);
	return r;
}

/* A socket of the build context arrives as an empty regular file with its
 * mode: fsutil's stat clears the socket bit (archive/tar has no type for
 * it) and its receiver writes a file with no data (Docker 20.10 and current
 * BuildKit). One in a --from rootfs is dropped: BuildKit recreates it, and
 * no layer tar can hold it. */
static int copy_socket(struct copyfs *c, const struct stat *st, int dirfd, const char *name,
		       struct error *e)
{
	struct src_file none = {-1, "", 0};
	struct stat reg = *st;

	if (c->o.keep_owner)
		return 0;
	reg.st_mode = S_IFREG | (st->st_mode & 07777);
	reg.st_nlink = 1;
	return copy_reg(c, &none, &reg, dirfd, name, e);
}

static int copy_special(struct copyfs *c, int sdir, const char *sname, const struct stat *st,
			int dirfd, const char *name, struct error *e)
{
	char target[4096];
	ssize_t n;

	if (S_ISSOCK(st->st_mode))
		return copy_socket(c, st, dirfd, name, e);
	if (empty_target(dirfd, name, e) < 0)
		return -1;
	if (S_ISLNK(st->st_mode)) {
		/* symlinks inside a copied tree are copied, not followed */
		n = readlinkat(sdir, sname, target, sizeof(target) - 1);
		if (n < 0)
			return error_set(e, errno, "readlink %s", sname);
		target[n] = '\0';
		if (symlinkat(target, dirfd, name) < 0)
			return error_set(e, errno, "symlink %s", name);
	} else if (mknodat(dirfd, name, st->st_mode & (S_IFMT | 07777), st->st_rdev) < 0) {
		return error_set(e, errno, "mknod %s", name);
	}
	return set_meta_at(c, dirfd, name, st, e);
}

static int copy_dir(struct copyfs *c, int sfd, const struct stat *st, int dfd, const char *rel,
		    int top, struct error *e);
static int keeps_any(struct copyfs *c, int sfd, const char *rel, struct error *e);

/* rel/name, or name at the top of a source. */
static char *join_rel(const char *rel, const char *name)
{
	return *rel ? xasprintf("%s/%s", rel, name) : xstrdup(name);
}

/* 1 if the .dockerignore hides this entry (context sources only); an
 * excluded directory that may hold re-included paths is still copied.
 * Matched below the real path of the source: with `alias -> private`,
 * private/key is what the client would have left out. */
static int ignored(const struct copyfs *c, const char *rel, int isdir)
{
	const char *base = c->ignbase ? c->ignbase : c->srcbase;
	char *ctxrel;
	int r;

	if (!c->o.ig)
		return 0;
	ctxrel = strcmp(base, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", base, rel);
	r = ignore_excluded(c->o.ig, ctxrel) &&
	    !(isdir && ignore_may_include_below(c->o.ig, ctxrel));
	free(ctxrel);
	return r;
}

/* 1 when the directory rel is excluded (.dockerignore or --exclude) and
 * walked only because a `!` exception may re-include something below it.
 * fsutil emits such a directory lazily, when a path below it is emitted
 * (filter.go: skip, then parentDirs): with nothing re-included it is not
 * in the copy at all, where df2make made it empty (`.git` beside the
 * exception `!README*.md`). Docker 20.10's fsutil did not walk into it
 * unless an exception's text began with the directory's path. */
static int walked_only(const struct copyfs *c, const char *rel)
{
	return copyfs_excluded(c, rel, 0) || ignored(c, rel, 0);
}

/* Records the entry in the index; 1 when it is a file the last run of the
 * step copied from the same, unchanged source: its copy is still right. */
static int unchanged(const struct copyfs *c, const char *rel, const struct stat *st)
{
	char *path;
	int r;

	if (!c->o.idx)
		return 0;
	path = strcmp(c->srcbase, ".") == 0 ? xstrdup(rel) : xasprintf("%s/%s", c->srcbase, rel);
	r = copyidx_note(c->o.idx, path, st);
	free(path);
	return r;
}

/* Copies the child name of the source directory sdir into ddir. */
static int copy_child(struct copyfs *c, int sdir, const char *name, int ddir, const char *rel,
		      struct error *e)
{
	struct stat st, dst;
	struct src_file src = {-1, NULL, 0};
	int sfd, dfd, r;

	if (fstatat(sdir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "stat %s", rel);
	if (copyfs_excluded(c, rel, S_ISDIR(st.st_mode)) || ignored(c, rel, S_ISDIR(st.st_mode)))
		return 0;
	if (unchanged(c, rel, &st))
		return 0;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		return copy_special(c, sdir, name, &st, ddir, name, e);
	sfd = openat(sdir, name,
		     O_RDONLY | O_NOFOLLOW | O_CLOEXEC | (S_ISDIR(st.st_mode) ? O_DIRECTORY : 0));
	if (sfd < 0)
		return error_set(e, errno, "open %s", rel);
	if (S_ISDIR(st.st_mode) && walked_only(c, rel) && (r = keeps_any(c, sfd, rel, e)) <= 0) {
		close(sfd);
		return r;
	}
	if (S_ISREG(st.st_mode)) {
		src.fd = sfd;
		r = copy_reg(c, &src, &st, ddir, name, e);
		close(sfd);
		return r;
	}
	if (fstatat(ddir, name, &dst, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(dst.st_mode))
		r = error_set(e, 0, "cannot copy to non-directory: %s", rel);
	else if (mkdirat(ddir, name, 0700) < 0 && errno != EEXIST)
		r = error_set(e, errno, "mkdir %s", rel);
	else if ((dfd = openat(ddir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = error_set(e, errno, "open %s", rel);
	else {
		r = copy_dir(c, sfd, &st, dfd, rel, 0, e);
		close(dfd);
	}
	close(sfd);
	return r;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of the directory open as fd. */
static int dir_names(int fd, struct strlist *out, struct error *e)
{
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct dirent *de;

	if (!d)
		return error_set(e, errno, "read directory");
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strlist_add(out, de->d_name);
	closedir(d);
	if (out->n)
		qsort(out->v, out->n, sizeof(char *), cmp_str);
	return 0;
}

/* 1 when something below the directory sfd (rel) is copied, 0 when
 * nothing is, -1 on error. */
static int keeps_any(struct copyfs *c, int sfd, const char *rel, struct error *e)
{
	struct strlist names = {0};
	int r = dir_names(sfd, &names, e), any = 0;

	for (size_t i = 0; r == 0 && !any && i < names.n; i++) {
		char *crel = join_rel(rel, names.v[i]);
		struct stat st;
		int fd, dir;
		if (fstatat(sfd, names.v[i], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = error_set(e, errno, "stat %s", crel);
		} else if (dir = S_ISDIR(st.st_mode),
			   copyfs_excluded(c, crel, dir) || ignored(c, crel, dir)) {
			/* left out, and so is everything below it */
		} else if (!dir || !walked_only(c, crel)) {
			any = 1;
		} else if ((fd = openat(sfd, names.v[i],
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
			r = error_set(e, errno, "open %s", crel);
		} else {
			any = keeps_any(c, fd, crel, e);
			r = any < 0 ? -1 : 0;
			close(fd);
		}
		free(crel);
	}
	strlist_free(&names);
	return r < 0 ? -1 : any;
}

/* Merges the contents of sfd into dfd, then gives dfd (below the top) the
 * source's metadata last, since adding entries changes its mtime. */
static int copy_dir(struct copyfs *c, int sfd, const struct stat *st, int dfd, const char *rel,
		    int top, struct error *e)
{
	struct strlist names = {0};
	int r = dir_names(sfd, &names, e);

	for (size_t i = 0; r == 0 && i < names.n; i++) {
		char *crel = join_rel(rel, names.v[i]);
		r = copy_child(c, sfd, names.v[i], dfd, crel, e);
		free(crel);
	}
	strlist_free(&names);
	/* The destination directory itself keeps what it had: docker build
	 * leaves an existing one's mode and owner alone and creates a missing
	 * one 0755 (owned per --chown), whatever the source directory's mode. */
	if (r == 0 && !top)
		r = set_meta_fd(c, dfd, st, top, rel, e);
	if (r == 0 && !top)
		copy_xattrs(sfd, dfd);
	return r;
}

/* Owner of directories the copy creates on the way (--chown applies). */
static uid_t parent_uid(const struct copyfs *c)
{
	return c->o.chown ? c->o.uid : 0;
}

static gid_t parent_gid(const struct copyfs *c)
{
	return c->o.chown ? c->o.gid : 0;
}

/* Opens dest as a directory to merge into, creating it (and parents). */
static int dest_dir(struct copyfs *c, const char *dest, struct error *e)
{
	char *clean = path_clean(dest);
	int pfd = root_mkdirs(c->root, clean, 0755, parent_uid(c), parent_gid(c), c->o.link, e);
	int fd = pfd < 0 ? -1 : openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (pfd >= 0 && fd < 0)
		error_set(e, errno, "open %s", clean);
	if (pfd < 0 && e->code == 0 && strstr(e->msg, "not a directory"))
		error_set(e, 0, "cannot copy to non-directory: %s", clean);
	if (pfd >= 0)
		close(pfd);
	free(clean);
	return fd;
}

/* fsutil resolves the last component of a file dest too (RootPath): a
 * dest that is a symlink names, inside the root, where the file goes. */
static char *follow_final(int root, const char *clean)
{
	char *cur = xstrdup(clean), target[4096];

	for (int hops = 0; hops < 40 && strcmp(cur, "/") != 0; hops++) {
		char *slash = strrchr(cur, '/'), *parent = xstrndup(cur, (size_t)(slash - cur));
		int pfd = root_open(root, *parent ? parent : "/", O_PATH | O_DIRECTORY);
		ssize_t n = pfd < 0 ? -1 : readlinkat(pfd, slash + 1, target, sizeof(target) - 1);
		char *next = NULL;

		if (pfd >= 0)
			close(pfd);
		if (n >= 0) {
			target[n] = '\0';
			char *joined =
			    target[0] == '/' ? xstrdup(target) : xasprintf("%s/%s", parent, target);
			next = path_clean(joined);
			free(joined);
		}
		free(parent);
		if (!next)
			break;
		free(cur);
		cur = next;
	}
	return cur;
}

/* Removes the directory name below dirfd, if there is one (--link). */
static int link_clear_dir(int dirfd, const char *name, struct error *e)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
		return 0;
	return rm_at(dirfd, name, e);
}

/* Where a file source lands: (parent dir fd, name). A dest ending in '/'
 * or naming an existing directory gets base appended (fsutil
 * prepareTargetDir). */
static int file_target(struct copyfs *c, const char *dest, const char *base, char **name,
		       struct error *e)
{
	char *clean = path_clean(dest);
	int slash = endswith(dest, "/") || strcmp(clean, "/") == 0;
	int fd = -1, flags = O_PATH | O_DIRECTORY;

	if (!slash && !c->o.link) {
		char *followed = follow_final(c->root, clean);
		free(clean);
		clean = followed;
		slash = strcmp(clean, "/") == 0;
	}
	/* --link: the file is copied onto scratch, where dest is never an
	 * existing directory: it lands at dest itself (below) */
	if (!slash && !c->o.link)
		fd = root_open(c->root, clean, flags);
	if (slash || fd >= 0) {
		if (fd < 0)
			fd = root_mkdirs(c->root, clean, 0755, parent_uid(c), parent_gid(c),
					 c->o.link, e);
		*name = xstrdup(base);
	} else {
		char *slashp = strrchr(clean, '/');
		*slashp = '\0';
		*name = xstrdup(slashp + 1);
		fd = root_mkdirs(c->root, *clean ? clean : "/", 0755, parent_uid(c), parent_gid(c),
				 c->o.link, e);
		/* --link: the merged layer's file hides a directory there */
		if (fd >= 0 && c->o.link && link_clear_dir(fd, *name, e) < 0) {
			close(fd);
			fd = -1;
		}
	}
	free(clean);
	return fd;
}

/* Copies an opened file or directory source to dest. */
static int copy_to_dest(struct copyfs *c, struct src_file *src, const struct stat *st,
			const char *base, const char *dest, struct error *e)
{
	char *name = NULL;
	int fd, r;

	if (S_ISDIR(st->st_mode)) {
		fd = dest_dir(c, dest, e);
		r = fd < 0 ? -1 : copy_dir(c, src->fd, st, fd, "", 1, e);
	} else {
		fd = file_target(c, dest, base, &name, e);
		/* a FIFO named as a source is made again (current fsutil's
		 * copyDevice; v0.8's copy skipped it without an error) */
		r = fd < 0		    ? -1
		    : S_ISFIFO(st->st_mode) ? copy_special(c, -1, NULL, st, fd, name, e)
					    : copy_reg(c, src, st, fd, name, e);
	}
	if (fd >= 0)
		close(fd);
	free(name);
	return r;
}

/* How source symlinks resolve: inside a --from rootfs, never out of the
 * build context. */
static enum ctx_scope scope_of(const struct copyfs *c)
{
	return c->o.in_root ? CTX_IN_ROOT : CTX_BENEATH;
}

/* The last component of a context-relative path. */
static const char *base_of(const char *rel)
{
	const char *s = strrchr(rel, '/');
	return s ? s + 1 : rel;
}

/* A context source that open() refused with ENXIO: a socket, copied as
 * the empty file BuildKit's context transfer makes of it (copy_socket). */
static int copy_named_socket(struct copyfs *c, int srcroot, const char *srcrel, const char *dest,
			     struct error *e)
{
	struct src_file none = {-1, "", 0};
	struct stat st;
	int fd = ctx_open_in(srcroot, srcrel, O_PATH, scope_of(c)), r;

	if (fd < 0)
		return error_set(e, errno, "source \"%s\"", srcrel);
	r = fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode);
	close(fd);
	if (r)
		return error_set(e, ENXIO, "source \"%s\"", srcrel);
	st.st_mode = S_IFREG | (st.st_mode & 07777);
	st.st_nlink = 1;
	return copy_to_dest(c, &none, &st, base_of(srcrel), dest, e);
}

int copyfs_source(struct copyfs *c, int srcroot, const char *srcrel, const char *dest,
		  struct error *e)
{
	struct src_file src = {-1, NULL, 0};
	struct stat st;
	int r;

	/* hardlinks are kept within one source path only: BuildKit runs one
	 * fsutil copy (one inode table) per source and per glob match, so
	 * `COPY a b /d/` with a and b linked gives two files */
	forget_links(c);
	c->srcbase = srcrel;
	free(c->ignbase);
	c->ignbase = NULL;
	src.fd = ctx_open_in(srcroot, srcrel, O_RDONLY | O_NONBLOCK, scope_of(c));
	if (src.fd < 0 && errno == ENXIO && !c->o.keep_owner)
		return copy_named_socket(c, srcroot, srcrel, dest, e);
	if (src.fd < 0)
		return error_set(e, errno == EXDEV ? 0 : errno, "source \"%s\"%s", srcrel,
				 errno == EXDEV ? " points outside the build context" : "");
	if (c->o.ig && !(c->ignbase = ctx_real_path(srcroot, srcrel, scope_of(c)))) {
		close(src.fd);
		return error_set(e, errno, "source \"%s\"", srcrel);
	}
	if (fstat(src.fd, &st) < 0) {
		r = error_set(e, errno, "stat %s", srcrel);
	} else if ((!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISFIFO(st.st_mode)) ||
		   (st.st_size == 0 && fgetxattr(src.fd, UNPACK_DEV_XATTR, NULL, 0) >= 0)) {
		/* the second: a device node stored rootless (unpack.h) */
		r = error_set(e, 0, "source \"%s\" is not a regular file, directory or FIFO",
			      srcrel);
	} else {
		r = copy_to_dest(c, &src, &st, base_of(srcrel), dest, e);
	}
	close(src.fd);
	return r;
}

int copyfs_blob(struct copyfs *c, const char *name, const char *data, size_t len, mode_t mode,
		const char *dest, struct error *e)
{
	struct src_file src = {-1, data, len};
	struct stat st = {0};

	st.st_mode = S_IFREG | mode;
	st.st_nlink = 1;
	return copy_to_dest(c, &src, &st, name, dest, e);
}

int copyfs_parent_dir(struct copyfs *c, int srcroot, const char *srcrel, const char *dest,
		      struct error *e)
{
	struct stat st;
	int sfd = ctx_open_in(srcroot, srcrel, O_RDONLY | O_DIRECTORY, scope_of(c));
	int dfd, r;

	if (sfd < 0)
		return error_set(e, errno, "open %s", srcrel);
	dfd = root_open(c->root, dest, O_PATH | O_DIRECTORY);
	if (dfd >= 0) {
		close(dfd);
		close(sfd);
		return 0;
	}
	dfd = dest_dir(c, dest, e);
	r = dfd < 0 || fstat(sfd, &st) < 0 ? -1 : set_meta_fd(c, dfd, &st, 0, srcrel, e);
	if (dfd >= 0)
		close(dfd);
	close(sfd);
	return r;
}

int copyfs_link_dirs(struct copyfs *c, const char *dest, struct error *e)
{
	char *clean = path_clean(dest), *save = NULL;
	int cur = openat(c->root, ".", O_PATH | O_DIRECTORY | O_CLOEXEC), r = 0;
	struct stat st;

	for (char *comp = strtok_r(clean, "/", &save); comp && cur >= 0 && r == 0;
	     comp = strtok_r(NULL, "/", &save)) {
		int next;
		if (fstatat(cur, comp, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
			break;
		if (fchownat(cur, comp, parent_uid(c), parent_gid(c), AT_SYMLINK_NOFOLLOW) < 0 ||
		    fchmodat(cur, comp, 0755, 0) < 0)
			r = error_set(e, errno, "reset directory %s", comp);
		next = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(cur);
		cur = next;
	}
	if (cur >= 0)
		close(cur);
	free(clean);
	return r;
}
