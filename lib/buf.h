/* buf: a growable byte buffer, always NUL-terminated. */
#ifndef DF_BUF_H
#define DF_BUF_H
#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *s;
	size_t len, cap;
};

/* Appends n bytes. */
void buf_addn(struct buf *b, const char *s, size_t n);
/* Appends a C string. */
void buf_adds(struct buf *b, const char *s);
/* Appends one byte. */
void buf_addc(struct buf *b, char c);
/* Appends formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);
/* Returns the string (never NULL) and leaves the buffer empty; caller frees. */
char *buf_steal(struct buf *b);
/* Frees the memory. */
void buf_free(struct buf *b);

#endif
