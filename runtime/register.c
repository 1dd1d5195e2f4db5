/* register: turns stored blobs into a store image (ref files). Layers are
 * checked here: the config's diff_id must be the digest of the
 * decompressed blob, or the image would unpack to something else than
 * what its config promises. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "load.h"
#include "oci.h"
#include "platform.h"
#include "ref.h"
#include "store.h"
#include "util.h"

/* Layers verified by this process: an archive lists an image once per tag,
 * and decompressing a big layer again would be wasted time. */
static json_t *register_verified;
/* See load_set_source. */
static const char *register_source;

void load_set_source(const char *s)
{
	register_source = s;
}

/* A bzip2 or xz layer (docker loads them; OCI has no media type for
 * them): its decompressed tar, stored under diff_id, becomes the layer.
 * `again`: stored already by this process (another tag of the image). */
static int register_recompressed(const char *store, json_t *l, const char *path, int again,
				 struct error *e)
{
	const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
	char *stored = store_blob_path(store, diff_id);
	struct stat st;
	long long size = 0;
	int r = 0;

	if (again && stat(stored, &st) == 0)
		size = (long long)st.st_size;
	else if (blob_put_decompressed(store, path, diff_id + 7, &size, e) < 0)
		r = error_wrap(e, "layer %s does not match diff_id %s",
			       json_string_value(json_object_get(l, "digest")), diff_id);
	free(stored);
	if (r == 0) {
		json_object_set_new(l, "digest", json_string(diff_id));
		json_object_set_new(l, "size", json_integer(size));
	}
	return r;
}

/* Sets the layer's OCI media type from its bytes and verifies diff_id
 * (lazy: a compressed layer's is checked by its first unpack). */
static int register_layer(const char *store, json_t *l, int lazy, struct error *e)
{
	char *digest = xstrdup(json_string_value(json_object_get(l, "digest")));
	const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
	char *path = store_blob_path(store, digest);
	const char *mt = blob_layer_media_type(path, e);
	char hex[65];
	int r = -1, plain = mt && strcmp(mt, MT_OCI_LAYER) == 0;

	if (!register_verified)
		register_verified = json_object();
	const char *seen = json_string_value(json_object_get(register_verified, digest));
	if (!diff_id || !startswith(diff_id, "sha256:") || !blob_is_hex(diff_id + 7))
		error_set(e, 0, "layer %s: bad diff_id", digest);
	else if (plain && strcmp(digest, diff_id) != 0)
		r = register_recompressed(store, l, path, seen && strcmp(seen, diff_id) == 0, e);
	else if (mt && (plain || lazy || (seen && strcmp(seen, diff_id) == 0)))
		r = 0;
	else if (mt)
		r = blob_diff_id(path, hex, e) < 0 ? -1 : strcmp(hex, diff_id + 7) ? -2 : 0;
	if (r == -2)
		r = error_set(e, 0, "layer %s does not match diff_id %s", digest, diff_id);
	if (r == 0 && !lazy)
		json_object_set_new(register_verified, digest, json_string(diff_id));
	if (r == 0)
		json_object_set_new(l, "mediaType", json_string(mt));
	free(path);
	free(digest);
	return r;
}

/* An OCI manifest for an image that came without one. */
static int register_manifest(const char *store, const char *config_digest, json_t *layers,
			     char digest[72], struct error *e)
{
	char *cpath = store_blob_path(store, config_digest);
	json_t *m, *ls = json_array(), *l;
	struct stat st;
	size_t i;
	char *text;
	int r;

	if (stat(cpath, &st) < 0) {
		free(cpath);
		json_decref(ls);
		return error_set(e, 0, "config %s missing", config_digest);
	}
	free(cpath);
	json_array_foreach(layers, i, l)
	{
		json_array_append_new(
		    ls, oci_descriptor(json_string_value(json_object_get(l, "mediaType")),
				       json_string_value(json_object_get(l, "digest")),
				       json_integer_value(json_object_get(l, "size"))));
	}
	m = json_pack("{s:i, s:s, s:o, s:o}", "schemaVersion", 2, "mediaType", MT_OCI_MANIFEST,
		      "config", oci_descriptor(MT_OCI_CONFIG, config_digest, (long long)st.st_size),
		      "layers", ls);
	text = oci_dumps(m);
	r = blob_put(store, text, strlen(text), digest, e);
	free(text);
	json_decref(m);
	return r;
}

/* "repo@sha256:..." for a normalised "repo:tag": FROM repo@digest then
 * finds the image too. */
static char *register_digest_name(const char *name, const char *manifest)
{
	size_t n = strcspn(name, "@");
	const char *slash = memrchr(name, '/', n);
	const char *colon =
	    memrchr(slash ? slash : name, ':', n - (size_t)(slash ? slash - name : 0));

	if (colon)
		n = (size_t)(colon - name);
	return xasprintf("%.*s@%s", (int)n, name, manifest);
}

