/* layer: the `layer` op. KEY is the step whose STATE/KEY/upper becomes a
 * layer; the step's own directory and stamp are left alone (the op's make
 * target is STATE/KEY.layer, written last). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "layer.h"
#include "oci.h"
#include "rt.h"
#include "sink.h"
#include "snapshot.h"
#include "util.h"

/* The layers below KEY's upper, top first: the parent's chain (scratch:
 * none). That chain decides which deletions become whiteouts, so a
 * missing or torn one is an error, never an empty list. */
static int layer_lowers_load(const struct rt *rt, const char *parent, struct layer_lowers *l,
			     struct error *e)
{
	json_t *chain = parent ? chain_read(rt, parent, e) : json_array();
	size_t i;

	l->dirs = xcalloc(json_array_size(chain) + 1, sizeof(*l->dirs));
	l->n = 0;
	if (!chain)
		return rt_torn(rt, parent, e);
	for (i = json_array_size(chain); i-- > 0;)
		l->dirs[l->n++] =
		    xstrdup(json_string_value(json_object_get(json_array_get(chain, i), "dir")));
	json_decref(chain);
	return 0;
}

static void layer_lowers_free(struct layer_lowers *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->dirs[i]);
	free(l->dirs);
}

struct layer_opts {
	const char *compress;
	int level;
	long long epoch;
};

static int layer_opts(json_t *spec, struct layer_opts *o, struct error *e)
{
	json_t *ep = json_object_get(spec, "epoch");
	json_t *lv = json_object_get(spec, "level");

	o->compress = json_string_value(json_object_get(spec, "compress"));
	if (!o->compress)
		o->compress = "gzip";
	o->level = json_is_integer(lv) ? (int)json_integer_value(lv) : -1;
	o->epoch = json_is_integer(ep) ? json_integer_value(ep) : oci_default_epoch();
	if (o->epoch < 0)
		return error_set(e, 0, "bad epoch %lld", o->epoch);
	return 0;
}

/* Streams the upper into fd; fills the sink's digests and *count. */
static int layer_stream(const char *upper, const struct layer_lowers *lowers,
			const struct layer_opts *o, int fd, struct sink *s, long long *count,
			struct error *e)
{
	struct archive *tar;
	struct stat st;
	int r;

	*count = 0;
	if (sink_open(s, fd, o->compress, o->level, e) < 0) {
		sink_close(s, NULL, e);
		return -1;
	}
	tar = sink_tar(s, e);
	if (!tar) {
		sink_close(s, NULL, e);
		return -1;
	}
	r = 0;
	if (stat(upper, &st) == 0)
		r = layer_write_tree(tar, upper, lowers, o->epoch, count, e);
	if (sink_close(s, tar, r < 0 ? NULL : e) < 0)
		r = -1;
	return r;
}

/* KEY.layer: what pack needs to know about the blob, and the parameters
 * it was made with (pack makes it again under others). */
static int layer_write_meta(const struct rt *rt, const char *key, const struct sink *s,
			    const char *blob, json_t *spec, struct error *e)
{
	char *path = rt_path(rt, key, ".layer");
	json_t *j = s ? json_pack("{s:b, s:s+, s:s+, s:I, s:s, s:s}", "empty", 0, "diff_id",
				  "sha256:", s->diff_hex, "digest", "sha256:", s->blob_hex, "size",
				  (json_int_t)s->size, "mediaType", s->media_type, "path", blob)
		      : json_pack("{s:b}", "empty", 1);
	json_object_set_new(j, "params", cache_layer_params(spec));
	char *text = json_dumps(j, JSON_PRESERVE_ORDER);
	/* no fsync: pack makes a KEY.layer it cannot read again (layer_ensure)
	 * and syncs the state before the image's rename */
	int r = write_checked(path, text, strlen(text), 0644, e);

	free(text);
	json_decref(j);
	free(path);
	return r;
}

/* 1 when upper is missing or an empty directory; 0 otherwise, also when
 * it cannot be read (the walk then says why). */
static int upper_is_empty(const char *upper)
{
	DIR *d = opendir(upper);
	struct dirent *de;
	int empty = 1;

	if (!d)
		return errno == ENOENT;
	while (empty && (de = readdir(d)))
		empty = strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0;
	closedir(d);
	return empty;
}

/* The blob goes to a locked temp beside it (swept by the step lock if we
 * are killed) and is renamed; an empty layer has no blob. No fsync: it is
 * a state file that every reader checks against STATE/KEY.layer's size and
 * digest (pack, cache export, push; a registry too), so one a crash left
 * torn or empty is reported, never believed, and `fsck --repair` removes
 * it (tests/sh/faults/torn-layer.sh). The fsync waited 3-28 ms for the
 * device (2.3 MB, demo-single's RUN) on the incremental build's path.
 * An empty upper (or none) is an empty layer without a temp file: the
 * walk would write no entry, and the temp cost an inode, its lock and an
 * unlink per such step. */
