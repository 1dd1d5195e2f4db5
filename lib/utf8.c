#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "utf8.h"
#include "util.h"

int utf8_decode_slow(const char *str, size_t n, int *width)
{
	const unsigned char *s = (const unsigned char *)str;
	int r, w;

	*width = 1;
	if (n == 0)
		return RUNE_ERROR;
	if (s[0] < 0x80)
		return s[0];
	if (s[0] < 0xC2 || s[0] > 0xF4)
		return RUNE_ERROR;
	w = s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3 : 4;
	if ((size_t)w > n)
		return RUNE_ERROR;
	r = s[0] & (0x7F >> w);
	for (int i = 1; i < w; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return RUNE_ERROR;
		r = r << 6 | (s[i] & 0x3F);
	}
	if ((w == 3 && r < 0x800) || (w == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
	    (r >= 0xD800 && r <= 0xDFFF))
		return RUNE_ERROR;
	*width = w;
	return r;
}

void utf8_put_slow(struct buf *b, int r)
{
	char s[4];

	if (r < 0 || r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF))
		r = RUNE_ERROR;
	if (r < 0x80) {
		buf_addc(b, (char)r);
	} else if (r < 0x800) {
		s[0] = (char)(0xC0 | r >> 6);
		s[1] = (char)(0x80 | (r & 0x3F));
		buf_addn(b, s, 2);
	} else if (r < 0x10000) {
		s[0] = (char)(0xE0 | r >> 12);
		s[1] = (char)(0x80 | (r >> 6 & 0x3F));
		s[2] = (char)(0x80 | (r & 0x3F));
		buf_addn(b, s, 3);
	} else {
		s[0] = (char)(0xF0 | r >> 18);
		s[1] = (char)(0x80 | (r >> 12 & 0x3F));
		s[2] = (char)(0x80 | (r >> 6 & 0x3F));
		s[3] = (char)(0x80 | (r & 0x3F));
		buf_addn(b, s, 4);
	}
}

int utf8_is_space_slow(int r)
{
	switch (r) {
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case ' ':
	case 0x85:
	case 0xA0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202F:
	case 0x205F:
	case 0x3000:
		return 1;
	}
	return r >= 0x2000 && r <= 0x200A;
}

size_t utf8_valid_len(const char *s, size_t n)
{
	size_t i = 0;
	int width;

	while (i < n) {
		if ((unsigned char)s[i] < 0x80) { /* ASCII, most of a Dockerfile */
			i++;
			continue;
		}
		if (utf8_decode(s + i, n - i, &width) == RUNE_ERROR && width == 1)
			break;
		i += (size_t)width;
	}
	return i;
}
