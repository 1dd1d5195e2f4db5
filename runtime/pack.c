/* pack: the `pack` op. The image is the chain of the final step: base
 * layers as the blobs they were loaded as (no recompression), step layers
 * from STATE/STEP.layer. The same inputs give the same bytes: generated
 * JSON has a fixed member order, every time stamp is the epoch. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "imeta.h"
#include "oci.h"
#include "pack.h"
#include "packfmt.h"
#include "progress.h"
#include "ref.h"
#include "rt.h"
#include "snapshot.h"
#include "squash.h"
#include "store.h"
#include "util.h"

struct pack_ctx {
	const struct rt *rt;
	const char *key;
	json_t *spec;
	long long epoch;
	int epoch_set; /* from the spec or SOURCE_DATE_EPOCH, not the default 0 */
	char created[32];
	json_t *layers; /* [{digest,size,mediaType,diff_id,path}] bottom first */
	json_t *steps;	/* {KEY: true} for steps that gave a layer */
	json_t *dirs;	/* the chain's directories, bottom first (type=local) */
	size_t nbase;	/* layers of the base image (the bottom ones) */
	char last[33];	/* the last step that gave a layer */
};

/* STATE/KEY/chain.json: the layers of the final step. Missing, unreadable
 * or torn is an error: any other chain (a parent's) would ship an image
 * without the last layers and exit 0. */
static json_t *pack_chain(struct pack_ctx *c, const char *key, struct error *e)
{
	json_t *chain = chain_read(c->rt, key, e);

	if (!chain)
		rt_torn(c->rt, key, e);
	return chain;
}

static int pack_base_layer(struct pack_ctx *c, json_t *ent, struct error *e)
{
	json_t *b = json_object_get(ent, "blob");
	const char *digest = json_string_value(json_object_get(b, "digest"));
	char *path;
	struct stat st;
	int r = 0;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return error_set(e, 0, "chain entry with a bad blob digest");
	path = store_blob_path(c->rt->store, digest);
	if (stat(path, &st) < 0)
		r = error_set(e, errno, "base layer blob %s", path);
	else
		json_array_append_new(c->layers,
				      json_pack("{s:s, s:I, s:O, s:O, s:s}", "digest", digest,
						"size", (json_int_t)st.st_size, "mediaType",
						json_object_get(b, "mediaType"), "diff_id",
						json_object_get(ent, "diff_id"), "path", path));
	free(path);
	return r;
}

static int pack_step_layer(struct pack_ctx *c, const char *step, struct error *e)
{
	char *path = rt_path(c->rt, step, ".layer");
	json_error_t jerr;
	json_t *l;
	int r = 0;

	/* a step of the image makes its layer itself (no make target): the
	 * layer is made here when it is missing or of other parameters */
	if (layer_ensure(c->rt, step, json_object_get(c->spec, "layer"), c->dirs, e) < 0) {
		free(path);
		return -1;
	}
	l = json_load_file(path, 0, &jerr);
	if (!l)
		r = error_set(e, 0, "layer of step %s: %s", step, jerr.text);
	else if (!json_is_true(json_object_get(l, "empty"))) {
		json_array_append(c->layers, l);
		json_object_set_new(c->steps, step, json_true());
		snprintf(c->last, sizeof(c->last), "%s", step);
	}
	json_decref(l);
	free(path);
	return r;
}

static int pack_layers(struct pack_ctx *c, json_t *chain, struct error *e)
{
	size_t i;
	json_t *ent;

	json_array_foreach(chain, i, ent)
	{
		const char *step = json_string_value(json_object_get(ent, "step"));
		int r = step ? pack_step_layer(c, step, e) : pack_base_layer(c, ent, e);
		if (r < 0)
			return -1;
		if (!step)
			c->nbase = json_array_size(c->layers);
		json_array_append(c->dirs, json_object_get(ent, "dir"));
	}
	return 0;
}

/* The image's steps the chain has no entry for (restored from a cache
 * with an empty layer) still get their KEY.layer, which the cache export
 * reads: from the cache, the chain's directories are not read then. */
static int pack_other_layers(struct pack_ctx *c, json_t *chain, struct error *e)
{
	json_t *params = json_object_get(c->spec, "layer"), *k, *ent;
	size_t i, j;

	json_array_foreach(json_object_get(c->spec, "layers"), i, k)
	{
		const char *key = json_string_value(k);
		int seen = 0;
		json_array_foreach(chain, j, ent)
		{
			const char *step = json_string_value(json_object_get(ent, "step"));
			seen |= step && key && strcmp(step, key) == 0;
		}
		if (key && !seen && layer_ensure(c->rt, key, params, c->dirs, e) < 0)
			return -1;
	}
	return 0;
}

