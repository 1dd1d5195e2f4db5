/* trash: see trash.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "rt.h"
#include "trash.h"
#include "util.h"

/* STATE/.trash: a dot name, so gc and fsck, which look at steps, pass it by. */
static char *trash_dir(const struct rt *rt)
{
	return path_join(rt->state, ".trash");
}

/* "DIR/BASE.tmp-XXXXXX" with six hex digits: tmp_sweep's temp names. */
static char *trash_name(const char *dir, const char *path)
{
	static unsigned n;
	const char *slash = strrchr(path, '/');
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	unsigned x = (unsigned)getpid() * 7919u + (unsigned)ts.tv_nsec + n++ * 104729u;
	return xasprintf("%s/%s.tmp-%06x", dir, slash ? slash + 1 : path, x & 0xffffffu);
}

/* Renames path to a new name in dir, never over an existing entry. */
static char *trash_rename(const char *dir, const char *path, struct error *e)
{
	for (int tries = 0; tries < 100; tries++) {
		char *to = trash_name(dir, path);
		int r = renameat2(AT_FDCWD, path, AT_FDCWD, to, RENAME_NOREPLACE);
		/* a file system without RENAME_NOREPLACE: a plain rename, which
		 * fails on a non-empty entry of that name and may replace only an
		 * empty one (harmless: nothing is left to delete in it) */
		if (r < 0 && (errno == EINVAL || errno == ENOSYS))
			r = rename(path, to);
		if (r == 0)
			return to;
		free(to);
		if (errno != EEXIST) {
			error_set(e, errno, "move %s to %s", path, dir);
			return NULL;
		}
	}
	error_set(e, EEXIST, "move %s to %s", path, dir);
	return NULL;
}

/* The child: stdio (for its warning) and the entry's lock (as fd 3) stay
 * open; the step's locks, make's jobserver and other inherited fds close. */
static _Noreturn void trash_child(const char *dir, const char *path, int lock_fd)
{
	struct error e = {0};
	int r;

	if (lock_fd != 3 && dup2(lock_fd, 3) < 0)
		_exit(2);
	close_range(4, ~0U, 0);
	r = remove_tree(path, &e);
	if (r < 0)
		fprintf(stderr, "df2make-runtime: warning: %s\n", e.msg);
	tmp_sweep(dir, "");
	_exit(r < 0 ? 1 : 0);
}

/* Locks path's own inode first, so that from the rename on no sweeper can
 * take the entry while this process or its child still works on it. */
static int trash_lock(const char *path, struct error *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ENOENT ? -2 : error_set(e, errno, "open %s", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int err = errno;
		close(fd);
		return error_set(e, err, "lock %s", path);
	}
	return fd;
}

int trash_move(const struct rt *rt, const char *path, struct trash *t, struct error *e)
{
	cleanup_free char *dir = trash_dir(rt);
	cleanup_close int fd = trash_lock(path, e);

	*t = (struct trash){.fd = -1};
	if (fd == -2)
		return 0;
	if (fd < 0)
		return -1;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return error_set(e, errno, "mkdir %s", dir);
	if (!(t->path = trash_rename(dir, path, e)))
		return -1;
	t->fd = steal_fd(&fd);
	fflush(NULL); /* nothing buffered is written twice */
	t->pid = fork();
	if (t->pid == 0)
		trash_child(dir, t->path, t->fd);
	if (t->pid < 0) /* no child: the next sweep removes it */
		t->pid = 0;
	return 0;
}

int trash_wait(struct trash *t)
{
	int st = 0, r = 0;

	if (t->pid > 0) {
		while (waitpid(t->pid, &st, 0) < 0 && errno == EINTR)
			;
		r = WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
	}
	if (t->fd >= 0)
		close(t->fd);
	free(t->path);
	*t = (struct trash){.fd = -1};
	return r;
}

void trash_sweep(const struct rt *rt)
{
	cleanup_free char *dir = trash_dir(rt);

	tmp_sweep(dir, "");
}
