/* blob: the store's blob directory, written by streaming only, so a
 * layer of any size costs a fixed buffer of memory. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "diffid.h"
#include "store.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

#define BLOB_CHUNK (256 * 1024)

void blob_add_filters(struct archive *a)
{
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_bzip2(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_lzma(a);
	archive_read_support_filter_zstd(a);
}

void blob_read_filters(struct archive *a)
{
	blob_add_filters(a);
	archive_read_support_filter_lz4(a);
}

int blob_is_hex(const char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* private_root: root is a store, made owner-only first (see
 * store_private_root); else an OCI layout of the user's, left as it is. */
static int blob_open_in(struct blob_writer *w, const char *root, int private_root, struct error *e)
{
	char *base;

	memset(w, 0, sizeof(*w));
	w->fd = -1;
	w->dir = xasprintf("%s/blobs/sha256", root);
	if ((private_root && store_private_root(root, e) < 0) || mkdir_p(w->dir, 0755, e) < 0)
		return error_wrap(e, "blob store");
	/* a killed writer's temps go before we add ours */
	if (private_root)
		store_sweep(root);
	/* Dot-prefixed so a listing of blobs never shows a temp file. */
	base = xasprintf("%s/", w->dir);
	w->fd = tmp_open(base, &w->tmp, e);
	free(base);
	if (w->fd < 0)
		return -1;
	sha256_init(&w->h);
	return 0;
}

int blob_open(struct blob_writer *w, const char *store, struct error *e)
{
	return blob_open_in(w, store, 1, e);
}

int blob_write(struct blob_writer *w, const void *p, size_t n, struct error *e)
{
	sha256_update(&w->h, p, n);
	w->size += (long long)n;
	if (write_all(w->fd, p, n) < 0)
		return error_set(e, errno, "write %s", w->tmp);
	return 0;
}

static void blob_free(struct blob_writer *w)
{
	if (w->h.ctx)
		sha256_final_hex(&w->h, w->hex);
	free(w->dir);
	free(w->tmp);
	w->dir = w->tmp = NULL;
}

void blob_abort(struct blob_writer *w)
{
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp)
		unlink(w->tmp);
	blob_free(w);
}

/* Durable and checked before it gets its name: fsync, the digest compared
 * with what the caller expects, rename, fsync of the directory. A blob
 * under its digest name is therefore always whole and right, whatever was
 * killed or ran out of space on the way. */
static int blob_commit_in(struct blob_writer *w, const char *want_hex, int sync, struct error *e)
{
	char *final = NULL;
	int r = 0;

	if (w->h.ctx) /* else blob_check did it */
		sha256_final_hex(&w->h, w->hex);
	if (sync && fsync(w->fd) < 0)
		r = error_set(e, errno, "fsync %s", w->tmp);
	else if (want_hex && strcmp(want_hex, w->hex) != 0)
		r = error_set(e, 0, "digest mismatch: content is sha256:%s, expected sha256:%s",
			      w->hex, want_hex);
	if (r < 0) {
		blob_abort(w);
		return r;
	}
	final = xasprintf("%s/%s", w->dir, w->hex);
	if (rename(w->tmp, final) < 0)
		r = error_set(e, errno, "rename %s to %s", w->tmp, final);
	else if (sync)
		r = fsync_dir(w->dir, e);
	free(final);
	if (r < 0)
		unlink(w->tmp);
	/* closed only now: the temp's lock keeps sweepers off until renamed */
	close(w->fd);
	w->fd = -1;
	blob_free(w);
	return r;
}

int blob_check(struct blob_writer *w, const char *want_hex, struct error *e)
{
	if (w->h.ctx)
		sha256_final_hex(&w->h, w->hex);
	if (strcmp(want_hex, w->hex) != 0)
		return error_set(e, 0, "digest mismatch: content is sha256:%s, expected sha256:%s",
				 w->hex, want_hex);
	return 0;
}

int blob_commit(struct blob_writer *w, const char *want_hex, struct error *e)
{
	return blob_commit_in(w, want_hex, 1, e);
}

int blob_commit_nosync(struct blob_writer *w, const char *want_hex, struct error *e)
{
	return blob_commit_in(w, want_hex, 0, e);
}

int blob_put(const char *store, const void *p, size_t n, char digest[72], struct error *e)
{
	struct blob_writer w;

	if (blob_open(&w, store, e) < 0 || blob_write(&w, p, n, e) < 0) {
		blob_abort(&w);
		return -1;
	}
	if (blob_commit(&w, NULL, e) < 0)
		return -1;
	snprintf(digest, 72, "sha256:%s", w.hex);
	return 0;
}

