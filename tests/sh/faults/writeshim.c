/* writeshim.so (LD_PRELOAD, tests/sh/faults/shortwrite.sh): write(2) and
 * pwrite(2) to a regular file fail with EIO when its path contains
 * $SHIM_EIO, and with $SHIM_SHORT set write only half of what they are
 * asked (a short write, which a caller must continue). Built by the test;
 * not part of df2make. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
static ssize_t (*real_write)(int, const void *, size_t);
static ssize_t (*real_pwrite)(int, const void *, size_t, off_t);
static size_t cut(int fd, size_t n)
{
	struct stat st;
	char p[64], path[4096];
	const char *eio = getenv("SHIM_EIO");
	ssize_t k;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
		return n;
	if (eio) {
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		k = readlink(p, path, sizeof(path) - 1);
		path[k > 0 ? k : 0] = 0;
		if (strstr(path, eio))
			return (size_t)-1;
	}
	return getenv("SHIM_SHORT") && n > 1 ? n / 2 : n;
}
ssize_t write(int fd, const void *b, size_t n)
{
	if (!real_write)
		real_write = dlsym(RTLD_NEXT, "write");
	size_t m = cut(fd, n);
	if (m == (size_t)-1) {
		errno = EIO;
		return -1;
	}
	return real_write(fd, b, m);
}
ssize_t pwrite(int fd, const void *b, size_t n, off_t o)
{
	if (!real_pwrite)
		real_pwrite = dlsym(RTLD_NEXT, "pwrite");
	size_t m = cut(fd, n);
	if (m == (size_t)-1) {
		errno = EIO;
		return -1;
	}
	return real_pwrite(fd, b, m, o);
}
ssize_t pwrite64(int fd, const void *b, size_t n, off_t o)
{
	return pwrite(fd, b, n, o);
}
