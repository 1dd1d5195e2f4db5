/* local: type=local output, the final root filesystem. The chain's layer
 * directories (overlay form) are applied bottom first, the way overlayfs
 * stacks them: a whiteout deletes, an opaque directory drops what the
 * layers below put in it, a directory replaces a non-directory and the
 * reverse. Every deletion goes through file descriptors opened beneath the
 * new root without following symlinks, so a layer's symlink can never
 * redirect a delete or a write onto the host. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "layer.h"
#include "pack.h"
#include "safeopen.h"
#include "unpack.h"
#include "util.h"

struct local {
	int rootfd;
};

/* Opens dir (relative, "" = root) beneath the root, refusing symlinks. */
static int local_open_dir(struct local *l, const char *dir)
{
	return safe_open(l->rootfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW,
			 SAFE_BENEATH | SAFE_NO_SYMLINKS);
}

static int local_rm_at(int dfd, const char *name, struct error *e);

/* Empties the directory open as fd. */
static int local_clear_fd(int fd, struct error *e)
{
	DIR *d = fdopendir(fd);
	struct dirent *de;
	int r = 0;

	if (!d) {
		close(fd);
		return error_set(e, errno, "read directory");
	}
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = local_rm_at(dirfd(d), de->d_name, e);
	closedir(d);
	return r;
}

/* rm -rf of name in dfd, never following a symlink. */
static int local_rm_at(int dfd, const char *name, struct error *e)
{
	struct stat st;
	int fd;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_set(e, errno, "stat %s", name);
	if (S_ISDIR(st.st_mode)) {
		fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0 || local_clear_fd(fd, e) < 0)
			return fd < 0 ? error_set(e, errno, "open %s", name) : -1;
	}
	if (unlinkat(dfd, name, S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT)
		return error_set(e, errno, "remove %s", name);
	return 0;
}

/* Runs fn on rel's parent directory and base name; a parent that is
 * missing or not a real directory means rel is not in the tree. */
static int local_at_parent(struct local *l, const char *rel,
			   int (*fn)(int dfd, const char *base, void *arg, struct error *e),
			   void *arg, struct error *e)
{
	const char *slash = strrchr(rel, '/');
	char *dir = slash ? xstrndup(rel, (size_t)(slash - rel)) : xstrdup("");
	int fd = local_open_dir(l, dir), r;

	free(dir);
	if (fd < 0)
		return errno == ENOENT || errno == ENOTDIR || errno == ELOOP || errno == EXDEV
			   ? 0
			   : error_set(e, errno, "open parent of %s", rel);
	r = fn(fd, slash ? slash + 1 : rel, arg, e);
	close(fd);
	return r < 0 ? error_wrap(e, "%s", rel) : 0;
}

static int local_rm_fn(int dfd, const char *base, void *arg, struct error *e)
{
	(void)arg;
	return local_rm_at(dfd, base, e);
}

/* Before writing: a directory replaces a non-directory and the reverse;
 * a non-directory is always unlinked first, so a hardlink shared with a
 * lower layer's file is never written through. */
static int local_replace_fn(int dfd, const char *base, void *arg, struct error *e)
{
	int is_dir = *(int *)arg;
	struct stat st;

	if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : error_set(e, errno, "stat");
	if (is_dir && S_ISDIR(st.st_mode))
		return 0;
	return local_rm_at(dfd, base, e);
}

static int local_whiteout(void *ctx, const char *rel, struct error *e)
{
	return local_at_parent(ctx, rel, local_rm_fn, NULL, e);
}

static int local_replace(void *ctx, const char *rel, int is_dir, struct error *e)
{
	return local_at_parent(ctx, rel, local_replace_fn, &is_dir, e);
}

/* The children the lower layers gave rel go; this layer's come after. */
static int local_opaque(void *ctx, const char *rel, struct error *e)
{
	int fd = local_open_dir(ctx, rel);

	if (fd < 0)
		return error_set(e, errno, "open %s", rel);
	return local_clear_fd(fd, e) < 0 ? error_wrap(e, "clear %s", rel) : 0;
}

static int local_apply_all(struct local *l, json_t *dirs, long long epoch, struct archive *out,
			   struct error *e)
{
	struct layer_hooks hooks = {l, local_whiteout, local_opaque, local_replace};
	size_t i;
	json_t *d;

	json_array_foreach(dirs, i, d)
	{
		const char *dir = json_string_value(d);
		if (!dir || layer_apply_tree(out, dir, &hooks, epoch, e) < 0)
			return error_wrap(e, "apply %s", dir ? dir : "(none)");
	}
	if (archive_write_close(out) != ARCHIVE_OK)
		return error_set(e, 0, "finish: %s", archive_error_string(out));
	return 0;
}

/* Applies the layers inside root (the working directory while it runs:
 * archive_write_disk's secure modes want relative names). */
static int local_fill(const char *root, json_t *dirs, long long epoch, struct error *e)
{
	struct archive *out = archive_write_disk_new();
	struct local l = {.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC)};
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = -1;

	archive_write_disk_set_options(out, unpack_disk_flags());
	if (cwd < 0 || l.rootfd < 0 || fchdir(l.rootfd) < 0)
		error_set(e, errno, "enter %s", root);
	else
		r = local_apply_all(&l, dirs, epoch, out, e);
	if (cwd >= 0 && fchdir(cwd) < 0 && r == 0)
		r = error_set(e, errno, "return to the working directory");
	if (cwd >= 0)
		close(cwd);
	if (l.rootfd >= 0)
		close(l.rootfd);
	archive_write_free(out);
	return r;
}

