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

/* Host paths say where the inputs live, not what they are: the context's
 * content is in the sum step, secrets and ssh are never in the key
 * (BuildKit), so moving a checkout keeps its cache. */
static void key_strip_paths(json_t *v)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x) key_strip_paths(x);
		return;
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x)
	{
		const char *s = json_string_value(x);
		if (s && ((key_ctx && strcmp(s, key_ctx) == 0) ||
			  (key_ignore && strcmp(s, key_ignore) == 0)))
			json_object_set_new(v, k, json_string("."));
		else
			key_strip_paths(x);
	}
	if (json_object_get(v, "type") && json_object_get(v, "target")) { /* a mount */
		json_object_del(v, "src");
		json_object_del(v, "socket");
	}
}

char *key_canonical(json_t *spec, json_t *extra)
{
	json_t *c = json_deep_copy(spec);
	char *s;

	json_object_del(c, "title");
	json_object_del(c, "loc");
	key_strip_paths(c);
	if (extra)
		json_object_update(c, extra);
	s = json_dumps(c, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(c);
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
	sha256_final_hex(&h, hex);
	memcpy(key, hex, 32);
	key[32] = '\0';
	free(canon);
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
