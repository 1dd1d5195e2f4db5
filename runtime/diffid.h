/* diffid: the digest of a layer's decompressed bytes (its diff_id),
 * computed while the compressed bytes are still arriving. A pull feeds
 * each downloaded piece here and a thread of its own decompresses and
 * hashes it, so download and decompression overlap and the layer is
 * read once (no second pass over the stored blob to check the config). */
#ifndef DF_DIFFID_H
#define DF_DIFFID_H
#include <stddef.h>

struct error;
struct diffid;

/* Starts the decompressing thread; NULL with e set on failure. */
struct diffid *diffid_start(struct error *e);
/* Hands n more bytes of the (compressed) layer to the thread. */
int diffid_feed(struct diffid *d, const void *p, size_t n, struct error *e);
/* End of the layer: waits for the thread; hex[65] = the diff_id's hex. A
 * stream that does not decompress is an error. Frees d. */
int diffid_finish(struct diffid *d, char hex[65], struct error *e);
/* Stops the thread and frees d (a failed download). */
void diffid_abort(struct diffid *d);

#endif
