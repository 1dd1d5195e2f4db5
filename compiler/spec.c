/* spec: step specs as arena trees (see spec.h). Building them as jansson
 * objects (a hashtable, a malloc and a UTF-8 check per string) and freeing
 * them node by node was a third of the compile time of big files. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "spec.h"
#include "util.h"

struct spec {
	struct arena a; /* the nodes and strings */
	struct sv root;
};

/* The last spec freed, its arena emptied but kept: steps make a spec,
 * emit it and free it one after the other, so the next spec_new takes
 * this one (and its warm pages) instead of allocating. */
static struct spec *spec_spare;

struct spec *spec_new(void)
{
	struct spec *sp = spec_spare;

	if (sp)
		spec_spare = NULL;
	else
		sp = xcalloc(1, sizeof(*sp));
	memset(&sp->root, 0, sizeof(sp->root));
	sp->root.type = SV_OBJ;
	return sp;
}

void spec_free(struct spec *sp)
{
	if (!sp)
		return;
	if (!spec_spare) {
		arena_reset(&sp->a);
		spec_spare = sp;
		return;
	}
	arena_free(&sp->a);
	free(sp);
}

struct sv *spec_root(struct spec *sp)
{
	return &sp->root;
}

static struct sv *sv_new(struct spec *sp, enum sv_type t)
{
	struct sv *v = arena_alloc(&sp->a, sizeof(*v));

	memset(v, 0, sizeof(*v));
	v->type = t;
	return v;
}

struct sv *sv_null(struct spec *sp)
{
	return sv_new(sp, SV_NULL);
}

struct sv *sv_bool(struct spec *sp, int b)
{
	return sv_new(sp, b ? SV_TRUE : SV_FALSE);
}

struct sv *sv_int(struct spec *sp, long long i)
{
	struct sv *v = sv_new(sp, SV_INT);

	v->u.i = i;
	return v;
}

/* A string node of type t holding a copy of s[0..n). */
static struct sv *sv_text(struct spec *sp, enum sv_type t, const char *s, size_t n)
{
	struct sv *v = sv_new(sp, t);

	v->u.str.s = arena_strndup(&sp->a, s, n);
	v->u.str.n = n;
	return v;
}

struct sv *sv_strn(struct spec *sp, const char *s, size_t n)
{
	return sv_text(sp, SV_STR, s, n);
}

struct sv *sv_str(struct spec *sp, const char *s)
{
	return s ? sv_strn(sp, s, strlen(s)) : sv_null(sp);
}

struct sv *sv_raw(struct spec *sp, const char *json, size_t n)
{
	return sv_text(sp, SV_RAW, json, n);
}

struct sv *sv_lazy(struct spec *sp, size_t n,
		   struct sv *(*elem)(const void *arg, size_t i, struct spec *sp), const void *arg)
{
	struct sv *v = sv_new(sp, SV_LAZY);

	v->u.lazy.elem = elem;
	v->u.lazy.arg = arg;
	v->u.lazy.n = n;
	return v;
}

const struct sv *sv_lazy_elem(const struct sv *v, size_t i, struct spec *scratch)
{
	arena_reset(&scratch->a);
	memset(&scratch->root, 0, sizeof(scratch->root));
	return v->u.lazy.elem(v->u.lazy.arg, i, scratch);
}

struct sv *sv_arr(struct spec *sp)
{
	return sv_new(sp, SV_ARR);
}

struct sv *sv_obj(struct spec *sp)
{
	return sv_new(sp, SV_OBJ);
}

/* Reals have no place in specs; jansson knows how it writes them (a
 * json_real is finite: only memory can fail it). */
static struct sv *sv_json_real(struct spec *sp, json_t *v)
{
	char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
	struct sv *r;

	if (!s)
		out_of_memory();
	r = sv_raw(sp, s, strlen(s));
	free(s);
	return r;
}

