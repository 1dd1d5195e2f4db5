/* input: reading the files a user or a build context hands the tools (the
 * Dockerfile, .dockerignore, templates). Such a path may name a FIFO nobody
 * writes, a device such as /dev/zero or a huge file: only a regular file of
 * bounded size is read, anything else is a clear error, never a hang. */
#ifndef DF_INPUT_H
#define DF_INPUT_H
#include <stddef.h>
#include <sys/types.h>

struct error;

/* The cap on one input file: far above any real Dockerfile (the 10,000-line
 * benchmark is 300 KB) and bounded memory for a hostile one. */
#define INPUT_MAX ((size_t)64 << 20)

/* Reads path (symlinks followed) into a NUL-terminated malloc'd buffer if it
 * is a regular file of at most max bytes; else -1 with e saying what it is
 * ("PATH is a FIFO, not a regular file"). e->code is the errno of a failed
 * stat/open/read (ENOENT: missing), 0 for a refused kind or size. */
int input_read(const char *path, size_t max, char **data, size_t *len, struct error *e);

/* What a file of mode m is that is not a regular one, for a message:
 * "a FIFO", "a character device", ... */
const char *input_kind(mode_t m);

#endif
