/* loadimg: what images an archive holds. An OCI index.json is preferred
 * (it gives the real manifest digest); a docker manifest.json alone (the
 * legacy `docker save` layout) gets an OCI manifest made for it. Names come
 * from -t, else RepoTags, else the index annotations. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "error.h"
#include "load.h"
#include "oci.h"
#include "platform.h"
#include "ref.h"
#include "store.h"
#include "util.h"

/* Parses a JSON file of the source; NULL with e set. */
static json_t *load_json(struct load_src *src, const char *path, struct error *e)
{
	json_error_t jerr;
	char *data;
	size_t len;
	json_t *j;

	if (load_src_read(src, path, &data, &len, e) < 0)
		return NULL;
	j = json_loadb(data, len, 0, &jerr);
	free(data);
	if (!j)
		error_set(e, 0, "%s: %s (line %d)", path, jerr.text, jerr.line);
	return j;
}

/* Reads a JSON blob named by digest, storing it first. */
static json_t *load_json_blob(struct load_src *src, const char *digest, struct error *e)
{
	char hex[65], *path, *stored;
	long long size;
	json_error_t jerr;
	json_t *j = NULL;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7)) {
		error_set(e, 0, "unsupported digest %s", digest ? digest : "(none)");
		return NULL;
	}
	path = xasprintf("blobs/sha256/%s", digest + 7);
	if (load_src_blob(src, path, digest + 7, hex, &size, e) == 0) {
		stored = store_blob_path(src->store, digest);
		j = json_load_file(stored, 0, &jerr);
		if (!j)
			error_set(e, 0, "%s: %s", path, jerr.text);
		free(stored);
	}
	free(path);
	return j;
}

/* Adds the normalised form of a name to the list (once). */
static void load_add_name(json_t *names, const char *name)
{
	struct error e;
	char *n = ref_normalize(name, &e);
	size_t i;
	json_t *v;

	if (!n)
		return;
	json_array_foreach(names, i, v)
	{
		if (strcmp(json_string_value(v), n) == 0)
			n[0] = '\0';
	}
	if (n[0])
		json_array_append_new(names, json_string(n));
	free(n);
}

/* RepoTags of the manifest.json entry whose Config is the config blob. */
static void load_repotags(json_t *dmanifest, const char *config_hex, json_t *names)
{
	size_t i, j;
	json_t *ent, *t;

	json_array_foreach(dmanifest, i, ent)
	{
		const char *cfg = json_string_value(json_object_get(ent, "Config"));
		if (!cfg || !strstr(cfg, config_hex))
			continue;
		json_array_foreach(json_object_get(ent, "RepoTags"), j, t)
		    load_add_name(names, json_string_value(t));
	}
}

/* Whether an index entry is the one its names mean by default: the
 * host's platform, or an entry that names none. */
static int load_is_default(json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	struct platform host;

	if (!p)
		return 1;
	platform_host(&host);
	return platform_match(&host, json_string_value(json_object_get(p, "os")),
			      json_string_value(json_object_get(p, "architecture")),
			      json_string_value(json_object_get(p, "variant")));
}

/* An entry of a top-level index: the default or not, and from an index
 * of platforms when it names its platform. */
static int load_flags(json_t *desc)
{
	return (load_is_default(desc) ? LOAD_DEFAULT : 0) |
	       (json_object_get(desc, "platform") ? LOAD_INDEX : 0);
}

/* Attestations BuildKit puts in an index ("unknown/unknown") are no image. */
static int load_is_image(json_t *desc)
{
	json_t *p = json_object_get(desc, "platform");
	const char *os = json_string_value(json_object_get(p, "os"));

	return !os || strcmp(os, "unknown") != 0;
}

/* Layer descriptors of a manifest + diff_ids of its config, as the ref
 * file's layer list; the blobs are stored on the way. */
