/* store: path helpers and the read side of the image store (lib/store.h).
 * The compiler links this, so it depends on lib/ only. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "platform.h"
#include "sha256.h"
#include "store.h"
#include "util.h"

char *store_default_dir(void)
{
	const char *s = getenv("DF2MAKE_STORE");
	const char *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");

	if (s && *s)
		return path_abs(s);
	if (xdg && *xdg)
		return xasprintf("%s/df2make", xdg);
	return xasprintf("%s/.cache/df2make", home && *home ? home : "/tmp");
}

char *store_ref_path(const char *store, const char *name)
{
	char hex[65];

	/* Hashing the name keeps any reference a valid file name. */
	sha256_hex(name, strlen(name), hex);
	return xasprintf("%s/refs/%s.json", store, hex);
}

char *store_platform_ref_path(const char *store, const char *name, const struct platform *p)
{
	struct platform n = *p;
	char f[PLATFORM_MAX], *key, *path;

	/* normalised, so linux/arm64/v8 and linux/aarch64 are one file */
	platform_normalize(&n);
	platform_format(&n, f);
	key = xasprintf("%s %s", name, f);
	path = store_ref_path(store, key);
	free(key);
	return path;
}

/* The hex part of "sha256:<hex>", or the whole string when it has no
 * algorithm prefix. */
static const char *store_hex(const char *digest)
{
	return startswith(digest, "sha256:") ? digest + 7 : digest;
}

char *store_blob_path(const char *store, const char *digest)
{
	return xasprintf("%s/blobs/sha256/%s", store, store_hex(digest));
}

char *store_layer_dir(const char *store, const char *diff_id)
{
	return xasprintf("%s/layers/%s", store, store_hex(diff_id));
}

/* A "sha256:<64 lowercase hex>" string; anything else in a ref file would
 * let a path escape the blob directory. */