static int layer_blob(const char *upper, const struct layer_lowers *lowers,
		      const struct layer_opts *o, const char *blob, struct sink *s,
		      long long *count, struct error *e)
{
	char *tmp = NULL;
	int fd, r;

	*count = 0;
	if (upper_is_empty(upper))
		return 0;
	if ((fd = tmp_open(blob, &tmp, e)) < 0)
		return -1;
	/* the file being written named, not only the one being read (an
	 * ENOSPC named only upper/FILE) */
	if ((r = layer_stream(upper, lowers, o, fd, s, count, e)) < 0)
		error_wrap(e, "write %s", blob);
	if (r == 0 && *count > 0 && rename(tmp, blob) < 0)
		r = error_set(e, errno, "rename %s", tmp);
	if (r < 0 || *count == 0)
		unlink(tmp);
	if (close(fd) < 0 && r == 0)
		r = error_set(e, errno, "close %s", blob);
	free(tmp);
	return r;
}

/* The lowers from below (chain entries' "dir", bottom first) or, when
 * below is NULL, from spec's parent's chain. */
static int layer_lowers_get(const struct rt *rt, json_t *spec, json_t *below,
			    struct layer_lowers *l, struct error *e)
{
	size_t i;

	if (!below)
		return layer_lowers_load(rt, json_string_value(json_object_get(spec, "parent")), l,
					 e);
	l->dirs = xcalloc(json_array_size(below) + 1, sizeof(*l->dirs));
	l->n = 0;
	for (i = json_array_size(below); i-- > 0;)
		l->dirs[l->n++] = xstrdup(json_string_value(json_array_get(below, i)));
	return 0;
}

static int layer_run(const struct rt *rt, const char *key, json_t *spec, json_t *below,
		     struct error *e)
{
	struct layer_lowers lowers;
	struct layer_opts o;
	struct sink s;
	long long count = 0;
	char *upper, *blob, *stepdir;
	int r;

	if (layer_opts(spec, &o, e) < 0)
		return -1;
	/* a lazily restored step's layer (and those below it) are read here */
	if (cache_lazy_chain(rt, key, NULL, 1, e) < 0)
		return -1;
	upper = cache_layer_upper(rt, key); /* a restored step's is in the store */
	blob = xasprintf("%s/%s/layer.tar%s", rt->state, key, sink_suffix(o.compress));
	r = layer_lowers_get(rt, spec, below, &lowers, e);
	/* a step that never made its directory still gets an (empty) layer */
	stepdir = rt_path(rt, key, NULL);
	if (r == 0)
		r = mkdir_p(stepdir, 0755, e);
	free(stepdir);
	if (r == 0)
		r = layer_blob(upper, &lowers, &o, blob, &s, &count, e);
	if (r == 0)
		r = layer_write_meta(rt, key, count > 0 ? &s : NULL, blob, spec, e);
	layer_lowers_free(&lowers);
	free(upper);
	free(blob);
	return r;
}

/* The layer of KEY from spec's epoch, compression and parent: reused
 * when the step came from --cache-from, else written. */
static int layer_make(const struct rt *rt, const char *key, json_t *spec, json_t *below,
		      struct error *e)
{
	/* a step restored from --cache-from has its blob already */
	int r = cache_layer_reuse(rt, key, spec, e);

	return r < 0 || (r == 0 && layer_run(rt, key, spec, below, e) < 0) ? -1 : 0;
}

int op_layer(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	char *meta = rt_path(rt, key, ".layer");

	/* the old result goes first: an interrupted run is not taken as done */
	unlink(meta);
	free(meta);
	rt_progress(rt, key, spec, "exporting layer");
	if (layer_make(rt, key, spec, NULL, e) < 0)
		return oci_wrap_loc(e, spec, "layer");
	return 0;
}

int layer_in_step(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	json_t *params = json_object_get(spec, "layer"), *lspec;
	int r;

	if (!json_is_object(params))
		return 0;
	/* the layer op's spec: the step's parent (its chain gives the
	 * whiteouts) and the build's layer parameters */
	lspec = json_deep_copy(params);
	json_object_set(lspec, "parent", json_object_get(spec, "parent"));
	r = layer_make(rt, key, lspec, NULL, e);
	json_decref(lspec);
	if (r < 0)
		return oci_wrap_loc(e, spec, "layer");
	return 0;
}

int layer_ensure(const struct rt *rt, const char *key, json_t *params, json_t *below,
		 struct error *e)
{
	char *meta = rt_path(rt, key, ".layer");
	json_t *m = json_load_file(meta, 0, NULL), *want = cache_layer_params(params);
	int same = m && json_equal(json_object_get(m, "params"), want), r = 0;

	json_decref(m);
	json_decref(want);
	if (json_is_object(params) && !same) {
		char *dir = rt_path(rt, key, NULL), *prefix = xasprintf("%s.", key);
		unlink(meta);
		/* the temps of a step (or pack) killed while it wrote this
		 * layer or its KEY.layer: no op of that step takes its lock
		 * again, which would sweep them (only unlocked temps go) */
		tmp_sweep(dir, "");
		tmp_sweep(rt->state, prefix);
		free(prefix);
		free(dir);
		r = layer_make(rt, key, params, below, e);
	}
	free(meta);
	/* worded as the layer op's (that step's layer, no Dockerfile place) */
	return r < 0 ? oci_wrap_loc(e, NULL, "layer") : 0;
}
