/* unpack: a layer tar into STORE/layers/<hex>, the form overlayfs takes
 * as a lower directory: OCI whiteouts become 0/0 character devices and
 * opaque markers become the opaque xattr. The layer comes from outside, so
 * every path is cleaned, `..` and symlinked parents are refused, and the
 * work happens under a private temp name renamed into place only when
 * complete (a directory under the real name is always whole). */
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

#include "blob.h"
#include "diffid.h"
#include "error.h"
#include "fsutil.h"
#include "safeopen.h"
#include "store.h"
#include "unpack.h"
#include "util.h"

/* A directory of the layer being unpacked: we made the tree, so a symlink
 * on the way means the tar planted one. */
#define UNPACK_DIR_FLAGS (O_RDONLY | O_DIRECTORY | O_NOFOLLOW)

int unpack_real_root(void)
{
	char map[128] = {0};
	FILE *f;
	unsigned long a, b, n;

	if (geteuid() != 0)
		return 0;
	f = fopen("/proc/self/uid_map", "re");
	if (!f)
		return 1;
	/* The initial namespace maps all 2^32-1 ids onto themselves. */
	int full = fgets(map, sizeof(map), f) && sscanf(map, "%lu %lu %lu", &a, &b, &n) == 3 &&
		   a == 0 && b == 0 && n == 4294967295UL;
	fclose(f);
	return full;
}

const char *unpack_opaque_xattr(void)
{
	return unpack_real_root() ? "trusted.overlay.opaque" : "user.overlay.opaque";
}

/* Cleans a member name to a path relative to the layer root; NULL when it
 * would leave it. */
static char *unpack_clean(const char *name)
{
	char *c;

	while (*name == '/')
		name++;
	c = path_clean(*name ? name : ".");
	if (strcmp(c, "..") == 0 || startswith(c, "../")) {
		free(c);
		return NULL;
	}
	return c;
}

static int unpack_is_overlay_xattr(const char *name)
{
	/* and our own device record: only unpack_device_stub may set it */
	return startswith(name, "trusted.overlay.") || startswith(name, "user.overlay.") ||
	       strcmp(name, UNPACK_DEV_XATTR) == 0;
}

/* Drops overlay xattrs a layer may carry: they would steer overlayfs
 * (redirects, opaque dirs) from inside an untrusted tar. */
static void unpack_strip_xattrs(struct archive_entry *ent)
{
	struct archive_entry *keep = archive_entry_new();
	const char *name;
	const void *val;
	size_t size;

	archive_entry_xattr_reset(ent);
	while (archive_entry_xattr_next(ent, &name, &val, &size) == ARCHIVE_OK)
		if (!unpack_is_overlay_xattr(name))
			archive_entry_xattr_add_entry(keep, name, val, size);
	archive_entry_xattr_clear(ent);
	archive_entry_xattr_reset(keep);
	while (archive_entry_xattr_next(keep, &name, &val, &size) == ARCHIVE_OK)
		archive_entry_xattr_add_entry(ent, name, val, size);
	archive_entry_free(keep);
}

struct unpack_ctx {
	struct archive *in, *out;
	int rootfd;
	struct strlist opaque; /* dirs with .wh..wh..opq, applied at the end */
};

/* `.wh.NAME` → a 0/0 character device NAME: overlayfs' whiteout. */
static void unpack_whiteout(struct archive_entry *ent, const char *path, const char *slash)
{
	char *target =
	    slash ? xasprintf("%.*s/%s", (int)(slash - path), path, slash + 5) : xstrdup(path + 4);

	archive_entry_set_pathname(ent, target);
	archive_entry_set_filetype(ent, AE_IFCHR);
	archive_entry_set_perm(ent, 0);
	archive_entry_set_rdev(ent, 0);
	archive_entry_set_size(ent, 0);
	archive_entry_set_hardlink(ent, NULL);
	archive_entry_xattr_clear(ent);
	free(target);
}

/* A device node that a user namespace may not mknod (EPERM), rootless:
 * an empty file, mode as the node's, with "c MAJOR MINOR" (or "b ...") in
 * UNPACK_DEV_XATTR. The layer writer (ltree.c) turns it back into the
 * node, so the layers still hold real devices; in a RUN it is a plain
 * empty file (the rootfs is nodev anyway, and /dev is a fresh tmpfs). */
static void unpack_device_stub(struct archive_entry *ent)
{
	char rec[64];

	snprintf(rec, sizeof(rec), "%c %lu %lu",
		 archive_entry_filetype(ent) == AE_IFBLK ? 'b' : 'c',
		 (unsigned long)archive_entry_rdevmajor(ent),
		 (unsigned long)archive_entry_rdevminor(ent));
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_rdev(ent, 0);
	archive_entry_set_size(ent, 0);
	archive_entry_xattr_add_entry(ent, UNPACK_DEV_XATTR, rec, strlen(rec));
}

