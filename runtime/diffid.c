/* diffid: decompress a layer blob on demand and hash what comes out.
 * gzip, nearly every layer there is, goes through ISA-L's inflate when
 * libisal.so.2 is there (about three times zlib's speed: decompression is
 * most of the time an unpack spends outside the file system); zstd and
 * the rest through libarchive's raw format with the layer filters. */
#include <archive.h>
#include <archive_entry.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
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
#include "hash.h"
#include "util.h"

#define DIFFID_IN (256 * 1024)
#define DIFFID_OUT (1024 * 1024)

enum diffid_kind { DIFFID_EMPTY, DIFFID_ISAL_GZIP, DIFFID_ARCHIVE };

/* The reader thread's ring (diffid_pipeline): it inflates and hashes
 * into SLOTS buffers ahead of the consumer, which holds one at a time. */
#define DIFFID_SLOTS 4

struct diffid_ring {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	unsigned char *buf[DIFFID_SLOTS];
	ssize_t len[DIFFID_SLOTS];
	size_t head, tail; /* slots filled so far, and handed back */
	int held;	   /* the consumer holds slot tail */
	int end;	   /* the producer is done: 1 at the end, -1 on error */
	int stop;	   /* the consumer is gone: stop producing */
	struct error err;
};

struct diffid {
	int fd;
	enum diffid_kind kind;
	struct sha256 h;
	unsigned char *out;
	struct archive *a;	  /* DIFFID_ARCHIVE */
	char trusted[65];	  /* the digest, when the bytes are not hashed */
	struct diffid_ring *ring; /* NULL: decompressed in the caller's thread */
#ifdef DIFFID_ISAL
	struct inflate_state *st; /* DIFFID_ISAL_GZIP */
	unsigned char *in;
	int eof;  /* the file is read to its end */
	int done; /* the last member ended */
#endif
};

#ifdef DIFFID_ISAL
/* libisal, resolved once. */
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

/* Moves the unread input to the front of d->in and reads more after it. */
static int diffid_fill(struct diffid *d, struct error *e)
{
	struct inflate_state *st = d->st;
	size_t keep = st->avail_in;
	ssize_t n;

	if (keep == DIFFID_IN)
		return error_set(e, 0, "gzip data error (no progress)");
	memmove(d->in, st->next_in, keep);
	do
		n = read(d->fd, d->in + keep, DIFFID_IN - keep);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return error_set(e, errno, "read");
	d->eof = n == 0;
	st->next_in = d->in;
	st->avail_in = (uint32_t)(keep + (size_t)n);
	return 0;
}

/* After a member: another one follows (st reset for it), or the layer
 * ends; bytes that are not a gzip header are padding, as for libarchive. */
static int diffid_isal_member(struct diffid *d, struct error *e)
{
	struct inflate_state *st = d->st;
	uint8_t *in;
	uint32_t n;

	if (st->avail_in < 2 && !d->eof && diffid_fill(d, e) < 0)
		return -1;
	in = st->next_in;
	n = st->avail_in;
	if (n < 2 || in[0] != 0x1f || in[1] != 0x8b) {
		d->done = 1;
		return 0;
	}
	isal.reset(st);
	st->crc_flag = ISAL_GZIP;
	st->next_in = in;
	st->avail_in = n;
	return 0;
}

/* diffid_read for ISA-L: inflates into dst until some output comes,
 * reading input and crossing member boundaries as needed. */
static ssize_t diffid_isal_read(struct diffid *d, unsigned char *dst, struct error *e)
{
	struct inflate_state *st = d->st;
	int idle = 0; /* calls in a row that neither read nor wrote */

	while (!d->done) {
		if (st->block_state == ISAL_BLOCK_FINISH) {
			if (diffid_isal_member(d, e) < 0)
				return -1;
			continue;
		}
		/* more input when it is used up, or when ISA-L stalls on what
		 * is left (a header cut by a read) */
		if ((st->avail_in == 0 || idle) && !d->eof && diffid_fill(d, e) < 0)
			return -1;
		uint32_t in0 = st->avail_in;
		st->next_out = dst;
		st->avail_out = DIFFID_OUT;
		int rc = isal.inflate(st);
		if (rc < 0)
			return error_set(e, 0, "gzip data error (%d)", rc);
		if (st->avail_out != DIFFID_OUT)
			return DIFFID_OUT - st->avail_out;
		/* ISA-L may keep the trailer in its bit buffer and finish only
		 * when called again with no more input: twice idle is the end */
		idle = st->avail_in == in0 ? idle + 1 : 0;
		if (d->eof && idle > 1 && st->block_state != ISAL_BLOCK_FINISH)
			return error_set(e, 0, "gzip stream ends early");
	}
	return 0;
}

