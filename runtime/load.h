/* load: reading image archives (docker-archive, OCI archive, OCI layout)
 * into the store. A source is a tar streamed once, or a directory. */
#ifndef DF_LOAD_H
#define DF_LOAD_H
#include <jansson.h>
#include <stddef.h>

struct error;

/* One file of the source: metadata files are kept in memory, everything
 * else went to the blob store. */
struct load_file {
	char *path; /* cleaned relative path */
	char *link; /* symlink/hardlink target (cleaned, relative) or NULL */
	char *data; /* contents of a metadata file, or NULL */
	size_t len;
	char hex[65]; /* blob digest when stored */
	long long size;
};

struct load_src {
	const char *store;
	char *dir; /* a layout directory, or NULL for a streamed tar */
	struct load_file *files;
	size_t nfiles, cap;
};

/* Streams a tar (any compression) into the store, filling src->files. */
int load_scan_tar(struct load_src *src, const char *path, struct error *e);
/* Contents of a small file of the source (malloc'd, NUL-terminated). */
int load_src_read(struct load_src *src, const char *path, char **data, size_t *len,
		  struct error *e);
/* Makes sure the file is in the blob store; hex[65] gets its digest. */
int load_src_blob(struct load_src *src, const char *path, const char *want_hex, char hex[65],
		  long long *size, struct error *e);
/* Frees the file table. */
void load_src_free(struct load_src *src);
/* Registers the images the source holds in the store under their names
 * (tag = -t override or NULL); prints "Loaded image: NAME" lines. */
int load_images(struct load_src *src, const char *tag, struct error *e);
/* Records one image (ref files for each name) from its config and layer
 * blobs; creates an OCI manifest when manifest_digest is NULL. */
int load_register(const char *store, json_t *names, const char *config_digest, json_t *layers,
		  const char *manifest_digest, struct error *e);
/* What the next load_register calls record as the images' "source" in
 * their ref files ("load", "import", "pull NAME@DIGEST"; `images` shows
 * it); NULL records none. s must outlive those calls. */
void load_set_source(const char *s);
/* load_register_platform flags: the image is the one its names mean by
 * default (the host's platform, or a single image); it came from a
 * multi-platform index. */
#define LOAD_DEFAULT 1
#define LOAD_INDEX 2
/* ... and its compressed layers' diff_ids are left for the first unpack
 * to check (a pull: unpack_layer hashes the tar it reads anyway). */
#define LOAD_LAZY 4
/* load_register for one platform of a multi-platform image: the default
 * one takes the plain names, the others a ref per name and platform (their
 * config's). */
int load_register_platform(const char *store, json_t *names, const char *config_digest,
			   json_t *layers, const char *manifest_digest, int flags, struct error *e);

#endif
