/* cache: content keys, and steps restored from a --cache-from layout
 * (see cache.h; the export is cacheout.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "buf.h"
#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "input.h"
#include "lock.h"
#include "progress.h"
#include "rt.h"
#include "sha256.h"
#include "store.h"
#include "unpack.h"
#include "util.h"

/* ---- content keys ---- */

/* Collects the step keys a spec names: "parent" and every "step" field
 * (COPY --from, RUN --mount from=), at any depth. */
static void ck_refs(json_t *v, struct strlist *out)
{
	const char *k;
	json_t *x;
	size_t i;

	if (json_is_array(v)) {
		json_array_foreach(v, i, x)
		{
			ck_refs(x, out);
		}
	}
	if (!json_is_object(v))
		return;
	json_object_foreach(v, k, x)
	{
		if ((strcmp(k, "step") == 0 || strcmp(k, "parent") == 0) && json_is_string(x))
			strlist_add(out, json_string_value(x));
		else
			ck_refs(x, out);
	}
}

static int ck_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int cache_read_ck(const struct rt *rt, const char *key, char ck[65])
{
	char *path = rt_path(rt, key, ".ck"), *text = NULL;
	struct error e;
	size_t n = 0;
	int r = read_file(path, &text, &n, &e) == 0 && n == 65 && text[64] == '\n' ? 0 : -1;

	if (r == 0) {
		memcpy(ck, text, 64);
		ck[64] = '\0';
		r = blob_is_hex(ck) ? 0 : -1;
	}
	free(text);
	free(path);
	return r;
}

/* ADD's network sources: what each fetch step got (STATE/FKEY.fetch: a
 * blob digest and mtime, or a commit), so another machine whose URL
 * served other bytes does not take this layer. */
static void ck_fetched(const struct rt *rt, json_t *spec, struct buf *b)
{
	json_t *ent;
	size_t i;

	json_array_foreach(json_object_get(spec, "fetch"), i, ent)
	{
		const char *fkey = json_string_value(json_object_get(ent, "key"));
		char *path = fkey && rt_key_valid(fkey) ? rt_path(rt, fkey, ".fetch") : NULL;
		char *text = NULL;
		size_t n = 0;
		if (path && read_file(path, &text, &n, &(struct error){0}) == 0)
			buf_printf(b, "fetch %s\n%.*s", fkey, (int)n, text);
		free(text);
		free(path);
	}
}

/* sha256 of the key, the content keys of the steps the spec names (sorted)
 * and the step's own .sum; -1 when a named step has no content key. */
static int ck_compute(const struct rt *rt, const char *key, json_t *spec, char ck[65])
{
	struct strlist refs = {0};
	struct buf b = {0};
	struct error e;
	char rck[65], *path = rt_path(rt, key, ".sum"), *sum = NULL;
	size_t n = 0;
	int r = 0;

	ck_refs(spec, &refs);
	if (refs.n)
		qsort(refs.v, refs.n, sizeof(*refs.v), ck_cmp);
	buf_printf(&b, "df2make-cache 1\n%s\n", key);
	for (size_t i = 0; i < refs.n && r == 0; i++) {
		if (i && strcmp(refs.v[i], refs.v[i - 1]) == 0)
			continue;
		r = rt_key_valid(refs.v[i]) ? cache_read_ck(rt, refs.v[i], rck) : -1;
		if (r == 0)
			buf_printf(&b, "%s %s\n", refs.v[i], rck);
	}
	if (r == 0 && read_file(path, &sum, &n, &e) == 0) {
		buf_adds(&b, "sum\n");
		buf_addn(&b, sum, n);
	}
	ck_fetched(rt, spec, &b);
	if (r == 0)
		sha256_hex(b.s, b.len, ck);
	free(sum);
	free(path);
	buf_free(&b);
	strlist_free(&refs);
	return r;
}

/* ---- the --cache-from layout ---- */

char *cache_read_blob(const char *dir, const char *digest, size_t *len, struct error *e)
{
	char hex[65], *path, *text = NULL;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7)) {
		error_set(e, 0, "bad digest %s", digest ? digest : "(none)");
		return NULL;
	}
	path = xasprintf("%s/blobs/sha256/%s", dir, digest + 7);
	/* a shared directory: a FIFO or a huge file there is an error, not a
	 * hang or a memory blow-up */
	if (input_read(path, INPUT_MAX, &text, len, e) == 0) {
		sha256_hex(text, *len, hex);
		if (strcmp(hex, digest + 7) != 0) {
			error_set(e, 0, "%s: content is sha256:%s", path, hex);
			free(text);
			text = NULL;
		}
	}
	free(path);
	return text;
}

