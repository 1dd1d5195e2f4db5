/* diffid: decompress on a thread fed through a pipe, hash on another. The pipe
 * bounds the memory (the feeder blocks while the thread is behind) and
 * lets the thread read the stream with libarchive, which pulls its input.
 * gzip, nearly every layer there is, goes through ISA-L's inflate when
 * libisal.so.2 is there (about three times zlib's speed: decompression is
 * most of a pull's CPU time); zstd and the rest through libarchive. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if __has_include(<isa-l/igzip_lib.h>)
#include <isa-l/igzip_lib.h>
#define DIFFID_ISAL 1
#endif

#include "blob.h"
#include "diffid.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "util.h"

#define DIFFID_IN (256 * 1024)
#define DIFFID_OUT (1024 * 1024)
#define DIFFID_NBUF 4

/* Decompressed buffers handed from the decompressing thread to the
 * hashing one: SHA-256 of a layer costs about half of what inflating it
 * does, so on two threads they take the time of the slower one. */
struct diffid_q {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned char *buf[DIFFID_NBUF];
	size_t len[DIFFID_NBUF];
	int head, count, eof; /* next full buffer, full buffers, no more coming */
};

struct diffid {
	int fd[2]; /* the pipe: feed writes fd[1], the thread reads fd[0] */
	pthread_t thread, hasher;
	struct diffid_q q;
	struct sha256 h;
	unsigned char sniff[4]; /* the stream's first bytes (its magic) */
	size_t sniff_n;
	unsigned char *in;
	char err[256]; /* the thread's error, "" when none */
};

static void diffid_fail(struct diffid *d, const char *fmt, ...)
{
	va_list ap;

	if (d->err[0])
		return;
	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
}

/* The next empty buffer to decompress into (waits while all are full). */
static unsigned char *diffid_q_empty(struct diffid_q *q)
{
	unsigned char *b;

	pthread_mutex_lock(&q->m);
	while (q->count == DIFFID_NBUF)
		pthread_cond_wait(&q->c, &q->m);
	b = q->buf[(q->head + q->count) % DIFFID_NBUF];
	pthread_mutex_unlock(&q->m);
	return b;
}

/* The buffer diffid_q_empty gave now holds n bytes to hash. */
static void diffid_q_full(struct diffid_q *q, size_t n)
{
	if (n == 0)
		return;
	pthread_mutex_lock(&q->m);
	q->len[(q->head + q->count) % DIFFID_NBUF] = n;
	q->count++;
	pthread_cond_broadcast(&q->c);
	pthread_mutex_unlock(&q->m);
}

static void diffid_q_end(struct diffid_q *q)
{
	pthread_mutex_lock(&q->m);
	q->eof = 1;
	pthread_cond_broadcast(&q->c);
	pthread_mutex_unlock(&q->m);
}

/* The hashing thread: full buffers in order until the end. */
static void *diffid_hasher(void *arg)
{
	struct diffid *d = arg;
	struct diffid_q *q = &d->q;

	pthread_mutex_lock(&q->m);
	for (;;) {
		while (q->count == 0 && !q->eof)
			pthread_cond_wait(&q->c, &q->m);
		if (q->count == 0)
			break;
		pthread_mutex_unlock(&q->m);
		sha256_update(&d->h, q->buf[q->head], q->len[q->head]);
		pthread_mutex_lock(&q->m);
		q->head = (q->head + 1) % DIFFID_NBUF;
		q->count--;
		pthread_cond_broadcast(&q->c);
	}
	pthread_mutex_unlock(&q->m);
	return NULL;
}

static ssize_t diffid_read(struct diffid *d, void *buf, size_t n)
{
	ssize_t r;

	do
		r = read(d->fd[0], buf, n);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		diffid_fail(d, "read: %s", strerror(errno));
	return r;
}

#ifdef DIFFID_ISAL
/* libisal, resolved once by the first layer. */
static struct {
	void (*init)(struct inflate_state *);
	void (*reset)(struct inflate_state *);
	int (*inflate)(struct inflate_state *);
} isal;
static pthread_once_t isal_once = PTHREAD_ONCE_INIT;

