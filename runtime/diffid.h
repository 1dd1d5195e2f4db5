/* diffid: a layer blob read as its decompressed bytes, hashed on the way,
 * so that whoever reads the tar (the unpack of a base layer) learns its
 * diff_id in the same pass. A pull stores layers compressed and checks
 * nothing beyond their digest; the config's diff_id is checked here, when
 * the layer is first unpacked, as containerd does. */
#ifndef DF_DIFFID_H
#define DF_DIFFID_H
#include <stddef.h>
#include <sys/types.h>

struct error;
struct diffid;

/* Opens the blob at path (gzip, zstd, bzip2, xz or a plain tar); NULL
 * with e set on failure. */
struct diffid *diffid_open(const char *path, struct error *e);
/* The blob is named by its digest hex (verified when it was stored): when
 * its bytes pass as they are (a plain tar), that is their digest too, and
 * they are not hashed again. A compressed blob is hashed whatever hex is. */
void diffid_trust(struct diffid *d, const char *hex);
/* From now on a reader thread decompresses and hashes ahead of the
 * caller, into a ring of 4 buffers of 1 MiB (bounded memory), so that a
 * caller writing files overlaps with the inflate on another core. Not for
 * a plain tar taken on trust (diffid_trust: nothing to overlap); without
 * a thread (pthread_create fails) everything stays in the caller's. */
void diffid_pipeline(struct diffid *d);
/* The next decompressed bytes, hashed: their count with *buf pointing at
 * them (valid until the next call), 0 at the end, -1 with e set. */
ssize_t diffid_next(struct diffid *d, const void **buf, struct error *e);
/* Reads what is left (a tar reader stops at its end marker), frees d and
 * writes the diff_id's hex to hex[65]. A stream that does not decompress
 * is an error. */
int diffid_finish(struct diffid *d, char hex[65], struct error *e);
/* Frees d without reading on (after a failure); NULL is ignored. */
void diffid_close(struct diffid *d);
/* The diff_id of the blob at path: diffid_open, then diffid_finish. */
int diffid_of(const char *path, char hex[65], struct error *e);

#endif
