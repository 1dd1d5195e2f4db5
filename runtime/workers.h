/* workers: one pool of threads over the items of a list (the layers of a
 * pull or of a push): each thread takes the next item until none is left
 * or one has failed, so a failure stops the others at their next item. */
#ifndef DF_WORKERS_H
#define DF_WORKERS_H
#include <stddef.h>

struct error;

struct workers_ops {
	/* Per-thread state (a registry client of its own); run in the thread. */
	void *(*open)(void *ctx);
	/* Does item i with that state: 0, or -1 with e set. */
	int (*run)(void *ctx, void *state, size_t i, struct error *e);
	/* Frees what open made; run in the thread. */
	void (*close)(void *ctx, void *state);
};

/* Runs ops->run for items 0..n-1 on up to nthreads threads (on the
 * calling one when none can be started); -1 with the first failure in e. */
int workers_run(size_t nthreads, size_t n, const struct workers_ops *ops, void *ctx,
		struct error *e);

#endif
