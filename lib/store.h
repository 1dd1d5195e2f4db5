/* store: the content-addressed image store shared by builds.
 *
 *   STORE/blobs/sha256/<hex>        blobs (layers as loaded, configs, manifests)
 *   STORE/layers/<diffid-hex>/      an unpacked layer, overlay-ready
 *                                   (whiteouts as 0/0 char devices, opaque xattr)
 *   STORE/layers/<diffid-hex>.ok    written after unpacking completes: "ok",
 *                                   then the blobs checked to decompress
 *                                   to it, one "sha256:..." line each
 *   STORE/blobs/sha256/.tmp-XXXXXX  a blob being written (flock'ed by its writer)
 *   STORE/layers/<hex>.tmp-XXXXXX/  a layer being unpacked (likewise)
 *   STORE/lock                      flock: shared by writers, exclusive by gc
 *   STORE/refs/<sha256(name)>.json  one image per normalised name (the
 *                                   host's platform, or the only one):
 *     {"name": "...", "manifest": "sha256:..", "config": "sha256:..",
 *      "layers": [{"digest","size","mediaType","diff_id"}, ...]}
 *   STORE/refs/<sha256(name " " platform)>.json  the same per platform
 *                                   (normalised "linux/arm64"): every
 *                                   platform of a loaded index is kept
 *
 * The compiler reads it (base image config, digest for cache keys, the ref
 * file as a make prerequisite); the runtime writes it. */
#ifndef DF_STORE_H
#define DF_STORE_H
#include <jansson.h>
#include <stddef.h>

struct error;
struct platform;

struct store_layer {
	char *digest;	/* "sha256:..." of the blob as stored */
	long long size; /* blob size */
	char *media_type;
	char *diff_id; /* "sha256:..." of the uncompressed tar */
};

struct store_image {
	char *name;	/* normalised reference */
	char *manifest; /* "sha256:..." */
	char *config_digest;
	json_t *config; /* the parsed image config (owned) */
	struct store_layer *layers;
	size_t nlayers;
	char *ref;	      /* path of the ref file read (a make prerequisite) */
	int from_index;	      /* loaded from a multi-platform index ("index": true) */
	char *other_platform; /* set when the image is a single image of another
			       * platform than asked (BuildKit uses it, warning) */
};

/* The store directory: $DF2MAKE_STORE, else ${XDG_CACHE_HOME:-$HOME/.cache}/df2make.
 * malloc'd. */
char *store_default_dir(void);
/* Path of the ref file for a normalised name (exists or not); malloc'd. */
char *store_ref_path(const char *store, const char *name);
/* Path of the ref file of one platform of a name; malloc'd. */
char *store_platform_ref_path(const char *store, const char *name, const struct platform *p);
/* Path of a blob "sha256:<hex>"; malloc'd. */
char *store_blob_path(const char *store, const char *digest);
/* Path of an unpacked layer directory for diff_id "sha256:<hex>"; malloc'd. */
char *store_layer_dir(const char *store, const char *diff_id);
/* Creates the store root owner-only (0700), or takes group/other access
 * away from an existing one we own: unpacked layers hold setuid files
 * other users must not reach (CVE-2021-41091). */
int store_private_root(const char *store, struct error *e);
/* Loads an image by normalised name for a platform (NULL: the name's
 * default ref, whatever its platform): its per-platform ref, else the
 * name's ref when its config has that platform, or when it is a single
 * image (not from an index: then other_platform says its platform, as
 * BuildKit builds on a single-platform base image with a warning).
 * Returns 0, or -1 with e set; e->code is ENOENT when the store has no
 * such image, ENXIO when its index has no image of that platform. */
int store_lookup(const char *store, const char *name, const struct platform *p,
		 struct store_image *img, struct error *e);
/* Frees the fields of img. */
void store_image_free(struct store_image *img);
/* Takes STORE/lock: shared by what reads or adds blobs and layers (load,
 * import, FROM, pack), exclusive by what removes them (gc, fsck
 * --repair). Returns the fd holding it (close to release), -2 when the
 * store does not exist (nothing to protect), -1 with e set. */
int store_lock(const char *store, int exclusive, struct error *e);
/* Removes the temps killed writers left in blobs/ and layers/ (their
 * locks are free; live writers' are held). Once per process. */
void store_sweep(const char *store);
/* Writes the ref file for a normalised name atomically (runtime side). */
int store_write_ref(const char *store, const char *name, json_t *ref, struct error *e);
/* Writes the ref file of one platform of a name atomically (runtime side). */
int store_write_platform_ref(const char *store, const char *name, const struct platform *p,
			     json_t *ref, struct error *e);

#endif