/* Blob digest of dir's JSON blob, parsed; NULL with e set. */
static json_t *cache_read_json(const char *dir, const char *digest, struct error *e)
{
	size_t n;
	char *text = cache_read_blob(dir, digest, &n, e);
	json_error_t jerr;
	json_t *j = text ? json_loadb(text, n, 0, &jerr) : NULL;

	if (text && !j)
		error_set(e, 0, "blob %s: %s", digest, jerr.text);
	free(text);
	return j;
}

/* The descriptor of mediaType mt in list (index manifests, config). */
static const char *cache_desc(json_t *desc, const char *mt)
{
	const char *t = json_string_value(json_object_get(desc, "mediaType"));

	return t && strcmp(t, mt) == 0 ? json_string_value(json_object_get(desc, "digest")) : NULL;
}

json_t *cache_load_config(const char *dir, struct error *e)
{
	char *path = xasprintf("%s/index.json", dir), *text = NULL;
	json_error_t jerr;
	json_t *idx = NULL, *man = NULL, *cfg = NULL, *d;
	const char *mdig = NULL;
	size_t i, n;

	if (input_read(path, INPUT_MAX, &text, &n, e) == 0 &&
	    !(idx = json_loadb(text, n, 0, &jerr)))
		error_set(e, 0, "%s: %s", path, jerr.text);
	free(text);
	json_array_foreach(json_object_get(idx, "manifests"), i, d)
	{
		if (!mdig)
			mdig = cache_desc(d, MT_OCI_MANIFEST);
	}
	if (idx && !mdig)
		error_set(e, 0, "%s: no image manifest", path);
	if (mdig)
		man = cache_read_json(dir, mdig, e);
	if (man) {
		const char *cdig = cache_desc(json_object_get(man, "config"), MT_CACHE_CONFIG);
		cfg = cdig ? cache_read_json(dir, cdig, e) : NULL;
		if (!cdig)
			error_set(e, 0, "manifest %s: not a df2make cache", mdig);
	}
	if (cfg && !json_is_object(json_object_get(cfg, "records"))) {
		error_set(e, 0, "cache config: no records");
		json_decref(cfg);
		cfg = NULL;
	}
	json_decref(man);
	json_decref(idx);
	free(path);
	return cfg;
}

/* $DF2MAKE_CACHE_FROM, as build.mk exports it: the --cache-from sources,
 * [{"type": "local", "src": DIR}, ...] (empty or unset: none). */
static json_t *cache_sources(void)
{
	const char *v = getenv("DF2MAKE_CACHE_FROM");
	json_t *a = v && *v ? json_loads(v, 0, NULL) : NULL;

	if (v && *v && !json_is_array(a))
		progress_note("df2make-runtime: warning: DF2MAKE_CACHE_FROM is not a JSON list: "
			      "no cache used");
	return json_is_array(a) ? a : (json_decref(a), NULL);
}

/* A source as cache_try_src takes it: a local layout (dir absolute), or
 * a registry ref whose manifest and config are imported (once per make
 * run) into STATE/KEY/. 0 when src is neither (ignored). */
static int cache_source(const struct rt *rt, json_t *src, struct cache_src *out)
{
	const char *type = json_string_value(json_object_get(src, "type"));
	const char *dir = json_string_value(json_object_get(src, "src"));
	const char *ref = json_string_value(json_object_get(src, "ref"));
	const char *key = json_string_value(json_object_get(src, "key"));

	memset(out, 0, sizeof(*out));
	if (type && strcmp(type, "local") == 0 && dir && dir[0] == '/')
		out->dir = xstrdup(dir);
	else if (type && strcmp(type, "registry") == 0 && ref && key && rt_key_valid(key)) {
		cache_reg_import(rt, key, ref);
		out->dir = rt_path(rt, key, NULL), out->ref = ref;
	}
	return out->dir != NULL;
}

/* ---- restoring a step ---- */

static int cache_is_digest(const char *s)
{
	return s && startswith(s, "sha256:") && blob_is_hex(s + 7);
}

