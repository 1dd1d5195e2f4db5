/* imeta: what buildx reports about the image it built, recorded by pack
 * and written out by the `metadata` op for df2make --iidfile and
 * --metadata-file (docs/cli.md). */
#ifndef DF_IMETA_H
#define DF_IMETA_H
#include <jansson.h>

struct error;
struct rt;

/* buildx's exporter response for an image: cdesc is the config's
 * descriptor (NULL for an index), desc the manifest's or the index's;
 * tags the -t names. New reference. */
json_t *imeta_describe(json_t *cdesc, json_t *desc, json_t *tags);
/* Writes STATE/KEY.image.json (the record the metadata op reads). */
int imeta_record(const struct rt *rt, const char *key, json_t *meta, struct error *e);
/* The metadata op: spec {"iidfile": F} writes the image id (the config
 * digest, else the manifest's or index's) to F; {"metadata": F} the
 * record as buildx's --metadata-file JSON. */
int op_metadata(const struct rt *rt, const char *key, json_t *spec, struct error *e);

#endif
