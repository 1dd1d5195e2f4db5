/* copyidx: see copyidx.h. The file is text, version in its first line:
 *
 *   df2make-copy-index 1
 *   PARENT-ID
 *   START-SEC START-NSEC
 *   DEV INO SIZE MSEC MNSEC CSEC CNSEC MODE UID GID LEN PATH   (sorted by PATH)
 *
 * PATH is LEN bytes (a name may hold a newline). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "copyidx.h"
#include "error.h"
#include "fsutil.h"
#include "util.h"

#define COPYIDX_MAGIC "df2make-copy-index 1\n"
#define COPYIDX_FIELDS 10

struct copyidx_ent {
	char *path;
	uintmax_t f[COPYIDX_FIELDS];
	int seen;
};

struct copyidx {
	struct copyidx_ent *old; /* the last run's, sorted by path */
	size_t nold, nseen, kept;
	struct timespec old_start; /* when the last run began */
	struct copyidx_ent *cur;   /* this run's */
	size_t ncur, capcur;
	struct timespec start;
};

static void copyidx_fields(const struct stat *st, uintmax_t f[COPYIDX_FIELDS])
{
	f[0] = st->st_dev, f[1] = st->st_ino, f[2] = (uintmax_t)st->st_size;
	f[3] = (uintmax_t)st->st_mtim.tv_sec, f[4] = (uintmax_t)st->st_mtim.tv_nsec;
	f[5] = (uintmax_t)st->st_ctim.tv_sec, f[6] = (uintmax_t)st->st_ctim.tv_nsec;
	f[7] = st->st_mode, f[8] = st->st_uid, f[9] = st->st_gid;
}

static int copyidx_cmp(const void *a, const void *b)
{
	return strcmp(((const struct copyidx_ent *)a)->path, ((const struct copyidx_ent *)b)->path);
}

struct copyidx *copyidx_new(void)
{
	struct copyidx *x = xcalloc(1, sizeof(*x));

	clock_gettime(CLOCK_REALTIME, &x->start);
	return x;
}

static void copyidx_ents_free(struct copyidx_ent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

void copyidx_free(struct copyidx *x)
{
	if (!x)
		return;
	copyidx_ents_free(x->old, x->nold);
	copyidx_ents_free(x->cur, x->ncur);
	free(x);
}

/* A decimal (base 10) or octal (base 8) number and the space after it.
 * strtoumax, not sscanf: glibc's sscanf measures the whole rest of the
 * buffer on every call, quadratic over an index of 100,000 lines. */
static int copyidx_num(const char **p, int base, uintmax_t *v)
{
	char *end;

	errno = 0;
	*v = strtoumax(*p, &end, base);
	if (errno || end == *p || *end != ' ')
		return -1;
	*p = end + 1;
	return 0;
}

/* One entry line at *p; advances *p past it. 0 or -1. */
static int copyidx_parse_ent(const char **p, const char *end, struct copyidx_ent *ent)
{
	const char *q = *p;
	uintmax_t len;

	for (int i = 0; i < COPYIDX_FIELDS; i++)
		if (copyidx_num(&q, i == 7 ? 8 : 10, &ent->f[i]) < 0)
			return -1;
	if (copyidx_num(&q, 10, &len) < 0 || len == 0 || (uintmax_t)(end - q) < len + 1 ||
	    q[len] != '\n')
		return -1;
	ent->path = xstrndup(q, (size_t)len);
	*p = q + len + 1;
	return strlen(ent->path) == len ? 0 : -1;
}

static int copyidx_parse(struct copyidx *x, const char *text, size_t len, const char *parent_id)
{
	const char *p = text + strlen(COPYIDX_MAGIC), *end = text + len, *nl;
	long long s, ns;

	if (!startswith(text, COPYIDX_MAGIC) || !(nl = strchr(p, '\n')) ||
	    strncmp(p, parent_id, (size_t)(nl - p)) != 0 || strlen(parent_id) != (size_t)(nl - p))
		return -1;
	p = nl + 1;
	if (sscanf(p, "%lld %lld\n", &s, &ns) != 2 || !(nl = strchr(p, '\n')))
		return -1;
	x->old_start = (struct timespec){.tv_sec = (time_t)s, .tv_nsec = ns};
	for (p = nl + 1; p < end; x->nold++) {
		x->old = xreallocarray(x->old, x->nold + 1, sizeof(*x->old));
		memset(&x->old[x->nold], 0, sizeof(x->old[0]));
		if (copyidx_parse_ent(&p, end, &x->old[x->nold]) < 0) {
			x->nold++;
			return -1;
		}
		if (x->nold && strcmp(x->old[x->nold - 1].path, x->old[x->nold].path) >= 0) {
			x->nold++;
			return -1; /* not sorted: not ours */
		}
	}
	return 0;
}

int copyidx_load(struct copyidx *x, const char *path, const char *parent_id)
{
	struct error ignored;
	cleanup_free char *text = NULL;
	size_t len;

	if (!parent_id || read_file(path, &text, &len, &ignored) < 0)
		return -1;
	if (copyidx_parse(x, text, len, parent_id) == 0)
		return 0;
	copyidx_ents_free(x->old, x->nold);
	x->old = NULL;
	x->nold = 0;
	return -1;
}

/* Changed within a second before the last run began: its ctime may not
 * have moved on since (timestamps tick coarser than edits). */
static int copyidx_racy(const struct copyidx *x, const uintmax_t f[COPYIDX_FIELDS])
{
	intmax_t s = (intmax_t)x->old_start.tv_sec - 1;

	return (intmax_t)f[5] > s || ((intmax_t)f[5] == s && (long)f[6] >= x->old_start.tv_nsec);
}

/* Records this run's entry; returns last run's entry of that path, marked
 * seen, or NULL. */
static struct copyidx_ent *copyidx_record(struct copyidx *x, const char *path,
					  const struct stat *st)
{
	struct copyidx_ent key = {.path = (char *)path}, *old;

	if (x->ncur == x->capcur) {
		x->capcur = x->capcur ? 2 * x->capcur : 256;
		x->cur = xreallocarray(x->cur, x->capcur, sizeof(*x->cur));
	}
	x->cur[x->ncur] = (struct copyidx_ent){.path = xstrdup(path)};
	copyidx_fields(st, x->cur[x->ncur].f);
	old = x->nold ? bsearch(&key, x->old, x->nold, sizeof(*x->old), copyidx_cmp) : NULL;
	x->ncur++;
	if (old && !old->seen)
		x->nseen++;
	if (old)
		old->seen = 1;
	return old;
}

int copyidx_same(struct copyidx *x, const char *path, const struct stat *st)
{
	struct copyidx_ent *old = copyidx_record(x, path, st);

	return old && !copyidx_racy(x, old->f) &&
	       memcmp(old->f, x->cur[x->ncur - 1].f, sizeof(old->f)) == 0;
}

int copyidx_note(struct copyidx *x, const char *path, const struct stat *st)
{
	struct copyidx_ent *old = copyidx_record(x, path, st);

	if (!old)
		return 0;
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 || copyidx_racy(x, old->f) ||
	    memcmp(old->f, x->cur[x->ncur - 1].f, sizeof(old->f)) != 0)
		return 0;
	x->kept++;
	return 1;
}