/* --squash (the new layers as one) or --squash-all (every layer as one):
 * the history then gives a layer to the last step only, and the base
 * image's entries (all: but one) become empty_layer in the fixup. */
static int pack_squash(struct pack_ctx *c, struct error *e)
{
	json_t *sq = json_object_get(c->spec, "squash");
	const char *mode = json_string_value(json_object_get(sq, "mode"));
	size_t from = mode && strcmp(mode, "all") == 0 ? 0 : c->nbase;

	if (!mode || json_array_size(c->layers) < from + 2)
		return 0; /* one layer or none to squash: the image as it is */
	if (squash_layers(c->rt, c->key, c->layers, from,
			  json_string_value(json_object_get(sq, "compress")), c->epoch, e) < 0)
		return -1;
	json_object_clear(c->steps);
	if (c->last[0])
		json_object_set_new(c->steps, c->last, json_true());
	return 0;
}

/* Makes the count of history entries with a layer equal the number of
 * layers, as BuildKit's exporter does: surplus entries (oldest first)
 * become empty_layer, missing ones (a base image without history) are
 * added at the bottom, where the base layers are. */
static void pack_history_fixup(struct pack_ctx *c, json_t *hist, size_t nonempty)
{
	size_t nlayers = json_array_size(c->layers), i;
	json_t *h;

	json_array_foreach(hist, i, h)
	{
		if (nonempty <= nlayers)
			break;
		if (!json_is_true(json_object_get(h, "empty_layer"))) {
			json_object_set_new(h, "empty_layer", json_true());
			nonempty--;
		}
	}
	for (; nonempty < nlayers; nonempty++)
		json_array_insert_new(
		    hist, 0,
		    json_pack("{s:s, s:s}", "created", c->created, "comment",
			      "df2make: history entry for a layer that had none"));
}

/* The spec's history with empty_layer set from the steps' layers. */
static json_t *pack_history(struct pack_ctx *c)
{
	json_t *out = json_array(), *h;
	size_t i, nonempty = 0;

	json_array_foreach(json_object_get(c->spec, "history"), i, h)
	{
		json_t *x = json_deep_copy(h);
		const char *step = json_string_value(json_object_get(x, "step"));
		if (step) {
			json_object_del(x, "empty_layer");
			if (!json_object_get(c->steps, step))
				json_object_set_new(x, "empty_layer", json_true());
			json_object_del(x, "step");
		}
		/* new entries have no time yet; base image entries keep theirs */
		if (!json_object_get(x, "created"))
			json_object_set_new(x, "created", json_string(c->created));
		nonempty += !json_is_true(json_object_get(x, "empty_layer"));
		json_array_append_new(out, x);
	}
	if (json_array_size(out) && nonempty != json_array_size(c->layers))
		pack_history_fixup(c, out, nonempty);
	return out;
}

static void pack_set_str(json_t *o, const char *k, json_t *spec, const char *dflt)
{
	const char *v = json_string_value(json_object_get(spec, k));

	if (v || dflt)
		json_object_set_new(o, k, json_string(v ? v : dflt));
}

/* Member order follows the OCI/docker Go structs (what BuildKit writes). */
static json_t *pack_config(struct pack_ctx *c, struct error *e)
{
	json_t *cfg = json_object(), *diff_ids = json_array(), *l, *hist;
	json_t *conf = json_object_get(c->spec, "config");
	size_t i;

	json_array_foreach(c->layers, i, l)
	{
		json_array_append(diff_ids, json_object_get(l, "diff_id"));
	}
	hist = pack_history(c);
	json_object_set_new(cfg, "created", json_string(c->created));
	pack_set_str(cfg, "author", c->spec, NULL);
	pack_set_str(cfg, "architecture", c->spec, oci_host_arch());
	pack_set_str(cfg, "os", c->spec, "linux");
	pack_set_str(cfg, "variant", c->spec, NULL);
	json_object_set_new(cfg, "config",
			    json_is_object(conf) ? json_deep_copy(conf) : json_object());
	json_object_set_new(cfg, "rootfs",
			    json_pack("{s:s, s:o}", "type", "layers", "diff_ids", diff_ids));
	if (json_array_size(hist))
		json_object_set_new(cfg, "history", hist);
	else
		json_decref(hist);
	return cfg;
}

