/* oci: small shared pieces of the image format code: the host platform,
 * descriptors, time stamps, canonical JSON bytes. */
#ifndef DF_OCI_H
#define DF_OCI_H
#include <jansson.h>
#include <time.h>

struct error;

/* GOARCH name of the machine we run on ("amd64", "arm64", ...). */
const char *oci_host_arch(void);
/* GOARCH variant of the machine ("v8" on arm64, else NULL). */
const char *oci_host_variant(void);
/* RFC 3339 UTC time "1970-01-01T00:00:00Z" into buf[32]. */
void oci_time(time_t t, char buf[32]);
/* {"mediaType","digest","size"}: a new descriptor object. */
json_t *oci_descriptor(const char *media_type, const char *digest, long long size);
/* Compact JSON text with members in insertion order; malloc'd. These bytes
 * are what gets hashed, so the same object always gives the same digest. */
char *oci_dumps(json_t *j);
/* Wraps e with "LOC: what" (LOC = the spec's "loc" when not empty), the
 * place in the Dockerfile the failed step comes from. Returns -1. */
int oci_wrap_loc(struct error *e, json_t *spec, const char *what);
/* The default epoch: $SOURCE_DATE_EPOCH when set and valid, else 0. */
long long oci_default_epoch(void);

#endif