/* ISA-L for a gzip blob when the library is there; 0 when it is not. */
static int diffid_isal_open(struct diffid *d)
{
	pthread_once(&isal_once, diffid_isal_load);
	if (!isal.inflate)
		return 0;
	d->kind = DIFFID_ISAL_GZIP;
	d->st = xmalloc(sizeof(*d->st));
	d->in = xmalloc(DIFFID_IN);
	isal.init(d->st);
	d->st->crc_flag = ISAL_GZIP;
	d->st->next_in = d->in;
	d->st->avail_in = 0;
	return 1;
}
#endif

/* libarchive's raw format: the decompressed bytes of a gzip/zstd/...
 * stream, or the bytes as they are. */
static int diffid_archive_open(struct diffid *d, struct error *e)
{
	struct archive_entry *ent;

	d->kind = DIFFID_ARCHIVE;
	d->a = archive_read_new();
	blob_read_filters(d->a);
	archive_read_support_format_raw(d->a);
	if (archive_read_open_fd(d->a, d->fd, DIFFID_IN) != ARCHIVE_OK ||
	    archive_read_next_header(d->a, &ent) != ARCHIVE_OK)
		return error_set(e, 0, "%s", archive_error_string(d->a));
	return 0;
}

struct diffid *diffid_open(const char *path, struct error *e)
{
	struct diffid *d = xcalloc(1, sizeof(*d));
	unsigned char m[2] = {0, 0};
	ssize_t n;

	sha256_init(&d->h);
	d->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (d->fd < 0) {
		error_set(e, errno, "open %s", path);
		diffid_close(d);
		return NULL;
	}
	d->out = xmalloc(DIFFID_OUT);
	n = pread(d->fd, m, sizeof(m), 0);
	if (n == 0) /* an empty blob: the digest of nothing */
		return d;
#ifdef DIFFID_ISAL
	if (n == 2 && m[0] == 0x1f && m[1] == 0x8b && diffid_isal_open(d))
		return d;
#endif
	if (diffid_archive_open(d, e) < 0) {
		error_wrap(e, "read %s", path);
		diffid_close(d);
		return NULL;
	}
	return d;
}

void diffid_trust(struct diffid *d, const char *hex)
{
	int plain =
	    d->kind == DIFFID_EMPTY ||
	    (d->kind == DIFFID_ARCHIVE && archive_filter_code(d->a, 0) == ARCHIVE_FILTER_NONE);

	if (plain && blob_is_hex(hex))
		snprintf(d->trusted, sizeof(d->trusted), "%s", hex);
}

/* The next decompressed bytes into dst (DIFFID_OUT long), hashed. */
static ssize_t diffid_read(struct diffid *d, unsigned char *dst, struct error *e)
{
	ssize_t n = 0;

	if (d->kind == DIFFID_ARCHIVE) {
		n = archive_read_data(d->a, dst, DIFFID_OUT);
		if (n < 0)
			return error_set(e, 0, "decompress: %s", archive_error_string(d->a));
	}
#ifdef DIFFID_ISAL
	else if (d->kind == DIFFID_ISAL_GZIP && (n = diffid_isal_read(d, dst, e)) < 0)
		return error_wrap(e, "decompress");
#endif
	if (n > 0 && !d->trusted[0])
		sha256_update(&d->h, dst, (size_t)n);
	return n;
}

/* The reader thread: fills the ring's free slots until the end, an
 * error, or the consumer's stop. */
