/* ltree: the walk that turns an overlayfs upper directory into tar
 * entries, following BuildKit's util/overlay and containerd's tar
 * ChangeWriter: sorted depth-first order, whiteouts only for paths that
 * exist below, opaque markers right after their directory, no overlay
 * xattrs, mtimes clamped to the epoch for reproducible digests. */
#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "layer.h"
#include "safeopen.h"
#include "unpack.h"
#include "util.h"

#define LTREE_CHUNK (256 * 1024)

struct ltree_link {
	dev_t dev;
	ino_t ino;
	char *path;
};

struct ltree {
	struct archive *tar;
	const struct layer_lowers *lowers;
	const struct layer_hooks *hooks; /* NULL: write OCI markers */
	long long epoch;
	long long count;
	struct ltree_link *links;
	size_t nlinks, cap;
	char *buf; /* file copy buffer */
};

static int ltree_is_whiteout(const struct stat *st)
{
	return S_ISCHR(st->st_mode) && st->st_rdev == makedev(0, 0);
}

int layer_is_opaque(const char *path)
{
	static const char *names[] = {"trusted.overlay.opaque", "user.overlay.opaque"};
	char v[4];

	for (size_t i = 0; i < LEN(names); i++) {
		ssize_t n = lgetxattr(path, names[i], v, sizeof(v));
		if (n == 1 && v[0] == 'y')
			return 1;
	}
	return 0;
}

/* In one lower layer: 1 = path is there, 0 = hidden from the layers below
 * (whiteout, replaced by a non-directory, opaque parent), -1 = the layer
 * says nothing about it. */
static int ltree_lower_state(const char *dir, const char *rel)
{
	char *full = path_join(dir, rel), *p;
	struct stat st;
	int r = -1, dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* Not lstat(full): a symlink among the lower's parents ("a" -> "/")
	 * would answer about the host's files, and their existence would
	 * leak into the layer as whiteouts. Overlayfs stops at a non-directory
	 * parent; so does a walk with no symlinks (ELOOP, ENOTDIR: hidden). */
	int fd = dfd < 0
		     ? -1
		     : safe_open(dfd, rel, O_PATH | O_NOFOLLOW, SAFE_BENEATH | SAFE_NO_SYMLINKS);
	int err = errno;

	if (dfd >= 0)
		close(dfd);
	if (fd >= 0) {
		r = fstat(fd, &st) == 0 && !ltree_is_whiteout(&st);
		close(fd);
		free(full);
		return r;
	}
	if (dfd >= 0 && (err == ELOOP || err == ENOTDIR || err == EXDEV)) {
		free(full);
		return 0;
	}
	/* From the top of the layer down: the first parent that is missing
	 * ends the search, one that hides its children ends it with 0. */
	for (p = full + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		int gone = lstat(full, &st) < 0;
		if (!gone && (!S_ISDIR(st.st_mode) || layer_is_opaque(full)))
			r = 0;
		*p = '/';
		if (gone || r == 0)
			break;
	}
	free(full);
	return r;
}

int layer_lower_exists(const struct layer_lowers *lowers, const char *relpath)
{
	for (size_t i = 0; i < lowers->n; i++) {
		int s = ltree_lower_state(lowers->dirs[i], relpath);
		if (s >= 0)
			return s;
	}
	return 0;
}

static void ltree_set_time(struct ltree *t, struct archive_entry *ent, time_t mtime)
{
	long long m = mtime;

	if (t->epoch >= 0 && m > t->epoch)
		m = t->epoch;
	/* whole seconds: sub-second times would only add pax records */
	archive_entry_set_mtime(ent, (time_t)m, 0);
}

/* An empty regular file used as an OCI marker (.wh.NAME, .wh..wh..opq)
 * in directory dir (NULL = the root). */
static int ltree_marker(struct ltree *t, const char *dir, const char *name, time_t mtime,
			struct error *e)
{
	struct archive_entry *ent = archive_entry_new();
	char *path = dir ? xasprintf("%s/%s", dir, name) : xstrdup(name);
	int r = 0;

	archive_entry_set_pathname(ent, path);
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_perm(ent, 0);
	archive_entry_set_size(ent, 0);
	ltree_set_time(t, ent, mtime);
	if (archive_write_header(t->tar, ent) < ARCHIVE_WARN)
		r = error_set(e, 0, "%s: %s", path, archive_error_string(t->tar));
	t->count++;
	archive_entry_free(ent);
	free(path);
	return r;
}