static int unpack_is_device(struct archive_entry *ent)
{
	unsigned t = archive_entry_filetype(ent);

	/* 0/0 is overlay's whiteout, which a user namespace may make */
	return !archive_entry_hardlink(ent) && (t == AE_IFCHR || t == AE_IFBLK) &&
	       archive_entry_rdev(ent) != 0;
}

/* A member's name or libarchive's words about it in a message: at most
 * SHORT_MAX bytes, the start and the end of a longer one (a 64 KiB name
 * filled the error's buffer, and the reason at its end never showed). */
#define SHORT_MAX 240
#define SHORT_PART 110

/* s, or its first and last SHORT_PART bytes around "[...]", in out. */
static const char *unpack_short(const char *s, char out[SHORT_MAX + 1])
{
	size_t n = strlen(s);

	if (n <= SHORT_MAX)
		return s;
	snprintf(out, SHORT_MAX + 1, "%.*s[...]%s", SHORT_PART, s, s + n - SHORT_PART);
	return out;
}

/* The error "WHAT NAME SEP REASON" with the name and the reason shortened. */
static int unpack_err(struct error *e, int err, const char *what, const char *name, const char *sep,
		      const char *reason)
{
	char a[SHORT_MAX + 1], b[SHORT_MAX + 1];

	return error_set(e, err, "%s%s%s%s", what, unpack_short(name, a), sep,
			 unpack_short(reason, b));
}

static int unpack_copy_data(struct unpack_ctx *c, const char *path, struct error *e)
{
	const void *buf;
	size_t size;
	la_int64_t off;
	int r;

	/* < ARCHIVE_OK, not < ARCHIVE_WARN: a failed write(2) (ENOSPC) is
	 * only a warning to libarchive, and the layer would be renamed into
	 * place with a short file in it. */
	while ((r = archive_read_data_block(c->in, &buf, &size, &off)) == ARCHIVE_OK)
		if (archive_write_data_block(c->out, buf, size, off) < ARCHIVE_OK)
			return unpack_err(e, archive_errno(c->out), "write ", path, ": ",
					  archive_error_string(c->out));
	if (r != ARCHIVE_EOF)
		return unpack_err(e, 0, "read ", path, ": ", archive_error_string(c->in));
	return 0;
}

/* Rewrites one member (clean names, whiteouts) and writes it. */
static int unpack_entry(struct unpack_ctx *c, struct archive_entry *ent, struct error *e)
{
	char *path = unpack_clean(archive_entry_pathname(ent));
	const char *hl = archive_entry_hardlink(ent);
	const char *slash, *base;
	int r = 0;

	if (!path)
		return unpack_err(e, 0, "member ", archive_entry_pathname(ent), " leaves the layer",
				  "");
	slash = strrchr(path, '/');
	base = slash ? slash + 1 : path;
	archive_entry_set_pathname(ent, path);
	if (strcmp(base, ".wh..wh..opq") == 0) {
		strlist_take(&c->opaque,
			     slash ? xstrndup(path, (size_t)(slash - path)) : xstrdup("."));
		free(path);
		return 0;
	}
	if (startswith(base, ".wh.")) {
		if (!base[4]) {
			free(path);
			return error_set(e, 0, "invalid whiteout %s", archive_entry_pathname(ent));
		}
		unpack_whiteout(ent, path, slash);
	} else if (hl) {
		char *t = unpack_clean(hl);
		if (!t) {
			free(path);
			return unpack_err(e, 0, "hardlink ", hl, " leaves the layer", "");
		}
		archive_entry_set_hardlink(ent, t);
		free(t);
	}
	unpack_strip_xattrs(ent);
	if (!unpack_real_root() && unpack_is_device(ent))
		unpack_device_stub(ent);
	if (archive_write_header(c->out, ent) < ARCHIVE_WARN)
		/* libarchive says only "Could not stat" of a name too long */
		r = unpack_err(e, archive_errno(c->out) == ENAMETOOLONG ? ENAMETOOLONG : 0, "",
			       path, ": ", archive_error_string(c->out));
	else if (archive_entry_size(ent) > 0)
		r = unpack_copy_data(c, path, e);
	free(path);
	return r;
}

/* Marks a directory opaque; creates it (through libarchive's checked
 * path) when the layer had only the marker. */
