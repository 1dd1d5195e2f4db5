/* blob: streaming writes into the store's content-addressed blob
 * directory, and facts about stored layer blobs (compression, diff_id). */
#ifndef DF_BLOB_H
#define DF_BLOB_H
#include <stddef.h>
#include <sys/types.h>

#include "hash.h"

struct archive;
struct error;

#define MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* A blob being written: a temp file beside its final place, hashed as it
 * grows, so a reader never sees a partial blob under its digest.
 *
 * The store's API for writing a blob from any stream (a registry
 * download, an archive member, a file): blob_open, blob_write per chunk,
 * then blob_commit(want_hex) — fsync'd, verified against the digest the
 * caller expects, renamed into place — or blob_abort on any failure. A
 * killed writer leaves only a locked temp (".tmp-XXXXXX") that the next
 * writer sweeps. blob_put_fd does the whole loop for a file descriptor. */
struct blob_writer {
	char *dir; /* STORE/blobs/sha256 */
	char *tmp; /* temp file path */
	int fd;
	struct sha256 h;
	long long size;
	char hex[65]; /* set by blob_commit */
};

/* Opens a temp blob in STORE/blobs/sha256/. */
int blob_open(struct blob_writer *w, const char *store, struct error *e);
/* Appends n bytes. */
int blob_write(struct blob_writer *w, const void *p, size_t n, struct error *e);
/* Finishes: checks the digest against want_hex (NULL = no check), renames
 * to blobs/sha256/<hex> (an existing identical blob is kept). */
int blob_commit(struct blob_writer *w, const char *want_hex, struct error *e);
/* Whether what was written hashes to want_hex (no more blob_write after
 * it); blob_commit or blob_abort follow either way. */
int blob_check(struct blob_writer *w, const char *want_hex, struct error *e);
/* blob_commit without the fsyncs, for a caller that syncs a batch of
 * blobs itself before anything names them (a pull). */
int blob_commit_nosync(struct blob_writer *w, const char *want_hex, struct error *e);
/* Drops the temp file (after a failure). */
void blob_abort(struct blob_writer *w);
/* Stores a small in-memory blob; writes "sha256:<hex>" to digest[72]. */
int blob_put(const char *store, const void *p, size_t n, char digest[72], struct error *e);
/* Stores everything read from fd (to EOF), verified against want_hex
 * (NULL = no check); hex[65] and *size receive what was stored. */
int blob_put_fd(const char *store, int fd, const char *want_hex, char hex[65], long long *size,
		struct error *e);
/* Copies a whole file into the store; hex[65] receives its digest. */
int blob_put_file(const char *store, const char *path, const char *want_hex, char hex[65],
		  long long *size, struct error *e);
/* The same into the OCI image layout dir (DIR/blobs/sha256/), which is
 * not a store: its permissions are left alone (a shared cache dir). */
int blob_put_file_layout(const char *dir, const char *path, const char *want_hex, char hex[65],
			 long long *size, struct error *e);
/* OCI layer media type from the blob's first bytes (gzip, zstd or tar). */
const char *blob_layer_media_type(const char *path, struct error *e);
/* sha256 of the decompressed stream of a layer blob ("diff_id" hex). */
int blob_diff_id(const char *path, char hex[65], struct error *e);
/* Stores the decompressed bytes of the blob at path as a blob of their
 * own, which must hash to want_hex; *size gets their length. */
int blob_put_decompressed(const char *store, const char *path, const char *want_hex,
			  long long *size, struct error *e);
/* 1 when s is 64 lowercase hex digits. */
int blob_is_hex(const char *s);

/* The compressions ADD unpacks, as BuildKit's ADD does: gzip, bzip2, xz,
 * lzma, zstd (a .tar.lz4 is copied as it is, measured with docker).
 * Naming them, rather than every libarchive filter, also keeps the
 * runtime's static link free of the codecs nothing here reads. */
void blob_add_filters(struct archive *a);
/* Layers and image archives: ADD's set and lz4, which `docker load`
 * decompresses too (measured: docker 20.10 loads an lz4 layer). */
void blob_read_filters(struct archive *a);

#endif
