/* strconv: Go's number, boolean and duration parsers and strconv.Quote,
 * with Go's error texts (BuildKit passes them through), see strconv.h. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "strconv.h"
#include "utf8.h"
#include "util.h"

const char *strconv_quote(struct buf *b, const char *s)
{
	buf_reset(b);
	strconv_quote_add(b, s, strlen(s));
	return b->s;
}

/* Go's appendQuotedWith: printable runes as they are, the C escapes, \xNN
 * for other controls and for bytes that are not UTF-8, \uNNNN/\UNNNNNNNN
 * for the rest. */
void strconv_quote_add(struct buf *b, const char *s, size_t len)
{
	static const char esc[] = "\a\b\f\n\r\t\v", letter[] = "abfnrtv";
	size_t i = 0;
	int w, r;
	const char *e;

	buf_addc(b, '"');
	for (; i < len; i += (size_t)w) {
		r = utf8_decode(s + i, len - i, &w);
		if (r == RUNE_ERROR && w == 1)
			buf_printf(b, "\\x%02x", (unsigned char)s[i]);
		else if (r == '"' || r == '\\')
			buf_printf(b, "\\%c", r);
		else if (strconv_is_print(r))
			buf_addn(b, s + i, (size_t)w);
		else if (r && r < 0x80 && (e = strchr(esc, r)))
			buf_printf(b, "\\%c", letter[e - esc]);
		else if (r < ' ' || r == 0x7F)
			buf_printf(b, "\\x%02x", r);
		else
			buf_printf(b, r < 0x10000 ? "\\u%04x" : "\\U%08x", r);
	}
	buf_addc(b, '"');
}

long strconv_uint32(const char *s, int base)
{
	unsigned long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = *s - '0';
		if (*s < '0' || d >= base)
			return -1;
		n = n * (unsigned)base + (unsigned)d;
		if (n > UINT32_MAX)
			return -1;
	}
	return (long)n;
}

int strconv_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	size_t i;

	for (i = 0; i < LEN(t); i++) {
		if (!strcmp(s, t[i]))
			return 1;
		if (!strcmp(s, f[i]))
			return 0;
	}
	return -1;
}

int strconv_int(const char *s, int bits, long long *out, struct buf *msg)
{
	const char *p = s;
	unsigned long long n = 0, lim = 1ULL << (bits - 1);
	int neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto syntax;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		if (n <= lim)
			n = n * 10 + (unsigned)(*p - '0');
	}
	if (n > lim || (!neg && n == lim)) {
		buf_printf(msg, "strconv.ParseInt: parsing ");
		strconv_quote_add(msg, s, strlen(s));
		buf_adds(msg, ": value out of range");
		return 0;
	}
	*out = neg ? -(long long)n : (long long)n;
	return 1;
syntax:
	buf_printf(msg, "strconv.ParseInt: parsing ");
	strconv_quote_add(msg, s, strlen(s));
	buf_adds(msg, ": invalid syntax");
	return 0;
}

/* time.ParseDuration's "time: invalid duration" family. */
static int dur_err(struct buf *msg, const char *what, const char *unit, const char *orig)
{
	buf_printf(msg, "time: %s ", what);
	if (unit) {
		strconv_quote_add(msg, unit, strlen(unit));
		buf_adds(msg, " in duration ");
	}
	strconv_quote_add(msg, orig, strlen(orig));
	return 0;
}

/* One unit of a duration; 0 if unknown. */
static unsigned long long dur_unit(const char *u, size_t n)
{
	static const struct {
		const char *name;
		unsigned long long ns;
	} units[] = {
	    {"ns", 1ULL},	    {"us", 1000ULL},	     {"\xc2\xb5s", 1000ULL},
	    {"\xce\xbcs", 1000ULL}, {"ms", 1000000ULL},	     {"s", 1000000000ULL},
	    {"m", 60000000000ULL},  {"h", 3600000000000ULL},
	};
	size_t i;

	for (i = 0; i < LEN(units); i++)
		if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
			return units[i].ns;
	return 0;
}

int strconv_duration(const char *orig, long long *out, struct buf *msg)
{
	const unsigned long long max = 1ULL << 63;
	const char *s = orig;
	unsigned long long d = 0, v, f, unit;
	double scale;
	int neg = 0, pre, post, overflow;
	size_t i;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out = 0;
		return 1;
	}
	if (!*s)
		return dur_err(msg, "invalid duration", NULL, orig);
	while (*s) {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return dur_err(msg, "invalid duration", NULL, orig);
		for (v = 0, pre = 0; *s >= '0' && *s <= '9'; s++, pre = 1) {
			if (v > max / 10)
				return dur_err(msg, "invalid duration", NULL, orig);
			v = v * 10 + (unsigned)(*s - '0');
			if (v > max)
				return dur_err(msg, "invalid duration", NULL, orig);
		}
		f = 0;
		scale = 1;
		post = 0;
		if (*s == '.') {
			for (s++, overflow = 0; *s >= '0' && *s <= '9'; s++, post = 1) {
				if (overflow || f > (max - 1) / 10) {
					overflow = 1;
					continue;
				}
				f = f * 10 + (unsigned)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return dur_err(msg, "invalid duration", NULL, orig);
		for (i = 0; s[i] && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'); i++)
			;
		if (!i)
			return dur_err(msg, "missing unit in duration", NULL, orig);
		unit = dur_unit(s, i);
		if (!unit) {
			char *u = xstrndup(s, i);
			dur_err(msg, "unknown unit", u, orig);
			free(u);
			return 0;
		}
		s += i;
		if (v > max / unit)
			return dur_err(msg, "invalid duration", NULL, orig);
		v *= unit;
		if (f > 0) {
			v += (unsigned long long)((double)f * ((double)unit / scale));
			if (v > max)
				return dur_err(msg, "invalid duration", NULL, orig);
		}
		d += v;
		if (d > max)
			return dur_err(msg, "invalid duration", NULL, orig);
	}
	if (neg) {
		*out = d == max ? LLONG_MIN : -(long long)d;
		return 1;
	}
	if (d > max - 1)
		return dur_err(msg, "invalid duration", NULL, orig);
	*out = (long long)d;
	return 1;
}