/* Adds a JSON document as a blob; returns its descriptor. */
static json_t *pack_json_blob(struct pack_files *f, json_t *doc, const char *mt)
{
	char *text = oci_dumps(doc), hex[65], *name;
	size_t len = strlen(text);
	json_t *d;

	sha256_hex(text, len, hex);
	name = xasprintf("blobs/sha256/%s", hex);
	pack_add_data(f, name, text, len);
	d = json_pack("{s:s, s:s+, s:I}", "mediaType", mt, "digest", "sha256:", hex, "size",
		      (json_int_t)len);
	free(name);
	return d;
}

static json_t *pack_manifest(struct pack_files *f, json_t *spec, json_t *cdesc, json_t *layers)
{
	json_t *ls = json_array(), *l, *m;
	size_t i;

	json_array_foreach(layers, i, l)
	{
		const char *dg = json_string_value(json_object_get(l, "digest"));
		char *name = xasprintf("blobs/sha256/%s", dg + 7);
		long long size = json_integer_value(json_object_get(l, "size"));
		pack_add_src(f, name, json_string_value(json_object_get(l, "path")), size, dg + 7);
		json_array_append_new(
		    ls, oci_descriptor(
			    packfmt_mt(spec, json_string_value(json_object_get(l, "mediaType"))),
			    dg, size));
		free(name);
	}
	m = json_pack("{s:i, s:s, s:O, s:o}", "schemaVersion", 2, "mediaType",
		      packfmt_mt(spec, MT_OCI_MANIFEST), "config", cdesc, "layers", ls);
	packfmt_annotate(m, spec, "manifest");
	return m;
}

/* The tag alone of a full name ("latest" of docker.io/library/a:latest),
 * as BuildKit and containerd write org.opencontainers.image.ref.name: the
 * full name goes in io.containerd.image.name. A digest-only name keeps
 * its digest. */
static const char *pack_ref_tag(const char *name)
{
	const char *at = strchr(name, '@'), *slash = strrchr(name, '/');
	const char *colon = strrchr(slash ? slash : name, ':');

	if (at)
		return at + 1;
	return colon ? colon + 1 : "latest";
}

/* index.json: one descriptor per tag (as `docker save` does). */
static json_t *pack_index(json_t *mdesc, json_t *tags)
{
	json_t *ms = json_array(), *t;
	size_t i;

	json_array_foreach(tags, i, t)
	{
		json_t *d = json_deep_copy(mdesc), *a = json_object_get(d, "annotations");
		json_t *names = json_pack("{s:O, s:s}", "io.containerd.image.name", t,
					  "org.opencontainers.image.ref.name",
					  pack_ref_tag(json_string_value(t)));
		if (a) /* --annotation manifest-descriptor: beside the names */
			json_object_update(names, a);
		packfmt_sort(names);
		json_object_set_new(d, "annotations", names);
		json_array_append_new(ms, d);
	}
	if (json_array_size(tags) == 0)
		json_array_append(ms, mdesc);
	return json_pack("{s:i, s:s, s:o}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			 "manifests", ms);
}

/* manifest.json for `docker load`: paths into blobs/, and the tags as
 * full names. docker loads "docker.io/library/a:1" as a:1 either way, but
 * podman takes a short "a:1" from a docker archive as localhost/a:1: full
 * names give both the same images. */
static json_t *pack_docker_manifest(json_t *cdesc, json_t *layers, json_t *tags)
{
	json_t *repotags = json_array(), *ls = json_array(), *v;
	size_t i;

	json_array_foreach(tags, i, v) json_array_append(repotags, v);
	json_array_foreach(layers, i, v)
	{
		char *p = xasprintf("blobs/sha256/%s",
				    json_string_value(json_object_get(v, "digest")) + 7);
		json_array_append_new(ls, json_string(p));
		free(p);
	}
	return json_pack("[{s:s+, s:o, s:o}]", "Config", "blobs/sha256/",
			 json_string_value(json_object_get(cdesc, "digest")) + 7, "RepoTags",
			 repotags, "Layers", ls);
}

static void pack_add_doc(struct pack_files *f, const char *name, json_t *doc)
{
	char *text = oci_dumps(doc);

	pack_add_data(f, name, text, strlen(text));
	json_decref(doc);
}

/* The image id docker build -q prints: the config's digest, or the
 * index's with several platforms. */
static char pack_id[80];

/* Keeps desc's digest as the image id. */
static void pack_set_id(json_t *desc)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));

	snprintf(pack_id, sizeof(pack_id), "%s", d ? d : "");
}

