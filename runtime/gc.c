/* gc: removes from the store what no image (ref file) and no step of the
 * given state directory (--state) references: blobs, unpacked layers and their .ok
 * markers, and the temps of killed writers. It holds the store lock
 * exclusively, so no load, import, FROM or pack runs meanwhile, and it
 * renames an unpacked layer away before deleting it, so a kill leaves it
 * whole or gone (never a partial lower that FROM would take as done). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "fsutil.h"
#include "gc.h"
#include "rt.h"
#include "store.h"
#include "util.h"

/* The hex of "sha256:<hex>", or NULL when d is not such a digest. */
static const char *gc_hex(const char *d)
{
	return d && startswith(d, "sha256:") && blob_is_hex(d + 7) ? d + 7 : NULL;
}

static void gc_keep_blob(struct gc_roots *r, const char *digest)
{
	const char *hex = gc_hex(digest);

	if (hex)
		json_object_set_new(r->blobs, hex, json_true());
}

/* An unpacked layer, with the blob it was unpacked from when known. */
static void gc_keep_layer(struct gc_roots *r, const char *diff_id, const char *digest)
{
	const char *hex = gc_hex(diff_id), *bhex = gc_hex(digest);

	if (hex && (bhex || !json_is_string(json_object_get(r->layers, hex))))
		json_object_set_new(r->layers, hex, bhex ? json_string(bhex) : json_true());
}

static int gc_ref(struct gc_roots *r, const char *path, struct error *e)
{
	json_t *ref = json_load_file(path, 0, NULL), *l;
	size_t i;

	if (!json_is_object(ref)) {
		json_decref(ref);
		return error_set(e, 0, "image ref %s is unreadable", path);
	}
	gc_keep_blob(r, json_string_value(json_object_get(ref, "manifest")));
	gc_keep_blob(r, json_string_value(json_object_get(ref, "config")));
	json_array_foreach(json_object_get(ref, "layers"), i, l)
	{
		const char *digest = json_string_value(json_object_get(l, "digest"));
		gc_keep_blob(r, digest);
		gc_keep_layer(r, json_string_value(json_object_get(l, "diff_id")), digest);
	}
	json_decref(ref);
	r->nrefs++;
	return 0;
}

/* Every entry of dir whose name ends in suffix, passed to fn. */
static int gc_each(const char *dir, const char *suffix, struct gc_roots *r,
		   int (*fn)(struct gc_roots *, const char *, struct error *), struct error *e)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	struct error later;
	int ret = 0;

	if (!d)
		return errno == ENOENT ? 0 : error_set(e, errno, "open %s", dir);
	/* all of them, so fsck gets every root; e keeps the first failure */
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || !endswith(de->d_name, suffix))
			continue;
		char *p = path_join(dir, de->d_name);
		if (fn(r, p, ret < 0 ? &later : e) < 0)
			ret = -1;
		free(p);
	}
	closedir(d);
	return ret;
}

/* STATE/KEY/chain.json of one step directory (not every entry of STATE is
 * a step: lock files, stamps, .empty). */
static int gc_step(struct gc_roots *r, const char *dir, struct error *e)
{
	char *path = path_join(dir, "chain.json");
	json_t *chain, *ent;
	struct stat st;
	size_t i;

	if (lstat(path, &st) < 0) {
		free(path);
		return 0;
	}
	chain = json_load_file(path, 0, NULL);
	if (!json_is_array(chain)) {
		json_decref(chain);
		error_set(e, 0, "%s is unreadable", path);
		free(path);
		return -1;
	}
	json_array_foreach(chain, i, ent)
	{
		json_t *b = json_object_get(ent, "blob");
		const char *digest = json_string_value(json_object_get(b, "digest"));
		gc_keep_blob(r, digest);
		gc_keep_layer(r, json_string_value(json_object_get(ent, "diff_id")), digest);
	}
	json_decref(chain);
	free(path);
	r->nsteps++;
	return 0;
}

/* STATE/KEY.fetch of an ADD's URL (runtime/fetch.c): its blob is the
 * fetched file, which the ADD copies when it runs again. */
