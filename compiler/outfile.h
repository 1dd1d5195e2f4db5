/* outfile: build.mk written straight into standard output when that is a
 * regular file, and taken back if the compile does not finish.
 *
 * A big build.mk is megabytes; holding it until the end meant writing it
 * twice (a temporary file, then stdout). When stdout is a regular file
 * that we write at its end (`df2make ... > build.mk`), we write into it
 * as we go and, should the compile fail or be interrupted, truncate it
 * back to where it was: as before, nothing reaches it on error. */
#ifndef DF_OUTFILE_H
#define DF_OUTFILE_H

#include <stddef.h>

/* 1 when fd is a regular file, opened without O_APPEND, positioned at its
 * end, and not also standard error: it is then watched (exit and SIGINT, SIGTERM, SIGHUP, SIGQUIT
 * truncate it back to its size now) until outfile_commit. Else 0. */
int outfile_begin(int fd);
/* Writes n bytes to the watched file; dies on error (which truncates). */
void outfile_write(const void *p, size_t n);
/* The output is complete: stop watching. */
void outfile_commit(void);

#endif
