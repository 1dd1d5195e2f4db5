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

int local_write(json_t *dirs, const char *dest, long long epoch, struct error *e)
{
	struct local_args a = {dirs, epoch};

	if (packw_dir_via(dest, local_fill_tmp, &a, e) < 0)
		return error_wrap(e, "write root filesystem %s", dest);
	return 0;
}