static int unpack_opaque(struct unpack_ctx *c, const char *dir, struct error *e)
{
	int fd = safe_open(c->rootfd, dir, UNPACK_DIR_FLAGS, SAFE_BENEATH | SAFE_NO_SYMLINKS);

	if (fd < 0 && errno == ENOENT) {
		struct archive_entry *d = archive_entry_new();
		archive_entry_set_pathname(d, dir);
		archive_entry_set_filetype(d, AE_IFDIR);
		archive_entry_set_perm(d, 0755);
		if (archive_write_header(c->out, d) < ARCHIVE_WARN)
			error_set(e, 0, "%s: %s", dir, archive_error_string(c->out));
		archive_entry_free(d);
		fd = safe_open(c->rootfd, dir, UNPACK_DIR_FLAGS, SAFE_BENEATH | SAFE_NO_SYMLINKS);
	}
	if (fd < 0)
		return error_set(e, errno, "opaque directory %s", dir);
	if (fsetxattr(fd, unpack_opaque_xattr(), "y", 1, 0) < 0) {
		int saved = errno;
		close(fd);
		return error_set(e, saved, "set %s on %s", unpack_opaque_xattr(), dir);
	}
	close(fd);
	return 0;
}

int unpack_disk_flags(void)
{
	int f = ARCHIVE_EXTRACT_PERM | ARCHIVE_EXTRACT_TIME | ARCHIVE_EXTRACT_XATTR |
		ARCHIVE_EXTRACT_ACL | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
		ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_NOABSOLUTEPATHS;

	/* Owners are part of the image; only root can keep them. */
	if (geteuid() == 0)
		f |= ARCHIVE_EXTRACT_OWNER;
	return f;
}

static int unpack_stream(struct unpack_ctx *c, const char *blob, struct error *e)
{
	struct archive_entry *ent;
	int r;

	while ((r = archive_read_next_header(c->in, &ent)) == ARCHIVE_OK || r == ARCHIVE_WARN)
		if (unpack_entry(c, ent, e) < 0)
			return -1;
	if (r != ARCHIVE_EOF)
		return error_set(e, 0, "read %s: %s", blob, archive_error_string(c->in));
	for (size_t i = 0; i < c->opaque.n; i++)
		if (unpack_opaque(c, c->opaque.v[i], e) < 0)
			return -1;
	/* close applies the deferred directory modes and times */
	if (archive_write_close(c->out) != ARCHIVE_OK)
		return error_set(e, 0, "finish: %s", archive_error_string(c->out));
	return 0;
}

/* libarchive's read callback: the blob's decompressed bytes, hashed on
 * the way (diffid.c), so the tar is read once for the files and the
 * diff_id. */
struct unpack_src {
	struct diffid *d;
	struct error err;
};

static la_ssize_t unpack_read(struct archive *a, void *ctx, const void **buf)
{
	struct unpack_src *s = ctx;
	ssize_t n = diffid_next(s->d, buf, &s->err);

	if (n < 0)
		archive_set_error(a, EIO, "%s", s->err.msg);
	return n;
}

/* Extracts blob into root; hex[65] gets the diff_id of what was read.
 * Relative names resolved from root as the working directory are what
 * SECURE_NOABSOLUTEPATHS needs. */
static int unpack_into(const char *root, const char *blob, char hex[65], struct error *e)
{
	struct unpack_ctx c = {.in = archive_read_new(), .out = archive_write_disk_new()};
	struct unpack_src src = {.d = diffid_open(blob, e)};
	const char *name = strrchr(blob, '/');
	int cwd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r = -1;

	/* the stream is decompressed already: a tar, nothing else */
	archive_read_support_format_tar(c.in);
	archive_write_disk_set_options(c.out, unpack_disk_flags());
	c.rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* a plain tar is its own diff_id: the blob's name, checked when stored */
	if (src.d && name)
		diffid_trust(src.d, name + 1);
	if (src.d)
		diffid_pipeline(src.d);
	if (!src.d)
		;
	else if (cwd < 0 || c.rootfd < 0 || fchdir(c.rootfd) < 0)
		error_set(e, errno, "enter %s", root);
	else if (archive_read_open(c.in, &src, NULL, unpack_read, NULL) != ARCHIVE_OK)
		error_set(e, 0, "open %s: %s", blob, archive_error_string(c.in));
	else
		r = unpack_stream(&c, blob, e);
	if (cwd >= 0 && fchdir(cwd) < 0 && r == 0)
		r = error_set(e, errno, "return to the working directory");
	/* the tar's end marker may come before the stream's end: the rest
	 * counts for the diff_id too */
	if (r == 0)
		r = diffid_finish(src.d, hex, e);
	else
		diffid_close(src.d);
	if (cwd >= 0)
		close(cwd);
	if (c.rootfd >= 0)
		close(c.rootfd);
	archive_read_free(c.in);
	archive_write_free(c.out);
	strlist_free(&c.opaque);
	return r;
}

/* The error for a layer whose content is not what the config says. */
static int unpack_mismatch(const char *blob_digest, const char *diff_id, const char *hex,
			   struct error *e)
{
	return error_set(e, 0, "layer %s does not match diff_id %s: its content is sha256:%s",
			 blob_digest, diff_id, hex);
}

