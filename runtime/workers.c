/* workers: a shared counter under a mutex hands out the items; the first
 * error is kept and raises `failed`, which every thread checks before it
 * takes another item. */
#include <pthread.h>
#include <stdlib.h>

#include "error.h"
#include "util.h"
#include "workers.h"

struct workers {
	const struct workers_ops *ops;
	void *ctx;
	size_t n, next;
	pthread_mutex_t lock;
	int failed;
	struct error err; /* the first failure */
};

/* The next item to do, or 0 when there is none (or one failed). */
static int workers_take(struct workers *w, size_t *i)
{
	int more;

	pthread_mutex_lock(&w->lock);
	*i = w->next++;
	more = !w->failed && *i < w->n;
	pthread_mutex_unlock(&w->lock);
	return more;
}

static void *workers_thread(void *arg)
{
	struct workers *w = arg;
	void *state = w->ops->open ? w->ops->open(w->ctx) : NULL;
	struct error e = {0};
	size_t i;

	while (workers_take(w, &i)) {
		int r = w->ops->run(w->ctx, state, i, &e);
		pthread_mutex_lock(&w->lock);
		if (r < 0 && !w->failed)
			w->err = e;
		w->failed |= r < 0;
		pthread_mutex_unlock(&w->lock);
	}
	if (w->ops->close)
		w->ops->close(w->ctx, state);
	return NULL;
}

int workers_run(size_t nthreads, size_t n, const struct workers_ops *ops, void *ctx,
		struct error *e)
{
	struct workers w = {.ops = ops, .ctx = ctx, .n = n};
	pthread_t *t = xcalloc(nthreads + 1, sizeof(*t));
	size_t started = 0;

	if (n == 0) {
		free(t);
		return 0;
	}
	pthread_mutex_init(&w.lock, NULL);
	while (started < nthreads && started < n &&
	       pthread_create(&t[started], NULL, workers_thread, &w) == 0)
		started++;
	if (started == 0) /* no thread to be had: this one does the work */
		workers_thread(&w);
	for (size_t i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	pthread_mutex_destroy(&w.lock);
	free(t);
	if (w.failed)
		*e = w.err;
	return w.failed ? -1 : 0;
}