/* The image's config and manifest blobs into f, and their descriptors. */
static int pack_blobs(struct pack_ctx *c, struct pack_files *f, json_t **cdesc, json_t **mdesc,
		      struct error *e)
{
	json_t *cfg = pack_config(c, e), *man;

	if (!cfg)
		return -1;
	*cdesc = pack_json_blob(f, cfg, packfmt_mt(c->spec, MT_OCI_CONFIG));
	man = pack_manifest(f, c->spec, *cdesc, c->layers);
	*mdesc = pack_json_blob(f, man, packfmt_mt(c->spec, MT_OCI_MANIFEST));
	packfmt_annotate(*mdesc, c->spec, "manifest-descriptor");
	json_decref(cfg);
	json_decref(man);
	return 0;
}

/* The file list of the image (OCI layout + docker manifest.json). */
static int pack_files_one(struct pack_ctx *c, struct pack_files *f, int docker, struct error *e)
{
	json_t *tags = json_object_get(c->spec, "tags"), *cdesc, *mdesc, *idx;

	if (pack_blobs(c, f, &cdesc, &mdesc, e) < 0)
		return -1;
	idx = pack_index(mdesc, tags);
	packfmt_annotate(idx, c->spec, "index"); /* the layout's index is the image's */
	pack_add_doc(f, "index.json", idx);
	f->meta = imeta_describe(cdesc, mdesc, tags);
	pack_set_id(cdesc);
	if (docker)
		pack_add_doc(f, "manifest.json", pack_docker_manifest(cdesc, c->layers, tags));
	pack_add_data(f, "oci-layout", xstrdup("{\"imageLayoutVersion\":\"1.0.0\"}"), 30);
	pack_finish_list(f);
	json_decref(cdesc);
	json_decref(mdesc);
	return 0;
}

/* The platform object of an image's manifest descriptor. */
static json_t *pack_platform(json_t *spec)
{
	json_t *p = json_object();

	pack_set_str(p, "architecture", spec, oci_host_arch());
	pack_set_str(p, "os", spec, "linux");
	pack_set_str(p, "variant", spec, NULL);
	return p;
}

/* One platform's config and manifest blobs; its manifest descriptor
 * (with "platform") into ms, its config descriptor into cdescs. */
static int pack_image(struct pack_ctx *c, struct pack_files *f, json_t *ms, json_t *cdescs,
		      struct error *e)
{
	json_t *cdesc, *mdesc;

	if (pack_blobs(c, f, &cdesc, &mdesc, e) < 0)
		return -1;
	json_object_set_new(mdesc, "platform", pack_platform(c->spec));
	json_array_append_new(ms, mdesc);
	json_array_append_new(cdescs, cdesc);
	return 0;
}

/* The image docker load gets (manifest.json has no platforms): the
 * host's, else the first. */
static size_t pack_docker_pick(json_t *ms)
{
	json_t *d;
	size_t i;

	json_array_foreach(ms, i, d)
	{
		const char *a = json_string_value(
		    json_object_get(json_object_get(d, "platform"), "architecture"));
		if (a && strcmp(a, oci_host_arch()) == 0)
			return i;
	}
	return 0;
}

/* Several platforms (df2make --platform a,b): as buildx's OCI exporter,
 * index.json points (once per tag) at an image index listing each
 * platform's manifest with its platform; manifest.json holds one image. */
static int pack_files_multi(struct pack_ctx *cs, size_t n, struct pack_files *f, int docker,
			    struct error *e)
{
	json_t *tags = json_object_get(cs[0].spec, "tags");
	json_t *ms = json_array(), *cdescs = json_array(), *idx, *idesc;
	int r = 0;

