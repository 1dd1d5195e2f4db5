/* key: cache keys (see key.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "hash.h"
#include "sha256.h"
#include "key.h"
#include "spec.h"
#include "util.h"

static const char *key_ctx, *key_ignore;
static size_t key_ctx_len, key_ignore_len;
/* named directory contexts and their ignore files (nctx.c), borrowed */
static const char **key_more;
static size_t *key_more_len, key_nmore, key_more_cap;

void key_set_paths(const char *context, const char *ignore)
{
	key_ctx = context;
	key_ignore = ignore;
	key_ctx_len = context ? strlen(context) : 0;
	key_ignore_len = ignore ? strlen(ignore) : 0;
	key_nmore = 0;
}

void key_add_path(const char *path)
{
	if (key_nmore == key_more_cap) {
		key_more_cap = key_more_cap ? 2 * key_more_cap : 8;
		key_more = xreallocarray(key_more, key_more_cap, sizeof(*key_more));
		key_more_len = xreallocarray(key_more_len, key_more_cap, sizeof(*key_more_len));
	}
	key_more_len[key_nmore] = strlen(path);
	key_more[key_nmore++] = path;
}

/* One of the named contexts' paths (rare: a short list). */
static int kc_is_more(const struct sv *v)
{
	for (size_t i = 0; i < key_nmore; i++)
		if (v->u.str.n == key_more_len[i] &&
		    memcmp(v->u.str.s, key_more[i], key_more_len[i]) == 0)
			return 1;
	return 0;
}

/* ---- the keying view of a spec, written without copying it: fields
 * sorted, title/loc/lines/limits left out (the spec keeps its field order for build.mk),
 * extra's fields merged over the spec's. Host paths say where the inputs
 * live, not what they are: the context's content is in the sum step,
 * secrets and ssh are never in the key (BuildKit), so an object field
 * holding the context dir or ignore file is written ".", and a mount's
 * src and socket are left out: moving a checkout keeps its cache. ---- */

struct kc_field {
	const struct sv *v;
	int strip; /* host paths in it are written "." */
};

/* jansson's compare_keys, which JSON_SORT_KEYS used: bytes, then length.
 * By hand: keys are short, a memcmp call per comparison showed. */
static int kc_less(const struct sv *x, const struct sv *y)
{
	size_t n = x->klen < y->klen ? x->klen : y->klen;

	for (size_t i = 0; i < n; i++)
		if (x->key[i] != y->key[i])
			return (unsigned char)x->key[i] < (unsigned char)y->key[i];
	return x->klen < y->klen;
}

/* Insertion sort: objects have a few fields, most nearly in order. */
static void kc_isort(struct kc_field *f, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct kc_field t = f[i];
		size_t j = i;
		for (; j && kc_less(t.v, f[j - 1].v); j--)
			f[j] = f[j - 1];
		f[j] = t;
	}
}

/* Stable (equal keys keep their order: the key text must not depend on
 * the sort) and O(n log n): an image's config may hold a million LABELs,
 * whose insertion sort took 208 s. Runs of 16 by insertion, then merged. */
static void kc_sort(struct kc_field *f, size_t n)
{
	struct kc_field *tmp, *src = f, *dst;

	if (n <= 64) {
		kc_isort(f, n);
		return;
	}
	for (size_t i = 0; i < n; i += 16)
		kc_isort(f + i, n - i < 16 ? n - i : 16);
	tmp = xreallocarray(NULL, n, sizeof(*tmp));
	dst = tmp;
	for (size_t w = 16; w < n; w *= 2) {
		for (size_t lo = 0; lo < n; lo += 2 * w) {
			size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
			size_t i = lo, j = mid, k = lo;
			while (i < mid && j < hi)
				dst[k++] = kc_less(src[j].v, src[i].v) ? src[j++] : src[i++];
			while (i < mid)
				dst[k++] = src[i++];
			while (j < hi)
				dst[k++] = src[j++];
		}
		struct kc_field *t = src;
		src = dst;
		dst = t;
	}
	if (src != f)
		memcpy(f, src, n * sizeof(*f));
	free(tmp);
}

static int kc_key_is(const struct sv *f, const char *k, size_t n)
{
	return f->klen == n && f->key[0] == k[0] && memcmp(f->key, k, n) == 0;
}

static int kc_is_path(const struct sv *v)
{
	if (v->type != SV_STR)
		return 0;
	/* lengths first: every string of a spec is compared */
	return (key_ctx && v->u.str.n == key_ctx_len &&
		memcmp(v->u.str.s, key_ctx, key_ctx_len) == 0) ||
	       (key_ignore && v->u.str.n == key_ignore_len &&
		memcmp(v->u.str.s, key_ignore, key_ignore_len) == 0) ||
	       (key_nmore && kc_is_more(v));
}

/* 1 if field f of an object is left out of the key. */
static int kc_skip(const struct sv *f, const struct sv *extra, int top, int mount)
{
	if (top && (kc_key_is(f, "title", 5) || kc_key_is(f, "loc", 3) ||
		    kc_key_is(f, "lines", 5) || kc_key_is(f, "limits", 6)))
		return 1;
	if (mount && (kc_key_is(f, "src", 3) || kc_key_is(f, "socket", 6)))
		return 1;
	for (const struct sv *e = extra ? extra->u.kids.first : NULL; e; e = e->next)
		if (e->klen == f->klen && memcmp(e->key, f->key, f->klen) == 0)
			return 1;
	return 0;
}

