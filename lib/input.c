/* input: bounded reads of regular files only (see input.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "error.h"
#include "input.h"
#include "util.h"

/* What a non-regular file is, for the message. */
static const char *input_kind(mode_t m)
{
	return S_ISFIFO(m)   ? "a FIFO"
	       : S_ISCHR(m)  ? "a character device"
	       : S_ISBLK(m)  ? "a block device"
	       : S_ISDIR(m)  ? "a directory"
	       : S_ISSOCK(m) ? "a socket"
			     : "not a regular file";
}

static int input_check(const char *path, const struct stat *st, size_t max, struct error *e)
{
	if (!S_ISREG(st->st_mode))
		return error_set(e, 0, "%s is %s, not a regular file", path,
				 input_kind(st->st_mode));
	if ((unsigned long long)st->st_size > max)
		return error_set(e, 0, "%s is larger than %zu MiB", path, max >> 20);
	return 0;
}

/* Reads fd to the end, failing past max bytes (the file may grow after
 * fstat). */
static int input_slurp(int fd, const char *path, size_t max, struct buf *b, struct error *e)
{
	char chunk[65536];
	ssize_t n;

	while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(e, errno, "read %s", path);
		if (b->len + (size_t)n > max)
			return error_set(e, 0, "%s is larger than %zu MiB", path, max >> 20);
		buf_addn(b, chunk, (size_t)n);
	}
	return 0;
}

int input_read(const char *path, size_t max, char **data, size_t *len, struct error *e)
{
	struct buf b = {0};
	struct stat st;
	int fd, r;

	/* stat before open: opening a device can have effects of its own */
	if (stat(path, &st) < 0)
		return error_set(e, errno, "%s", path);
	if (input_check(path, &st, max, e) < 0)
		return -1;
	/* O_NONBLOCK: if a FIFO took the file's place since, open does not
	 * wait for a writer, and fstat refuses it */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return error_set(e, errno, "%s", path);
	r = fstat(fd, &st) < 0 ? error_set(e, errno, "stat %s", path)
			       : input_check(path, &st, max, e);
	if (r == 0)
		r = input_slurp(fd, path, max, &b, e);
	close(fd);
	if (r < 0) {
		buf_free(&b);
		return -1;
	}
	if (len)
		*len = b.len;
	*data = b.s ? buf_steal(&b) : xstrdup("");
	return 0;
}