static int gc_fetch(struct gc_roots *r, const char *path, struct error *e)
{
	char *text = NULL, *d;
	size_t len;

	(void)e;
	if (read_file(path, &text, &len, &(struct error){0}) < 0)
		return 0;
	d = strchr(text, '\n');
	if (startswith(text, "df2make-fetch 1\n") && d && startswith(d + 1, "sha256:")) {
		d[1 + strcspn(d + 1, "\n")] = '\0';
		gc_keep_blob(r, d + 1);
	}
	free(text);
	return 0;
}

int gc_roots(const char *store, const char *state, struct gc_roots *r, struct error *e)
{
	char *refs = xasprintf("%s/refs", store);
	int ret;

	memset(r, 0, sizeof(*r));
	r->blobs = json_object();
	r->layers = json_object();
	ret = gc_each(refs, ".json", r, gc_ref, e);
	if (ret == 0 && state)
		ret = gc_each(state, "", r, gc_step, e);
	if (ret == 0 && state)
		ret = gc_each(state, ".fetch", r, gc_fetch, e);
	free(refs);
	return ret;
}

void gc_roots_free(struct gc_roots *r)
{
	json_decref(r->blobs);
	json_decref(r->layers);
	memset(r, 0, sizeof(*r));
}

struct gc_count {
	size_t blobs, layers;
	long long bytes;
};

/* Removes the blobs no root names. */
static int gc_blobs(const char *store, const struct gc_roots *r, struct gc_count *n,
		    struct error *e)
{
	char *dir = xasprintf("%s/blobs/sha256", store);
	DIR *d = opendir(dir);
	struct dirent *de;
	struct stat st;
	int ret = 0;

	while (ret == 0 && d && (de = readdir(d))) {
		if (!blob_is_hex(de->d_name) || json_object_get(r->blobs, de->d_name))
			continue;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			n->bytes += st.st_size;
		if (unlinkat(dirfd(d), de->d_name, 0) < 0)
			ret = error_set(e, errno, "remove %s/%s", dir, de->d_name);
		n->blobs++;
	}
	if (d)
		closedir(d);
	tmp_sweep(dir, "");
	free(dir);
	return ret;
}

/* Removes the unpacked layers (marker first) no root names. */
static int gc_layers(const char *store, const struct gc_roots *r, struct gc_count *n,
		     struct error *e)
{
	char *dir = xasprintf("%s/layers", store);
	DIR *d = opendir(dir);
	struct dirent *de;
	int ret = 0;

	while (ret == 0 && d && (de = readdir(d))) {
		char hex[65] = "";
		if (strlen(de->d_name) >= 64)
			memcpy(hex, de->d_name, 64), hex[64] = '\0';
		if (!blob_is_hex(hex) || json_object_get(r->layers, hex))
			continue;
		char *p = path_join(dir, de->d_name);
		if (strcmp(de->d_name, hex) == 0) {
			ret = remove_tree_atomic(p, e);
			n->layers++;
		} else if (strcmp(de->d_name + 64, ".ok") == 0 && unlink(p) < 0) {
			ret = error_set(e, errno, "remove %s", p);
		}
		free(p);
	}
	if (d)
		closedir(d);
	tmp_sweep(dir, "");
	free(dir);
	return ret;
}

int cmd_gc(const struct rt *rt, int argc, char **argv)
{
	struct gc_roots roots = {0};
	struct gc_count n = {0};
	struct error e = {0};
	int fd, r = -1;

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: df2make-runtime [--store DIR] [--state DIR] gc\n");
		return 2;
	}
	fd = store_lock(rt->store, 1, &e);
	if (fd == -2) {
		printf("gc: no store at %s\n", rt->store);
		return 0;
	}
	if (fd >= 0 && gc_roots(rt->store, rt->state, &roots, &e) == 0 &&
	    gc_blobs(rt->store, &roots, &n, &e) == 0 && gc_layers(rt->store, &roots, &n, &e) == 0)
		r = 0;
	if (r == 0)
		printf("gc: %zu images%s kept; removed %zu blobs (%lld bytes), %zu unpacked "
		       "layers\n",
		       roots.nrefs, rt->state ? " and the state's steps" : "", n.blobs, n.bytes,
		       n.layers);
	gc_roots_free(&roots);
	if (fd >= 0)
		close(fd);
	if (r < 0) {
		fprintf(stderr, "df2make-runtime: gc: %s (nothing more removed; see fsck)\n",
			e.msg);
		return 1;
	}
	return 0;
}