static json_t *load_layers(struct load_src *src, json_t *manifest, json_t *config, struct error *e)
{
	json_t *diff_ids = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	json_t *mlayers = json_object_get(manifest, "layers");
	json_t *out = json_array();
	size_t i;
	json_t *d;

	if (json_array_size(mlayers) != json_array_size(diff_ids)) {
		json_decref(out);
		error_set(e, 0, "%zu layers but %zu diff_ids", json_array_size(mlayers),
			  json_array_size(diff_ids));
		return NULL;
	}
	json_array_foreach(mlayers, i, d)
	{
		const char *dg = json_string_value(json_object_get(d, "digest"));
		char hex[65], *path;
		long long size;
		int r = -1;
		if (dg && startswith(dg, "sha256:") && blob_is_hex(dg + 7)) {
			path = xasprintf("blobs/sha256/%s", dg + 7);
			r = load_src_blob(src, path, dg + 7, hex, &size, e);
			free(path);
		} else {
			error_set(e, 0, "layer %zu: unsupported digest", i);
		}
		if (r < 0) {
			json_decref(out);
			return NULL;
		}
		json_array_append_new(out, json_pack("{s:s, s:I, s:O}", "digest", dg, "size",
						     (json_int_t)size, "diff_id",
						     json_array_get(diff_ids, i)));
	}
	return out;
}

static int load_oci_manifest(struct load_src *src, json_t *desc, json_t *dmanifest, const char *tag,
			     int flags, struct error *e);

static int load_has(struct load_src *src, const char *path);

/* Whether the manifest a descriptor names is in the source: an archive of
 * one platform (ctr export, docker save) keeps the index of all. */
static int load_has_blob(struct load_src *src, json_t *desc)
{
	const char *dg = json_string_value(json_object_get(desc, "digest"));
	char *path;
	int r;

	if (!dg || !startswith(dg, "sha256:"))
		return 1; /* load_oci_manifest says what is wrong with it */
	path = xasprintf("blobs/sha256/%s", dg + 7);
	r = load_has(src, path);
	free(path);
	return r;
}

/* A nested index (multi-platform): every platform's manifest present, each with
 * the outer descriptor's annotations (the names); the host's is the
 * names' default. */
static int load_oci_nested(struct load_src *src, json_t *desc, json_t *dmanifest, const char *tag,
			   struct error *e)
{
	json_t *idx = load_json_blob(src, json_string_value(json_object_get(desc, "digest")), e);
	json_t *d;
	size_t i;
	int r = idx ? 0 : -1, found = 0, n = 0;

	json_array_foreach(json_object_get(idx, "manifests"), i, d)
	{
		if (r < 0 || !load_is_image(d) || !load_has_blob(src, d))
			continue;
		json_t *copy = json_deep_copy(d);
		int def = !found && load_is_default(d);
		json_object_set(copy, "annotations", json_object_get(desc, "annotations"));
		r = load_oci_manifest(src, copy, dmanifest, tag,
				      (def ? LOAD_DEFAULT : 0) | LOAD_INDEX, e);
		found |= def;
		n++;
		json_decref(copy);
	}
	json_decref(idx);
	if (r == 0 && n == 0)
		r = error_set(e, 0, "index %s: none of its images is in the archive",
			      json_string_value(json_object_get(desc, "digest")));
	return r;
}

/* -t, then RepoTags, then the descriptor's annotations. */
static json_t *load_names(const char *tag, json_t *dmanifest, const char *config_digest,
			  json_t *ann)
{
	const char *rn =
	    json_string_value(json_object_get(ann, "org.opencontainers.image.ref.name"));
	const char *cn = json_string_value(json_object_get(ann, "io.containerd.image.name"));
	json_t *names = json_array();

	if (tag)
		load_add_name(names, tag);
	load_repotags(dmanifest, config_digest + 7, names);
	if (cn)
		load_add_name(names, cn);
	/* A bare tag ("latest") is not a name. */
	if (rn && (strchr(rn, '/') || strchr(rn, ':')))
		load_add_name(names, rn);
	return names;
}

/* One manifest of an OCI index: store everything, register its names. */
static int load_oci_manifest(struct load_src *src, json_t *desc, json_t *dmanifest, const char *tag,
			     int flags, struct error *e)
{
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *m, *cfg = NULL, *layers = NULL, *names;
	const char *cdigest;
	int r = -1;

	if (mt && (strcmp(mt, MT_OCI_INDEX) == 0 || strcmp(mt, MT_DOCKER_LIST) == 0))
		return load_oci_nested(src, desc, dmanifest, tag, e);
	m = load_json_blob(src, digest, e);
	cdigest = json_string_value(json_object_get(json_object_get(m, "config"), "digest"));
	if (m)
		cfg = load_json_blob(src, cdigest, e);
	if (cfg)
		layers = load_layers(src, m, cfg, e);
	if (layers) {
		names = load_names(tag, dmanifest, cdigest, json_object_get(desc, "annotations"));
		r = load_register_platform(src->store, names, cdigest, layers, digest, flags, e);
		json_decref(names);
	}
	json_decref(layers);
	json_decref(cfg);
	json_decref(m);
	return r < 0 ? error_wrap(e, "image %s", digest ? digest : "?") : 0;
}

