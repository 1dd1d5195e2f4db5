/* ref: image reference parsing and docker's normalisation
 * ("busybox" -> "docker.io/library/busybox:latest",
 *  "me/app:1" -> "docker.io/me/app:1", "localhost:5000/x" kept,
 *  "x@sha256:<64 hex>" keeps the digest and no tag). */
#ifndef DF_REF_H
#define DF_REF_H

struct error;

/* Returns the normalised reference (malloc'd) or NULL with e set for an
 * invalid reference (upper case in the repository, bad tag or digest). */
char *ref_normalize(const char *ref, struct error *e);
/* The short form docker prints ("busybox:latest", "me/app:1"); malloc'd. */
char *ref_familiar(const char *normalized);

#endif
