/* key: cache keys (see key.h). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "hash.h"
#include "key.h"
#include "util.h"

static const char *key_ctx, *key_ignore;

void key_set_paths(const char *context, const char *ignore)
{
	key_ctx = context;
	key_ignore = ignore;
}

/* ---- a direct JSON writer: jansson's json_dumps builds its text through
 * a callback per token and checks UTF-8 again on every string, which made
 * serialising specs most of the compile time of big Dockerfiles. The
 * output must stay byte-identical to json_dumps(JSON_COMPACT[|SORT_KEYS])
 * because keys hash it and the golden build.mk files hold it. ---- */

/* One escaped byte as jansson writes it: \b \f \n \r \t by name, other
 * control bytes as \u00XX in upper case. */
static void jw_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";
	char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};

	switch (c) {
	case '"':
	case '\\':
		buf_addc(b, '\\');
		buf_addc(b, (char)c);
		return;
	case '\b':
		buf_adds(b, "\\b");
		return;
	case '\f':
		buf_adds(b, "\\f");
		return;
	case '\n':
		buf_adds(b, "\\n");
		return;
	case '\r':
		buf_adds(b, "\\r");
		return;
	case '\t':
		buf_adds(b, "\\t");
		return;
	default:
		buf_addn(b, u, sizeof(u));
	}
}

/* jansson's dump_string: only '"', '\\' and control bytes are escaped;
 * strings are already valid UTF-8, so other bytes pass through. */
