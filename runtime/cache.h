/* cache: the step cache shared between machines (docs/cache.md).
 *
 * A step's key names it in one state directory; what it produced also
 * depends on the content of the context files it read (KEY.sum) and on
 * what the steps it names produced. The content key ("ck") folds those
 * in: STATE/KEY.ck = sha256 of the key, the .sum and the content keys of
 * the steps the spec names. It holds no path, inode, mtime or host name,
 * so two machines building the same Dockerfile and context agree on it.
 *
 * --cache-to exports, per step, ck -> its layer blob into an OCI image
 * layout; --cache-from ($DF2MAKE_CACHE_FROM) restores a step whose ck
 * the layout holds instead of running it. */
#ifndef DF_CACHE_H
#define DF_CACHE_H
#include <jansson.h>

struct error;
struct rt;

/* The cache config's media type (the layout's manifest config). */
#define MT_CACHE_CONFIG "application/vnd.df2make.cache.config.v1+json"

/* Called before a step op runs: writes STATE/KEY.ck for the filesystem
 * ops, then, for all but base and when $DF2MAKE_CACHE_FROM names a cache
 * holding the step, restores it. Returns 1 when restored (the op is not
 * run), 0 when the op must run (the lazy layers of the chains it reads are
 * then there), -1 with e set when such a layer fails. A broken cache is a
 * warning, not an error. */
int cache_step(const struct rt *rt, const char *op, const char *key, json_t *spec, struct error *e);
/* The content key of a step from STATE/KEY.ck into ck[65]; -1 if none. */
int cache_read_ck(const struct rt *rt, const char *key, char ck[65]);
/* The directory holding KEY's change: its own chain entry's (a restored
 * step's is an unpacked layer in the store), else STATE/KEY/upper. */
char *cache_layer_upper(const struct rt *rt, const char *key);
/* For a restored step whose cached blob was made with the layer spec's
 * epoch and compression: writes STATE/KEY.layer naming that blob and
 * returns 1; 0 when the layer must be made (from cache_layer_upper). */
int cache_layer_reuse(const struct rt *rt, const char *key, json_t *spec, struct error *e);
/* The cache-export op: the steps' layers and content keys into an OCI
 * image layout (docs/cache.md), then the stamp STATE/KEY.done. */
int op_cache_export(const struct rt *rt, const char *key, json_t *spec, struct error *e);

/* Shared by cache.c, cacheout.c and cachereg.c. */
/* Where --cache-from reads a cache: a layout directory, and for a
 * registry source the ref its layer blobs are fetched from (the
 * directory then holds the imported manifest and config only). */
struct cache_src {
	char *dir;
	const char *ref; /* NULL: type=local */
};
struct cache_layer {
	const char *digest, *diff_id, *media_type;
	json_int_t size;
};
/* The layer parameters of a layer or export spec, as a record keeps them. */
json_t *cache_layer_params(json_t *spec);
/* Reads and checks an OCI layout blob "sha256:<hex>" of dir (whole file,
 * digest verified); malloc'd text or NULL with e set. */
char *cache_read_blob(const char *dir, const char *digest, size_t *len, struct error *e);
/* dir's cache config: index.json -> its manifest -> the config, every
 * blob's digest checked; NULL with e set. */
json_t *cache_load_config(const char *dir, struct error *e);

/* cachereg.c: --cache-from/--cache-to type=registry. */
/* ref's manifest and cache config into STATE/KEY/, once per make run
 * ($DF2MAKE_CACHE_RUN); a missing or broken cache is a warning
 * (STATE/KEY/index.json is then removed and the steps run). */
void cache_reg_import(const struct rt *rt, const char *key, const char *ref);
/* Fetches the layer blob l from the registry ref into the store
 * (verified while streaming), progress under the step key. */
int cache_reg_fetch(const struct rt *rt, const char *key, const char *ref,
		    const struct cache_layer *l, struct error *e);

/* What a record says of a blob in the store goes into the image's
 * manifest and config: its size and media type must be the blob's, and
 * its diff_id the digest of its uncompressed bytes (the layer is unpacked
 * under that name). */
int cache_check_blob(const char *blob, const struct cache_layer *l, struct error *e);

/* cachelazy.c: layers of steps restored from a registry, fetched on use. */
/* Fetches the lazy layers of STATE/KEY/chain.json (only step only's when
 * not NULL) into the store, verified, and unpacks them when unpack. A
 * layer that fails drops its step (stamp removed, record refused from
 * then on: STATE/STEP.nolazy) and e names the step and the blob. */
int cache_lazy_chain(const struct rt *rt, const char *key, const char *only, int unpack,
		     struct error *e);
/* 1 when rec's layer is the one that failed for KEY (STATE/KEY.nolazy). */
int cache_lazy_failed(const struct rt *rt, const char *key, json_t *rec);

#endif
