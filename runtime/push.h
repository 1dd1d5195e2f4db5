/* push: a store image to a registry (OCI distribution spec): blobs the
 * registry has are skipped (HEAD), the others uploaded in chunks (POST,
 * PATCH..., PUT ?digest=), the manifest last, so the tag never names an
 * image whose blobs are not all there. */
#ifndef DF_PUSH_H
#define DF_PUSH_H

struct error;
struct rt;

/* Where a push reports: with key set, "#N ..." progress lines of that step
 * (an export or a --push under make -j); NULL: plain lines ("DIGEST12:
 * pushed" on stderr, "Pushed REF" on stdout, a view on a terminal), as
 * the commands print. */
struct push_say {
	const struct rt *rt;
	const char *key;
};

/* Pushes the store image `image` (normalised name) as `dest` (normalised
 * name with a tag or digest). tls_verify 0: --tls-verify=false. The
 * manifest pushed is the store's blob, so its digest is the store's. */
int push_image(const char *store, const char *image, const char *dest, int tls_verify,
	       const struct push_say *say, struct error *e);

/* Pushes the store's blob digest, a manifest or an index (then each
 * manifest it names first, under its digest), as dest. */
int push_digest(const char *store, const char *digest, const char *dest, int tls_verify,
		const struct push_say *say, struct error *e);

/* Pushes the one manifest (or index) DIR/index.json names, from an OCI
 * layout directory, as dest: the generic "layout -> registry" copy (any
 * artifact, e.g. a build cache; nothing goes through the store). */
int push_layout(const char *dir, const char *dest, int tls_verify, const struct push_say *say,
		struct error *e);
/* push_layout keeping the blob record (blobloc.h) of store: blobs known to
 * be in another repository of the registry are mounted from it. */
int push_layout_rec(const char *dir, const char *store, const char *dest, int tls_verify,
		    struct error *e);

#endif