static void diffid_isal_load(void)
{
	void *lib = dlopen("libisal.so.2", RTLD_NOW | RTLD_LOCAL);
	void *p[3] = {NULL, NULL, NULL};

	if (!lib)
		return;
	p[0] = dlsym(lib, "isal_inflate_init");
	p[1] = dlsym(lib, "isal_inflate_reset");
	p[2] = dlsym(lib, "isal_inflate");
	if (!p[0] || !p[1] || !p[2])
		return;
	memcpy(&isal.init, &p[0], sizeof(p[0]));
	memcpy(&isal.reset, &p[1], sizeof(p[1]));
	memcpy(&isal.inflate, &p[2], sizeof(p[2]));
}

/* After a gzip member: another member follows (0, st reset for it), or
 * bytes that are not a gzip header, trailing padding that ends the layer
 * as for libarchive (1), or fewer than 2 bytes to tell (2). */
static int diffid_isal_next(struct inflate_state *st)
{
	uint8_t *in = st->next_in;
	uint32_t n = st->avail_in;

	if (n < 2)
		return 2;
	if (in[0] != 0x1f || in[1] != 0x8b)
		return 1;
	isal.reset(st);
	st->crc_flag = ISAL_GZIP;
	st->next_in = in;
	st->avail_in = n;
	return 0;
}

/* Inflates what st holds, hashing the output: 0 when it needs more
 * input, 1 at the end of the layer, 2 between members, -1 on error. */
static int diffid_isal_run(struct diffid *d, struct inflate_state *st)
{
	for (;;) {
		int rc, next;
		st->next_out = diffid_q_empty(&d->q);
		st->avail_out = DIFFID_OUT;
		rc = isal.inflate(st);
		if (rc < 0) {
			diffid_fail(d, "gzip data error (%d)", rc);
			return -1;
		}
		diffid_q_full(&d->q, DIFFID_OUT - st->avail_out);
		if (st->block_state == ISAL_BLOCK_FINISH && (next = diffid_isal_next(st)) != 0)
			return next;
		if (st->avail_out != 0 && st->avail_in == 0)
			return 0;
	}
}

static void diffid_isal(struct diffid *d)
{
	struct inflate_state *st = xmalloc(sizeof(*st));
	int state = 0; /* diffid_isal_run's last answer */
	size_t keep = 0;
	ssize_t n;

	isal.init(st);
	st->crc_flag = ISAL_GZIP;
	memcpy(d->in, d->sniff, d->sniff_n);
	n = (ssize_t)d->sniff_n;
	while (n > 0) {
		st->next_in = d->in;
		st->avail_in = (uint32_t)n;
		if (state == 2 && n >= 2)
			state = diffid_isal_next(st) ? 1 : 0;
		if (state == 0 && (state = diffid_isal_run(d, st)) < 0)
			break;
		/* between members: the byte or so left waits for the next read */
		keep = state == 2 ? st->avail_in : 0;
		memmove(d->in, st->next_in, keep);
		n = diffid_read(d, d->in + keep, DIFFID_IN - keep);
		if (n > 0)
			n += (ssize_t)keep;
	}
	/* ISA-L may hold the last bytes (the trailer) in its bit buffer and
	 * finish only when called again with no more input */
	if (n == 0 && state == 0) {
		st->next_in = d->in;
		st->avail_in = 0;
		state = diffid_isal_run(d, st);
	}
	if (n == 0 && state == 0)
		diffid_fail(d, "gzip stream ends early");
	free(st);
}
#endif

/* libarchive's read callback: the sniffed bytes, then the pipe. */
static la_ssize_t diffid_la_read(struct archive *a, void *ctx, const void **buf)
{
	struct diffid *d = ctx;
	la_ssize_t n;

	(void)a;
	if (d->sniff_n) {
		memcpy(d->in, d->sniff, d->sniff_n);
		n = (la_ssize_t)d->sniff_n;
		d->sniff_n = 0;
	} else {
		n = diffid_read(d, d->in, DIFFID_IN);
	}
	*buf = d->in;
	return n;
}