static int store_valid_digest(const char *d)
{
	if (!d || !startswith(d, "sha256:") || strlen(d) != 71)
		return 0;
	for (const char *p = d + 7; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return 0;
	return 1;
}

static char *store_strdup_field(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? xstrdup(s) : NULL;
}

static int store_parse_layers(json_t *arr, struct store_image *img, struct error *e)
{
	size_t i;
	json_t *l;

	if (!json_is_array(arr))
		return error_set(e, 0, "no layers list");
	img->layers = xcalloc(json_array_size(arr) + 1, sizeof(*img->layers));
	json_array_foreach(arr, i, l)
	{
		struct store_layer *sl = &img->layers[img->nlayers++];
		sl->digest = store_strdup_field(l, "digest");
		sl->diff_id = store_strdup_field(l, "diff_id");
		sl->media_type = store_strdup_field(l, "mediaType");
		sl->size = json_integer_value(json_object_get(l, "size"));
		if (!store_valid_digest(sl->digest) || !store_valid_digest(sl->diff_id))
			return error_set(e, 0, "layer %zu: bad digest", i);
	}
	return 0;
}

static int store_load_config(const char *store, struct store_image *img, struct error *e)
{
	char *path = store_blob_path(store, img->config_digest);
	json_error_t jerr;

	img->config = json_load_file(path, 0, &jerr);
	if (!img->config)
		error_set(e, 0, "config %s: %s", path, jerr.text);
	free(path);
	return img->config ? 0 : -1;
}

static int store_parse_ref(const char *store, json_t *ref, struct store_image *img, struct error *e)
{
	img->name = store_strdup_field(ref, "name");
	img->from_index = json_is_true(json_object_get(ref, "index"));
	img->manifest = store_strdup_field(ref, "manifest");
	img->config_digest = store_strdup_field(ref, "config");
	if (!img->name || !store_valid_digest(img->manifest) ||
	    !store_valid_digest(img->config_digest))
		return error_set(e, 0, "missing or bad name/manifest/config");
	if (store_parse_layers(json_object_get(ref, "layers"), img, e) < 0)
		return -1;
	return store_load_config(store, img, e);
}

/* "repo:tag@digest" -> "repo@digest" (docker ignores the tag then), or
 * NULL when name is not of that form. */
static char *store_untagged(const char *name)
{
	const char *at = strchr(name, '@');
	const char *slash = strrchr(name, '/');
	const char *colon;

	if (!at || !slash || slash > at)
		return NULL;
	colon = memchr(slash, ':', (size_t)(at - slash));
	return colon ? xasprintf("%.*s%s", (int)(colon - name), name, at) : NULL;
}

static int store_lookup_one(const char *store, const char *name, struct store_image *img,
			    struct error *e);
static int store_lookup_one_path(const char *store, const char *name, const char *path,
				 struct store_image *img, struct error *e);

/* The name's own ref, or its untagged form (docker ignores a tag beside a
 * digest). */
static int store_lookup_name(const char *store, const char *name, struct store_image *img,
			     struct error *e)
{
	char *alt;
	int r = store_lookup_one(store, name, img, e);

	if (r == 0 || e->code != ENOENT || !(alt = store_untagged(name)))
		return r;
	r = store_lookup_one(store, alt, img, e);
	if (r < 0 && e->code == ENOENT) {
		error_set(e, 0, "image %s is not in the store %s", name, store);
		e->code = ENOENT;
	}
	free(alt);
	return r;
}

/* The name's default ref, when its config is for platform p. */
static int store_lookup_default(const char *store, const char *name, const struct platform *p,
				struct store_image *img, struct error *e)
{
	char want[PLATFORM_MAX], have[PLATFORM_MAX];
	struct platform h;
	const char *os, *arch, *variant;

	if (store_lookup_name(store, name, img, e) < 0)
		return -1;
	os = json_string_value(json_object_get(img->config, "os"));
	arch = json_string_value(json_object_get(img->config, "architecture"));
	variant = json_string_value(json_object_get(img->config, "variant"));
	if (platform_match(p, os, arch, variant))
		return 0;
	snprintf(h.os, sizeof(h.os), "%s", os ? os : "?");
	snprintf(h.arch, sizeof(h.arch), "%s", arch ? arch : "?");
	snprintf(h.variant, sizeof(h.variant), "%s", variant ? variant : "");
	platform_format(p, want);
	platform_format(&h, have);
	if (!img->from_index) {
		img->other_platform = xstrdup(have);
		return 0;
	}
	store_image_free(img);
	error_set(e, 0, "image %s has no %s image in the store %s (it has %s)", name, want, store,
		  have);
	e->code = ENXIO;
	return -1;
}

int store_lookup(const char *store, const char *name, const struct platform *p,
		 struct store_image *img, struct error *e)
{
	char *path;
	int r;

	if (!p)
		return store_lookup_name(store, name, img, e);
	path = store_platform_ref_path(store, name, p);
	r = access(path, F_OK) == 0 ? store_lookup_one_path(store, name, path, img, e)
				    : store_lookup_default(store, name, p, img, e);
	free(path);
	return r;
}

static int store_lookup_one(const char *store, const char *name, struct store_image *img,
			    struct error *e)
{
	char *path = store_ref_path(store, name);
	int r = store_lookup_one_path(store, name, path, img, e);

	free(path);
	return r;
}

/* Reads the ref file at path (of name) into img. */
static int store_lookup_one_path(const char *store, const char *name, const char *path,
				 struct store_image *img, struct error *e)
{
	json_error_t jerr;
	json_t *ref;
	int r;

	memset(img, 0, sizeof(*img));
	ref = json_load_file(path, 0, &jerr);
	if (!ref) {
		int missing = access(path, F_OK) < 0 && errno == ENOENT;
		if (missing)
			error_set(e, 0, "image %s is not in the store %s", name, store);
		else
			error_set(e, 0, "%s: %s", path, jerr.text);
		e->code = missing ? ENOENT : EINVAL;
		return -1;
	}
	r = store_parse_ref(store, ref, img, e);
	if (r < 0) {
		error_wrap(e, "image %s (%s)", name, path);
		store_image_free(img);
	} else {
		img->ref = xstrdup(path);
	}
	json_decref(ref);
	return r;
}

void store_image_free(struct store_image *img)
{
	for (size_t i = 0; i < img->nlayers; i++) {
		free(img->layers[i].digest);
		free(img->layers[i].media_type);
		free(img->layers[i].diff_id);
	}
	free(img->layers);
	free(img->name);
	free(img->manifest);
	free(img->config_digest);
	free(img->ref);
	free(img->other_platform);
	json_decref(img->config);
	memset(img, 0, sizeof(*img));
}

/* The store root is owner-only: unpacked layers keep the setuid files and
 * open directories of their images, which other local users must not reach
 * (CVE-2021-41091). Created 0700 when missing; an existing one loses group
 * and other access, as dockerd re-chmods its data root, since the first
 * writer may have been an older runtime or a part that creates it 0755.
 * A sticky directory (/tmp) or "/" named as the store is shared, not ours:
 * left alone. */
int store_private_root(const char *store, struct error *e)
{
	char *parent = xstrdup(store), *slash = strrchr(parent, '/');
	struct stat st;
	int r = 0;

	if (slash && slash != parent) {
		*slash = '\0';
		r = mkdir_p(parent, 0755, e);
	}
	if (r == 0 && mkdir(store, 0700) < 0 && errno != EEXIST)
		r = error_set(e, errno, "mkdir %s", store);
	if (r == 0 && stat(store, &st) < 0)
		r = error_set(e, errno, "stat %s", store);
	if (r == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 077) && !(st.st_mode & S_ISVTX) &&
	    strcmp(store, "/") != 0 && st.st_uid == geteuid() &&
	    chmod(store, st.st_mode & 07700) < 0)
		r = error_set(e, errno, "chmod %s", store);
	free(parent);
	return r;
}