int copyidx_complete(const struct copyidx *x)
{
	return x->nseen == x->nold;
}

size_t copyidx_kept(const struct copyidx *x)
{
	return x->kept;
}

static int copyidx_write(FILE *out, struct copyidx *x, const char *parent_id)
{
	fprintf(out, "%s%s\n%lld %ld\n", COPYIDX_MAGIC, parent_id, (long long)x->start.tv_sec,
		x->start.tv_nsec);
	if (x->ncur)
		qsort(x->cur, x->ncur, sizeof(*x->cur), copyidx_cmp);
	for (size_t i = 0; i < x->ncur; i++) {
		const uintmax_t *f = x->cur[i].f;
		/* the same source walked twice (two sources overlapping) once */
		if (i && strcmp(x->cur[i - 1].path, x->cur[i].path) == 0)
			continue;
		fprintf(out, "%ju %ju %ju %ju %ju %ju %ju %jo %ju %ju %zu %s\n", f[0], f[1], f[2],
			f[3], f[4], f[5], f[6], f[7], f[8], f[9], strlen(x->cur[i].path),
			x->cur[i].path);
	}
	return ferror(out) ? -1 : 0;
}

int copyidx_save(struct copyidx *x, const char *path, const char *parent_id, struct error *e)
{
	cleanup_free char *tmp = NULL;
	cleanup_close int fd = tmp_open(path, &tmp, e);
	FILE *out;
	int r;

	if (fd < 0)
		return -1;
	out = fdopen(dup(fd), "w");
	if (!out) {
		unlink(tmp);
		return error_set(e, errno, "write %s", path);
	}
	r = copyidx_write(out, x, parent_id);
	if (fclose(out) != 0 || r < 0 || rename(tmp, path) < 0) {
		unlink(tmp);
		return error_set(e, errno, "write %s", path);
	}
	return 0;
}

char *copyidx_stamp_id(const char *done)
{
	struct stat st;

	if (!done || stat(done, &st) < 0)
		return NULL;
	return xasprintf("%ju:%ju:%lld.%09ld", (uintmax_t)st.st_dev, (uintmax_t)st.st_ino,
			 (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}
