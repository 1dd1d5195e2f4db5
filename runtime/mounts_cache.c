/* mounts_cache: what the parent does around a step for its mounts: takes
 * the cache-mount locks (shared, locked, private instances), prepares new
 * cache directories, starts the ssh relays, and undoes it all afterwards
 * (see mounts.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "mounts.h"
#include "rt.h"
#include "sandbox.h"
#include "sshproxy.h"
#include "util.h"

/* ---- parent side: cache directories and locks ---- */

static int lock_fd(const char *path, int how, struct error *e)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0)
		return error_set(e, errno, "open %s", path);
	while (flock(fd, how) < 0) {
		if (errno == EINTR)
			continue;
		int saved = errno;
		close(fd);
		errno = saved;
		return saved == EWOULDBLOCK ? -2 : error_set(e, saved, "lock %s", path);
	}
	return fd;
}

/* private: the first instance dir (DIR, DIR-1, ...) nobody holds. */
static int lock_private(struct sandbox_op *op, struct error *e)
{
	for (int n = 0;; n++) {
		char *dir = n ? xasprintf("%s-%d", op->src, n) : xstrdup(op->src);
		char *lk = xasprintf("%s.lock", dir);
		int fd = lock_fd(lk, LOCK_EX | LOCK_NB, e);
		free(lk);
		if (fd != -2) {
			free(op->src);
			op->src = dir;
			return fd;
		}
		free(dir);
	}
}

/* A cache dir that does not exist yet is filled (seed, owner, mode) in a
 * fresh directory that the child renames into place when complete: a
 * crash or a concurrent first use never leaves a half-made cache under
 * the real name. */
static int claim_new_cache(struct sandbox_op *op, struct error *e)
{
	if (access(op->src, F_OK) == 0)
		return 0;
	if (errno != ENOENT)
		return error_set(e, errno, "cache mount %s: %s", op->data, op->src);
	op->fresh = xasprintf("%s.new-%d", op->src, (int)getpid());
	if (remove_tree(op->fresh, e) < 0) /* a stale one from a reused pid */
		return -1;
	if (mkdir(op->fresh, 0700) < 0)
		return error_set(e, errno, "cache mount %s: mkdir %s", op->data, op->fresh);
	op->flags |= SB_INITOWNER;
	return 0;
}

/* STORE/cache: the store owner's alone. Made 0700; one that exists must
 * be a directory of ours (not a link), and is tightened to 0700: in a
 * store several users can write (a shared --store), one user's caches
 * are never another's, nor readable by them. */
static int cache_root(const char *dir, struct error *e)
{
	cleanup_close int fd = -1;
	struct stat st;

	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(e, errno, "mkdir %s", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return error_set(e, errno, "open %s (must be a directory, not a link)", dir);
	if (st.st_uid != geteuid())
		return error_set(e, EPERM,
				 "%s belongs to uid %u: cache mounts are never shared across "
				 "users (use a store of your own)",
				 dir, (unsigned)st.st_uid);
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) < 0)
		return error_set(e, errno, "chmod 0700 %s", dir);
	return 0;
}

static int prepare_cache(struct sandbox_op *op, struct mounts_locks *l, struct error *e)
{
	cleanup_free char *lk = xasprintf("%s.lock", op->src);
	cleanup_free char *parent = xstrdup(op->src), *store = NULL;
	int fd = -1;

	*strrchr(parent, '/') = '\0'; /* STORE/cache */
	store = xstrdup(parent);
	*strrchr(store, '/') = '\0';
	if (mkdir_p(store, 0700, e) == 0 && cache_root(parent, e) == 0)
		fd = op->sharing == 'p' ? lock_private(op, e)
					: lock_fd(lk, op->sharing == 'l' ? LOCK_EX : LOCK_SH, e);
	if (fd < 0)
		return error_wrap(e, "cache mount %s", op->data);
	l->fds = xreallocarray(l->fds, l->n + 1, sizeof(int));
	l->fds[l->n++] = fd;
	return claim_new_cache(op, e);
}

/* ssh: STATE/KEY/ssh-N/S, in a 0700 directory so that no other host user
 * reaches the agent through it; the sandbox gets it by a bind mount. */
static int prepare_ssh(struct sandbox *sb, size_t i, struct mounts_locks *l, struct error *e)
{
	struct sandbox_op *op = &sb->ops[i];
	char *dir = rt_path(sb->rt, sb->key, NULL), *sdir = xasprintf("%s/ssh-%zu", dir, i);
	char *path = xasprintf("%s/S", sdir);
	pid_t pid = -1;
	int r =
	    mkdir(sdir, 0700) < 0 && errno != EEXIST ? error_set(e, errno, "mkdir %s", sdir) : 0;

	if (r == 0)
		r = sshproxy_start(op->src, path, op->mode, op->uid, op->gid, &pid, e);
	if (r == 0) {
		l->relays = xreallocarray(l->relays, l->nrelays + 1, sizeof(int));
		l->relays[l->nrelays++] = pid;
		free(op->src);
		op->src = path;
		path = NULL;
	}
	free(dir);
	free(sdir);
	free(path);
	return r < 0 ? error_wrap(e, "ssh %s", op->data) : 0;
}

int mounts_prepare(struct sandbox *sb, struct mounts_locks *locks, struct error *e)
{
	for (size_t i = 0; i < sb->nops; i++) {
		if (sb->ops[i].sharing && prepare_cache(&sb->ops[i], locks, e) < 0)
			return -1;
		if (sb->ops[i].flags & SB_PROXY && prepare_ssh(sb, i, locks, e) < 0)
			return -1;
	}
	return 0;
}

void mounts_unlock(struct sandbox *sb, struct mounts_locks *l)
{
	struct error ignored;

	for (size_t i = 0; i < l->nrelays; i++)
		sshproxy_stop(l->relays[i]);
	/* Still there: the child failed before renaming it into place. */
	for (size_t i = 0; i < sb->nops; i++)
		if (sb->ops[i].fresh)
			remove_tree(sb->ops[i].fresh, &ignored);
	for (size_t i = 0; i < l->n; i++)
		close(l->fds[i]);
	free(l->fds);
	free(l->relays);
	memset(l, 0, sizeof(*l));
}
