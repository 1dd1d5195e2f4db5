/* nameidx: see nameidx.h. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nameidx.h"
#include "util.h"

/* FNV-1a: names are short, and the table needs spread, not strength. */
static size_t nameidx_hash(const char *s, size_t len)
{
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return (size_t)h;
}

size_t nameidx_find(const struct nameidx *x, const char *name, size_t len, nameidx_key_fn *key,
		    const void *ctx)
{
	if (!x->cap)
		return (size_t)-1;
	for (size_t i = nameidx_hash(name, len) & (x->cap - 1);; i = (i + 1) & (x->cap - 1)) {
		size_t klen;
		const char *k;

		if (!x->slot[i])
			return (size_t)-1;
		k = key(ctx, x->slot[i] - 1, &klen);
		if (klen == len && memcmp(k, name, len) == 0)
			return x->slot[i] - 1;
	}
}

/* Puts position pos in the first free slot of its probe sequence. */
static void nameidx_put(struct nameidx *x, size_t pos, nameidx_key_fn *key, const void *ctx)
{
	size_t len;
	const char *k = key(ctx, pos, &len);
	size_t i = nameidx_hash(k, len) & (x->cap - 1);

	while (x->slot[i])
		i = (i + 1) & (x->cap - 1);
	x->slot[i] = (uint32_t)(pos + 1);
}

void nameidx_push(struct nameidx *x, nameidx_key_fn *key, const void *ctx)
{
	if (x->n >= UINT32_MAX - 1) /* positions + 1 are 32 bits */
		out_of_memory();
	/* at most half full, so a miss ends after a short run of slots */
	if (2 * (x->n + 1) > x->cap) {
		free(x->slot);
		x->cap = x->cap ? 2 * x->cap : 16;
		x->slot = xcalloc(x->cap, sizeof(*x->slot));
		for (size_t i = 0; i < x->n; i++)
			nameidx_put(x, i, key, ctx);
	}
	nameidx_put(x, x->n++, key, ctx);
}

void nameidx_free(struct nameidx *x)
{
	free(x->slot);
	memset(x, 0, sizeof(*x));
}
