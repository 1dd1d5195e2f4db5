/* json: reads JSON values as Go's encoding/json does (syntax, escapes,
 * surrogate pairs, nesting limit, float64 range), for the exec form. */
#ifndef DF_JSON_H
#define DF_JSON_H
#include <stddef.h>

#include "buf.h"

/* A reader over s[0..n); i is the next byte. */
struct json {
	const char *s;
	size_t n, i;
	int depth;
	int overflow; /* a number beyond float64: Unmarshal fails, not the syntax */
};

/* Skips JSON white space. */
void json_ws(struct json *j);
/* Reads any value; a string is decoded into str when str is non-NULL and
 * *is_str set. 0 on a syntax error. */
int json_value(struct json *j, struct buf *str, int *is_str);

#endif
