/* add: archive extraction for ADD. Each entry's parent directory is opened
 * with root_open (RESOLVE_IN_ROOT), which is what extracting inside a chroot
 * of the rootfs gives (moby chrootarchive): a symlink in the archive or the
 * image can redirect a later entry only to somewhere else in the rootfs.
 * BuildKit extracts with moby's chrootarchive.Untar, chrooted at the
 * destination, so a name's leading ".." stops at the destination ("../x"
 * is DEST/x) and a symlink's text is stored as is; df2make does the same,
 * and resolves every later entry inside the rootfs. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "add.h"
#include "blob.h"
#include "copyfs.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

struct dirtime {
	char *path;
	struct timespec ts[2];
};

struct xstate {
	int root;
	const char *destdir;
	const struct add_opts *o;
	struct dirtime *dirs;
	size_t ndirs;
};

static struct archive *open_reader(int fd)
{
	struct archive *a = archive_read_new();

	blob_add_filters(a);
	archive_read_support_format_tar(a);
	lseek(fd, 0, SEEK_SET);
	return a;
}

int add_is_archive(int fd)
{
	struct archive *a = open_reader(fd);
	struct archive_entry *ent;
	int yes = archive_read_open_fd(a, fd, 65536) == ARCHIVE_OK &&
		  archive_read_next_header(a, &ent) == ARCHIVE_OK;

	archive_read_free(a);
	lseek(fd, 0, SEEK_SET);
	return yes;
}

/* An entry name relative to the destination: cleaned as under a chroot at
 * the destination (moby chrootarchive: filepath.Join("/", name)), so ".."
 * never climbs above it. */
static char *entry_rel(const char *raw)
{
	char *joined = xasprintf("/%s", raw), *c = path_clean(joined), *s = c, *out;

	while (*s == '/')
		s++;
	out = xstrdup(*s ? s : ".");
	free(c);
	free(joined);
	return out;
}

/* Extracted entries take the --chown owner when there is one (BuildKit
 * since 2025-05, commit 46e52f4 "add chown to archive unpack": moby's
 * ChownOpts), else the owner stored in the archive. */
static void owner_of(const struct xstate *x, struct archive_entry *ent, uid_t *u, gid_t *g)
{
	*u = x->o->chown ? x->o->uid : (uid_t)archive_entry_uid(ent);
	*g = x->o->chown ? x->o->gid : (gid_t)archive_entry_gid(ent);
}

/* Owner then mode on an open fd (chown clears set-id bits). */
static int meta_fd(const struct xstate *x, int fd, struct archive_entry *ent, const char *rel,
		   struct error *e)
{
	uid_t u;
	gid_t g;

	owner_of(x, ent, &u, &g);
	if (fchown(fd, u, g) < 0)
		return error_set(e, errno, "chown %s", rel);
	if (fchmod(fd, archive_entry_perm(ent) & 07777) < 0)
		return error_set(e, errno, "chmod %s", rel);
	return 0;
}

static int meta_at(const struct xstate *x, int dirfd, const char *name, struct archive_entry *ent,
		   const char *rel, struct error *e)
{
	struct timespec ts[2] = {{archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)},
				 {archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)}};
	uid_t u;
	gid_t g;

	owner_of(x, ent, &u, &g);
	if (fchownat(dirfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "chown %s", rel);
	if (archive_entry_filetype(ent) != AE_IFLNK &&
	    fchmodat(dirfd, name, archive_entry_perm(ent) & 07777, 0) < 0)
		return error_set(e, errno, "chmod %s", rel);
	if (utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "set times of %s", rel);
	return 0;
}

static void set_xattrs(int fd, struct archive_entry *ent)
{
	const char *name;
	const void *val;
	size_t len;

	archive_entry_xattr_reset(ent);
	while (archive_entry_xattr_next(ent, &name, &val, &len) == ARCHIVE_OK)
		(void)fsetxattr(fd, name, val, len, 0);
}