/* Writes a ref file at path (freed) under STORE/refs. */
static int store_write_ref_at(const char *store, char *path, json_t *ref, struct error *e)
{
	char *dir = xasprintf("%s/refs", store);
	char *text = json_dumps(ref, JSON_SORT_KEYS | JSON_INDENT(1));
	int r = store_private_root(store, e);

	if (r == 0)
		r = mkdir_p(dir, 0755, e);
	if (r == 0)
		r = write_atomic(path, text, strlen(text), 0644, e);
	free(text);
	free(path);
	free(dir);
	return r;
}

int store_write_ref(const char *store, const char *name, json_t *ref, struct error *e)
{
	return store_write_ref_at(store, store_ref_path(store, name), ref, e);
}

int store_write_platform_ref(const char *store, const char *name, const struct platform *p,
			     json_t *ref, struct error *e)
{
	return store_write_ref_at(store, store_platform_ref_path(store, name, p), ref, e);
}

void store_sweep(const char *store)
{
	static int swept;
	char *blobs, *layers;

	if (swept++)
		return;
	blobs = xasprintf("%s/blobs/sha256", store);
	layers = xasprintf("%s/layers", store);
	tmp_sweep(blobs, "");
	tmp_sweep(layers, "");
	free(blobs);
	free(layers);
}

int store_lock(const char *store, int exclusive, struct error *e)
{
	char *path = xasprintf("%s/lock", store);
	int how = exclusive ? LOCK_EX : LOCK_SH;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600), r;

	if (fd < 0) {
		r = errno == ENOENT ? -2 : error_set(e, errno, "open %s", path);
		free(path);
		return r;
	}
	r = flock(fd, how | LOCK_NB);
	if (r < 0 && errno == EWOULDBLOCK) {
		fprintf(stderr, "df2make-runtime: waiting for %s (%s)\n", path,
			exclusive ? "a build or load uses the store"
				  : "gc or fsck --repair holds it");
		while ((r = flock(fd, how)) < 0 && errno == EINTR)
			;
	}
	if (r < 0) {
		error_set(e, errno, "lock %s", path);
		close(fd);
		fd = -1;
	}
	free(path);
	return fd;
}
