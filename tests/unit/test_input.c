/* Unit tests of lib/input.c: only regular files of bounded size are read;
 * a FIFO nobody writes, a device, a directory or a big file is refused at
 * once with a message saying what it is. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "input.h"
#include "tap.h"
#include "util.h"

/* input_read's message for path (or "ok:CONTENT"). */
static char *try(const char *path, size_t max)
{
	struct error e = {0};
	char *data = NULL, *r;
	size_t len = 0;

	if (input_read(path, max, &data, &len, &e) < 0)
		return xstrdup(e.msg);
	r = xasprintf("ok:%zu:%s", len, data);
	free(data);
	return r;
}

#define EXPECT(path, max, want, ...)                                                               \
	do {                                                                                       \
		char *got_ = try(path, max), *want_ = want;                                        \
		TAP_STREQ(got_, want_, __VA_ARGS__);                                               \
		free(got_);                                                                        \
		free(want_);                                                                       \
	} while (0)

int main(void)
{
	const char *tmp = getenv("TEST_TMPDIR");
	char *dir = xasprintf("%s/input.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	char *fifo, *file, *big, *empty;
	FILE *f;

	if (!mkdtemp(dir))
		fatal("mkdtemp: %s", strerror(errno));
	fifo = xasprintf("%s/fifo", dir);
	file = xasprintf("%s/file", dir);
	big = xasprintf("%s/big", dir);
	empty = xasprintf("%s/empty", dir);
	if (mkfifo(fifo, 0600) != 0 || !(f = fopen(file, "w")) || fputs("FROM x\n", f) < 0 ||
	    fclose(f) != 0 || truncate(file, 7) != 0 || close(creat(big, 0600)) != 0 ||
	    truncate(big, 100) != 0 || close(creat(empty, 0600)) != 0)
		fatal("fixtures: %s", strerror(errno));
	EXPECT(file, 100, xstrdup("ok:7:FROM x\n"), "a regular file is read");
	EXPECT(empty, 100, xstrdup("ok:0:"), "an empty file is read (\"\")");
	EXPECT(fifo, 100, xasprintf("%s is a FIFO, not a regular file", fifo),
	       "a FIFO nobody writes: refused at once");
	EXPECT("/dev/zero", 100, xstrdup("/dev/zero is a character device, not a regular file"),
	       "/dev/zero: refused, not read");
	EXPECT(dir, 100, xasprintf("%s is a directory, not a regular file", dir),
	       "a directory: refused");
	EXPECT(big, 99, xasprintf("%s is larger than 0 MiB", big), "a file over the cap: refused");
	EXPECT(big, 100, xasprintf("ok:100:"), "a file at the cap: read");
	char *missing = xasprintf("%s/none", dir);
	EXPECT(missing, 100, xasprintf("%s: No such file or directory", missing),
	       "a missing file: the errno's message");
	unlink(fifo), unlink(file), unlink(big), unlink(empty), rmdir(dir);
	free(missing), free(fifo), free(file), free(big), free(empty), free(dir);
	return tap_done();
}
