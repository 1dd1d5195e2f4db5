/* spec: a step's JSON spec (docs/internals.md) as a small tree in its own
 * arena. Objects keep their fields in insertion order (build.mk writes
 * them so, as jansson did) and key.c writes the sorted canonical form.
 * A spec is built once, written once or twice and freed: the nodes are
 * bump-allocated and freed together, never one by one. */
#ifndef DF_SPEC_H
#define DF_SPEC_H
#include <jansson.h>
#include <stddef.h>

struct buf;

enum sv_type { SV_NULL, SV_TRUE, SV_FALSE, SV_INT, SV_STR, SV_RAW, SV_ARR, SV_OBJ, SV_LAZY };

struct spec;

/* A value. SV_RAW is JSON text written as it is in both forms, so it may
 * only hold what the canonical writer would not change (an array of
 * strings). SV_LAZY is an array whose elements are made one at a time
 * while it is written, each in a scratch spec emptied before the next: an
 * image's history of 100,000 entries costs no tree. */
struct sv {
	enum sv_type type;
	const char *key; /* field name when in an object (not copied: a literal
			  * or arena text), else NULL */
	size_t klen;
	struct sv *next; /* next field or element */
	union {
		long long i;
		struct {
			const char *s; /* SV_STR, SV_RAW */
			size_t n;
		} str;
		struct {
			struct sv *first, *last; /* SV_ARR, SV_OBJ */
			size_t n;
		} kids;
		struct {
			/* element i, made in sp (SV_LAZY) */
			struct sv *(*elem)(const void *arg, size_t i, struct spec *sp);
			const void *arg;
			size_t n;
		} lazy;
	} u;
};

/* Where a long text goes while it is written: the writers hand it over
 * between two elements of a lazy array once it holds 2 KB, so a spec of
 * megabytes is never whole in memory. take consumes b and empties it. */
struct spec_sink {
	void (*take)(struct spec_sink *sk, struct buf *b);
};

/* The size at which a lazy array's writer hands its text to the sink:
 * small, because each writer (key, JSON, shell quoting) has a buffer that
 * doubles past it: at 64 KB they were ~200 KB of a 1,000-line ENV file's
 * peak; a piece costs a call (a SHA-256 update, a quoting pass). */
#define SPEC_SINK_CHUNK (1u << 11)

/* A new spec whose root is an empty object. */
struct spec *spec_new(void);
/* Frees the spec and every node and string made in it (NULL is fine). */
void spec_free(struct spec *sp);
/* The root object. */
struct sv *spec_root(struct spec *sp);

/* Values made in sp's arena (strings are copied; NULL s makes null). */
struct sv *sv_null(struct spec *sp);
struct sv *sv_bool(struct spec *sp, int b);
struct sv *sv_int(struct spec *sp, long long i);
struct sv *sv_str(struct spec *sp, const char *s);
struct sv *sv_strn(struct spec *sp, const char *s, size_t n);
struct sv *sv_raw(struct spec *sp, const char *json, size_t n);
struct sv *sv_arr(struct spec *sp);
struct sv *sv_obj(struct spec *sp);
/* A lazy array of n elements; elem(arg, i, scratch) makes element i. */
struct sv *sv_lazy(struct spec *sp, size_t n,
		   struct sv *(*elem)(const void *arg, size_t i, struct spec *sp), const void *arg);
/* Element i of a lazy array, made in the scratch spec (emptied first). */
const struct sv *sv_lazy_elem(const struct sv *v, size_t i, struct spec *scratch);
/* A copy of a jansson value. */
struct sv *sv_json(struct spec *sp, json_t *v);
/* The same, but its long arrays (an image config's Env of 100,000
 * entries) are lazy views of v's, which must outlive the writing. */
struct sv *sv_json_lazy(struct spec *sp, json_t *v);

/* Sets obj's field key (a string that outlives sp): replaces the value in
 * place when the field exists (jansson's json_object_set keeps the
 * position), else appends. Returns v. */
struct sv *sv_set(struct sv *obj, const char *key, struct sv *v);
/* Shorthand for sv_set(obj, key, sv_str(sp, s)); NULL s sets null. */
void sv_set_str(struct spec *sp, struct sv *obj, const char *key, const char *s);
/* The field's value or NULL. */
struct sv *sv_get(const struct sv *obj, const char *key);
/* Moves field key (if present) to the end of obj. */
void sv_move_last(struct sv *obj, const char *key);
/* Appends v to array a; returns v. */
struct sv *sv_push(struct sv *a, struct sv *v);

/* Appends v as compact JSON, fields in insertion order: byte for byte
 * what json_dumps(JSON_COMPACT) writes for the same jansson value. */
void spec_write(struct buf *b, const struct sv *v);
/* The same, handing long text over to sk (NULL: all of it stays in b). */
void spec_write_sink(struct buf *b, const struct sv *v, struct spec_sink *sk);
/* Appends s[0..n) as a JSON string with jansson's escaping. */
void spec_write_string(struct buf *b, const char *s, size_t n);

#endif
