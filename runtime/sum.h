/* sum.h: what the two content digests of a COPY's sources share: the
 * context's (sum.c) and a stage's (fsum.c). */
#ifndef DF2MAKE_SUM_H
#define DF2MAKE_SUM_H

#include <stddef.h>
#include <sys/stat.h>

/* The text digested for one entry besides its name: type, mode, owners
 * (0 0 unless owners: a COPY from the context never keeps them), size of a
 * regular file, device numbers. */
void sum_head(char *buf, size_t size, const struct stat *st, int owners);

#endif