static int register_name(const char *store, json_t *ref, const char *name, struct error *e)
{
	json_object_set_new(ref, "name", json_string(name));
	return store_write_ref(store, name, ref, e);
}

/* The platform the image's config says it is for; -1 when it says none. */
static int register_config_platform(const char *store, const char *config_digest,
				    struct platform *p)
{
	char *path = store_blob_path(store, config_digest);
	json_t *c = json_load_file(path, 0, NULL);
	const char *os = json_string_value(json_object_get(c, "os"));
	const char *arch = json_string_value(json_object_get(c, "architecture"));
	const char *variant = json_string_value(json_object_get(c, "variant"));
	int r = os && arch && strlen(os) < sizeof(p->os) && strlen(arch) < sizeof(p->arch) &&
			(!variant || strlen(variant) < sizeof(p->variant))
		    ? 0
		    : -1;

	if (r == 0) {
		strcpy(p->os, os);
		strcpy(p->arch, arch);
		strcpy(p->variant, variant ? variant : "");
	}
	json_decref(c);
	free(path);
	return r;
}

/* The default image of a name takes the plain name; a per-platform ref
 * of its platform left by an earlier load would hide it, so it goes. */
static int register_default(const char *store, json_t *ref, const char *name,
			    const struct platform *p, struct error *e)
{
	char *stale = p ? store_platform_ref_path(store, name, p) : NULL;
	int r = register_name(store, ref, name, e);

	if (r == 0 && stale && unlink(stale) < 0 && errno != ENOENT)
		r = error_set(e, errno, "remove %s", stale);
	free(stale);
	return r;
}

/* Another platform of a multi-platform image: a per-platform ref only. */
static int register_other(const char *store, json_t *ref, const char *name,
			  const struct platform *p, struct error *e)
{
	char f[PLATFORM_MAX];
	int r;

	platform_format(p, f);
	json_object_set_new(ref, "name", json_string(name));
	json_object_set_new(ref, "platform", json_string(f));
	r = store_write_platform_ref(store, name, p, ref, e);
	json_object_del(ref, "platform");
	if (r == 0)
		printf("Loaded image: %s (%s)\n", name, f);
	return r;
}

/* One name: its digest form, then the name itself (the default image:
 * the host's platform, or a single image) or its platform's ref. A
 * single-platform store is written as before platforms existed; lookups
 * for a platform fall back to the plain name when its config matches. */
static int register_names_of(const char *store, json_t *ref, const char *name,
			     const char *manifest_digest, const struct platform *p, int is_default,
			     struct error *e)
{
	char *dname = register_digest_name(name, manifest_digest);
	int r = register_name(store, ref, dname, e);

	free(dname);
	if (r < 0)
		return -1;
	if (!is_default && p)
		return register_other(store, ref, name, p, e);
	if (register_default(store, ref, name, p, e) < 0)
		return -1;
	printf("Loaded image: %s\n", name);
	return 0;
}

int load_register(const char *store, json_t *names, const char *config_digest, json_t *layers,
		  const char *manifest_digest, struct error *e)
{
	return load_register_platform(store, names, config_digest, layers, manifest_digest,
				      LOAD_DEFAULT, e);
}

int load_register_platform(const char *store, json_t *names, const char *config_digest,
			   json_t *layers, const char *manifest_digest, int flags, struct error *e)
{
	int is_default = (flags & LOAD_DEFAULT) != 0;
	struct platform plat;
	int has_plat;
	char mdigest[72];
	json_t *ref, *n;
	size_t i;
	int r = 0;

	if (json_array_size(names) == 0)
		return error_set(e, 0, "image with config %s has no name: give one with -t NAME",
				 config_digest);
	json_array_foreach(layers, i, n)
	{
		if (register_layer(store, n, (flags & LOAD_LAZY) != 0, e) < 0)
			return -1;
	}
	if (!manifest_digest) {
		if (register_manifest(store, config_digest, layers, mdigest, e) < 0)
			return -1;
		manifest_digest = mdigest;
	}
	ref = json_pack("{s:s, s:s, s:O}", "manifest", manifest_digest, "config", config_digest,
			"layers", layers);
	if (register_source)
		json_object_set_new(ref, "source", json_string(register_source));
	has_plat = register_config_platform(store, config_digest, &plat) == 0;
	/* a FROM of a platform an index lacks is an error, while a single
	 * image of another platform is used (BuildKit) */
	if (flags & LOAD_INDEX)
		json_object_set_new(ref, "index", json_true());
	json_array_foreach(names, i, n)
	{
		r = register_names_of(store, ref, json_string_value(n), manifest_digest,
				      has_plat ? &plat : NULL, is_default, e);
		if (r < 0)
			break;
	}
	json_decref(ref);
	return r;
}
