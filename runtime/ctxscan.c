/* ctxscan: see ctxscan.h. Layout (host byte order, 8-byte aligned):
 *
 *   header  "df2make-scan 2\n\0" (16 bytes), int64 start sec, int64 start
 *           nsec, uint32 record size, uint32 byte-order mark
 *   record  struct ctxscan_rec (the stat data, then the SHA-256 of a
 *           regular file's bytes, zeros for other types), then the path's
 *           LEN bytes, zero-padded to a multiple of 8; in walk order, one
 *           per entry visited
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "ctxscan.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

#define CTXSCAN_MAGIC "df2make-scan 2\n"
#define CTXSCAN_BOM 0x01020304U

struct ctxscan_head {
	char magic[16];
	int64_t sec, nsec;
	uint32_t recsize, bom;
};

struct ctxscan_rec {
	uint64_t dev, ino, size;
	int64_t msec, csec;
	uint32_t mnsec, cnsec, mode, uid, gid, len;
	uint8_t digest[32];
};

/* What "the same entry" compares: the stat data and the name's length. */
#define REC_ID offsetof(struct ctxscan_rec, digest)

struct ctxscan {
	const unsigned char *map;
	size_t size, off;
	struct timespec start; /* when the run that wrote it began */
};

struct ctxscan_w {
	struct buf b;
	size_t n;
};

static size_t pad8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

static void rec_fill(struct ctxscan_rec *r, const struct stat *st, size_t len,
		     const uint8_t digest[32])
{
	*r = (struct ctxscan_rec){
	    .dev = st->st_dev,
	    .ino = st->st_ino,
	    .size = (uint64_t)st->st_size,
	    .msec = st->st_mtim.tv_sec,
	    .csec = st->st_ctim.tv_sec,
	    .mnsec = (uint32_t)st->st_mtim.tv_nsec,
	    .cnsec = (uint32_t)st->st_ctim.tv_nsec,
	    .mode = st->st_mode,
	    .uid = st->st_uid,
	    .gid = st->st_gid,
	    .len = (uint32_t)len,
	};
	if (digest)
		memcpy(r->digest, digest, sizeof(r->digest));
}

static int head_ok(const struct ctxscan_head *h)
{
	return memcmp(h->magic, CTXSCAN_MAGIC, sizeof(CTXSCAN_MAGIC)) == 0 &&
	       h->recsize == sizeof(struct ctxscan_rec) && h->bom == CTXSCAN_BOM && h->nsec >= 0 &&
	       h->nsec < 1000000000;
}

struct ctxscan *ctxscan_open(const char *path)
{
	cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct ctxscan_head h;
	struct ctxscan *r;
	struct stat st;
	void *map;

	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (size_t)st.st_size < sizeof(h) || st.st_size % 8 != 0)
		return NULL;
	/* one mapping, read front to back: no copy, no allocation per entry */
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return NULL;
	memcpy(&h, map, sizeof(h));
	if (!head_ok(&h)) {
		munmap(map, (size_t)st.st_size);
		return NULL;
	}
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	r = xcalloc(1, sizeof(*r));
	r->map = map;
	r->size = (size_t)st.st_size;
	r->off = sizeof(h);
	r->start = (struct timespec){.tv_sec = (time_t)h.sec, .tv_nsec = (long)h.nsec};
	return r;
}

/* Changed within a second before the last run began: its ctime may not
 * have moved on since (timestamps tick coarser than edits). */
static int rec_racy(const struct ctxscan *r, const struct ctxscan_rec *rec)
{
	int64_t s = (int64_t)r->start.tv_sec - 1;

	return rec->csec > s || (rec->csec == s && (long)rec->cnsec >= r->start.tv_nsec);
}

/* The record at r->off with its path, or -1 when the file ends there. */
static int rec_at(const struct ctxscan *r, struct ctxscan_rec *rec, const char **path)
{
	if (r->size - r->off < sizeof(*rec))
		return -1;
	memcpy(rec, r->map + r->off, sizeof(*rec));
	if (r->size - r->off - sizeof(*rec) < pad8(rec->len))
		return -1;
	*path = (const char *)r->map + r->off + sizeof(*rec);
	return 0;
}