static void diffid_archive(struct diffid *d)
{
	struct archive *a = archive_read_new();
	struct archive_entry *ent;
	la_ssize_t n = 0;

	blob_read_filters(a);
	archive_read_support_format_raw(a);
	if (archive_read_open(a, d, NULL, diffid_la_read, NULL) != ARCHIVE_OK ||
	    archive_read_next_header(a, &ent) != ARCHIVE_OK)
		diffid_fail(d, "%s", archive_error_string(a));
	else
		while ((n = archive_read_data(a, diffid_q_empty(&d->q), DIFFID_OUT)) > 0)
			diffid_q_full(&d->q, (size_t)n);
	if (n < 0)
		diffid_fail(d, "%s", archive_error_string(a));
	archive_read_free(a);
}

static void *diffid_main(void *arg)
{
	struct diffid *d = arg;
	ssize_t n = 1;

	while (d->sniff_n < sizeof(d->sniff) &&
	       (n = diffid_read(d, d->sniff + d->sniff_n, sizeof(d->sniff) - d->sniff_n)) > 0)
		d->sniff_n += (size_t)n;
	if (n < 0 || d->sniff_n == 0)
		; /* an error, or an empty layer: the digest of nothing */
#ifdef DIFFID_ISAL
	else if (isal.inflate && d->sniff_n >= 2 && d->sniff[0] == 0x1f && d->sniff[1] == 0x8b)
		diffid_isal(d);
#endif
	else
		diffid_archive(d);
	diffid_q_end(&d->q);
	/* drained to the end whatever happened, so the feeder never blocks */
	while (diffid_read(d, d->in, DIFFID_IN) > 0)
		;
	return NULL;
}

struct diffid *diffid_start(struct error *e)
{
	struct diffid *d = xcalloc(1, sizeof(*d));

#ifdef DIFFID_ISAL
	pthread_once(&isal_once, diffid_isal_load);
#endif
	if (pipe2(d->fd, O_CLOEXEC) < 0) {
		error_set(e, errno, "pipe");
		free(d);
		return NULL;
	}
	/* fewer, larger wake-ups of the thread; the default size works too */
	(void)fcntl(d->fd[1], F_SETPIPE_SZ, 1 << 20);
	d->in = xmalloc(DIFFID_IN);
	sha256_init(&d->h);
	pthread_mutex_init(&d->q.m, NULL);
	pthread_cond_init(&d->q.c, NULL);
	for (int i = 0; i < DIFFID_NBUF; i++)
		d->q.buf[i] = xmalloc(DIFFID_OUT);
	if ((errno = pthread_create(&d->hasher, NULL, diffid_hasher, d)) != 0) {
		error_set(e, errno, "pthread_create");
		d->hasher = 0;
		diffid_abort(d);
		return NULL;
	}
	if ((errno = pthread_create(&d->thread, NULL, diffid_main, d)) != 0) {
		error_set(e, errno, "pthread_create");
		d->thread = 0;
		diffid_q_end(&d->q);
		diffid_abort(d);
		return NULL;
	}
	return d;
}

int diffid_feed(struct diffid *d, const void *p, size_t n, struct error *e)
{
	if (write_all(d->fd[1], p, n) < 0)
		return error_set(e, errno, "decompressing thread");
	return 0;
}

/* Ends the stream and waits for the thread. */
static void diffid_join(struct diffid *d)
{
	if (d->fd[1] >= 0)
		close(d->fd[1]);
	d->fd[1] = -1;
	if (d->thread)
		pthread_join(d->thread, NULL);
	if (d->hasher)
		pthread_join(d->hasher, NULL);
	d->thread = d->hasher = 0;
}

static void diffid_free(struct diffid *d, char hex[65])
{
	char junk[65];

	sha256_final_hex(&d->h, hex ? hex : junk);
	close(d->fd[0]);
	free(d->in);
	for (int i = 0; i < DIFFID_NBUF; i++)
		free(d->q.buf[i]);
	pthread_mutex_destroy(&d->q.m);
	pthread_cond_destroy(&d->q.c);
	free(d);
}

int diffid_finish(struct diffid *d, char hex[65], struct error *e)
{
	int r = 0;

	diffid_join(d);
	if (d->err[0])
		r = error_set(e, 0, "decompress: %s", d->err);
	diffid_free(d, hex);
	return r;
}

void diffid_abort(struct diffid *d)
{
	if (!d)
		return;
	diffid_join(d);
	diffid_free(d, NULL);
}