static int ltree_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* xattrs sorted by name, overlay's own (and the host's SELinux label)
 * left out. */
static void ltree_xattrs(struct archive_entry *ent, const char *path)
{
	ssize_t n = llistxattr(path, NULL, 0);
	struct strlist names = {0};
	char *list, val[65536];

	if (n <= 0)
		return;
	list = xmalloc((size_t)n);
	n = llistxattr(path, list, (size_t)n);
	for (char *p = list; n > 0 && p < list + n; p += strlen(p) + 1)
		if (!startswith(p, "trusted.overlay.") && !startswith(p, "user.overlay.") &&
		    strcmp(p, "security.selinux") != 0 && strcmp(p, UNPACK_DEV_XATTR) != 0)
			strlist_add(&names, p);
	if (names.n)
		qsort(names.v, names.n, sizeof(*names.v), ltree_cmp);
	for (size_t i = 0; i < names.n; i++) {
		ssize_t k = lgetxattr(path, names.v[i], val, sizeof(val));
		if (k >= 0)
			archive_entry_xattr_add_entry(ent, names.v[i], val, (size_t)k);
	}
	strlist_free(&names);
	free(list);
}

/* Second and later names of a multiply-linked file become hardlinks. */
static const char *ltree_link_target(struct ltree *t, const struct stat *st, const char *rel)
{
	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return NULL;
	for (size_t i = 0; i < t->nlinks; i++)
		if (t->links[i].dev == st->st_dev && t->links[i].ino == st->st_ino)
			return t->links[i].path;
	if (t->nlinks == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->links = xreallocarray(t->links, t->cap, sizeof(*t->links));
	}
	t->links[t->nlinks++] = (struct ltree_link){st->st_dev, st->st_ino, xstrdup(rel)};
	return NULL;
}

