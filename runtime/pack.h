/* pack: the image output. pack.c assembles the JSON documents and the list
 * of files; packw.c writes that list as one tar or as a directory; local.c
 * writes the final root filesystem. */
#ifndef DF_PACK_H
#define DF_PACK_H
#include <errno.h>
#include <jansson.h>
#include <stddef.h>

struct error;

/* One file of the output, by name inside the tar/dir. */
struct pack_file {
	char *name; /* "blobs/sha256/<hex>", "index.json", ... */
	int is_dir; /* a directory entry */
	char *data; /* bytes of a generated file, or NULL */
	size_t len;
	char *src;	/* path of a blob copied from the store or state */
	long long size; /* expected size of src */
	char *hex;	/* expected sha256 of src: checked as it is copied */
	size_t seq;	/* the order it was added in */
	long long end;	/* offset after the entry in the tar (set by packw_tar*) */
};

struct pack_files {
	struct pack_file *v;
	size_t n, cap;
	long long epoch; /* mtime of every entry */
	json_t *meta;	 /* what buildx reports of the image (imeta.h), or NULL */
};

/* Adds a generated file (takes data). */
void pack_add_data(struct pack_files *f, const char *name, char *data, size_t len);
/* Adds a file copied from src (once per name), whose bytes must hash to
 * hex (the digest the manifest names it by). */
void pack_add_src(struct pack_files *f, const char *name, const char *src, long long size,
		  const char *hex);
/* Adds the parent directories and puts the list in the tar's order:
 * directories, copied blobs, generated files (each in the order added). */
void pack_finish_list(struct pack_files *f);
/* Frees the list. */
void pack_files_free(struct pack_files *f);

/* e->code of a copied blob whose bytes do not match its digest. */
#define PACK_ECORRUPT EBADMSG

/* Writes the list as a tar at dest (temp name + rename). */
int packw_tar(struct pack_files *f, const char *dest, struct error *e);
/* Writes entries from..n-1 and the end of the tar to fd (at its offset);
 * sets their end offsets, counted from base (where entry from starts). */
int packw_tar_fd(struct pack_files *f, size_t from, long long base, int fd, struct error *e);
/* The image as a tar at dest, rewriting only the end that changed when
 * the last tar this state wrote is still there untouched (packinc.c);
 * else packw_tar. state: the state directory (its record and stamps). */
int packinc_tar(const char *state, struct pack_files *f, const char *dest, struct error *e);
/* Makes a directory at dest: fill(tmp, arg, e) writes it in a locked
 * temp directory beside dest, which replaces dest only when fill
 * succeeded (removed otherwise). */
int packw_dir_via(const char *dest, int (*fill)(const char *tmp, void *arg, struct error *e),
		  void *arg, struct error *e);
/* Writes the list as a directory at dest (temp dir + rename). */
int packw_dir(const struct pack_files *f, const char *dest, struct error *e);
/* Writes the union of the layer directories (bottom first) at dest, with
 * whiteouts and opaque directories applied and mtimes clamped to epoch
 * (temp dir + rename; merged into an existing directory, as BuildKit). */
int local_write(json_t *dirs, const char *dest, long long epoch, struct error *e);
/* Replaces dest by the finished temp directory tmp (keeps dest whole until
 * the last moment). */
int packw_swap_dir(const char *tmp, const char *dest, struct error *e);
/* A locked temp file (dir = 0) or directory (dir = 1) beside dest,
 * "DIR/.BASE.tmp-XXXXXX" (*tmp, malloc'd), after sweeping the ones killed
 * packs left. Returns the fd holding the lock (close it after the rename). */
int packw_tmp(const char *dest, int dir, char **tmp, struct error *e);

#endif