/* Arrays this long are not copied by sv_json_lazy: a history or an Env
 * as long as the Dockerfile, not the few words of a command. */
#define SV_LAZY_MIN 64

static struct sv *sv_json_any(struct spec *sp, json_t *v, int lazy);

static struct sv *sv_json_elem(const void *arr, size_t i, struct spec *sp)
{
	return sv_json_any(sp, json_array_get(arr, i), 1);
}

static struct sv *sv_json_any(struct spec *sp, json_t *v, int lazy)
{
	struct sv *r;
	const char *k;
	size_t kn, i;
	json_t *x;

	switch (json_typeof(v)) {
	case JSON_OBJECT:
		r = sv_obj(sp);
		json_object_keylen_foreach(v, k, kn, x)
		{
			struct sv *f = sv_json_any(sp, x, lazy);
			f->key = arena_strndup(&sp->a, k, kn);
			f->klen = kn;
			sv_push(r, f);
		}
		return r;
	case JSON_ARRAY:
		if (lazy && json_array_size(v) >= SV_LAZY_MIN)
			return sv_lazy(sp, json_array_size(v), sv_json_elem, v);
		r = sv_arr(sp);
		json_array_foreach(v, i, x) sv_push(r, sv_json_any(sp, x, lazy));
		return r;
	case JSON_STRING:
		return sv_strn(sp, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return sv_int(sp, json_integer_value(v));
	case JSON_TRUE:
		return sv_bool(sp, 1);
	case JSON_FALSE:
		return sv_bool(sp, 0);
	case JSON_NULL:
		return sv_null(sp);
	default:
		return sv_json_real(sp, v);
	}
}

struct sv *sv_json(struct spec *sp, json_t *v)
{
	return sv_json_any(sp, v, 0);
}

struct sv *sv_json_lazy(struct spec *sp, json_t *v)
{
	return sv_json_any(sp, v, 1);
}

struct sv *sv_push(struct sv *a, struct sv *v)
{
	v->next = NULL;
	if (a->u.kids.last)
		a->u.kids.last->next = v;
	else
		a->u.kids.first = v;
	a->u.kids.last = v;
	a->u.kids.n++;
	return v;
}

/* The field named key[0..n) and the one before it (for unlinking). */
static struct sv *sv_find(const struct sv *obj, const char *key, size_t n, struct sv **prev)
{
	*prev = NULL;
	for (struct sv *f = obj->u.kids.first; f; *prev = f, f = f->next)
		if (f->klen == n && memcmp(f->key, key, n) == 0)
			return f;
	return NULL;
}

struct sv *sv_get(const struct sv *obj, const char *key)
{
	struct sv *prev;

	return sv_find(obj, key, strlen(key), &prev);
}

struct sv *sv_set(struct sv *obj, const char *key, struct sv *v)
{
	size_t n = strlen(key);
	struct sv *prev, *old = sv_find(obj, key, n, &prev);