static int write_data(struct archive *a, int fd, la_int64_t size, const char *rel, struct error *e)
{
	const void *buf;
	size_t len;
	la_int64_t off;
	int r;

	while ((r = archive_read_data_block(a, &buf, &len, &off)) == ARCHIVE_OK) {
		for (size_t done = 0; done < len;) {
			ssize_t n =
			    pwrite(fd, (const char *)buf + done, len - done, off + (off_t)done);
			if (n < 0 && errno != EINTR)
				return error_set(e, errno, "write %s", rel);
			done += n > 0 ? (size_t)n : 0;
		}
	}
	if (r != ARCHIVE_EOF)
		return error_set(e, 0, "read %s: %s", rel, archive_error_string(a));
	/* a sparse file may end in a hole */
	if (ftruncate(fd, (off_t)size) < 0)
		return error_set(e, errno, "truncate %s", rel);
	return 0;
}

/* Regular file: created fresh (O_EXCL, never through a symlink). */
static int extract_file(struct xstate *x, struct archive *a, struct archive_entry *ent, int pfd,
			const char *name, const char *rel, struct error *e)
{
	struct timespec ts[2] = {{archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)},
				 {archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)}};
	int fd = openat(pfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	int r;

	if (fd < 0)
		return error_set(e, errno, "create %s", rel);
	r = write_data(a, fd, archive_entry_size(ent), rel, e);
	/* xattrs after the owner (moby's createTarFile order): a chown clears
	 * security.capability. */
	if (r == 0)
		r = meta_fd(x, fd, ent, rel, e);
	if (r == 0)
		set_xattrs(fd, ent);
	if (r == 0 && futimens(fd, ts) < 0)
		r = error_set(e, errno, "set times of %s", rel);
	close(fd);
	return r;
}

/* Directory: merged with an existing one; its times are set at the end,
 * after its entries stop changing them. */
static int extract_dir(struct xstate *x, struct archive_entry *ent, int pfd, const char *name,
		       const char *rel, const char *full, struct error *e)
{
	int fd, r;

	if (mkdirat(pfd, name, 0700) < 0 && errno != EEXIST)
		return error_set(e, errno, "mkdir %s", rel);
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return error_set(e, errno, "open %s", rel);
	r = meta_fd(x, fd, ent, rel, e);
	set_xattrs(fd, ent);
	close(fd);
	x->dirs = xreallocarray(x->dirs, x->ndirs + 1, sizeof(*x->dirs));
	x->dirs[x->ndirs++] =
	    (struct dirtime){xstrdup(full),
			     {{archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)},
			      {archive_entry_mtime(ent), archive_entry_mtime_nsec(ent)}}};
	return r;
}

/* Hard link to an earlier entry, looked up inside the rootfs. */
static int extract_hardlink(struct xstate *x, struct archive_entry *ent, int pfd, const char *name,
			    const char *rel, struct error *e)
{
	char *trel = entry_rel(archive_entry_hardlink(ent)), *tpath, proc[64];
	int fd, r = 0;

	tpath = xasprintf("%s/%s", x->destdir, trel);
	fd = root_open(x->root, tpath, O_PATH | O_NOFOLLOW);
	if (fd < 0) {
		r = error_set(e, errno, "hardlink %s -> %s", rel, trel);
	} else {
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
		if (linkat(AT_FDCWD, proc, pfd, name, AT_SYMLINK_FOLLOW) < 0)
			r = error_set(e, errno, "hardlink %s -> %s", rel, trel);
		close(fd);
	}
	/* moby's untar chowns the link's path to its own header's owner,
	 * which is the shared inode's (docker build shows it) */
	if (r == 0) {
		uid_t u;
		gid_t g;

		owner_of(x, ent, &u, &g);
		if (fchownat(pfd, name, u, g, AT_SYMLINK_NOFOLLOW) < 0)
			r = error_set(e, errno, "chown %s", rel);
	}
	free(tpath);
	free(trel);
	return r;
}