static int blob_put_fd_in(const char *root, int private_root, int fd, const char *want_hex,
			  char hex[65], long long *size, struct error *e)
{
	struct blob_writer w;
	char *buf;
	ssize_t n;

	if (blob_open_in(&w, root, private_root, e) < 0) {
		blob_abort(&w);
		return -1;
	}
	buf = xmalloc(BLOB_CHUNK);
	while ((n = read(fd, buf, BLOB_CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 ? error_set(e, errno, "read") : blob_write(&w, buf, (size_t)n, e))
			break;
	}
	free(buf);
	if (n != 0) {
		blob_abort(&w);
		return -1;
	}
	*size = w.size;
	if (blob_commit(&w, want_hex, e) < 0)
		return -1;
	memcpy(hex, w.hex, 65);
	return 0;
}

int blob_put_fd(const char *store, int fd, const char *want_hex, char hex[65], long long *size,
		struct error *e)
{
	return blob_put_fd_in(store, 1, fd, want_hex, hex, size, e);
}

/* blob_put_file and blob_put_file_layout: the file at path into dir (a
 * store when is_store, else an OCI layout). */
static int blob_put_path_in(const char *dir, int is_store, const char *path, const char *want_hex,
			    char hex[65], long long *size, struct error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int r;

	if (fd < 0)
		return error_set(e, errno, "open %s", path);
	r = blob_put_fd_in(dir, is_store, fd, want_hex, hex, size, e);
	close(fd);
	return r < 0 ? error_wrap(e, "%s", path) : 0;
}

int blob_put_file_layout(const char *dir, const char *path, const char *want_hex, char hex[65],
			 long long *size, struct error *e)
{
	return blob_put_path_in(dir, 0, path, want_hex, hex, size, e);
}

int blob_put_file(const char *store, const char *path, const char *want_hex, char hex[65],
		  long long *size, struct error *e)
{
	return blob_put_path_in(store, 1, path, want_hex, hex, size, e);
}

const char *blob_layer_media_type(const char *path, struct error *e)
{
	unsigned char m[4] = {0};
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		error_set(e, errno, "open %s", path);
		return NULL;
	}
	n = read(fd, m, sizeof(m));
	close(fd);
	if (n >= 2 && m[0] == 0x1f && m[1] == 0x8b)
		return MT_OCI_LAYER_GZIP;
	if (n == 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
		return MT_OCI_LAYER_ZSTD;
	return MT_OCI_LAYER;
}

/* libarchive's "raw" format with the layer filters: yields the
 * decompressed bytes of a gzip/zstd/... stream, or the bytes as they are. */
static struct archive *blob_open_raw(const char *path, struct error *e)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;

	blob_read_filters(a);
	archive_read_support_format_raw(a);
	if (archive_read_open_filename(a, path, BLOB_CHUNK) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK) {
		error_set(e, 0, "read %s: %s", path, archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	return a;
}

/* The decompressed bytes of the blob at path into h, or into w (which
 * hashes them itself) when w is not NULL. */
static int raw_stream(const char *path, struct sha256 *h, struct blob_writer *w, struct error *e)
{
	struct archive *a = blob_open_raw(path, e);
	char *buf;
	la_ssize_t n;
	int r = 0;

	if (!a)
		return -1;
	buf = xmalloc(BLOB_CHUNK);
	while (r == 0 && (n = archive_read_data(a, buf, BLOB_CHUNK)) > 0) {
		if (w)
			r = blob_write(w, buf, (size_t)n, e);
		else
			sha256_update(h, buf, (size_t)n);
	}
	free(buf);
	if (r == 0 && n < 0)
		r = error_set(e, 0, "decompress %s: %s", path, archive_error_string(a));
	archive_read_free(a);
	return r;
}

int blob_diff_id(const char *path, char hex[65], struct error *e)
{
	return diffid_of(path, hex, e);
}

int blob_put_decompressed(const char *store, const char *path, const char *want_hex,
			  long long *size, struct error *e)
{
	struct blob_writer w;

	if (blob_open(&w, store, e) < 0 || raw_stream(path, NULL, &w, e) < 0) {
		blob_abort(&w);
		return -1;
	}
	*size = w.size;
	return blob_commit(&w, want_hex, e);
}
