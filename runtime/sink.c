/* sink: a layer tar streamed through hashing and compression. */
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "sink.h"
#include "util.h"

const char *sink_suffix(const char *compress)
{
	if (strcmp(compress, "gzip") == 0)
		return ".gz";
	if (strcmp(compress, "zstd") == 0)
		return ".zst";
	return "";
}

static int sink_emit(struct sink *s, const void *p, size_t n)
{
	/* uncompressed, the blob is the tar: its digest is the diff_id, taken
	 * once (SHA-256 is most of a layer's CPU time) */
	if (s->z)
		sha256_update(&s->blob, p, n);
	s->size += (long long)n;
	progress_bytes("writing layer", s->size, 0); /* its size is known at the end */
	if (write_all(s->fd, p, n) < 0) {
		s->failed_errno = errno;
		return -1;
	}
	return 0;
}

static la_ssize_t sink_z_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	if (sink_emit(s, p, n) < 0) {
		archive_set_error(a, s->failed_errno, "%s", strerror(s->failed_errno));
		return -1;
	}
	return (la_ssize_t)n;
}

static la_ssize_t sink_tar_write(struct archive *a, void *ctx, const void *p, size_t n)
{
	struct sink *s = ctx;

	sha256_update(&s->diff, p, n);
	if (s->z ? archive_write_data(s->z, p, n) < 0 : sink_emit(s, p, n) < 0) {
		archive_set_error(a, s->failed_errno ? s->failed_errno : EIO, "%s",
				  s->z ? archive_error_string(s->z) : strerror(s->failed_errno));
		return -1;
	}
	return (la_ssize_t)n;
}

/* gzip: no name, no time stamp in the header (reproducible bytes). */
static int sink_filter(struct archive *z, const char *compress, int level)
{
	char lv[16];

	if (strcmp(compress, "gzip") == 0) {
		snprintf(lv, sizeof(lv), "%d", level < 0 ? 6 : level);
		return archive_write_add_filter_gzip(z) != ARCHIVE_OK ||
			       archive_write_set_filter_option(z, "gzip", "timestamp", NULL) !=
				   ARCHIVE_OK ||
			       archive_write_set_filter_option(z, "gzip", "compression-level",
							       lv) != ARCHIVE_OK
			   ? -1
			   : 0;
	}
	snprintf(lv, sizeof(lv), "%d", level < 0 ? 3 : level);
	return archive_write_add_filter_zstd(z) != ARCHIVE_OK ||
		       archive_write_set_filter_option(z, "zstd", "compression-level", lv) !=
			   ARCHIVE_OK
		   ? -1
		   : 0;
}

static int sink_open_z(struct sink *s, const char *compress, int level, struct error *e)
{
	struct archive_entry *ent;

	s->z = archive_write_new();
	/* No blocking: compressed bytes go out as they come, unpadded. */
	archive_write_set_bytes_per_block(s->z, 0);
	if (archive_write_set_format_raw(s->z) != ARCHIVE_OK ||
	    sink_filter(s->z, compress, level) ||
	    archive_write_open2(s->z, s, NULL, sink_z_write, NULL, NULL) != ARCHIVE_OK)
		return error_set(e, 0, "%s compressor: %s", compress, archive_error_string(s->z));
	ent = archive_entry_new();
	archive_entry_set_filetype(ent, AE_IFREG);
	archive_entry_set_pathname(ent, "layer.tar");
	int r = archive_write_header(s->z, ent);
	archive_entry_free(ent);
	if (r != ARCHIVE_OK)
		return error_set(e, 0, "%s compressor: %s", compress, archive_error_string(s->z));
	return 0;
}

int sink_open(struct sink *s, int fd, const char *compress, int level, struct error *e)
{
	memset(s, 0, sizeof(*s));
	s->fd = fd;
	sha256_init(&s->diff);
	sha256_init(&s->blob);
	if (strcmp(compress, "none") == 0) {
		s->media_type = MT_OCI_LAYER;
		return 0;
	}
	if (strcmp(compress, "gzip") != 0 && strcmp(compress, "zstd") != 0)
		return error_set(e, 0, "unknown compression \"%s\" (none, gzip, zstd)", compress);
	s->media_type = strcmp(compress, "gzip") == 0 ? MT_OCI_LAYER_GZIP : MT_OCI_LAYER_ZSTD;
	return sink_open_z(s, compress, level, e);
}

struct archive *sink_tar(struct sink *s, struct error *e)
{
	struct archive *a = archive_write_new();

	/* pax only where ustar cannot say it (long names, xattrs, big ids) */
	archive_write_set_format_pax_restricted(a);
	/* SCHILY.xattr.* only: the form Go's archive/tar and GNU tar read */
	archive_write_set_format_option(a, "pax", "xattrheader", "SCHILY");
	archive_write_add_filter_none(a);
	if (archive_write_open2(a, s, NULL, sink_tar_write, NULL, NULL) != ARCHIVE_OK) {
		error_set(e, 0, "tar writer: %s", archive_error_string(a));
		archive_write_free(a);
		return NULL;
	}
	return a;
}

int sink_close(struct sink *s, struct archive *tar, struct error *e)
{
	int r = 0;

	if (tar && archive_write_close(tar) != ARCHIVE_OK)
		r = error_set(e, s->failed_errno, "finish tar: %s", archive_error_string(tar));
	if (tar)
		archive_write_free(tar);
	if (s->z && archive_write_close(s->z) != ARCHIVE_OK && r == 0)
		r = error_set(e, s->failed_errno, "finish compression: %s",
			      archive_error_string(s->z));
	if (s->z)
		archive_write_free(s->z);
	s->z = NULL;
	sha256_final_hex(&s->diff, s->diff_hex);
	sha256_final_hex(&s->blob, s->blob_hex);
	if (!s->media_type || strcmp(s->media_type, MT_OCI_LAYER) == 0)
		memcpy(s->blob_hex, s->diff_hex, sizeof(s->blob_hex));
	if (r == 0 && s->failed_errno)
		r = error_set(e, s->failed_errno, "write layer");
	return r;
}
