/* cacheout: the cache-export op (see cache.h, docs/cache.md). Blobs go
 * first, index.json last and atomically: a reader of the layout sees the
 * old cache or the new one, never a manifest naming a missing blob. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "lock.h"
#include "progress.h"
#include "push.h"
#include "rt.h"
#include "sha256.h"
#include "util.h"

struct cache_out {
	const struct rt *rt;
	const char *dest; /* the layout (for a registry: STATE/KEY/, pushed) */
	int link;	  /* a layout of our own: blobs hard-linked, not copied */
	json_t *params;	  /* the layers' epoch/compress/level */
	json_t *records;  /* content key -> record */
	json_t *layers;	  /* the manifest's descriptors, each blob once */
};

static void cacheout_warn(const char *key, const char *what)
{
	progress_note("df2make-runtime: warning: cache export: step %.8s: %s: not exported", key,
		      what);
}

/* Copies a layer blob into dest (unless there) and lists it once. */
static int cacheout_blob(struct cache_out *o, json_t *meta, struct error *e)
{
	const char *digest = json_string_value(json_object_get(meta, "digest"));
	const char *path = json_string_value(json_object_get(meta, "path"));
	char *dst, hex[65];
	long long size;
	size_t i;
	json_t *d;
	int r = 0;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7) || !path)
		return error_set(e, 0, "layer without a digest or a path");
	dst = xasprintf("%s/blobs/sha256/%s", o->dest, digest + 7);
	/* the registry checks the digest of what it is sent; a link costs
	 * no copy of the layer (another file system: copied) */
	if (access(dst, F_OK) < 0 && !(o->link && link(path, dst) == 0))
		r = blob_put_file_layout(o->dest, path, digest + 7, hex, &size, e);
	free(dst);
	json_array_foreach(o->layers, i, d)
	{
		if (json_equal(json_object_get(d, "digest"), json_object_get(meta, "digest")))
			return r;
	}
	json_array_append_new(o->layers, json_pack("{s:O, s:s, s:O}", "mediaType",
						   json_object_get(meta, "mediaType"), "digest",
						   digest, "size", json_object_get(meta, "size")));
	return r;
}

/* One step: its record under its content key, its blob copied. A step
 * without a content key or a layer is left out with a warning. */
static int cacheout_step(struct cache_out *o, const char *key, struct error *e)
{
	char ck[65], *path;
	json_t *meta, *layer = json_null();
	int r = 0;

	if (!rt_key_valid(key))
		return error_set(e, 0, "bad step key");
	if (cache_read_ck(o->rt, key, ck) < 0) {
		cacheout_warn(key, "no content key (built by an older df2make?)");
		return 0;
	}
	path = rt_path(o->rt, key, ".layer");
	meta = json_load_file(path, 0, NULL);
	free(path);
	if (!meta) {
		cacheout_warn(key, "no layer");
		return 0;
	}
	if (!json_is_true(json_object_get(meta, "empty"))) {
		r = cacheout_blob(o, meta, e);
		json_decref(layer);
		layer = json_pack("{s:O, s:O, s:O, s:O}", "digest", json_object_get(meta, "digest"),
				  "size", json_object_get(meta, "size"), "mediaType",
				  json_object_get(meta, "mediaType"), "diff_id",
				  json_object_get(meta, "diff_id"));
	}
	json_object_set_new(o->records, ck,
			    json_pack("{s:s, s:O, s:o}", "key", key, "params", o->params, "layer",
				      layer ? layer : json_null()));
	json_decref(meta);
	return r < 0 ? error_wrap(e, "step %s", key) : 0;
}

/* Writes j as a blob of dest; fills a descriptor of type mt. */
static json_t *cacheout_put_json(struct cache_out *o, json_t *j, const char *mt, struct error *e)
{
	char *text = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS), hex[65], *dir, *path;
	size_t n = strlen(text);
	json_t *desc = NULL;

	sha256_hex(text, n, hex);
	dir = xasprintf("%s/blobs/sha256", o->dest);
	path = xasprintf("%s/%s", dir, hex);
	if (mkdir_p(dir, 0755, e) == 0 && write_atomic(path, text, n, 0644, e) == 0)
		desc = json_pack("{s:s, s:s+, s:I}", "mediaType", mt, "digest", "sha256:", hex,
				 "size", (json_int_t)n);
	free(path);
	free(dir);
	free(text);
	return desc;
}

