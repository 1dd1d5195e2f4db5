/* safeopen: openat2(2) with RESOLVE_IN_ROOT or RESOLVE_BENEATH.
 *
 * The security argument, made once. Everything a Dockerfile or a base
 * image controls — the context's files, a rootfs's symlinks, an unpacked
 * layer — can contain symlinks and ".." that point anywhere on the host
 * ("/etc/shadow", "../../../root/.ssh"), and can be changed by a running
 * RUN step while we resolve paths in it. Resolving such a path in user
 * space (realpath, then open) is a time-of-check/time-of-use race, and
 * chroot needs privileges and a process. openat2 makes the kernel do the
 * whole walk with the root pinned: RESOLVE_BENEATH fails the open when any
 * step ("..", an absolute symlink, a relative one climbing out) would leave
 * rootfd; RESOLVE_IN_ROOT treats rootfd as "/" for that walk, which is how
 * a container sees its own absolute symlinks. RESOLVE_NO_MAGICLINKS always:
 * /proc/PID/fd/N and /proc/PID/root are not paths but references to
 * objects elsewhere, and would jump out of any root. RESOLVE_NO_SYMLINKS on
 * request, where a symlink anywhere in the path means something is wrong
 * (we made the tree ourselves). The walk is one syscall on one fd, so there
 * is no window between check and use.
 *
 * EAGAIN: with IN_ROOT or BENEATH the kernel checks, when it walks "..",
 * that no rename or mount happened anywhere during the walk (a rename could
 * move a directory out from under the root and let ".." escape); if one
 * did, it returns EAGAIN instead of guessing and asks the caller to retry.
 * We retry a bounded number of times, then report EAGAIN: a tree renamed
 * continuously by someone else fails loudly instead of looping forever.
 *
 * Kernels before 5.6 have no openat2 (ENOSYS): refused, not emulated. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "safeopen.h"

#define SAFE_OPEN_TRIES 128

static unsigned long retries;

int safe_open(int rootfd, const char *path, int flags, int how)
{
	struct open_how oh = {
	    .flags = (unsigned long long)(flags | O_CLOEXEC),
	    .resolve = RESOLVE_NO_MAGICLINKS,
	};
	int fd = -1;

	oh.resolve |= (how & SAFE_IN_ROOT) ? RESOLVE_IN_ROOT : RESOLVE_BENEATH;
	if (how & SAFE_NO_SYMLINKS)
		oh.resolve |= RESOLVE_NO_SYMLINKS;
	/* IN_ROOT: "/x" is "x" below the root; BENEATH keeps refusing it */
	while ((how & SAFE_IN_ROOT) && *path == '/')
		path++;
	if (*path == '\0')
		path = ".";
	for (int i = 0; i < SAFE_OPEN_TRIES; i++) {
		fd = (int)syscall(SYS_openat2, rootfd, path, &oh, sizeof(oh));
		if (fd >= 0 || errno != EAGAIN)
			break;
		retries++;
	}
	return fd;
}

int safe_lstat(const char *root, const char *path, struct stat *st)
{
	int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), fd, r = -1;

	if (rootfd < 0)
		return -1;
	while (*path == '/')
		path++;
	fd = safe_open(rootfd, path, O_PATH | O_NOFOLLOW, SAFE_BENEATH | SAFE_NO_SYMLINKS);
	if (fd >= 0) {
		r = fstat(fd, st);
		close(fd);
	}
	close(rootfd);
	return r;
}

unsigned long safe_open_retries(void)
{
	return retries;
}