/* A record's layer: 1 (l filled), 0 (the step changed nothing), -1 bad. */
static int cache_rec_layer(json_t *rec, struct cache_layer *l, struct error *e)
{
	json_t *j = json_object_get(rec, "layer");

	if (json_is_null(j))
		return json_is_object(json_object_get(rec, "params"))
			   ? 0
			   : error_set(e, 0, "cache record without params");
	l->digest = json_string_value(json_object_get(j, "digest"));
	l->diff_id = json_string_value(json_object_get(j, "diff_id"));
	l->media_type = json_string_value(json_object_get(j, "mediaType"));
	l->size = json_integer_value(json_object_get(j, "size"));
	if (!cache_is_digest(l->digest) || !cache_is_digest(l->diff_id) || !l->media_type ||
	    (strcmp(l->media_type, MT_OCI_LAYER) && strcmp(l->media_type, MT_OCI_LAYER_GZIP) &&
	     strcmp(l->media_type, MT_OCI_LAYER_ZSTD)))
		return error_set(e, 0, "bad layer in the cache record");
	if (!json_is_object(json_object_get(rec, "params")))
		return error_set(e, 0, "cache record without params");
	return 1;
}

/* The record's size and media type against the blob's (cheap: a stat
 * and the first bytes); 0 or -1 with e set. */
static int cache_check_meta(const char *blob, const struct cache_layer *l, struct error *e)
{
	const char *mt = blob_layer_media_type(blob, e);
	struct stat st;

	if (stat(blob, &st) < 0)
		return error_set(e, errno, "stat %s", blob);
	if ((json_int_t)st.st_size != l->size)
		return error_set(e, 0, "layer %s: size is %lld, not %lld", l->digest,
				 (long long)st.st_size, (long long)l->size);
	if (!mt)
		return -1;
	if (strcmp(mt, l->media_type) != 0)
		return error_set(e, 0, "layer %s: media type is %s, not %s", l->digest, mt,
				 l->media_type);
	return 0;
}

int cache_check_blob(const char *blob, const struct cache_layer *l, struct error *e)
{
	char hex[65];

	if (cache_check_meta(blob, l, e) < 0)
		return -1;
	if (strcmp(l->media_type, MT_OCI_LAYER) == 0)
		memcpy(hex, l->digest + 7, 65);
	else if (blob_diff_id(blob, hex, e) < 0)
		return -1;
	if (strcmp(hex, l->diff_id + 7) != 0)
		return error_set(e, 0, "layer %s: diff_id is sha256:%s, not %s", l->digest, hex,
				 l->diff_id);
	return 0;
}

/* A blob to copy must be a regular file: opening a FIFO would hang. */
static int cache_regular(const char *path, struct error *e)
{
	struct stat st;

	if (stat(path, &st) < 0)
		return error_set(e, errno, "%s", path);
	return S_ISREG(st.st_mode) ? 0 : error_set(e, 0, "%s: not a regular file", path);
}

/* Copies the cached blob of a local layout into the store (its digest
 * checked on the way) and unpacks it there. The record's diff_id is
 * checked by the unpack, which hashes what it decompresses and renames
 * the layer into place only when it matches (a layer already there is
 * checked against a blob it was not made from): decompressing it first
 * to check would read every byte twice. */
static int cache_fetch(const struct rt *rt, const char *key, const struct cache_src *cs,
		       const struct cache_layer *l, struct error *e)
{
	char *dst = store_blob_path(rt->store, l->digest);
	char *src = xasprintf("%s/blobs/sha256/%s", cs->dir, l->digest + 7), hex[65];
	long long size;
	int r = 0;

	if (access(dst, F_OK) < 0)
		r = cache_regular(src, e) < 0
			? -1
			: blob_put_file(rt->store, src, l->digest + 7, hex, &size, e);
	if (r == 0)
		r = cache_check_meta(dst, l, e);
	if (r == 0)
		r = unpack_layer(rt->store, l->digest, l->diff_id, e);
	free(src);
	free(dst);
	return r;
}

/* The parent's chain (an empty one for scratch). */
static json_t *cache_parent_chain(const struct rt *rt, json_t *spec, struct error *e)
{
	const char *parent = json_string_value(json_object_get(spec, "parent"));
	json_error_t jerr;
	char *path;
	json_t *chain;

	if (!parent)
		return json_array();
	if (!rt_key_valid(parent)) {
		error_set(e, 0, "bad parent key");
		return NULL;
	}
	path = rt_path(rt, parent, "/chain.json");
	chain = json_load_file(path, 0, &jerr);
	if (!json_is_array(chain)) {
		error_set(e, 0, "%s: %s", path, chain ? "not a list" : jerr.text);
		json_decref(chain);
		chain = NULL;
	}
	free(path);
	return chain;
}

static int cache_write_json(const struct rt *rt, const char *key, const char *suffix, json_t *j,
			    struct error *e)
{
	char *path = rt_path(rt, key, suffix);
	char *text = json_dumps(j, JSON_COMPACT);
	int r = write_atomic(path, text, strlen(text), 0644, e);

	free(text);
	free(path);
	return r;
}

