/* mountsrc: what RUN --mount sources need beyond a plain bind, done in the
 * sandbox child: a cache's first content copied from its `from`, and the
 * whiteouts that hide a context's ignored files from a bind mount. */
#ifndef DF_MOUNTSRC_H
#define DF_MOUNTSRC_H
#include <stddef.h>

struct ignore;
struct error;

/* Copies everything below the directory src into the directory dst:
 * bytes, modes, owners, times, symlinks and special files (hard links
 * become copies). lax: owners that cannot be set (ids unmapped in a user
 * namespace) are left as they are. */
int mountsrc_copy_tree(int src, int dst, int lax, struct error *e);
/* Fills the directory wh (the top lower of a read-only overlay over the
 * context directory dir, whose context-relative path is rel, "" for the
 * root) with a whiteout for every path ig excludes, and directories that
 * mirror dir's where whiteouts lie below. *n counts the whiteouts. */
int mountsrc_whiteouts(int dir, const char *rel, int wh, const struct ignore *ig, int lax,
		       size_t *n, struct error *e);

#endif