/* Unpacks into a fresh temp dir and renames it into place; a loser of the
 * race drops its copy. The temp dir stays locked (tmp_mkdir) until then,
 * so the sweep of a killed unpacker's leftovers (store_sweep) never takes
 * a live one. */
static int unpack_fresh(const char *store, const char *blob_digest, const char *diff_id,
			const char *dir, struct error *e)
{
	char hex[65];
	char *parent = xasprintf("%s/layers", store);
	char *tmp = NULL;
	char *blob = store_blob_path(store, blob_digest);
	int r = store_private_root(store, e), fd = -1;

	if (r == 0)
		r = mkdir_p(parent, 0755, e);
	if (r == 0)
		store_sweep(store);
	if (r == 0 && (fd = tmp_mkdir(dir, &tmp, e)) < 0)
		r = -1;
	if (r == 0)
		r = unpack_into(tmp, blob, hex, e);
	/* checked before the rename: a layer that is not its diff_id never
	 * appears under that name, and its temp goes below */
	if (r == 0 && strcmp(hex, diff_id + 7) != 0)
		r = unpack_mismatch(blob_digest, diff_id, hex, e);
	if (r == 0 && rename(tmp, dir) < 0 && errno != EEXIST && errno != ENOTEMPTY)
		r = error_set(e, errno, "rename %s to %s", tmp, dir);
	if (tmp && access(tmp, F_OK) == 0) {
		struct error ignored;
		remove_tree(tmp, &ignored);
	}
	if (fd >= 0)
		close(fd);
	free(parent);
	free(tmp);
	free(blob);
	return r;
}

/* 1 when the layer's .ok marker lists blob_digest: that blob was
 * checked to decompress to this diff_id (by an unpack or unpack_verify). */
static int unpack_ok_lists(const char *ok, const char *blob_digest)
{
	char *text = NULL, *line;
	size_t len = 0;
	int found;

	if (read_file(ok, &text, &len, &(struct error){0}) < 0)
		return 0;
	line = xasprintf("\n%s\n", blob_digest);
	found = strstr(text, line) != NULL;
	free(line);
	free(text);
	return found;
}

char *unpack_ok_blob(const char *ok_path)
{
	char *text = NULL, *hex = NULL;
	size_t len = 0;

	if (read_file(ok_path, &text, &len, &(struct error){0}) == 0 &&
	    startswith(text, "ok\nsha256:") && strlen(text) >= 11 + 64) {
		hex = xstrndup(text + 10, 64);
		if (!blob_is_hex(hex)) {
			free(hex);
			hex = NULL;
		}
	}
	free(text);
	return hex;
}

/* Adds blob_digest to the .ok marker (written atomically; two writers
 * racing may lose one line, which costs a later check, nothing else). */
static int unpack_ok_add(const char *ok, const char *blob_digest, struct error *e)
{
	char *text = NULL, *next;
	size_t len = 0;
	int r;

	/* "ok" alone: a marker of an older df2make, no blob recorded */
	if (read_file(ok, &text, &len, &(struct error){0}) < 0 || !startswith(text, "ok\n")) {
		free(text);
		text = xstrdup("ok\n");
	}
	next = xasprintf("%s%s\n", text, blob_digest);
	r = write_atomic(ok, next, strlen(next), 0644, e);
	free(next);
	free(text);
	return r;
}

/* The layer directory exists, made from another blob (or before blobs
 * were recorded): this blob must still decompress to its diff_id, since
 * pack and push reuse it as the layer's bytes. */
static int unpack_verify(const char *store, const char *blob_digest, const char *diff_id,
			 struct error *e)
{
	char *blob = store_blob_path(store, blob_digest);
	char hex[65];
	int r = diffid_of(blob, hex, e);

	free(blob);
	if (r == 0 && strcmp(hex, diff_id + 7) != 0)
		r = unpack_mismatch(blob_digest, diff_id, hex, e);
	return r;
}

int unpack_layer(const char *store, const char *blob_digest, const char *diff_id, struct error *e)
{
	char *dir = store_layer_dir(store, diff_id);
	char *ok = xasprintf("%s.ok", dir);
	struct stat st;
	int r = 0;

	if (!startswith(diff_id, "sha256:") || !blob_is_hex(diff_id + 7))
		r = error_set(e, 0, "bad diff_id %s", diff_id);
	else if (lstat(dir, &st) < 0 || !S_ISDIR(st.st_mode))
		r = unpack_fresh(store, blob_digest, diff_id, dir, e);
	else if (!unpack_ok_lists(ok, blob_digest))
		r = unpack_verify(store, blob_digest, diff_id, e);
	if (r == 0 && !unpack_ok_lists(ok, blob_digest))
		r = unpack_ok_add(ok, blob_digest, e);
	if (r < 0)
		error_wrap(e, "unpack layer %s", diff_id);
	free(dir);
	free(ok);
	return r;
}
