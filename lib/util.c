#include <ctype.h>
#include <stdalign.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

const char *argv0 = "df2make";

void fatal(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

void out_of_memory(void)
{
	fatal("out of memory");
}

void warn(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: warning: ", argv0);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p)
		out_of_memory();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		out_of_memory();
	return p;
}

void *xreallocarray(void *p, size_t n, size_t sz)
{
	size_t bytes, cap = 256;

	if (sz && n > SIZE_MAX / sz)
		out_of_memory();
	bytes = n * sz;
	/* Callers grow arrays one element at a time: from 256 bytes on,
	 * powers of two make that amortised (realloc to the size a block
	 * already has is cheap; copying a big array per element was not). */
	if (bytes <= cap)
		return xrealloc(p, bytes);
	while (cap < bytes && cap <= SIZE_MAX / 2)
		cap *= 2;
	return xrealloc(p, cap < bytes ? bytes : cap);
}

char *xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list aq;
	int n;
	char *p;

	va_copy(aq, ap);
	n = vsnprintf(NULL, 0, fmt, aq);
	va_end(aq);
	if (n < 0)
		fatal("bad format string");
	p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void strlist_take(struct strlist *l, char *s)
{
	if (l->n + 2 > l->cap) {
		l->cap = l->cap ? l->cap * 2 : 8;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	l->v[l->n++] = s;
	l->v[l->n] = NULL;
}

void strlist_add(struct strlist *l, const char *s)
{
	strlist_take(l, xstrdup(s));
}

void strlist_free(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

int startswith(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

int endswith(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && memcmp(s + n - m, suffix, m) == 0;
}

char *strlower(char *s)
{
	for (char *p = s; *p; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* ---- arena ---- */

/* Blocks are 4 KB, then 64 KB, then 256 KB, then 2 MB: a small arena
 * stays small (a stage's config holds a few hundred bytes: with 64 KB
 * first blocks, 5,000 mixed lines of 50 stages peaked 70 KB higher), and
 * the graph or the words of a big Dockerfile (megabytes) take few
 * blocks. Requests above a quarter of a block get a block of their own, so
 * that a block wastes at most a quarter. The sizes include the block's
 * header. */
#define ARENA_BLOCK ((size_t)64 << 10)
#define ARENA_FIRST ((size_t)4 << 10)

/* Objects are aligned for a pointer or a long long, not for max_align_t
 * (16: a long double, which no arena holds): an ENV line's instruction and
 * pair wasted 8-16 bytes on padding. */
#define ARENA_ALIGN (alignof(long long) > alignof(void *) ? alignof(long long) : alignof(void *))

struct arena_block {
	struct arena_block *next;
	size_t size; /* of the whole block, header included */
	max_align_t data[];
};

static struct arena_block *arena_block_alloc(size_t size)
{
	struct arena_block *b = xmalloc(size);

	b->size = size;
	return b;
}

static size_t arena_next_size(const struct arena *a)
{
	size_t cur = a->head ? a->head->size : 0;

	return !cur		       ? ARENA_FIRST
	       : cur < ARENA_BLOCK     ? ARENA_BLOCK
	       : cur < 4 * ARENA_BLOCK ? 4 * ARENA_BLOCK
				       : 32 * ARENA_BLOCK;
}

/* Chains a block of at least n bytes: a big one behind head so that head's
 * free room stays in use. */
static char *arena_block_new(struct arena *a, size_t n)
{
	size_t size = arena_next_size(a), room = size - sizeof(struct arena_block);
	struct arena_block *b;

	if (n > room / 4) {
		b = arena_block_alloc(sizeof(*b) + n);
		if (a->head) {
			b->next = a->head->next;
			a->head->next = b;
			return (char *)b->data;
		}
		room = n;
	} else {
		b = arena_block_alloc(size);
	}
	b->next = a->head;
	a->head = b;
	a->p = (char *)b->data + n;
	a->end = (char *)b->data + room;
	return (char *)b->data;
}

/* n bytes (n > 0) at a multiple of align, a power of two. Strings are
 * not aligned: most words are shorter than 16 bytes. */
static void *arena_get(struct arena *a, size_t n, size_t align)
{
	uintptr_t p = ((uintptr_t)a->p + align - 1) & ~(uintptr_t)(align - 1);

	if (p > (uintptr_t)a->end || (uintptr_t)a->end - p < n)
		return arena_block_new(a, n);
	a->p = (char *)p + n;
	return (char *)p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return arena_get(a, n ? n : 1, ARENA_ALIGN);
}

void *arena_calloc(struct arena *a, size_t n, size_t sz)
{
	void *p;

	if (sz && n > SIZE_MAX / sz)
		out_of_memory();
	p = arena_alloc(a, n * sz);
	memset(p, 0, n * sz);
	return p;
}

char *arena_text(struct arena *a, size_t n)
{
	return arena_get(a, n ? n : 1, 1);
}

char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *c = arena_get(a, n + 1, 1);

	memcpy(c, s, n);
	c[n] = '\0';
	return c;
}

char *arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

void arena_free(struct arena *a)
{
	struct arena_block *b, *next;

	for (b = a->head; b; b = next) {
		next = b->next;
		free(b);
	}
	*a = (struct arena){0};
}

void arena_reset(struct arena *a)
{
	struct arena_block *b, *next;

	if (!a->head)
		return;
	for (b = a->head->next; b; b = next) {
		next = b->next;
		free(b);
	}
	a->head->next = NULL;
	a->p = (char *)a->head->data;
}