	for (size_t i = 0; i < n && r == 0; i++)
		r = pack_image(&cs[i], f, ms, cdescs, e);
	if (r == 0) {
		size_t k = pack_docker_pick(ms);
		idx = json_pack("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType",
				packfmt_mt(cs[0].spec, MT_OCI_INDEX), "manifests", ms);
		packfmt_annotate(idx, cs[0].spec, "index");
		idesc = pack_json_blob(f, idx, packfmt_mt(cs[0].spec, MT_OCI_INDEX));
		packfmt_annotate(idesc, cs[0].spec, "index-descriptor");
		pack_add_doc(f, "index.json", pack_index(idesc, tags));
		f->meta = imeta_describe(NULL, idesc, tags);
		pack_set_id(idesc);
		if (docker)
			pack_add_doc(
			    f, "manifest.json",
			    pack_docker_manifest(json_array_get(cdescs, k), cs[k].layers, tags));
		pack_add_data(f, "oci-layout", xstrdup("{\"imageLayoutVersion\":\"1.0.0\"}"), 30);
		pack_finish_list(f);
		json_decref(idx);
		json_decref(idesc);
	}
	json_decref(ms);
	json_decref(cdescs);
	return r;
}

static int pack_files(struct pack_ctx *cs, size_t n, struct pack_files *f, int docker,
		      struct error *e)
{
	return n == 1 ? pack_files_one(cs, f, docker, e) : pack_files_multi(cs, n, f, docker, e);
}

/* The output's parent directory must exist: a typo should not create
 * directories somewhere unexpected. */
static int pack_check_dest(const char *dest, struct error *e)
{
	char *dir = xstrdup(dest), *slash = strrchr(dir, '/');
	struct stat st;
	int r = 0;

	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		strcpy(dir, ".");
	if (stat(dir, &st) < 0)
		r = error_set(e, errno, "output directory %s", dir);
	else if (!S_ISDIR(st.st_mode))
		r = error_set(e, ENOTDIR, "output directory %s", dir);
	free(dir);
	return r;
}

/* type=oci: a layout directory with tar=false, or without tar= when dest
 * ends in '/' or is a directory already; else an OCI archive (buildx's
 * default). */
static int pack_oci_dir(json_t *out, const char *dest)
{
	json_t *tar = json_object_get(out, "tar");
	struct stat st;

	if (json_is_boolean(tar))
		return !json_is_true(tar);
	return endswith(dest, "/") || (stat(dest, &st) == 0 && S_ISDIR(st.st_mode));
}

/* Writes the image (or root filesystem) to its dest, a path whose
 * trailing '/' says "a directory" and is not part of the name. */
static int pack_write(struct pack_ctx *cs, size_t n, const char *type, int dir, const char *dest,
		      struct error *e)
{
	struct pack_files f = {.epoch = cs[0].epoch};
	struct pack_ctx *c = cs;
	int r;

	if (strcmp(type, "local") == 0 && n > 1)
		return error_set(e, 0, "type=local takes one platform");
	/* the chain's directories are copied: lazy layers are unpacked first */
	if (strcmp(type, "local") == 0 && cache_lazy_chain(c->rt, c->key, NULL, 1, e) < 0)
		return -1;
	if (strcmp(type, "local") == 0)
		return local_write(c->dirs, dest, c->epoch_set ? c->epoch : -1, e);
	r = pack_files(cs, n, &f, strcmp(type, "tar") == 0, e);
	/* the record (for --iidfile and --metadata-file) before the image: a
	 * kill between the two leaves no image, so the next make packs again
	 * (and sweeps the record's temp), never an image without its record */
	if (r == 0 && f.meta)
		r = imeta_record(c->rt, c->key, f.meta, e);
	if (r == 0)
		r = dir ? packw_dir(&f, dest, e) : packinc_tar(c->rt->state, &f, dest, e);
	json_decref(f.meta);
	pack_files_free(&f);
	return r < 0 ? error_wrap(e, "write image %s", dest) : 0;
}

static int pack_output(struct pack_ctx *cs, size_t nimg, struct error *e)
{
	struct pack_ctx *c = cs;
	json_t *out = json_object_get(c->spec, "output");
	const char *type = json_string_value(json_object_get(out, "type"));
	const char *dest = json_string_value(json_object_get(out, "dest"));
	char *name;
	size_t n;
	int r;

	if (!type)
		type = "tar";
	if (!dest || !*dest)
		return error_set(e, 0, "output has no dest");
	if (strcmp(type, "tar") != 0 && strcmp(type, "oci") != 0 && strcmp(type, "local") != 0)
		return error_set(e, 0, "unknown output type \"%s\" (tar, oci, local)", type);
	name = xstrdup(dest);
	for (n = strlen(name); n > 1 && name[n - 1] == '/'; n--)
		name[n - 1] = '\0';
	if (pack_check_dest(name, e) < 0) {
		free(name);
		return -1;
	}
	rt_progress(c->rt, c->key, c->spec, "(%s %s)", type, dest);
	r = pack_write(cs, nimg, type, strcmp(type, "oci") == 0 && pack_oci_dir(out, dest), name,
		       e);
	free(name);
	return r;
}