/* chain.json = the parent's + the layer (as a base layer is: a directory
 * of the store, and the step's own entry); cache.json = what op_layer
 * needs to take the blob as it is. */
static int cache_commit(const struct rt *rt, const char *key, json_t *spec, json_t *rec,
			const struct cache_layer *l, const char *lazy, struct error *e)
{
	json_t *chain = cache_parent_chain(rt, spec, e), *meta;
	char *ldir = l ? store_layer_dir(rt->store, l->diff_id) : NULL;
	char *blob = l ? store_blob_path(rt->store, l->digest) : NULL;
	int r = chain ? rt_reset_step(rt, key, e) : -1;

	if (l) {
		meta = json_pack("{s:b, s:s, s:s, s:I, s:s, s:s}", "empty", 0, "diff_id",
				 l->diff_id, "digest", l->digest, "size", l->size, "mediaType",
				 l->media_type, "path", blob);
		/* "blob" as a base layer's entry has it: gc keeps the blob, fsck
		 * checks the unpacked layer against it */
		json_t *ent = json_pack("{s:s, s:s, s:{s:s, s:I, s:s}, s:s}", "dir", ldir,
					"diff_id", l->diff_id, "blob", "digest", l->digest, "size",
					l->size, "mediaType", l->media_type, "step", key);
		/* fetched and unpacked when something needs it (cachelazy.c) */
		if (lazy)
			json_object_set_new(ent, "lazy", json_string(lazy));
		json_array_append_new(chain, ent);
	} else {
		meta = json_pack("{s:b}", "empty", 1);
	}
	json_t *cj =
	    json_pack("{s:O, s:o}", "params", json_object_get(rec, "params"), "layer", meta);
	if (r == 0)
		r = cache_write_json(rt, key, "/cache.json", cj, e);
	if (r == 0)
		r = cache_write_json(rt, key, "/chain.json", chain, e);
	if (r == 0)
		r = rt_stamp(rt, key, e);
	json_decref(cj);
	json_decref(chain);
	free(ldir);
	free(blob);
	return r;
}

static int cache_restore(const struct rt *rt, const char *key, json_t *spec,
			 const struct cache_src *cs, json_t *rec, struct error *e)
{
	struct cache_layer l;
	int has = cache_rec_layer(rec, &l, e), lock = -2, r = -1;

	if (has < 0)
		return -1;
	/* from a registry: the record only; the layer when a consumer needs it */
	if (has && cs->ref)
		return cache_commit(rt, key, spec, rec, &l, cs->ref, e);
	/* as FROM: gc waits until chain.json names the blob and layer we add,
	 * and a killed writer's temps (a restore killed mid-way) go first */
	if (has && (lock = store_lock(rt->store, 0, e)) == -1)
		return -1;
	if (has)
		store_sweep(rt->store);
	if (!has || cache_fetch(rt, key, cs, &l, e) == 0)
		r = cache_commit(rt, key, spec, rec, has ? &l : NULL, NULL, e);
	if (lock >= 0)
		close(lock);
	return r;
}

static void cache_warn(const char *key, const char *what, const struct error *e)
{
	progress_note("df2make-runtime: warning: step %.8s: %s: %s", key, what, e->msg);
}

/* Writes STATE/KEY.ck (removes a stale one when the key is unknown). */
static int cache_write_ck(const struct rt *rt, const char *key, json_t *spec, char ck[65])
{
	char *path = rt_path(rt, key, ".ck"), line[66];
	struct error e = {0};
	int r = ck_compute(rt, key, spec, ck);

	if (r < 0) {
		unlink(path);
	} else {
		memcpy(line, ck, 64);
		line[64] = '\n';
		/* no fsync: a torn one reads as none (cache_read_ck checks its
		 * 65 bytes), which only leaves the step out of --cache-to */
		if ((r = write_checked(path, line, 65, 0644, &e)) < 0)
			cache_warn(key, "content key", &e);
	}
	free(path);
	return r;
}

/* 1 when op is a filesystem step (has a content key); *restorable when
 * the cache may stand in for it (a FROM is cheap and needs its image). */
static int cache_op(const char *op, int *restorable)
{
	static const char *const ops[] = {"run", "copy", "add", "workdir"};

	*restorable = 0;
	for (size_t i = 0; i < LEN(ops); i++)
		if (strcmp(op, ops[i]) == 0)
			*restorable = 1;
	return *restorable || strcmp(op, "base") == 0;
}

/* Restores KEY from the source when it holds ck: 1 restored, 0 not
 * there or not usable (warned). */