struct local_args {
	json_t *dirs;
	long long epoch;
};

/* local_write's filler for packw_dir_via. */
static int local_fill_tmp(const char *tmp, void *arg, struct error *e)
{
	const struct local_args *a = arg;

	return local_fill(tmp, a->dirs, a->epoch, e);
}

/* ---- merging into an existing DEST ---- */

static int local_merge(int sfd, int dfd, struct error *e);

/* The names in the directory open as fd (its entries are renamed away
 * while they are walked, so they are read first). */
static char **local_names(int fd, size_t *n, struct error *e)
{
	int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	DIR *d = dup_fd < 0 ? NULL : fdopendir(dup_fd);
	struct dirent *de;
	char **v = NULL;

	*n = 0;
	if (!d) {
		error_set(e, errno, "read directory");
		if (dup_fd >= 0)
			close(dup_fd);
		return NULL;
	}
	rewinddir(d);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			v = xreallocarray(v, *n + 1, sizeof(*v));
			v[(*n)++] = xstrdup(de->d_name);
		}
	closedir(d);
	return v ? v : xcalloc(1, sizeof(*v));
}

/* A directory on both sides: its entries are merged, then it takes the
 * image's mode, owner and times, as a new one would have them. */
static int local_merge_dir(int sfd, int dfd, const char *name, const struct stat *ss,
			   struct error *e)
{
	int s = openat(sfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int d = s < 0 ? -1 : openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct timespec t[2] = {ss->st_atim, ss->st_mtim};
	int r = d < 0 ? error_set(e, errno, "open %s", name) : local_merge(s, d, e);

	if (r == 0 && (fchown(d, ss->st_uid, ss->st_gid) < 0 ||
		       fchmod(d, ss->st_mode & 07777) < 0 || futimens(d, t) < 0))
		r = error_set(e, errno, "set the mode, owner and times of %s", name);
	if (s >= 0)
		close(s);
	if (d >= 0)
		close(d);
	return r;
}

/* One entry of the image into dest: a directory both have is merged
 * into; anything else replaces what dest has under that name (a symlink
 * in dest is replaced, never followed). */
static int local_merge_entry(int sfd, int dfd, const char *name, struct error *e)
{
	struct stat ss, ds;
	int there = fstatat(dfd, name, &ds, AT_SYMLINK_NOFOLLOW) == 0;

	if (fstatat(sfd, name, &ss, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(e, errno, "stat %s", name);
	if (there && S_ISDIR(ss.st_mode) && S_ISDIR(ds.st_mode))
		return local_merge_dir(sfd, dfd, name, &ss, e);
	if (there && S_ISDIR(ds.st_mode) && local_rm_at(dfd, name, e) < 0)
		return -1;
	if (renameat(sfd, name, dfd, name) < 0)
		return error_set(e, errno, "move %s into place", name);
	return 0;
}

static int local_merge(int sfd, int dfd, struct error *e)
{
	size_t n, i;
	char **v = local_names(sfd, &n, e);
	int r = v ? 0 : -1;

	for (i = 0; i < n; i++) {
		if (r == 0)
			r = local_merge_entry(sfd, dfd, v[i], e);
		free(v[i]);
	}
	free(v);
	return r;
}

/* BuildKit's local exporter writes into an existing directory (fsutil's
 * Receive with Merge): the image's files replace those of the same names
 * and the user's other files stay, so `-o type=local,dest=.` works and a
 * DEST holding more than the image loses nothing. The image is first made
 * whole in a temp directory beside DEST, then moved in entry by entry. */
static int local_merge_into(const char *dest, const struct local_args *a, struct error *e)
{
	char *tmp = NULL;
	struct error ignored;
	int lock = packw_tmp(dest, 1, &tmp, e), sfd = -1, dfd = -1;
	int r = lock < 0 ? -1 : local_fill(tmp, a->dirs, a->epoch, e);

	if (r == 0) {
		sfd = open(tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		dfd = open(dest, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		r = sfd < 0 || dfd < 0 ? error_set(e, errno, "open %s", sfd < 0 ? tmp : dest)
				       : local_merge(sfd, dfd, e);
	}
	if (tmp)
		remove_tree(tmp, &ignored);
	/* DEST is make's target: newer than what it was made from */
	if (r == 0 && futimens(dfd, NULL) < 0)
		r = error_set(e, errno, "touch %s", dest);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	if (lock >= 0)
		close(lock);
	free(tmp);
	return r;
}

int local_write(json_t *dirs, const char *dest, long long epoch, struct error *e)
{
	struct local_args a = {dirs, epoch};
	struct stat st;
	int r;

	if (stat(dest, &st) == 0 && S_ISDIR(st.st_mode))
		r = local_merge_into(dest, &a, e);
	else
		r = packw_dir_via(dest, local_fill_tmp, &a, e);
	return r < 0 ? error_wrap(e, "write root filesystem %s", dest) : 0;
}
