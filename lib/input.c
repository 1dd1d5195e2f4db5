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

const char *input_kind(mode_t m)
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
 * fstat). Straight into b, sized from fstat's size plus one byte to see
 * the end: no bounce buffer, no doubling, so a file costs its own size
 * (the compiler's peak memory is a multiple of the Dockerfile's). */
static int input_slurp(int fd, const char *path, size_t max, size_t size, struct buf *b,
		       struct error *e)
{
	ssize_t n;
	size_t room;

	buf_grow(b, (size < max ? size : max) + 1);
	b->s[b->len] = '\0'; /* an empty file */
	for (;;) {
		if (b->cap - b->len < 2)
			buf_grow(b, b->cap); /* it grew: double */
		room = b->cap - b->len - 1;
		if (room > max + 1 - b->len) /* never more than max + 1 in memory */
			room = max + 1 - b->len;
		n = read(fd, b->s + b->len, room);
		if (n == 0)
			break;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(e, errno, "read %s", path);
		if (b->len + (size_t)n > max)
			return error_set(e, 0, "%s is larger than %zu MiB", path, max >> 20);
		b->len += (size_t)n;
		b->s[b->len] = '\0';
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
		r = input_slurp(fd, path, max, (size_t)st.st_size, &b, e);
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