static void *diffid_producer(void *arg)
{
	struct diffid *d = arg;
	struct diffid_ring *r = d->ring;
	struct error e = {0};

	for (;;) {
		pthread_mutex_lock(&r->mu);
		while (r->head - r->tail == DIFFID_SLOTS && !r->stop)
			pthread_cond_wait(&r->cv, &r->mu);
		size_t slot = r->head % DIFFID_SLOTS;
		int stop = r->stop;
		pthread_mutex_unlock(&r->mu);
		if (stop)
			return NULL;
		/* the slot is free: the consumer is past it, only we write it */
		ssize_t n = diffid_read(d, r->buf[slot], &e);
		pthread_mutex_lock(&r->mu);
		if (n > 0) {
			r->len[slot] = n;
			r->head++;
		} else {
			r->end = n < 0 ? -1 : 1;
			r->err = e;
		}
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		if (n <= 0)
			return NULL;
	}
}

void diffid_pipeline(struct diffid *d)
{
	struct diffid_ring *r;

	/* a plain tar taken on trust is only read: nothing to overlap */
	if (d->ring || d->kind == DIFFID_EMPTY || d->trusted[0])
		return;
	r = xcalloc(1, sizeof(*r));
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	for (size_t i = 0; i < DIFFID_SLOTS; i++)
		r->buf[i] = xmalloc(DIFFID_OUT);
	d->ring = r;
	if (pthread_create(&r->tid, NULL, diffid_producer, d) != 0) {
		/* no thread: the caller's thread decompresses, as before */
		d->ring = NULL;
		for (size_t i = 0; i < DIFFID_SLOTS; i++)
			free(r->buf[i]);
		pthread_cond_destroy(&r->cv);
		pthread_mutex_destroy(&r->mu);
		free(r);
	}
}

/* diffid_next from the ring: hands back the slot the last call gave,
 * then waits for the next filled one. */
static ssize_t diffid_ring_next(struct diffid_ring *r, const void **buf, struct error *e)
{
	ssize_t n = 0;

	pthread_mutex_lock(&r->mu);
	if (r->held) {
		r->tail++;
		r->held = 0;
		pthread_cond_broadcast(&r->cv);
	}
	while (r->tail == r->head && !r->end)
		pthread_cond_wait(&r->cv, &r->mu);
	if (r->tail != r->head) {
		*buf = r->buf[r->tail % DIFFID_SLOTS];
		n = r->len[r->tail % DIFFID_SLOTS];
		r->held = 1;
	} else if (r->end < 0) {
		*e = r->err;
		n = -1;
	}
	pthread_mutex_unlock(&r->mu);
	return n;
}

/* Stops and joins the reader thread and frees the ring. */
static void diffid_ring_free(struct diffid *d)
{
	struct diffid_ring *r = d->ring;

	if (!r)
		return;
	pthread_mutex_lock(&r->mu);
	r->stop = 1;
	pthread_cond_broadcast(&r->cv);
	pthread_mutex_unlock(&r->mu);
	pthread_join(r->tid, NULL);
	for (size_t i = 0; i < DIFFID_SLOTS; i++)
		free(r->buf[i]);
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	free(r);
	d->ring = NULL;
}

ssize_t diffid_next(struct diffid *d, const void **buf, struct error *e)
{
	if (d->ring)
		return diffid_ring_next(d->ring, buf, e);
	*buf = d->out;
	return diffid_read(d, d->out, e);
}

void diffid_close(struct diffid *d)
{
	char junk[65];

	if (!d)
		return;
	diffid_ring_free(d);	       /* before anything the thread uses goes */
	sha256_final_hex(&d->h, junk); /* frees the digest's context */
	if (d->a)
		archive_read_free(d->a);
	if (d->fd >= 0)
		close(d->fd);
#ifdef DIFFID_ISAL
	free(d->st);
	free(d->in);
#endif
	free(d->out);
	free(d);
}

int diffid_finish(struct diffid *d, char hex[65], struct error *e)
{
	const void *buf;
	ssize_t n;

	while ((n = diffid_next(d, &buf, e)) > 0)
		;
	if (n < 0) {
		diffid_close(d);
		return -1;
	}
	diffid_ring_free(d); /* the thread is done with the digest */
	sha256_final_hex(&d->h, hex);
	if (d->trusted[0])
		memcpy(hex, d->trusted, 65);
	sha256_init(&d->h); /* for diffid_close's final */
	diffid_close(d);
	return 0;
}

int diffid_of(const char *path, char hex[65], struct error *e)
{
	struct diffid *d = diffid_open(path, e);

	return d ? diffid_finish(d, hex, e) : -1;
}