/* config, manifest, then index.json and oci-layout. */
static int cacheout_finish(struct cache_out *o, struct error *e)
{
	json_t *cfg = json_pack("{s:i, s:O}", "version", 1, "records", o->records);
	json_t *cdesc = cacheout_put_json(o, cfg, MT_CACHE_CONFIG, e), *man = NULL, *mdesc = NULL;
	char *path = xasprintf("%s/index.json", o->dest), *text = NULL;
	int r = -1;

	if (cdesc)
		man = json_pack("{s:i, s:s, s:O, s:O}", "schemaVersion", 2, "mediaType",
				MT_OCI_MANIFEST, "config", cdesc, "layers", o->layers);
	if (man)
		mdesc = cacheout_put_json(o, man, MT_OCI_MANIFEST, e);
	if (mdesc) {
		json_object_set_new(
		    mdesc, "annotations",
		    json_pack("{s:s}", "org.opencontainers.image.ref.name", "cache"));
		json_t *idx = json_pack("{s:i, s:s, s:[O]}", "schemaVersion", 2, "mediaType",
					MT_OCI_INDEX, "manifests", mdesc);
		text = json_dumps(idx, JSON_COMPACT);
		json_decref(idx);
		r = write_atomic(path, text, strlen(text), 0644, e);
	}
	free(path);
	path = xasprintf("%s/oci-layout", o->dest);
	if (r == 0)
		r = write_atomic(path, "{\"imageLayoutVersion\":\"1.0.0\"}", 30, 0644, e);
	free(path);
	free(text);
	json_decref(mdesc);
	json_decref(man);
	json_decref(cdesc);
	json_decref(cfg);
	return r;
}

/* A registry export's layout: STATE/KEY/ made again (a previous export's
 * links would keep old layers alive). */
static char *cacheout_own_dir(const struct rt *rt, const char *key, struct error *e)
{
	char *dir = rt_path(rt, key, NULL), *blobs = path_join(dir, "blobs/sha256");

	if (remove_tree(dir, e) < 0 || mkdir_p(blobs, 0700, e) < 0) {
		free(dir);
		dir = NULL;
	}
	free(blobs);
	return dir;
}

int op_cache_export(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	struct cache_out o = {.rt = rt, .dest = json_string_value(json_object_get(spec, "dest"))};
	const char *ref = json_string_value(json_object_get(spec, "ref"));
	json_t *steps = json_object_get(spec, "steps"), *s;
	char *own = NULL;
	size_t i;
	int r = 0;

	if (!(ref || (o.dest && o.dest[0] == '/')) || !json_is_array(steps))
		return error_set(e, 0,
				 "cache export: the spec needs ref or an absolute dest, "
				 "and steps");
	if (ref && !(o.dest = own = cacheout_own_dir(rt, key, e)))
		return error_wrap(e, "cache export to %s", ref);
	o.link = ref != NULL;
	/* the step opens first: the push's lines are its progress lines */
	rt_progress(rt, key, spec, "to %s", ref ? ref : o.dest);
	o.params = cache_layer_params(spec);
	o.records = json_object();
	o.layers = json_array();
	json_array_foreach(steps, i, s)
	{
		if (r == 0)
			r = cacheout_step(&o, json_is_string(s) ? json_string_value(s) : "", e);
	}
	if (r == 0)
		r = cacheout_finish(&o, e);
	if (r == 0 && ref) /* blobs the registry has are skipped (HEAD) */
		r = push_layout(o.dest, ref, 1, &(struct push_say){rt, key}, e);
	if (r == 0)
		progress_line(rt, key, "%zu steps, %zu layers", json_object_size(o.records),
			      json_array_size(o.layers));
	if (r == 0)
		r = rt_stamp(rt, key, e);
	json_decref(o.params);
	json_decref(o.records);
	json_decref(o.layers);
	r = r < 0 ? error_wrap(e, "cache export to %s", ref ? ref : o.dest ? o.dest : "?") : 0;
	free(own);
	return r;
}
