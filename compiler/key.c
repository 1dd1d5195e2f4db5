/* key: cache keys (see key.h). */
#include <stdlib.h>
#include <string.h>

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

/* Changes made to a spec for keying, undone afterwards (no deep copy:
 * keying is on the hot path of big Dockerfiles). */
struct key_undo {
	json_t *obj;
	char *field;
	json_t *old; /* reference held; NULL = the field was added */
};

struct key_undos {
	struct key_undo *v;
	size_t n;
};

/* Sets or deletes (v NULL) obj.field, remembering the old value. */
static void key_change(struct key_undos *u, json_t *obj, const char *field, json_t *v)
{
	u->v = xreallocarray(u->v, u->n + 1, sizeof(*u->v));
	u->v[u->n].obj = obj;
	u->v[u->n].field = xstrdup(field);
	u->v[u->n].old = json_incref(json_object_get(obj, field));
	u->n++;
	if (v)
		json_object_set_new(obj, field, v);
	else
		json_object_del(obj, field);
}

static void key_undo(struct key_undos *u)
{
	while (u->n--) {
		struct key_undo *x = &u->v[u->n];
		if (x->old)
			json_object_set_new(x->obj, x->field, x->old);
		else
			json_object_del(x->obj, x->field);
		free(x->field);
	}
	free(u->v);
}

/* Host paths say where the inputs live, not what they are: the context's
 * content is in the sum step, secrets and ssh are never in the key
 * (BuildKit), so moving a checkout keeps its cache. */
static void key_strip_paths(struct key_undos *u, json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) key_strip_paths(u, x);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x)
	{
		const char *s = json_string_value(x);
		if (s && ((key_ctx && strcmp(s, key_ctx) == 0) ||
			  (key_ignore && strcmp(s, key_ignore) == 0)))
			key_change(u, v, k, json_string("."));
		else if (json_is_object(x) || json_is_array(x))
			key_strip_paths(u, x);
	}
	if (json_object_get(v, "type") && json_object_get(v, "target")) { /* a mount */
		if (json_object_get(v, "src"))
			key_change(u, v, "src", NULL);
		if (json_object_get(v, "socket"))
			key_change(u, v, "socket", NULL);
	}
}

/* What is keyed: a shallow copy of spec without title/loc (the spec keeps
 * its field order for build.mk), host paths stripped, extra merged. */
static json_t *key_top(json_t *spec, json_t *extra, struct key_undos *u)
{
	json_t *top = json_object(), *x;
	const char *k;

	json_object_foreach(spec, k, x)
	{
		if (strcmp(k, "title") && strcmp(k, "loc"))
			json_object_set(top, k, x);
	}
	key_strip_paths(u, top);
	json_object_foreach(extra, k, x) json_object_set(top, k, x);
	return top;
}

char *key_canonical(json_t *spec, json_t *extra)
{
	struct key_undos u = {0};
	json_t *top = key_top(spec, extra, &u);
	char *s = json_dumps(top, JSON_COMPACT | JSON_SORT_KEYS);

	key_undo(&u);
	json_decref(top);
	if (!s)
		fatal("cannot serialise a step spec");
	return s;
}

void key_compute(const char *parent, json_t *spec, json_t *extra, char key[33])
{
	char *canon = key_canonical(spec, extra), hex[65];
	struct sha256 h;

	sha256_init(&h);
	sha256_update(&h, "df2make-key 1\n", 14);
	if (parent)
		sha256_update(&h, parent, strlen(parent));
	sha256_update(&h, "\n", 1);
	sha256_update(&h, canon, strlen(canon));
	free(canon);
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