	v->key = key;
	v->klen = n;
	if (!old)
		return sv_push(obj, v);
	v->next = old->next;
	if (prev)
		prev->next = v;
	else
		obj->u.kids.first = v;
	if (obj->u.kids.last == old)
		obj->u.kids.last = v;
	return v;
}

void sv_set_str(struct spec *sp, struct sv *obj, const char *key, const char *s)
{
	sv_set(obj, key, sv_str(sp, s));
}

void sv_move_last(struct sv *obj, const char *key)
{
	struct sv *prev, *f = sv_find(obj, key, strlen(key), &prev);

	if (!f || f == obj->u.kids.last)
		return;
	if (prev)
		prev->next = f->next;
	else
		obj->u.kids.first = f->next;
	obj->u.kids.n--;
	sv_push(obj, f);
}

/* ---- writing: byte-identical to json_dumps(JSON_COMPACT), whose text
 * build.mk holds and keys hash. ---- */

/* One escaped byte as jansson writes it: \b \f \n \r \t by name, other
 * control bytes as \u00XX in upper case. */
static void sw_escape(struct buf *b, unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF", named[] = "\b\f\n\r\t", name[] = "bfnrt";
	char u[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
	const char *p = memchr(named, c, sizeof(named) - 1);

	if (c == '"' || c == '\\' || p) {
		u[1] = p ? name[p - named] : (char)c;
		buf_addn(b, u, 2);
	} else {
		buf_addn(b, u, sizeof(u));
	}
}

/* jansson's dump_string: only '"', '\\' and control bytes are escaped;
 * other bytes pass through. */
void spec_write_string(struct buf *b, const char *s, size_t n)
{
	/* bytes jansson escapes: control bytes, '"' and '\\' */
	static const unsigned char esc[256] = {
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,	    1,
	    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, ['"'] = 1, ['\\'] = 1,
	};
	size_t i = 0;

	/* the common case, nothing to escape: one scan, one copy into room
	 * made once (strings are mostly short keys and "K=V") */
	while (i < n && !esc[(unsigned char)s[i]])
		i++;
	buf_grow(b, i + 2);
	b->s[b->len] = '"';
	memcpy(b->s + b->len + 1, s, i);
	b->len += i + 1;
	b->s[b->len] = '\0';
	while (i < n) {
		size_t run = i;
		while (run < n && !esc[(unsigned char)s[run]])
			run++;
		buf_addn(b, s + i, run - i);
		if (run < n)
			sw_escape(b, (unsigned char)s[run]);
		i = run + 1;
	}
	buf_addc(b, '"');
}

/* By hand: snprintf cost ~700 instructions a number (modes, ports). */
static void sw_int(struct buf *b, long long i)
{
	char num[24], *p = num + sizeof(num);
	unsigned long long u = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (i < 0)
		*--p = '-';
	buf_addn(b, p, (size_t)(num + sizeof(num) - p));
}

/* A lazy array: each element made, written and dropped in turn, the text
 * handed to the sink as it grows. */
static void sw_lazy(struct buf *b, const struct sv *v, struct spec_sink *sk)
{
	struct spec *scratch = spec_new();

	buf_addc(b, '[');
	for (size_t i = 0; i < v->u.lazy.n; i++) {
		if (i)
			buf_addc(b, ',');
		spec_write_sink(b, sv_lazy_elem(v, i, scratch), sk);
		if (sk && b->len >= SPEC_SINK_CHUNK)
			sk->take(sk, b);
	}
	buf_addc(b, ']');
	spec_free(scratch);
}

void spec_write(struct buf *b, const struct sv *v)
{
	spec_write_sink(b, v, NULL);
}

void spec_write_sink(struct buf *b, const struct sv *v, struct spec_sink *sk)
{
	switch (v->type) {
	case SV_NULL:
		buf_addn(b, "null", 4);
		break;
	case SV_TRUE:
		buf_addn(b, "true", 4);
		break;
	case SV_FALSE:
		buf_addn(b, "false", 5);
		break;
	case SV_INT:
		sw_int(b, v->u.i);
		break;
	case SV_STR:
		spec_write_string(b, v->u.str.s, v->u.str.n);
		break;
	case SV_RAW:
		buf_addn(b, v->u.str.s, v->u.str.n);
		break;
	case SV_ARR:
	case SV_OBJ:
		buf_addc(b, v->type == SV_ARR ? '[' : '{');
		for (const struct sv *x = v->u.kids.first; x; x = x->next) {
			if (x != v->u.kids.first)
				buf_addc(b, ',');
			if (v->type == SV_OBJ) {
				spec_write_string(b, x->key, x->klen);
				buf_addc(b, ':');
			}
			spec_write_sink(b, x, sk);
		}
		buf_addc(b, v->type == SV_ARR ? ']' : '}');
		break;
	case SV_LAZY:
		sw_lazy(b, v, sk);
		break;
	}
}
