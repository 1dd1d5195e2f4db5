/* json: a JSON value reader with encoding/json's rules, for the exec form
 * (["cmd", "arg"]) that BuildKit's parseJSON accepts, see json.h. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "utf8.h"
#include "util.h"

void json_ws(struct json *j)
{
	while (j->i < j->n && (j->s[j->i] == ' ' || j->s[j->i] == '\t' || j->s[j->i] == '\n' ||
			       j->s[j->i] == '\r'))
		j->i++;
}

/* Four hex digits at s; -1 if not. */
static int hex4(const char *s, size_t n)
{
	int v = 0, k;

	if (n < 4)
		return -1;
	for (k = 0; k < 4; k++) {
		char c = s[k];
		int d = c >= '0' && c <= '9'		     ? c - '0'
			: (c | 32) >= 'a' && (c | 32) <= 'f' ? (c | 32) - 'a' + 10
							     : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* A \uXXXX escape at j->i (after the 'u'), pairing surrogates as Go does. */
static int json_u(struct json *j, struct buf *out)
{
	int r = hex4(j->s + j->i, j->n - j->i), r2;

	if (r < 0)
		return 0;
	j->i += 4;
	if (r >= 0xD800 && r < 0xE000) {
		r2 = -1;
		if (j->i + 6 <= j->n && j->s[j->i] == '\\' && j->s[j->i + 1] == 'u')
			r2 = hex4(j->s + j->i + 2, j->n - j->i - 2);
		if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
			r = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
			j->i += 6;
		} else {
			r = RUNE_ERROR;
		}
	}
	if (out)
		utf8_put(out, r);
	return 1;
}

/* A string at j->i (the opening quote); decoded into out if non-NULL. */
static int json_string(struct json *j, struct buf *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	int w, r;

	j->i++;
	while (j->i < j->n) {
		unsigned char c = (unsigned char)j->s[j->i];
		if (c == '"') {
			j->i++;
			return 1;
		}
		if (c < 0x20)
			return 0;
		if (c == '\\') {
			if (++j->i >= j->n)
				return 0;
			c = (unsigned char)j->s[j->i++];
			if (c == 'u') {
				if (!json_u(j, out))
					return 0;
			} else if (c && (e = strchr(from, c))) {
				if (out)
					buf_addc(out, to[e - from]);
			} else {
				return 0;
			}
			continue;
		}
		r = utf8_decode(j->s + j->i, j->n - j->i, &w);
		if (out)
			utf8_put(out, r);
		j->i += (size_t)w;
	}
	return 0;
}

/* 1 if the number does not fit a float64 (strconv.ParseFloat's ErrRange;
 * underflow to zero is no error in Go). */
static int number_overflows(const char *s, size_t n)
{
	char *copy = xstrndup(s, n);
	double v;
	int over;

	errno = 0;
	v = strtod(copy, NULL);
	over = errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL);
	free(copy);
	return over;
}

/* Skips a JSON number at j->i. */
static int json_number(struct json *j)
{
	size_t i = j->i, d;

	if (i < j->n && j->s[i] == '-')
		i++;
	if (i < j->n && j->s[i] == '0') {
		i++;
	} else {
		for (d = i; i < j->n && j->s[i] >= '0' && j->s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < j->n && j->s[i] == '.') {
		for (d = ++i; i < j->n && j->s[i] >= '0' && j->s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	if (i < j->n && (j->s[i] | 32) == 'e') {
		i++;
		if (i < j->n && (j->s[i] == '+' || j->s[i] == '-'))
			i++;
		for (d = i; i < j->n && j->s[i] >= '0' && j->s[i] <= '9'; i++)
			;
		if (i == d)
			return 0;
	}
	j->overflow |= number_overflows(j->s + j->i, i - j->i);
	j->i = i;
	return 1;
}

/* Elements of an array or members of an object, after the opening bracket. */
static int json_seq(struct json *j, char close, int object)
{
	int dummy;

	json_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++;
		return 1;
	}
	for (;;) {
		json_ws(j);
		if (object) {
			if (j->i >= j->n || j->s[j->i] != '"' || !json_string(j, NULL))
				return 0;
			json_ws(j);
			if (j->i >= j->n || j->s[j->i++] != ':')
				return 0;
		}
		if (!json_value(j, NULL, &dummy))
			return 0;
		json_ws(j);
		if (j->i >= j->n)
			return 0;
		if (j->s[j->i] == close) {
			j->i++;
			return 1;
		}
		if (j->s[j->i++] != ',')
			return 0;
	}
}

int json_value(struct json *j, struct buf *str, int *is_str)
{
	static const char *const lits[] = {"true", "false", "null"};
	size_t k;

	*is_str = 0;
	json_ws(j);
	if (j->i >= j->n)
		return 0;
	switch (j->s[j->i]) {
	case '"':
		*is_str = 1;
		return json_string(j, str);
	case '[':
	case '{':
		if (++j->depth > 10000) /* encoding/json's maxNestingDepth */
			return 0;
		j->i++;
		k = json_seq(j, j->s[j->i - 1] == '[' ? ']' : '}', j->s[j->i - 1] == '{');
		j->depth--;
		return (int)k;
	}
	for (k = 0; k < LEN(lits); k++) {
		size_t l = strlen(lits[k]);
		if (j->n - j->i >= l && !memcmp(j->s + j->i, lits[k], l)) {
			j->i += l;
			return 1;
		}
	}
	return json_number(j);
}