static int extract_other(struct xstate *x, struct archive_entry *ent, int pfd, const char *name,
			 const char *rel, struct error *e)
{
	mode_t type = archive_entry_filetype(ent);
	const char *target = archive_entry_symlink(ent);

	if (type == AE_IFLNK) {
		/* the text is stored as is (any later entry through it is
		 * resolved inside the rootfs, never outside it) */
		if (!target)
			return error_set(e, 0, "invalid symlink \"%s\": no target", rel);
		if (symlinkat(target, pfd, name) < 0)
			return error_set(e, errno, "symlink %s", rel);
	} else if (type == AE_IFCHR || type == AE_IFBLK || type == AE_IFIFO) {
		if (mknodat(pfd, name, type | (archive_entry_perm(ent) & 07777),
			    archive_entry_rdev(ent)) < 0)
			return error_set(e, errno, "mknod %s", rel);
	} else {
		return 0; /* sockets and unknown types are skipped */
	}
	return meta_at(x, pfd, name, ent, rel, e);
}

/* Union semantics: anything but a directory meeting a directory is
 * replaced (moby untar's RemoveAll). */
static int clear_target(int pfd, const char *name, struct archive_entry *ent, struct error *e)
{
	struct stat st;
	int isdir = archive_entry_filetype(ent) == AE_IFDIR && !archive_entry_hardlink(ent);

	if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	if (S_ISDIR(st.st_mode) && isdir)
		return 0;
	return rm_at(pfd, name, e);
}

static int extract_entry(struct xstate *x, struct archive *a, struct archive_entry *ent,
			 struct error *e)
{
	const char *raw = archive_entry_pathname(ent);
	char *rel = entry_rel(raw ? raw : ""), *full, *slash, *name;
	int pfd, r;

	if (strcmp(rel, ".") == 0) {
		free(rel);
		return 0;
	}
	full = xasprintf("%s/%s", strcmp(x->destdir, "/") ? x->destdir : "", rel);
	slash = strrchr(full, '/');
	*slash = '\0';
	name = slash + 1;
	pfd = root_mkdirs(x->root, *full ? full : "/", 0755, x->o->chown ? x->o->uid : 0,
			  x->o->chown ? x->o->gid : 0, 0, e);
	*slash = '/';
	r = pfd < 0 ? -1 : clear_target(pfd, name, ent, e);
	if (r == 0 && archive_entry_hardlink(ent))
		r = extract_hardlink(x, ent, pfd, name, rel, e);
	else if (r == 0 && archive_entry_filetype(ent) == AE_IFREG)
		r = extract_file(x, a, ent, pfd, name, rel, e);
	else if (r == 0 && archive_entry_filetype(ent) == AE_IFDIR)
		r = extract_dir(x, ent, pfd, name, rel, full, e);
	else if (r == 0)
		r = extract_other(x, ent, pfd, name, rel, e);
	if (pfd >= 0)
		close(pfd);
	free(full);
	free(rel);
	return r;
}

/* Directory times last, deepest first. */
static void finish_dirs(struct xstate *x)
{
	for (size_t i = x->ndirs; i-- > 0;) {
		int fd = root_open(x->root, x->dirs[i].path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
		if (fd >= 0) {
			(void)futimens(fd, x->dirs[i].ts);
			close(fd);
		}
		free(x->dirs[i].path);
	}
	free(x->dirs);
}

int add_extract(int root, const char *destdir, int fd, const char *what, const struct add_opts *o,
		struct error *e)
{
	struct xstate x = {root, destdir, o, NULL, 0};
	struct archive *a = open_reader(fd);
	struct archive_entry *ent;
	int r = 0, st;
	int dfd =
	    root_mkdirs(root, destdir, 0755, o->chown ? o->uid : 0, o->chown ? o->gid : 0, 0, e);

	if (dfd < 0)
		r = -1;
	else
		close(dfd);
	if (r == 0 && archive_read_open_fd(a, fd, 65536) != ARCHIVE_OK)
		r = error_set(e, 0, "%s: %s", what, archive_error_string(a));
	while (r == 0 && (st = archive_read_next_header(a, &ent)) != ARCHIVE_EOF) {
		if (st < ARCHIVE_WARN)
			r = error_set(e, 0, "%s: %s", what, archive_error_string(a));
		else
			r = extract_entry(&x, a, ent, e);
	}
	finish_dirs(&x);
	archive_read_free(a);
	if (r < 0)
		error_wrap(e, "extract %s", what);
	return r;
}