static int cache_try_src(const struct rt *rt, const char *key, json_t *spec,
			 const struct cache_src *cs, const char *ck)
{
	struct error e = {0};
	json_t *cfg, *rec;
	char *idx = path_join(cs->dir, "index.json");
	int r = 0;

	/* a registry cache its import did not find (warned there) */
	if (cs->ref && access(idx, F_OK) < 0)
		cfg = NULL;
	else if (!(cfg = cache_load_config(cs->dir, &e)))
		cache_warn(key, "--cache-from ignored", &e);
	free(idx);
	rec = json_object_get(json_object_get(cfg, "records"), ck);
	if (rec && cs->ref && cache_lazy_failed(rt, key, rec)) {
		progress_note("df2make-runtime: warning: step %.8s: its layer from --cache-from %s "
			      "failed before, running it",
			      key, cs->ref);
		rec = NULL;
	}
	if (rec && cache_restore(rt, key, spec, cs, rec, &e) < 0)
		cache_warn(key, "not restored from the cache, running it", &e);
	else if (rec)
		r = 1;
	json_decref(cfg);
	return r;
}

/* A step that runs reads the chains its spec names (its parent, COPY
 * --from, RUN --mount from=): their lazy layers are fetched and unpacked
 * first, out of the sandbox's namespaces. */
static int cache_lazy_refs(const struct rt *rt, json_t *spec, struct error *e)
{
	struct strlist refs = {0};
	int r = 0;

	ck_refs(spec, &refs);
	for (size_t i = 0; i < refs.n && r == 0; i++)
		if (rt_key_valid(refs.v[i]))
			r = cache_lazy_chain(rt, refs.v[i], NULL, 1, e);
	strlist_free(&refs);
	return r;
}

int cache_step(const struct rt *rt, const char *op, const char *key, json_t *spec, struct error *e)
{
	int restorable, r = 0;
	json_t *srcs, *src;
	char ck[65];
	size_t i;

	if (!cache_op(op, &restorable))
		return 0;
	if (cache_write_ck(rt, key, spec, ck) < 0 || !restorable)
		return restorable ? cache_lazy_refs(rt, spec, e) : 0;
	/* the first source that holds the step and passes the checks */
	srcs = cache_sources();
	json_array_foreach(srcs, i, src)
	{
		struct cache_src cs;
		if (r || !cache_source(rt, src, &cs))
			continue;
		r = cache_try_src(rt, key, spec, &cs, ck);
		free(cs.dir);
	}
	json_decref(srcs);
	if (r)
		rt_progress(rt, key, spec, "%s", "");
	if (r == 1)
		progress_cached();
	return r ? 1 : cache_lazy_refs(rt, spec, e);
}

/* ---- the layer op of a restored step ---- */

char *cache_layer_upper(const struct rt *rt, const char *key)
{
	char *path = rt_path(rt, key, "/chain.json"), *dir = NULL;
	json_t *chain = json_load_file(path, 0, NULL), *ent;
	size_t i;

	json_array_foreach(chain, i, ent)
	{
		const char *step = json_string_value(json_object_get(ent, "step"));
		const char *d = json_string_value(json_object_get(ent, "dir"));
		if (step && d && strcmp(step, key) == 0 && !dir)
			dir = xstrdup(d);
	}
	json_decref(chain);
	free(path);
	return dir ? dir : rt_path(rt, key, "/upper");
}

json_t *cache_layer_params(json_t *spec)
{
	json_t *p = json_object();
	static const char *const names[] = {"epoch", "compress", "level"};

	for (size_t i = 0; i < LEN(names); i++) {
		json_t *v = json_object_get(spec, names[i]);
		json_object_set_new(p, names[i], v ? json_deep_copy(v) : json_null());
	}
	return p;
}

int cache_layer_reuse(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	char *path = rt_path(rt, key, "/cache.json");
	json_t *cj = json_load_file(path, 0, NULL), *want = cache_layer_params(spec);
	int r = 0;

	/* the blob the image takes: fetched now when the step was restored lazily */
	if (cj && json_equal(json_object_get(cj, "params"), want))
		r = cache_lazy_chain(rt, key, key, 0, e) < 0 ? -1 : 1;
	if (r == 1) {
		/* with the parameters, as layer.c writes it: pack keeps it */
		json_t *meta = json_deep_copy(json_object_get(cj, "layer"));
		if (json_is_object(meta))
			json_object_set(meta, "params", want);
		r = cache_write_json(rt, key, ".layer", meta, e) < 0 ? -1 : 1;
		json_decref(meta);
	}
	json_decref(want);
	json_decref(cj);
	free(path);
	return r;
}