static int ltree_data(struct ltree *t, const char *full, struct error *e)
{
	int fd = open(full, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return error_set(e, errno, "open %s", full);
	while ((n = read(fd, t->buf, LTREE_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || archive_write_data(t->tar, t->buf, (size_t)n) < 0) {
			int saved = n < 0 ? errno : 0;
			close(fd);
			return n < 0
				   ? error_set(e, saved, "read %s", full)
				   : error_set(e, 0, "%s: %s", full, archive_error_string(t->tar));
		}
	}
	close(fd);
	return 0;
}

/* A rootless device stub (unpack.c) becomes the device node again. */
static void ltree_device(struct archive_entry *ent, const char *full, const struct stat *st)
{
	char rec[64], type;
	unsigned long major, minor;
	ssize_t n;

	if (!S_ISREG(st->st_mode) || st->st_size != 0)
		return;
	n = lgetxattr(full, UNPACK_DEV_XATTR, rec, sizeof(rec) - 1);
	if (n <= 0)
		return;
	rec[n] = '\0';
	if (sscanf(rec, "%c %lu %lu", &type, &major, &minor) != 3 || (type != 'c' && type != 'b'))
		return;
	archive_entry_set_filetype(ent, type == 'c' ? AE_IFCHR : AE_IFBLK);
	archive_entry_set_rdevmajor(ent, (dev_t)major);
	archive_entry_set_rdevminor(ent, (dev_t)minor);
}

/* One file, directory, link or device as a tar entry. */
static int ltree_entry(struct ltree *t, const char *full, const char *rel, const struct stat *st,
		       struct error *e)
{
	struct archive_entry *ent = archive_entry_new();
	const char *link = ltree_link_target(t, st, rel);
	char target[4096];
	int r = 0;

	archive_entry_copy_stat(ent, st);
	archive_entry_set_pathname(ent, rel);
	archive_entry_unset_atime(ent);
	archive_entry_unset_ctime(ent);
	archive_entry_unset_birthtime(ent);
	archive_entry_set_ino(ent, 0);
	archive_entry_set_dev(ent, 0);
	archive_entry_set_nlink(ent, 0);
	ltree_set_time(t, ent, st->st_mtime);
	ltree_device(ent, full, st);
	if (S_ISLNK(st->st_mode)) {
		ssize_t n = readlink(full, target, sizeof(target) - 1);
		if (n < 0)
			r = error_set(e, errno, "readlink %s", full);
		target[n < 0 ? 0 : n] = '\0';
		archive_entry_set_symlink(ent, target);
	}
	if (link) {
		archive_entry_set_hardlink(ent, link);
		archive_entry_set_size(ent, 0);
	} else {
		ltree_xattrs(ent, full);
	}
	/* ARCHIVE_WARN: a name that is not UTF-8 ("Can't translate
	 * pathname"), written as its raw bytes (pax hdrcharset=BINARY), as
	 * BuildKit's Go tar writer keeps them */
	if (r == 0 && archive_write_header(t->tar, ent) < ARCHIVE_WARN)
		r = error_set(e, 0, "%s: %s", rel, archive_error_string(t->tar));
	if (r == 0 && !link && S_ISREG(st->st_mode) && st->st_size > 0)
		r = ltree_data(t, full, e);
	t->count++;
	archive_entry_free(ent);
	return r;
}

/* Sorted names of a directory's entries (byte order, not the locale's). */
static int ltree_list(const char *dir, struct strlist *names, struct error *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return error_set(e, errno, "open %s", dir);
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strlist_add(names, de->d_name);
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(*names->v), ltree_cmp);
	return 0;
}

static int ltree_walk(struct ltree *t, const char *dir, const char *reldir, struct error *e);

static int ltree_node(struct ltree *t, const char *full, const char *rel, struct error *e)
{
	struct stat st;
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;

	if (lstat(full, &st) < 0)
		return error_set(e, errno, "stat %s", full);
	if (ltree_is_whiteout(&st) && t->hooks)
		return t->hooks->whiteout(t->hooks->ctx, rel, e);
	if (ltree_is_whiteout(&st)) {
		if (!layer_lower_exists(t->lowers, rel))
			return 0;
		char *wh = xasprintf(".wh.%s", base);
		char *dir = base == rel ? NULL : xstrndup(rel, (size_t)(base - rel - 1));
		int r = ltree_marker(t, dir, wh, st.st_mtime, e);
		free(wh);
		free(dir);
		return r;
	}
	if (S_ISSOCK(st.st_mode))
		return 0; /* a tar cannot hold a socket */
	if (t->hooks && t->hooks->replace(t->hooks->ctx, rel, S_ISDIR(st.st_mode), e) < 0)
		return -1;
	if (ltree_entry(t, full, rel, &st, e) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return 0;
	if (t->hooks && layer_is_opaque(full) && t->hooks->opaque(t->hooks->ctx, rel, e) < 0)
		return -1;
	if (!t->hooks && layer_is_opaque(full) && layer_lower_exists(t->lowers, rel) &&
	    ltree_marker(t, rel, ".wh..wh..opq", st.st_mtime, e) < 0)
		return -1;
	return ltree_walk(t, full, rel, e);
}

static int ltree_walk(struct ltree *t, const char *dir, const char *reldir, struct error *e)
{
	struct strlist names = {0};
	int r = ltree_list(dir, &names, e);

	for (size_t i = 0; r == 0 && i < names.n; i++) {
		char *full = path_join(dir, names.v[i]);
		char *rel = reldir ? xasprintf("%s/%s", reldir, names.v[i]) : xstrdup(names.v[i]);
		r = ltree_node(t, full, rel, e);
		free(full);
		free(rel);
	}
	strlist_free(&names);
	return r;
}

static int ltree_run(struct ltree *t, const char *upper, struct error *e)
{
	int r;

	t->buf = xmalloc(LTREE_CHUNK);
	r = ltree_walk(t, upper, NULL, e);
	for (size_t i = 0; i < t->nlinks; i++)
		free(t->links[i].path);
	free(t->links);
	free(t->buf);
	return r;
}

int layer_apply_tree(struct archive *out, const char *dir, const struct layer_hooks *hooks,
		     long long epoch, struct error *e)
{
	struct layer_lowers none = {0};
	struct ltree t = {.tar = out, .lowers = &none, .hooks = hooks, .epoch = epoch};

	return ltree_run(&t, dir, e);
}

int layer_write_tree(struct archive *tar, const char *upper, const struct layer_lowers *lowers,
		     long long epoch, long long *count, struct error *e)
{
	struct ltree t = {.tar = tar, .lowers = lowers, .epoch = epoch};
	int r = ltree_run(&t, upper, e);

	*count = t.count;
	return r;
}
