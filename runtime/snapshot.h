/* snapshot: a step's filesystem is its parent's chain of read-only layer
 * directories plus its own overlayfs upper directory.
 *
 * STATE/KEY/chain.json lists the layers bottom-first:
 *   [{"dir": "/abs/store/layers/<hex>", "diff_id": "sha256:..",
 *     "blob": {"digest": "sha256:..", "size": N, "mediaType": ".."}},   (base image layer)
 *    {"dir": "/abs/state/<KEY>/upper", "step": "<KEY>"}, ...]           (a step's layer)
 * A step whose upper is empty adds no entry (no layer). */
#ifndef DF_SNAPSHOT_H
#define DF_SNAPSHOT_H
#include <jansson.h>
#include <sys/types.h>

struct rt;
struct error;

/* Reads STATE/KEY/chain.json (a JSON array, owned by the caller; its
 * entries are shared with the process's later reads of the same file:
 * change the array, never an entry). */
json_t *chain_read(const struct rt *rt, const char *key, struct error *e);
/* Writes STATE/KEY/chain.json = parent's chain + STATE/KEY/upper when that
 * upper is non-empty. parent NULL = empty chain (scratch). */
int chain_commit(const struct rt *rt, const char *key, const char *parent, struct error *e);
/* 1 if the directory is empty (or missing). */
int dir_is_empty(const char *path);

/* A RUN's overlay work dir from the state's pool (STATE/.work/N), held
 * by fd's lock while the step runs; path NULL: none (the step's own). */
struct snapshot_work {
	int fd;
	char *path;
};

/* Mounts at target an overlay of the parent's chain with STATE/KEY/upper
 * (created) as the writable layer. Call inside a private mount namespace.
 * parent NULL = scratch (empty lower). run NULL: work dir STATE/KEY/work
 * (COPY, WORKDIR); else a RUN's rootfs: run->path as the work dir when
 * set, and an image /etc gets the mount points of /etc/hosts and
 * resolv.conf from a shared bottom layer (STATE/.stubs), not its upper. */
int snapshot_mount_rw(const struct rt *rt, const char *parent, const char *key, const char *target,
		      const struct snapshot_work *run, struct error *e);
/* Takes a free slot of the work dir pool (its last work tree removed), or
 * none (w->path NULL). A work dir per step cost two inodes made and freed
 * and a discard; the kernel's own in it stay (overlayfs remakes work/work
 * at every mount). */
void snapshot_work_take(const struct rt *rt, struct snapshot_work *w);
/* Removes the slot's work tree (the volatile marker refuses a second
 * mount) and frees the slot. */
void snapshot_work_release(struct snapshot_work *w);
/* Opens up (0700) the mode-0 directories overlayfs made in the work dir
 * work, so that its owner can remove them without privilege. */
void snapshot_open_work(const char *work);
/* Mounts at target a read-only view of KEY's chain (for COPY --from,
 * RUN --mount from=). */
int snapshot_mount_ro(const struct rt *rt, const char *key, const char *target, struct error *e);
/* Enters a private mount namespace (and, when not root, a user namespace
 * mapping the caller to 0) so mounts never reach the host. */
int snapshot_private_ns(struct error *e);

/* Helpers shared with the sandbox (and unit tests). */
/* Escapes '\\', ':' and ',' for an overlayfs option value; malloc'd. */
char *snapshot_escape(const char *path);
/* The overlay mount data for lowers (top first, NULL-ended), upper/work
 * (NULL = read-only view); malloc'd. */
char *snapshot_overlay_opts(char *const *lowers, const char *upper, const char *work,
			    int userxattr);
/* 1 when the calling process is in a user namespace (not the initial one). */
int snapshot_in_userns(void);
/* mkdir -p, in one syscall when only the last component is missing (the
 * common case on the RUN path; mkdir_p walks from the root). */
int snapshot_mkdir(const char *path, mode_t mode, struct error *e);
/* Maps uid and gid to 0 in pid's new user namespace: uid_map, setgroups
 * deny, gid_map. */
int snapshot_map_ids(pid_t pid, uid_t uid, gid_t gid, struct error *e);

#endif
