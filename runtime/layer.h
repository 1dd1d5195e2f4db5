/* layer: an overlayfs upper directory as an OCI layer tar. */
#ifndef DF_LAYER_H
#define DF_LAYER_H
#include <archive.h>
#include <jansson.h>

struct error;

/* What layer_write_tree needs to know about the layers below. */
struct layer_lowers {
	char **dirs; /* top first */
	size_t n;
};

/* Instead of tar markers, what to do at whiteouts and opaque dirs, and
 * before an entry is written (type=local applies layers onto a tree). */
struct layer_hooks {
	void *ctx;
	/* rel was deleted by this layer */
	int (*whiteout)(void *ctx, const char *rel, struct error *e);
	/* the directory rel hides everything below it */
	int (*opaque)(void *ctx, const char *rel, struct error *e);
	/* rel is about to be written as a directory (is_dir) or not */
	int (*replace)(void *ctx, const char *rel, int is_dir, struct error *e);
};

/* Walks upper (sorted, depth first) and writes its entries into tar:
 * overlay whiteouts of paths present in lowers become .wh. files, opaque
 * directories get .wh..wh..opq, overlay xattrs are dropped and mtimes
 * later than epoch (if >= 0) become epoch. *count gets the entry count. */
int layer_write_tree(struct archive *tar, const char *upper, const struct layer_lowers *lowers,
		     long long epoch, long long *count, struct error *e);
/* The same walk with hooks in place of markers, writing into any libarchive
 * writer (a write_disk one for type=local). */
int layer_apply_tree(struct archive *out, const char *dir, const struct layer_hooks *hooks,
		     long long epoch, struct error *e);
/* 1 when relpath is visible in the union of lowers. */
int layer_lower_exists(const struct layer_lowers *lowers, const char *relpath);
/* 1 when the directory at path carries an overlay opaque xattr. */
int layer_is_opaque(const char *path);

#endif
