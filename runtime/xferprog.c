/* xferprog: transfer progress, see xferprog.h. All output is under one
 * lock, since workers of a pull report from their own threads. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "fsutil.h"
#include "progress.h"
#include "util.h"
#include "xferprog.h"

/* A terminal is redrawn at most once per this many bytes of a blob. */
#define XFERPROG_STEP (1 << 20)

void xferprog_init(struct xferprog *x, const struct rt *rt, const char *key, const char *verb,
		   const char *past, int tty)
{
	memset(x, 0, sizeof(*x));
	pthread_mutex_init(&x->lock, NULL);
	x->rt = rt;
	x->key = key;
	x->verb = verb;
	x->past = past;
	x->tty = tty && !key;
}

void xferprog_free(struct xferprog *x)
{
	free(x->rows);
	pthread_mutex_destroy(&x->lock);
}

/* One whole line: under the build key, else plain on stderr. */
static void xferprog_line(const struct xferprog *x, const char *text)
{
	char *line;

	if (x->key && x->rt) {
		progress_line(x->rt, x->key, "%s", text);
		return;
	}
	line = xasprintf("%s\n", text);
	(void)write_all(2, line, strlen(line));
	free(line);
}

/* The text of a row on a terminal. */
static void xferprog_row_text(const struct xferprog_row *r, struct buf *b)
{
	double t = progress_elapsed(r->t0);

	if (r->done[0]) {
		buf_printf(b, "\r%s\033[K\n", r->done);
		return;
	}
	buf_printf(b, "\r%s: %lld", r->id, r->got);
	if (r->size >= 0)
		buf_printf(b, " / %lld", r->size);
	buf_printf(b, " bytes  %.1f MB/s\033[K\n", t > 0 ? (double)r->got / t / 1e6 : 0.0);
}

/* Every row again: up to the first row drawn, then each on its line. */
static void xferprog_redraw(struct xferprog *x)
{
	struct buf b = {0};

	if (x->on_screen)
		buf_printf(&b, "\033[%dA", x->on_screen);
	for (int i = 0; i < x->n; i++)
		xferprog_row_text(&x->rows[i], &b);
	x->on_screen = x->n;
	(void)write_all(2, b.s, b.len);
	buf_free(&b);
}

/* A new row (under the lock). */
static int xferprog_add(struct xferprog *x, const char *digest, long long size)
{
	struct xferprog_row *r;
	int i;

	if (x->n == x->cap) {
		x->cap = x->cap ? 2 * x->cap : 8;
		x->rows = xreallocarray(x->rows, (size_t)x->cap, sizeof(*x->rows));
	}
	i = x->n++;
	r = &x->rows[i];
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%.12s",
		 startswith(digest, "sha256:") ? digest + 7 : digest);
	r->size = size;
	r->t0 = progress_now();
	return i;
}

static int xferprog_begin_quiet(struct xferprog *x, const char *digest, long long size)
{
	int i;

	pthread_mutex_lock(&x->lock);
	i = xferprog_add(x, digest, size);
	pthread_mutex_unlock(&x->lock);
	return i;
}

int xferprog_begin(struct xferprog *x, const char *digest, long long size)
{
	struct xferprog_row *r;
	int i;

	pthread_mutex_lock(&x->lock);
	i = xferprog_add(x, digest, size);
	r = &x->rows[i];
	if (x->tty) {
		xferprog_redraw(x);
	} else {
		char text[128];
		if (size >= 0)
			snprintf(text, sizeof(text), "%s: %s %lld bytes", r->id, x->verb, size);
		else
			snprintf(text, sizeof(text), "%s: %s", r->id, x->verb);
		xferprog_line(x, text);
	}
	pthread_mutex_unlock(&x->lock);
	return i;
}

void xferprog_update(struct xferprog *x, int row, long long got)
{
	struct xferprog_row *r;

	if (!x->tty)
		return;
	pthread_mutex_lock(&x->lock);
	r = &x->rows[row];
	r->got = got;
	if (got - r->drawn >= XFERPROG_STEP) {
		r->drawn = got;
		xferprog_redraw(x);
	}
	pthread_mutex_unlock(&x->lock);
}

void xferprog_end(struct xferprog *x, int row)
{
	struct xferprog_row *r;

	pthread_mutex_lock(&x->lock);
	r = &x->rows[row];
	snprintf(r->done, sizeof(r->done), "%s: %lld bytes %s in %.1fs", r->id,
		 r->size >= 0 ? r->size : r->got, x->past, progress_elapsed(r->t0));
	if (x->tty)
		xferprog_redraw(x);
	else
		xferprog_line(x, r->done);
	pthread_mutex_unlock(&x->lock);
}

void xferprog_note(struct xferprog *x, const char *digest, const char *what)
{
	int i = xferprog_begin_quiet(x, digest, -1);

	pthread_mutex_lock(&x->lock);
	snprintf(x->rows[i].done, sizeof(x->rows[i].done), "%s: %s", x->rows[i].id, what);
	if (x->tty)
		xferprog_redraw(x);
	else
		xferprog_line(x, x->rows[i].done);
	pthread_mutex_unlock(&x->lock);
}
