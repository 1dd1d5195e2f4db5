/* mountflag: RUN --mount values, parsed and validated as BuildKit does
 * (frontend/dockerfile/instructions/commands_runmount.go). */
#ifndef DF_MOUNTFLAG_H
#define DF_MOUNTFLAG_H
#include <stddef.h>

#include "diag.h"
#include "util.h"

enum mount_type { MOUNT_BIND, MOUNT_CACHE, MOUNT_TMPFS, MOUNT_SECRET, MOUNT_SSH };
enum mount_sharing { SHARING_SHARED, SHARING_PRIVATE, SHARING_LOCKED };

/* One RUN --mount, values as written (expanded later). Unset strings are
 * NULL; unset numbers are -1. Defaults that do not depend on the stage are
 * filled in: secret id (source, else basename of target) and target
 * (/run/secrets/<id> unless only env= is given), secret mode 0400, ssh id
 * "default" and mode 0600, cache mode 0755, uid/gid 0 for those three.
 * Left to the back end: cache id (the target joined with WORKDIR and
 * cleaned), ssh target (/run/buildkit/ssh_agent.N), relative targets
 * (joined with WORKDIR; the result "/" is "invalid mount target").
 * When a value holds a '$', that value is not validated and `deferred`
 * is set: expand and validate with mount_parse(spec, expander, ...). */
struct mount {
	/* the small fields first: 120 bytes a mount, not 144 */
	unsigned char type;    /* enum mount_type */
	unsigned char sharing; /* enum mount_sharing */
	signed char readonly;  /* bind: default 1; rw/readwrite sets 0. cache: ro sets 1 */
	signed char required;
	signed char deferred; /* some value needs expansion first */
	char *target, *source, *from, *id, *env;
	char *size;	      /* tmpfs size as written */
	char *spec;	      /* the --mount value as written */
	long mode, uid, gid;  /* -1 = default */
	long long size_bytes; /* tmpfs size in bytes, -1 = unlimited */
	struct loc loc;
};

/* Expands one --mount option value (BuildKit's SingleWordExpander):
 * malloc'd result, or NULL with msg filled. */
typedef char *(*mount_expander)(void *ctx, const char *value, char *msg, size_t msglen);
/* Parses a RUN --mount value as BuildKit does: CSV fields, keys
 * case-insensitive, each value expanded by expand; with expand NULL values
 * are literal except those holding '$' (left unvalidated, m->deferred).
 * 0 on success; -1 with msg filled (m is then cleared). */
int mount_parse(const char *spec, mount_expander expand, void *ctx, struct mount *m, char *msg,
		size_t msglen);
/* Frees the strings of a mount. */
void mount_clear(struct mount *m);
/* Moves the strings of a parsed mount into a (which then owns them:
 * no mount_clear), so that a file's mounts cost no malloc chunk each. */
void mount_keep(struct mount *m, struct arena *a);

#endif
