/* bfemit: build.mk rules and pack spec fields for the docker build flags
 * of bflags.h (--label, --annotation, --format, --squash, --iidfile,
 * --metadata-file, --load). */
#ifndef DF_BFEMIT_H
#define DF_BFEMIT_H
#include <jansson.h>

struct bflags;
struct buf;
struct cli;
struct diags;

/* The image config the pack spec carries: cfg with the --label values
 * over its Labels. New reference. */
json_t *bfemit_config(const struct bflags *b, json_t *cfg);
/* Adds "annotations", "format" and "squash" ({"mode": "new"|"all",
 * "compress"}) to a pack spec when given. */
void bfemit_pack_spec(const struct cli *c, json_t *spec);
/* The rules made after the image (pack's step key and pack key):
 * --iidfile, --metadata-file, --load. 0, or -1 with the error in dg (a
 * flag the output cannot take, a file make cannot name). */
int bfemit_results(const struct cli *c, const char *key, const char *packkey, struct buf *out,
		   struct diags *dg);

#endif
