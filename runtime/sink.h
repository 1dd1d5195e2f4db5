/* sink: where a layer tar goes. One streaming pass hashes the tar (the
 * diff_id), compresses it (gzip or zstd through libarchive's raw writer),
 * hashes the compressed bytes (the blob digest) and writes them to a file. */
#ifndef DF_SINK_H
#define DF_SINK_H
#include <archive.h>

#include "hash.h"

struct error;

struct sink {
	int fd;			/* output file */
	struct archive *z;	/* compressor (raw format), NULL for none */
	struct sha256 diff;	/* over the tar bytes */
	struct sha256 blob;	/* over the bytes written to fd */
	long long size;		/* bytes written to fd */
	int failed_errno;	/* first write error */
	const char *media_type; /* OCI media type of the blob */
	char diff_hex[65], blob_hex[65];
};

/* Starts a sink writing to fd; compress = "none"|"gzip"|"zstd", level <0
 * = the default (gzip 6, zstd 3). */
int sink_open(struct sink *s, int fd, const char *compress, int level, struct error *e);
/* A tar writer (pax, restricted) whose output goes into the sink. */
struct archive *sink_tar(struct sink *s, struct error *e);
/* Closes the tar writer and the compressor; fills the digests. */
int sink_close(struct sink *s, struct archive *tar, struct error *e);
/* File name suffix for a compression ("", ".gz", ".zst"). */
const char *sink_suffix(const char *compress);

#endif
