/* safeopen: the one way the tools open a path inside a tree they do not
 * trust (a build context, an image's root filesystem, an unpacked layer).
 * See safeopen.c for why it is safe. */
#ifndef DF_SAFEOPEN_H
#define DF_SAFEOPEN_H

/* How path is resolved below the root (flags, or'ed). */
enum safe_how {
	SAFE_BENEATH = 0,     /* leaving the root ("..", absolute link) fails: EXDEV */
	SAFE_IN_ROOT = 1,     /* as if root were "/": ".." and absolute links stop at it */
	SAFE_NO_SYMLINKS = 2, /* no symlink anywhere in the path: ELOOP */
};

/* Opens path below rootfd with open(2) flags (O_CLOEXEC added; no
 * O_CREAT). Magic links (/proc/PID/fd/N, .../root) are never followed. ""
 * or "." is the root itself; with SAFE_IN_ROOT leading '/' are dropped.
 * Retries the kernel's EAGAIN (a concurrent rename or mount) a bounded
 * number of times. Returns the fd, or -1 with errno set. */
int safe_open(int rootfd, const char *path, int flags, int how);
struct stat;
/* lstat of root/path where no component of path may be a symlink (the
 * last one is not followed either): for trees we made (uppers, lowers)
 * that a build step may have planted links in. Leading '/' of path are
 * dropped. Returns 0, or -1 with errno (ELOOP: a symlinked parent). */
int safe_lstat(const char *root, const char *path, struct stat *st);
/* How many EAGAIN retries safe_open made in this process (tests). */
unsigned long safe_open_retries(void);

#endif