/* What to do about a corrupt stored layer: fsck removes it (and the state
 * or image that needs it), then make rebuilds a step's layer; a base
 * image's layer comes back only by loading the image again. */
static int pack_corrupt_hint(const struct rt *rt, struct error *e)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n,
		 "; run `df2make-runtime --store %s --state %s fsck --repair` to remove it, then "
		 "make again (a base image's layer: load the image again first)",
		 rt->store, rt->state);
	return -1;
}

/* Reads the chain and layers of the image of key (spec: that image's). */
static int pack_ctx_init(struct pack_ctx *c, const struct rt *rt, const char *key, json_t *spec,
			 struct error *e)
{
	json_t *ep = json_object_get(spec, "epoch"), *chain;
	int r;

	*c = (struct pack_ctx){.rt = rt, .key = key, .spec = spec};
	c->epoch = json_is_integer(ep) ? json_integer_value(ep) : oci_default_epoch();
	c->epoch_set =
	    json_is_integer(ep) || (getenv("SOURCE_DATE_EPOCH") && *getenv("SOURCE_DATE_EPOCH"));
	oci_time((time_t)c->epoch, c->created);
	c->layers = json_array();
	c->steps = json_object();
	c->dirs = json_array();
	chain = pack_chain(c, key, e);
	r = chain ? pack_layers(c, chain, e) : -1;
	if (r == 0)
		r = pack_other_layers(c, chain, e);
	if (r == 0)
		r = pack_squash(c, e);
	json_decref(chain);
	return r;
}

static void pack_ctx_free(struct pack_ctx *c)
{
	json_decref(c->layers);
	json_decref(c->steps);
	json_decref(c->dirs);
}

/* The images of the spec: itself, or each of "images" (one per platform:
 * {"key", "config", "architecture", ...} over the shared fields). */
static size_t pack_specs(const char *key, json_t *spec, json_t ***specs, const char ***keys)
{
	json_t *imgs = json_object_get(spec, "images"), *im;
	size_t n = json_is_array(imgs) && json_array_size(imgs) ? json_array_size(imgs) : 1, i;

	*specs = xcalloc(n, sizeof(**specs));
	*keys = xcalloc(n, sizeof(**keys));
	if (!json_is_array(imgs) || !json_array_size(imgs)) {
		(*specs)[0] = json_incref(spec);
		(*keys)[0] = key;
		return 1;
	}
	json_array_foreach(imgs, i, im)
	{
		json_t *s = json_deep_copy(spec);
		json_object_del(s, "images");
		json_object_update(s, im);
		(*specs)[i] = s;
		(*keys)[i] = json_string_value(json_object_get(im, "key"));
	}
	return n;
}

int op_pack(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	json_t **specs;
	const char **keys;
	size_t n = pack_specs(key, spec, &specs, &keys), i;
	struct pack_ctx *cs = xcalloc(n, sizeof(*cs));
	/* gc waits while base layer blobs are copied out of the store */
	int lock = store_lock(rt->store, 0, e), ok = lock != -1, r = -1;

	for (i = 0; ok && i < n; i++) {
		if (!keys[i])
			ok = error_set(e, 0, "image %zu of the spec has no key", i) == 0;
		else
			ok = pack_ctx_init(&cs[i], rt, keys[i], specs[i], e) == 0;
	}
	if (ok)
		r = pack_output(cs, n, e);
	/* -q (--progress=quiet): the image id is all make prints */
	if (r == 0 && !rt->quiet && progress_mode() == PROGRESS_QUIET && pack_id[0])
		(void)write_all(1, strcat(pack_id, "\n"), strlen(pack_id) + 1);
	if (lock >= 0)
		close(lock);
	if (r < 0 && e->code == PACK_ECORRUPT)
		pack_corrupt_hint(rt, e);
	for (i = 0; i < n; i++) {
		pack_ctx_free(&cs[i]);
		json_decref(specs[i]);
	}
	free(cs);
	free(specs);
	free(keys);
	if (r < 0)
		oci_wrap_loc(e, spec, "exporting to image");
	return r;
}
