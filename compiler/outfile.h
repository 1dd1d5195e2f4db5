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
#include <stdio.h>

struct diags;

/* 1 when fd is a regular file, opened without O_APPEND, positioned at its
 * end, and not also standard error: it is then watched (exit and SIGINT, SIGTERM, SIGHUP, SIGQUIT
 * truncate it back to its size now) until outfile_commit. Else 0. */
int outfile_begin(int fd);
/* Writes n bytes to the watched file; 0, or -1 with errno set (main's
 * exit then truncates the file). */
int outfile_write(const void *p, size_t n);
/* Copies the temporary file a big build.mk was spilled to (all of it) to
 * f, then closes it; 0, or -1 with the error in dg. */
int outfile_copy(FILE *spill, FILE *f, struct diags *dg);
/* The output is complete: stop watching. */
void outfile_commit(void);

#endif