/* 1 when rec (its path already matched) is entry st, and not racy. */
static int rec_same(const struct ctxscan *r, const struct ctxscan_rec *rec, const struct stat *st)
{
	struct ctxscan_rec now;

	rec_fill(&now, st, rec->len, NULL);
	return memcmp(rec, &now, REC_ID) == 0 && !rec_racy(r, rec);
}

int ctxscan_same(struct ctxscan *r, const char *rel, const struct stat *st)
{
	struct ctxscan_rec old;
	const char *path;
	size_t len = strlen(rel);

	if (!r || rec_at(r, &old, &path) < 0 || old.len != len || memcmp(path, rel, len) != 0 ||
	    !rec_same(r, &old, st))
		return 0;
	r->off += sizeof(old) + pad8(len);
	return 1;
}

/* Walk order: a directory before its contents, names bytewise, i.e. a
 * bytewise order in which '/' (and the end) sorts before any byte. */
static int walk_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	for (size_t i = 0; i < alen && i < blen; i++) {
		unsigned ca = a[i] == '/' ? 0 : (unsigned char)a[i];
		unsigned cb = b[i] == '/' ? 0 : (unsigned char)b[i];
		if (ca != cb)
			return ca < cb ? -1 : 1;
	}
	return alen < blen ? -1 : alen > blen;
}

const uint8_t *ctxscan_digest(struct ctxscan *r, const char *rel, const struct stat *st)
{
	struct ctxscan_rec rec;
	const char *path;
	size_t len = strlen(rel);
	int c;

	/* both walks visit in walk order: a merge, never a search; an entry
	 * out of that order (a second source) just finds nothing */
	while (r && rec_at(r, &rec, &path) == 0 && (c = walk_cmp(path, rec.len, rel, len)) <= 0) {
		size_t at = r->off + offsetof(struct ctxscan_rec, digest);
		r->off += sizeof(rec) + pad8(rec.len);
		if (c == 0)
			return S_ISREG(st->st_mode) && rec_same(r, &rec, st) ? r->map + at : NULL;
	}
	return NULL;
}

void ctxscan_rewind(struct ctxscan *r)
{
	if (r)
		r->off = sizeof(struct ctxscan_head);
}

int ctxscan_complete(const struct ctxscan *r)
{
	return r && r->off == r->size;
}

void ctxscan_close(struct ctxscan *r)
{
	if (!r)
		return;
	munmap((void *)r->map, r->size);
	free(r);
}

struct ctxscan_w *ctxscan_w_new(void)
{
	struct ctxscan_w *w = xcalloc(1, sizeof(*w));
	struct ctxscan_head h = {.recsize = sizeof(struct ctxscan_rec), .bom = CTXSCAN_BOM};
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	memcpy(h.magic, CTXSCAN_MAGIC, sizeof(CTXSCAN_MAGIC));
	h.sec = now.tv_sec;
	h.nsec = now.tv_nsec;
	buf_addn(&w->b, (const char *)&h, sizeof(h));
	return w;
}

void ctxscan_w_add(struct ctxscan_w *w, const char *rel, const struct stat *st,
		   const uint8_t digest[32])
{
	static const char zeros[8];
	struct ctxscan_rec rec;
	size_t len = strlen(rel);

	rec_fill(&rec, st, len, digest);
	buf_addn(&w->b, (const char *)&rec, sizeof(rec));
	buf_addn(&w->b, rel, len);
	buf_addn(&w->b, zeros, (pad8(len) - len) & 7);
	w->n++;
}

size_t ctxscan_w_count(const struct ctxscan_w *w)
{
	return w->n;
}

int ctxscan_w_save(struct ctxscan_w *w, const char *path, struct error *e)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = tmp_open(path, &tmp, e);

	if (fd < 0)
		return -1;
	/* no fsync: a file torn by a crash reads as no record (bad header,
	 * or records missing), which costs one full sum, never a wrong one */
	if (write_all(fd, w->b.s, w->b.len) < 0 || rename(tmp, path) < 0) {
		int saved = errno;
		unlink(tmp);
		return error_set(e, saved, "write %s", path);
	}
	return 0;
}

void ctxscan_w_free(struct ctxscan_w *w)
{
	if (!w)
		return;
	buf_free(&w->b);
	free(w);
}
