/* idmap: the rootless runtime's user namespace with the user's full
 * subordinate id range (/etc/subuid, /etc/subgid), mapped by the setuid
 * helpers newuidmap/newgidmap (Debian package uidmap), as podman and
 * rootless BuildKit do:
 *   inside 0       = the caller's own uid/gid on disk
 *   inside 1..N    = subid start .. start+N-1 on disk
 * Everything the runtime does then runs as root of that namespace, so
 * files of any owner are created, read and removed with their real
 * (namespace) ids, and layers record them as a root build does. Without
 * subordinate ids each op keeps its own namespace mapping only the caller
 * to 0 (snapshot_private_ns, the sandbox's clone). */
#ifndef DF_IDMAP_H
#define DF_IDMAP_H
#include <sys/types.h>

struct error;

/* One range of subordinate ids. */
struct idmap_range {
	unsigned long start, count;
};

/* The first range in file (/etc/subuid format "NAME-or-ID:START:COUNT")
 * for the user called name or numbered id: 1 found, 0 none. */
int idmap_lookup(const char *file, const char *name, unsigned long id, struct idmap_range *out);
/* The name of uid in passwd_file (/etc/passwd format); malloc'd or NULL. */
char *idmap_user_name(const char *passwd_file, uid_t uid);
/* Not root and with subordinate uids and gids: moves the calling process
 * (single-threaded) into a new user namespace with the full map and
 * returns 1; 0 when there is nothing to do (root, or no ranges: the
 * single-id fallback); -1 with e set when the helpers fail. */
int idmap_enter(struct error *e);
/* 1 when id is mapped in map_file (/proc/self/uid_map or gid_map). */
int idmap_is_mapped(const char *map_file, unsigned long id);

#endif
