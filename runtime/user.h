/* user: USER / --chown resolution inside a root filesystem, never
 * following a path out of it (names looked up in ROOT/etc/passwd and
 * ROOT/etc/group as a chroot would). */
#ifndef DF_USER_H
#define DF_USER_H
#include <sys/types.h>

struct error;

struct user_ids {
	uid_t uid;
	gid_t gid;
	gid_t *groups; /* supplementary groups (USER only) */
	size_t ngroups;
	char *home; /* from passwd, "/" if unknown */
};

/* Resolves "user[:group]" (names or numbers) against the rootfs at root,
 * with COPY --chown rules (BuildKit's readUser): a user name missing from
 * passwd gives 0:0 and a missing group name keeps that gid (no error); a
 * numeric user "1234" alone gives gid 1234; a name takes its passwd gid; no
 * supplementary groups. */
int user_resolve(const char *root, const char *spec, struct user_ids *out, struct error *e);
/* Resolves USER for RUN with runc's rules: a name (or a uid found in
 * passwd) gets its passwd gid, HOME and, without an explicit group, the
 * groups listing it as a member; an unknown numeric uid gets gid 0. */
int user_resolve_exec(const char *root, const char *spec, struct user_ids *out, struct error *e);
/* Frees the fields of ids. */
void user_ids_free(struct user_ids *ids);

#endif
