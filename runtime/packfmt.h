/* packfmt: what a pack spec asks of the image's documents beyond their
 * content: podman's --format docker (docker's media types for the same
 * bytes) and buildx's --annotation (by type: manifest, manifest-
 * descriptor, index, index-descriptor). */
#ifndef DF_PACKFMT_H
#define DF_PACKFMT_H
#include <jansson.h>

/* The media type to write for mt: docker's counterpart under
 * "format":"docker", else mt. */
const char *packfmt_mt(json_t *spec, const char *mt);
/* Adds the spec's annotations of type to doc's "annotations" (created
 * when missing), keys sorted as Go writes a map. */
void packfmt_annotate(json_t *doc, json_t *spec, const char *type);
/* Reorders obj's members by key (Go's order for a map). */
void packfmt_sort(json_t *obj);

#endif
