/* gc: what the store's images and a build's state reference (the roots
 * fsck checks against too), and `df2make-runtime gc`, which removes the
 * rest. */
#ifndef DF_GC_H
#define DF_GC_H
#include <jansson.h>

struct error;

/* What is referenced: blobs {"<hex>": true}, unpacked layers
 * {"<diff_id hex>": "<blob hex>" or true when the blob is not known}. */
struct gc_roots {
	json_t *blobs;
	json_t *layers;
	size_t nrefs;  /* ref files read */
	size_t nsteps; /* chain.json files read */
};

/* Collects the roots of every ref file in the store and, when state is
 * not NULL, of every step's chain.json there. A ref or chain that cannot
 * be read fails (e names it): removing blobs it might name is not safe. */
int gc_roots(const char *store, const char *state, struct gc_roots *r, struct error *e);
/* Frees the sets. */
void gc_roots_free(struct gc_roots *r);

#endif