static void kc_value(struct buf *b, const struct sv *v, int strip, struct spec_sink *sk);

/* obj's fields and then extra's (never stripped), sorted. */
static void kc_object(struct buf *b, const struct sv *obj, const struct sv *extra, int top,
		      int strip, struct spec_sink *sk)
{
	size_t n = obj->u.kids.n + (extra ? extra->u.kids.n : 0), m = 0;
	struct kc_field small[32], *f = n <= 32 ? small : xreallocarray(NULL, n, sizeof(*f));
	/* A mount has a type and a target, or only an env= (a secret that is
	 * just a variable). */
	int mount = strip && sv_get(obj, "type") && (sv_get(obj, "target") || sv_get(obj, "env"));

	for (const struct sv *x = obj->u.kids.first; x; x = x->next)
		if (!strip || !kc_skip(x, extra, top, mount)) {
			f[m] = (struct kc_field){x, strip};
			m++;
		}
	for (const struct sv *x = extra ? extra->u.kids.first : NULL; x; x = x->next) {
		f[m] = (struct kc_field){x, 0};
		m++;
	}
	kc_sort(f, m);
	buf_addc(b, '{');
	for (size_t i = 0; i < m; i++) {
		if (i)
			buf_addc(b, ',');
		spec_write_string(b, f[i].v->key, f[i].v->klen);
		buf_addc(b, ':');
		if (f[i].strip && kc_is_path(f[i].v))
			buf_addn(b, "\".\"", 3);
		else
			kc_value(b, f[i].v, f[i].strip, sk);
	}
	buf_addc(b, '}');
	if (f != small)
		free(f);
}

/* A lazy array, element by element (spec.h), the text handed to sk. */
static void kc_lazy(struct buf *b, const struct sv *v, int strip, struct spec_sink *sk)
{
	struct spec *scratch = spec_new();

	buf_addc(b, '[');
	for (size_t i = 0; i < v->u.lazy.n; i++) {
		if (i)
			buf_addc(b, ',');
		kc_value(b, sv_lazy_elem(v, i, scratch), strip, sk);
		if (sk && b->len >= SPEC_SINK_CHUNK)
			sk->take(sk, b);
	}
	buf_addc(b, ']');
	spec_free(scratch);
}

/* A value: objects sorted (and stripped when strip), strings in arrays
 * kept as they are. */
static void kc_value(struct buf *b, const struct sv *v, int strip, struct spec_sink *sk)
{
	if (v->type == SV_OBJ) {
		kc_object(b, v, NULL, 0, strip, sk);
	} else if (v->type == SV_ARR) {
		buf_addc(b, '[');
		for (const struct sv *x = v->u.kids.first; x; x = x->next) {
			if (x != v->u.kids.first)
				buf_addc(b, ',');
			kc_value(b, x, strip, sk);
		}
		buf_addc(b, ']');
	} else if (v->type == SV_LAZY) {
		kc_lazy(b, v, strip, sk);
	} else {
		spec_write(b, v);
	}
}

void key_canonical(struct buf *b, const struct sv *spec, const struct sv *extra)
{
	kc_object(b, spec, extra && extra->type == SV_OBJ ? extra : NULL, 1, 1, NULL);
}

/* A long message (a pack spec with a long history) hashed in pieces. */
struct kc_sink {
	struct spec_sink sk;
	struct sha256 h;
	int started;
};

static void kc_take(struct spec_sink *sk, struct buf *b)
{
	struct kc_sink *k = (struct kc_sink *)sk;

	if (!k->started)
		sha256_init(&k->h);
	k->started = 1;
	sha256_update(&k->h, b->s, b->len);
	buf_reset(b);
}

void key_spec(const char *parent, const struct sv *spec, const struct sv *extra, char key[33])
{
	/* reused: one allocation for all the keys of a build */
	static struct buf msg;
	struct kc_sink k = {.sk.take = kc_take};
	char hex[65];

	buf_reset(&msg);
	buf_addn(&msg, "df2make-key 1\n", 14);
	if (parent)
		buf_adds(&msg, parent);
	buf_addc(&msg, '\n');
	kc_object(&msg, spec, extra && extra->type == SV_OBJ ? extra : NULL, 1, 1, &k.sk);
	if (k.started) {
		sha256_update(&k.h, msg.s, msg.len);
		sha256_final_hex(&k.h, hex);
	} else {
		sha256_hex(msg.s, msg.len, hex);
	}
	memcpy(key, hex, 32);
	key[32] = '\0';
}

void key_compute(const char *parent, json_t *spec, json_t *extra, char key[33])
{
	struct spec *sp = spec_new();

	key_spec(parent, sv_json(sp, spec), extra ? sv_json(sp, extra) : NULL, key);
	spec_free(sp);
}

void key_step(struct step *st)
{
	struct sv *extra = NULL;

	/* FROM keys on the resolved manifest, as BuildKit does, so loading a
	 * new image under the same tag rebuilds everything above it */
	if (st->kind == STEP_BASE) {
		extra = sv_obj(st->spec);
		sv_set_str(st->spec, extra, "manifest", st->manifest);
	}
	key_spec(st->parent ? st->parent->key : NULL, spec_root(st->spec), extra, st->key);
}
