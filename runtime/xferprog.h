/* xferprog: progress of the blobs of a pull or a push, which move on
 * several threads at once. On a terminal: one line per blob, redrawn in
 * place (bytes so far, size, rate). Otherwise (a log, make's output under
 * a build step's key): one line when a blob starts and one when it is
 * done, so a log says what moved, how big and how long it took. */
#ifndef DF_XFERPROG_H
#define DF_XFERPROG_H
#include <pthread.h>

struct rt;

struct xferprog_row {
	char id[13];	     /* the digest's first 12 hex digits */
	long long size, got; /* size (-1: unknown), bytes so far */
	long long t0, drawn; /* start (ns), bytes at the last redraw */
	char done[96];	     /* the final text once done, "" before */
};

struct xferprog {
	pthread_mutex_t lock;
	const struct rt *rt; /* with key: lines go through progress_line */
	const char *key;
	const char *verb, *past; /* "pulling", "pulled" / "pushing", "pushed" */
	int tty;		 /* redraw rows in place on stderr */
	struct xferprog_row *rows;
	int n, cap, on_screen; /* rows, allocated, rows drawn on the terminal */
};

/* Sets up; tty: stderr is a terminal and there is no build key. */
void xferprog_init(struct xferprog *x, const struct rt *rt, const char *key, const char *verb,
		   const char *past, int tty);
/* Frees the rows. */
void xferprog_free(struct xferprog *x);
/* A blob starts moving; returns its row. */
int xferprog_begin(struct xferprog *x, const char *digest, long long size);
/* got bytes of the row's blob have moved (redraws on a terminal). */
void xferprog_update(struct xferprog *x, int row, long long got);
/* The row's blob is done: "<id>: SIZE bytes PAST in 1.2s". */
void xferprog_end(struct xferprog *x, int row);
/* One line for a blob that did not move ("<id>: already exists"). */
void xferprog_note(struct xferprog *x, const char *digest, const char *what);

#endif
