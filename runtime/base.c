/* base: the FROM step. Resolves the image in the store, unpacks its
 * layers and writes the chain the next steps stack on. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "oci.h"
#include "platform.h"
#include "ref.h"
#include "progress.h"
#include "rt.h"
#include "store.h"
#include "unpack.h"
#include "util.h"

/* Writes STATE/KEY/chain.json atomically, without an fsync as every
 * step's (chain_commit): readers parse it strictly, pack syncs. */
static int base_write_chain(const struct rt *rt, const char *key, json_t *chain, struct error *e)
{
	char *path = rt_path(rt, key, "/chain.json");
	char *text = json_dumps(chain, JSON_INDENT(1) | JSON_PRESERVE_ORDER);
	int r = write_checked(path, text, strlen(text), 0644, e);

	free(text);
	free(path);
	return r;
}

static json_t *base_chain_entry(const char *store, const struct store_layer *l)
{
	char *dir = store_layer_dir(store, l->diff_id);
	json_t *j = json_pack("{s:s, s:s, s:{s:s, s:I, s:s}}", "dir", dir, "diff_id", l->diff_id,
			      "blob", "digest", l->digest, "size", (json_int_t)l->size, "mediaType",
			      l->media_type ? l->media_type : "");

	free(dir);
	return j;
}

static int base_missing(const char *store, const char *name, struct error *e)
{
	char *fam = ref_familiar(name);

	error_set(
	    e, 0,
	    "image %s is not in the store %s; add it with `df2make-runtime load -i IMAGE.tar` "
	    "(e.g. from `docker save %s`) or `df2make-runtime import ROOTFS.tar %s`",
	    name, store, fam, fam);
	e->code = ENOENT;
	free(fam);
	return -1;
}

/* "[b 1/2] FROM docker.io/library/busybox:latest@sha256:afed9a577b44" as
 * BuildKit prints it: the title's image name pinned to its manifest. */
static void base_progress(const struct rt *rt, const char *key, json_t *spec, const char *name,
			  const char *manifest)
{
	const char *title = json_string_value(json_object_get(spec, "title"));
	size_t tl = title ? strlen(title) : 0, nl = strlen(name);
	int pinned = strchr(name, '@') != NULL;
	char *text;

	if (tl >= nl && strcmp(title + tl - nl, name) == 0) {
		text = pinned ? xstrdup(title) : xasprintf("%s@%.19s", title, manifest);
		progress_step(rt, key, spec, text);
		free(text);
	} else if (pinned) {
		rt_progress(rt, key, spec, "%s", name);
	} else {
		rt_progress(rt, key, spec, "%s@%.19s", name, manifest);
	}
}

static json_t *base_locked_chain(const struct rt *rt, const char *key, json_t *spec,
				 const char *name, struct error *e);

/* The chain of an image: unpacks each layer that is not yet unpacked. */
static json_t *base_image_chain(const struct rt *rt, const char *key, json_t *spec,
				const char *image, struct error *e)
{
	char *name = ref_normalize(image, e);
	json_t *chain = NULL;
	/* gc waits while we read the image and unpack its layers */
	int lock = name ? store_lock(rt->store, 0, e) : -1;

	if (!name || lock == -1) {
		free(name);
		return NULL;
	}
	chain = base_locked_chain(rt, key, spec, name, e);
	if (lock >= 0)
		close(lock);
	free(name);
	return chain;
}

/* base_image_chain under the store lock. */
static json_t *base_locked_chain(const struct rt *rt, const char *key, json_t *spec,
				 const char *name, struct error *e)
{
	struct store_image img;
	json_t *chain = NULL;
	struct platform plat;
	const char *ps = json_string_value(json_object_get(spec, "platform"));

	/* no "platform": the host's, the name's default ref */
	if (ps && platform_parse(ps, &plat, e) < 0)
		return NULL;
	if (store_lookup(rt->store, name, ps ? &plat : NULL, &img, e) < 0) {
		if (e->code == ENOENT)
			base_missing(rt->store, name, e);
		return NULL;
	}
	base_progress(rt, key, spec, name, img.manifest);
	/* every build starts with FROM: where a killed load or unpack's
	 * temps get cleaned without a load or unpack of its own */
	store_sweep(rt->store);
	chain = json_array();
	for (size_t i = 0; i < img.nlayers && chain; i++) {
		if (unpack_layer(rt->store, img.layers[i].digest, img.layers[i].diff_id, e) < 0) {
			json_decref(chain);
			chain = NULL;
		} else {
			json_array_append_new(chain, base_chain_entry(rt->store, &img.layers[i]));
		}
	}
	store_image_free(&img);
	return chain;
}

int op_base(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *image = json_string_value(json_object_get(spec, "image"));
	json_t *chain = NULL;
	int r = -1;

	if (rt_reset_step(rt, key, e) < 0)
		goto out;
	if (json_is_true(json_object_get(spec, "scratch"))) {
		rt_progress(rt, key, spec, "(empty)");
		chain = json_array();
	} else if (!image)
		error_set(e, 0, "spec has neither \"image\" nor \"scratch\"");
	else
		chain = base_image_chain(rt, key, spec, image, e);
	if (chain && base_write_chain(rt, key, chain, e) == 0)
		r = rt_stamp(rt, key, e);
out:
	json_decref(chain);
	if (r < 0) {
		char *what = xasprintf("FROM %s", image ? image : "scratch");
		oci_wrap_loc(e, spec, what);
		free(what);
	}
	return r;
}
