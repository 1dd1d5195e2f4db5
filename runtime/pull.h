/* pull: an image from a registry into the store, the same entries `load`
 * writes (blobs, ref files), so FROM and everything after it cannot tell
 * a pulled image from a loaded one. */
#ifndef DF_PULL_H
#define DF_PULL_H
#include <jansson.h>

struct error;
struct rt;

struct pull_opts {
	const char *os, *arch, *variant; /* platform picked from an index */
	int tls_verify;			 /* 0: --tls-verify=false */
	const struct rt *rt;		 /* for progress lines */
	const char *key;		 /* build step key (progress prefix), or NULL */
	const char *store;		 /* pull_blob_from: the blob directory */
};

/* Pulls a normalised reference (tag or digest) into the store; mirrors
 * from registries.conf are tried first. manifest[72] gets the digest of
 * the platform's image manifest. */
int pull_image(const char *store, const char *name, const struct pull_opts *o, char manifest[72],
	       struct error *e);
/* Copies a reference (manifest or index, with every blob it names) into
 * an OCI layout directory, nothing checked beyond digests and nothing in
 * the store: the generic "registry -> layout" copy (for any artifact, e.g.
 * a build cache). index.json names it (ref.name = the tag). */
int pull_layout(const char *name, const char *dir, int tls_verify, struct error *e);
/* pull_layout without the layer blobs: the manifests and configs only
 * (a build cache's, whose layers are fetched one by one when needed). */
int pull_layout_meta(const char *name, const char *dir, int tls_verify, struct error *e);
/* Fetches one blob named by the descriptor desc from the repository of
 * name (a normalised ref) into o->store's blobs/sha256/, unless it is
 * there: its digest and size checked while streaming, nothing stored
 * under its name otherwise. Progress under o->key. */
int pull_blob_from(const char *name, json_t *desc, const struct pull_opts *o, struct error *e);
/* Fills os/arch/variant from "os/arch[/variant]" (strings point into p,
 * which is modified); -1 when malformed. */
int pull_platform(char *p, struct pull_opts *o);

#endif