/* True when the source has the file. */
static int load_has(struct load_src *src, const char *path)
{
	struct error e;
	char *data;
	size_t len;

	if (load_src_read(src, path, &data, &len, &e) < 0)
		return 0;
	free(data);
	return 1;
}

/* Distinct images of an index (docker save lists one per tag; the
 * platforms of a multi-platform image count once, as its default). */
static size_t load_count_distinct(json_t *list)
{
	json_t *seen = json_object(), *d;
	size_t i, n;

	json_array_foreach(list, i, d)
	{
		const char *dg = json_string_value(json_object_get(d, "digest"));
		if (load_is_image(d) && load_is_default(d))
			json_object_set_new(seen, dg ? dg : "", json_true());
	}
	n = json_object_size(seen);
	json_decref(seen);
	return n;
}

static int load_oci(struct load_src *src, json_t *dmanifest, const char *tag, struct error *e)
{
	json_t *index = load_json(src, "index.json", e);
	json_t *list = json_object_get(index, "manifests");
	json_t *d;
	size_t i;
	int r = 0;

	if (!index)
		return -1;
	if (tag && load_count_distinct(list) > 1)
		r = error_set(e, 0, "-t needs an archive with one image (this one has %zu)",
			      load_count_distinct(list));
	json_array_foreach(list, i, d)
	{
		if (r < 0)
			break;
		if (load_is_image(d))
			r = load_oci_manifest(src, d, dmanifest, tag, load_flags(d), e);
	}
	json_decref(index);
	return r;
}

/* A legacy manifest.json entry: Config and Layers are paths. */
static int load_docker_entry(struct load_src *src, json_t *ent, const char *tag, struct error *e)
{
	const char *cpath = json_string_value(json_object_get(ent, "Config"));
	json_t *paths = json_object_get(ent, "Layers"), *names = json_array(),
	       *layers = json_array();
	json_t *p, *cfg = NULL, *diff_ids;
	char hex[65], cdigest[72];
	long long size;
	size_t i;
	int r = -1;

	if (!cpath || load_src_blob(src, cpath, NULL, hex, &size, e) < 0)
		goto out;
	snprintf(cdigest, sizeof(cdigest), "sha256:%s", hex);
	cfg = load_json(src, cpath, e);
	diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	if (!cfg || json_array_size(diff_ids) != json_array_size(paths)) {
		if (cfg)
			error_set(e, 0, "%s: %zu diff_ids for %zu layers", cpath,
				  json_array_size(diff_ids), json_array_size(paths));
		goto out;
	}
	json_array_foreach(paths, i, p)
	{
		if (load_src_blob(src, json_string_value(p), NULL, hex, &size, e) < 0)
			goto out;
		json_array_append_new(layers, json_pack("{s:s+, s:I, s:O}", "digest",
							"sha256:", hex, "size", (json_int_t)size,
							"diff_id", json_array_get(diff_ids, i)));
	}
	if (tag)
		load_add_name(names, tag);
	json_array_foreach(json_object_get(ent, "RepoTags"), i, p)
	    load_add_name(names, json_string_value(p));
	r = load_register(src->store, names, cdigest, layers, NULL, e);
out:
	json_decref(cfg);
	json_decref(layers);
	json_decref(names);
	return r;
}

static int load_docker(struct load_src *src, json_t *dmanifest, const char *tag, struct error *e)
{
	size_t i;
	json_t *ent;

	if (tag && json_array_size(dmanifest) > 1)
		return error_set(e, 0, "-t needs an archive with one image (this one has %zu)",
				 json_array_size(dmanifest));
	json_array_foreach(dmanifest, i, ent)
	{
		if (load_docker_entry(src, ent, tag, e) < 0)
			return -1;
	}
	return 0;
}

int load_images(struct load_src *src, const char *tag, struct error *e)
{
	json_t *dmanifest = NULL;
	int r;

	if (load_has(src, "manifest.json")) {
		dmanifest = load_json(src, "manifest.json", e);
		if (!dmanifest)
			return -1;
	}
	if (load_has(src, "index.json"))
		r = load_oci(src, dmanifest, tag, e);
	else if (dmanifest)
		r = load_docker(src, dmanifest, tag, e);
	else
		r = error_set(e, 0, "not an image archive: no index.json or manifest.json");
	json_decref(dmanifest);
	return r;
}
