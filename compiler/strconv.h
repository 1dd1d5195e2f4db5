/* strconv: Go's strconv and time.ParseDuration, with Go's error texts,
 * which BuildKit passes through to users. */
#ifndef DF_STRCONV_H
#define DF_STRCONV_H
#include "buf.h"

/* Go's strconv.Quote of s, in b (reset first); returns b's text. */
const char *strconv_quote(struct buf *b, const char *s);
/* Appends Go's strconv.Quote of the len bytes at s (%q) to b. */
void strconv_quote_add(struct buf *b, const char *s, size_t len);
/* Go's strconv.IsPrint of rune r (tables in strconv_print.c). */
int strconv_is_print(int r);
/* strconv.ParseUint(s, base, 32) for base 8 or 10; -1 on error. */
long strconv_uint32(const char *s, int base);
/* strconv.ParseBool; 1, 0, or -1 on error. */
int strconv_bool(const char *s);
/* strconv.ParseInt(s, 10, bits); 1, or 0 with Go's message in msg. */
int strconv_int(const char *s, int bits, long long *out, struct buf *msg);
/* time.ParseDuration into nanoseconds; 1, or 0 with Go's message in msg. */
int strconv_duration(const char *orig, long long *out, struct buf *msg);

#endif
