/* utf8: UTF-8 and Unicode helpers with Go's semantics, which BuildKit's
 * reader, word expansion and pattern matching inherit. */
#ifndef DF_UTF8_H
#define DF_UTF8_H
#include <stddef.h>

#include "buf.h"

#define RUNE_ERROR 0xFFFD /* utf8.RuneError */

/* The multi-byte cases of the inline functions below. */
int utf8_decode_slow(const char *s, size_t n, int *width);
void utf8_put_slow(struct buf *b, int r);
int utf8_is_space_slow(int r);

/* Length of the longest valid UTF-8 prefix of s[0..n): n when all of s is
 * valid, else the offset of the first byte utf8_decode rejects. */
size_t utf8_valid_len(const char *s, size_t n);

/* The reader calls these for every byte of a Dockerfile: ASCII is
 * handled inline. */

/* Decodes one rune like utf8.DecodeRune: empty, invalid, overlong or
 * surrogate input is RUNE_ERROR with *width 1 (a valid encoded U+FFFD has
 * width 3, so RUNE_ERROR with width 1 means "bad byte"). */
static inline int utf8_decode(const char *s, size_t n, int *width)
{
	if (n && (unsigned char)s[0] < 0x80) {
		*width = 1;
		return s[0];
	}
	return utf8_decode_slow(s, n, width);
}

/* Appends the encoding of r like utf8.AppendRune (invalid r: U+FFFD). */
static inline void utf8_put(struct buf *b, int r)
{
	if (r >= 0 && r < 0x80)
		buf_addc(b, (char)r);
	else
		utf8_put_slow(b, r);
}

/* unicode.IsSpace. */
static inline int utf8_is_space(int r)
{
	if (r < 0x80)
		return r == ' ' || (r >= '\t' && r <= '\r');
	return utf8_is_space_slow(r);
}

#endif
