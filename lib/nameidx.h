/* nameidx: an index from names to positions in an array the caller owns
 * (a scope's variables, an image config's Env), so that looking a name up
 * costs the same with 10 entries as with 50,000: a linear search there
 * made a Dockerfile of 50,000 ENV lines take 38 s. Open addressing over
 * positions; the caller says how to read the name at a position. */
#ifndef DF_NAMEIDX_H
#define DF_NAMEIDX_H
#include <stddef.h>
#include <stdint.h>

/* The name at position i of the caller's array, its length in *len. */
typedef const char *nameidx_key_fn(const void *ctx, size_t i, size_t *len);

struct nameidx {
	uint32_t *slot; /* position + 1, 0 for an empty slot: 32 bits, as the
			 * index of a 50,000-line file's scopes was 1 MB each */
	size_t cap;	/* a power of two, or 0 */
	size_t n;	/* positions indexed: 0 .. n-1 */
};

/* The position of name[0..len), or (size_t)-1. */
size_t nameidx_find(const struct nameidx *x, const char *name, size_t len, nameidx_key_fn *key,
		    const void *ctx);
/* Indexes position x->n (the array's new last entry) under its name. */
void nameidx_push(struct nameidx *x, nameidx_key_fn *key, const void *ctx);
/* Frees the table; the index is then empty. */
void nameidx_free(struct nameidx *x);

#endif
