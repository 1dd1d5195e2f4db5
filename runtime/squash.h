/* squash: podman build's --squash (the layers above the base image's as
 * one) and --squash-all (every layer as one), for pack. */
#ifndef DF_SQUASH_H
#define DF_SQUASH_H
#include <jansson.h>

struct error;
struct rt;

/* Replaces layers[from..] ({digest,size,mediaType,diff_id,path}, bottom
 * first) by one layer written to STATE/KEY.squash, compressed as compress
 * says. With from > 0 the layer keeps the whiteouts and opaque markers
 * the layers below still need; from 0 gives a plain root filesystem.
 * Markers it adds are dated epoch. */
int squash_layers(const struct rt *rt, const char *key, json_t *layers, size_t from,
		  const char *compress, long long epoch, struct error *e);

#endif
