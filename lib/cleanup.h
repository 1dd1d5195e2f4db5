/* cleanup: scope-bound release of fds, buffers and FILEs (crun's
 * cleanup_close / cleanup_free, bubblewrap's steal_pointer), so that an
 * early return cannot leak what a function opened. A variable declared
 * `cleanup_close int fd = -1;` is closed when it goes out of scope unless
 * its value was handed on with steal_fd(). */
#ifndef DF_CLEANUP_H
#define DF_CLEANUP_H
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

/* Closes *fd if it is open (cleanup_close's handler). */
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}

/* Frees *(void **)p (cleanup_free's handler). */
static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}

/* Closes *f if it is open (cleanup_fclose's handler). */
static inline void cleanup_fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}

#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

/* Returns *fd and leaves -1 behind: ownership moves to the caller. */
static inline int steal_fd(int *fd)
{
	int r = *fd;

	*fd = -1;
	return r;
}

/* Returns *pp and leaves NULL behind: ownership moves to the caller. */
static inline void *steal_pointer(void *pp)
{
	void **p = pp, *r = *p;

	*p = NULL;
	return r;
}

#endif
