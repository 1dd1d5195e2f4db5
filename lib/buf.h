/* buf: a growable byte buffer, always NUL-terminated. */
#ifndef DF_BUF_H
#define DF_BUF_H
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

struct buf {
	char *s;
	size_t len, cap;
};

/* Makes room for extra more bytes and the NUL (the slow path of the
 * inline appenders below). */
void buf_grow(struct buf *b, size_t extra);

/* Appends n bytes. Inline: the JSON and make writers and the reader
 * append a few bytes at a time, millions of times for a big file. */
static inline void buf_addn(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap)
		buf_grow(b, n);
	if (n < 16) /* short runs: cheaper than a memcpy call */
		for (size_t i = 0; i < n; i++)
			b->s[b->len + i] = s[i];
	else
		memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Appends a C string. */
void buf_adds(struct buf *b, const char *s);

/* Appends one byte. */
static inline void buf_addc(struct buf *b, char c)
{
	if (b->len + 2 > b->cap)
		buf_grow(b, 1);
	b->s[b->len++] = c;
	b->s[b->len] = '\0';
}
/* Appends formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Returns the string (never NULL) and leaves the buffer empty; caller frees. */
char *buf_steal(struct buf *b);
/* Frees the memory. */
void buf_free(struct buf *b);

#endif
