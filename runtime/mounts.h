/* mounts: RUN --mount (bind, cache, tmpfs, secret, ssh) turned into
 * sandbox ops (mounts_plan.c), the parent's cache locks and directories
 * around the step (mounts_cache.c), and the fd-based mount primitives that
 * execute every op inside the child (mounts.c). Targets are always
 * resolved inside the rootfs (openat2 RESOLVE_IN_ROOT), so a symlink in
 * the image cannot redirect a mount onto the host. */
#ifndef DF_MOUNTS_H
#define DF_MOUNTS_H
#include <jansson.h>
#include <stddef.h>

struct sandbox;
struct sandbox_op;
struct strlist;
struct error;

/* What the parent holds for the step's duration: cache-mount locks and
 * ssh relay processes. */
struct mounts_locks {
	int *fds;
	size_t n;
	int *relays; /* pids */
	size_t nrelays;
};

/* Adds the ops of the spec's "mounts" list (targets joined with workdir). */
int mounts_plan(struct sandbox *sb, json_t *mounts, const char *workdir, struct error *e);
/* Parent side, before the run: takes the cache locks (shared / locked /
 * private instances), prepares new cache directories, starts ssh relays. */
int mounts_prepare(struct sandbox *sb, struct mounts_locks *locks, struct error *e);
/* Stops the relays, removes unused new cache directories, releases the locks. */
void mounts_unlock(struct sandbox *sb, struct mounts_locks *locks);
/* Child side: executes op index i against the rootfs mounted at root
 * (rootfd), appending mount points it had to create to stubs. */
int mounts_apply(const struct sandbox *sb, size_t i, int rootfd, const char *root,
		 struct strlist *stubs, struct error *e);
/* Child side, after the last op: closes the private tmpfs fds the ops
 * used (files, masks, device nodes), so the command cannot reach them. */
void mounts_apply_end(void);
/* Opens dest (O_PATH) inside the rootfs, creating missing components (the
 * last as an empty file when as_file) and recording the created ones. */
/* A new filesystem instance of type as a detached mount fd; opts is a comma
 * list of key=value and flag options ("mode=0755,size=0") or NULL. */
int mounts_fs_new(const char *type, const char *opts, unsigned attrs, struct error *e);
/* The cgroup filesystem at /sys/fs/cgroup of the root rootfd, as runc
 * mounts it for BuildKit (mounts_cgroup.c); read-only unless insecure. */
int mounts_cgroup(int rootfd, int insecure, struct error *e);
int mounts_open_target(int rootfd, const char *root, const char *dest, int as_file,
		       struct strlist *stubs, struct error *e);
/* mkdir -p of dest inside the rootfs, new directories owned by uid:gid. */
int mounts_mkdir_in_root(int rootfd, const char *dest, unsigned uid, unsigned gid, struct error *e);

#endif
