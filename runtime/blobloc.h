/* blobloc: where blobs are known to be in registries. Pulls and pushes
 * record "HOST/REPO" per blob digest in the store; a push then asks the
 * registry to mount a blob from another repository of the same registry
 * instead of uploading it (containers/image keeps the same kind of
 * record). A cache: losing or ignoring it costs an upload, never a
 * wrong image, since the registry checks that the mounted blob exists. */
#ifndef DF_BLOBLOC_H
#define DF_BLOBLOC_H

/* Records that repo on host holds digest (best effort, errors ignored). */
void blobloc_add(const char *store, const char *digest, const char *host, const char *repo);
/* A repository of host other than repo known to hold digest, or NULL
 * (malloc'd). */
char *blobloc_find(const char *store, const char *digest, const char *host, const char *repo);

#endif
