/* utf8: UTF-8 and Unicode helpers with Go's semantics, which BuildKit's
 * reader, word expansion and pattern matching inherit. */
#ifndef DF_UTF8_H
#define DF_UTF8_H
#include <stddef.h>

struct buf;

#define RUNE_ERROR 0xFFFD /* utf8.RuneError */

/* Decodes one rune like utf8.DecodeRune: empty, invalid, overlong or
 * surrogate input is RUNE_ERROR with *width 1 (a valid encoded U+FFFD has
 * width 3, so RUNE_ERROR with width 1 means "bad byte"). */
int utf8_decode(const char *s, size_t n, int *width);
/* Appends the encoding of r like utf8.AppendRune (invalid r: U+FFFD). */
void utf8_put(struct buf *b, int r);
/* unicode.IsSpace. */
int utf8_is_space(int r);

#endif