static void jw_string(struct buf *b, const char *s, size_t n)
{
	size_t i = 0;

	buf_addc(b, '"');
	while (i < n) {
		size_t run = i;
		while (run < n && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		buf_addn(b, s + i, run - i);
		if (run < n)
			jw_escape(b, (unsigned char)s[run]);
		i = run + 1;
	}
	buf_addc(b, '"');
}

struct jw_key {
	const char *k;
	size_t n;
	json_t *v;
	int strip; /* keying: host paths in it are written "." */
};

/* jansson's compare_keys: bytes, then length. */
static int jw_key_cmp(const void *a, const void *b)
{
	const struct jw_key *x = a, *y = b;
	int r = memcmp(x->k, y->k, x->n < y->n ? x->n : y->n);

	return r ? r : (x->n > y->n) - (x->n < y->n);
}

static void jw_object(struct buf *b, json_t *obj, int sorted)
{
	size_t n = json_object_size(obj), i = 0;
	struct jw_key small[32], *keys = n <= 32 ? small : xreallocarray(NULL, n, sizeof(*keys));
	const char *k;
	size_t kn;
	json_t *v;

	json_object_keylen_foreach(obj, k, kn, v) keys[i++] = (struct jw_key){k, kn, v, 0};
	if (sorted)
		qsort(keys, n, sizeof(*keys), jw_key_cmp);
	buf_addc(b, '{');
	for (i = 0; i < n; i++) {
		if (i)
			buf_addc(b, ',');
		jw_string(b, keys[i].k, keys[i].n);
		buf_addc(b, ':');
		key_json_write(b, keys[i].v, sorted);
	}
	buf_addc(b, '}');
	if (keys != small)
		free(keys);
}

static void jw_array(struct buf *b, json_t *a, int sorted)
{
	size_t i;
	json_t *x;

	buf_addc(b, '[');
	json_array_foreach(a, i, x)
	{
		if (i)
			buf_addc(b, ',');
		key_json_write(b, x, sorted);
	}
	buf_addc(b, ']');
}

/* See key_json_cache: the shared env array of RUN steps. */
static struct {
	json_t *v; /* reference held, so the address cannot be reused */
	struct buf text;
} jw_cache;

void key_json_cache(json_t *v)
{
	json_decref(jw_cache.v);
	jw_cache.v = json_incref(v);
	buf_free(&jw_cache.text);
}

void key_json_write(struct buf *b, json_t *v, int sorted)
{
	char num[32];

	if (v == jw_cache.v && jw_cache.text.s) {
		buf_addn(b, jw_cache.text.s, jw_cache.text.len);
		return;
	}
	if (v == jw_cache.v) { /* an array of strings: sorting is moot */
		jw_array(&jw_cache.text, v, 0);
		buf_addn(b, jw_cache.text.s, jw_cache.text.len);
		return;
	}
	switch (json_typeof(v)) {
	case JSON_OBJECT:
		jw_object(b, v, sorted);
		break;
	case JSON_ARRAY:
		jw_array(b, v, sorted);
		break;
	case JSON_STRING:
		jw_string(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		buf_addn(b, num,
			 (size_t)snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
					  json_integer_value(v)));
		break;
	case JSON_TRUE:
		buf_adds(b, "true");
		break;
	case JSON_FALSE:
		buf_adds(b, "false");
		break;
	case JSON_NULL:
		buf_adds(b, "null");
		break;
	default: { /* reals: never in specs; jansson knows their format */
		char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
		if (!s)
			fatal("cannot serialise a step spec");
		buf_adds(b, s);
		free(s);
	}
	}
}

/* ---- the keying view of a spec, written without copying it: fields
 * sorted, title/loc left out (the spec keeps its field order for build.mk),
 * extra's fields merged over the spec's. Host paths say where the inputs
 * live, not what they are: the context's content is in the sum step,
 * secrets and ssh are never in the key (BuildKit), so an object field
 * holding the context dir or ignore file is written ".", and a mount's
 * src and socket are left out: moving a checkout keeps its cache. ---- */

static void kc_value(struct buf *b, json_t *v);

static int kc_is_path(const char *s)
{
	return s &&
	       ((key_ctx && strcmp(s, key_ctx) == 0) || (key_ignore && strcmp(s, key_ignore) == 0));
}

/* 1 if field k of obj is left out of the key. */
static int kc_skip(const char *k, json_t *extra, int top, int mount)
{
	if (top && (strcmp(k, "title") == 0 || strcmp(k, "loc") == 0))
		return 1;
	if (mount && (strcmp(k, "src") == 0 || strcmp(k, "socket") == 0))
		return 1;
	return extra && json_object_get(extra, k);
}

/* obj's fields and then extra's (never stripped), sorted. */
static void kc_object(struct buf *b, json_t *obj, json_t *extra, int top)
{
	size_t n = json_object_size(obj) + json_object_size(extra), m = 0, kn;
	struct jw_key small[32], *keys = n <= 32 ? small : xreallocarray(NULL, n, sizeof(*keys));
	int mount = json_object_get(obj, "type") && json_object_get(obj, "target");
	const char *k;
	json_t *v;

	json_object_keylen_foreach(obj, k, kn, v)
	{
		if (!kc_skip(k, extra, top, mount))
			keys[m++] = (struct jw_key){k, kn, v, 1};
	}
	json_object_keylen_foreach(extra, k, kn, v) keys[m++] = (struct jw_key){k, kn, v, 0};
	qsort(keys, m, sizeof(*keys), jw_key_cmp);
	buf_addc(b, '{');
	for (size_t i = 0; i < m; i++) {
		if (i)
			buf_addc(b, ',');
		jw_string(b, keys[i].k, keys[i].n);
		buf_addc(b, ':');
		if (!keys[i].strip)
			key_json_write(b, keys[i].v, 1);
		else if (kc_is_path(json_string_value(keys[i].v)))
			buf_adds(b, "\".\"");
		else
			kc_value(b, keys[i].v);
	}
	buf_addc(b, '}');
	if (keys != small)
		free(keys);
}

/* A value below an object field: strings in arrays are kept as they are. */
static void kc_value(struct buf *b, json_t *v)
{
	size_t i;
	json_t *x;

	if (json_is_object(v)) {
		kc_object(b, v, NULL, 0);
	} else if (json_is_array(v) && v != jw_cache.v) {
		buf_addc(b, '[');
		json_array_foreach(v, i, x)
		{
			if (i)
				buf_addc(b, ',');
			kc_value(b, x);
		}
		buf_addc(b, ']');
	} else {
		key_json_write(b, v, 1);
	}
}

/* Appends the canonical text of spec (+ extra) to b. */
static void key_canonical_buf(struct buf *b, json_t *spec, json_t *extra)
{
	kc_object(b, spec, json_is_object(extra) ? extra : NULL, 1);
}

char *key_canonical(json_t *spec, json_t *extra)
{
	struct buf b = {0};

	key_canonical_buf(&b, spec, extra);
	return buf_steal(&b);
}

void key_compute(const char *parent, json_t *spec, json_t *extra, char key[33])
{
	/* reused: one allocation for all the keys of a build */
	static struct buf canon;
	char hex[65];
	struct sha256 h;

	buf_reset(&canon);
	key_canonical_buf(&canon, spec, extra);
	sha256_init(&h);
	sha256_update(&h, "df2make-key 1\n", 14);
	if (parent)
		sha256_update(&h, parent, strlen(parent));
	sha256_update(&h, "\n", 1);
	sha256_update(&h, canon.s, canon.len);
	sha256_final_hex(&h, hex);
	memcpy(key, hex, 32);
	key[32] = '\0';
}

void key_step(struct step *st)
{
	json_t *extra = NULL;

	/* FROM keys on the resolved manifest, as BuildKit does, so loading a
	 * new image under the same tag rebuilds everything above it */
	if (st->kind == STEP_BASE)
		extra = json_pack("{so}", "manifest",
				  st->manifest ? json_string(st->manifest) : json_null());
	key_compute(st->parent ? st->parent->key : NULL, st->spec, extra, st->key);
	json_decref(extra);
}
