/* cmds: the user-facing commands load, import and images. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "change.h"
#include "error.h"
#include "fsutil.h"
#include "load.h"
#include "oci.h"
#include "ref.h"
#include "rt.h"
#include "store.h"
#include "util.h"

static int cmd_fail(const char *what, struct error *e)
{
	fprintf(stderr, "df2make-runtime: %s: %s\n", what, e->msg);
	return 1;
}

/* -i FILE and -t NAME, in any order (also --input= / --tag=). */
static int load_args(int argc, char **argv, const char **in, const char **tag)
{
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((strcmp(a, "-i") == 0 || strcmp(a, "--input") == 0) && i + 1 < argc)
			*in = argv[++i];
		else if ((strcmp(a, "-t") == 0 || strcmp(a, "--tag") == 0) && i + 1 < argc)
			*tag = argv[++i];
		else if (startswith(a, "--input="))
			*in = a + 8;
		else if (startswith(a, "--tag="))
			*tag = a + 6;
		else
			return -1;
	}
	return *in ? 0 : -1;
}

/* Stores the archive's blobs and registers its images, holding the store
 * lock shared: gc must not take blobs stored but not yet named by a ref. */
static int load_locked(struct load_src *src, const char *in, const char *tag, struct error *e)
{
	int lock, r = -1;

	if (store_private_root(src->store, e) < 0 || (lock = store_lock(src->store, 0, e)) < 0)
		return -1;
	if (src->dir || load_scan_tar(src, in, e) == 0)
		r = load_images(src, tag, e);
	close(lock);
	return r;
}

int cmd_load(const struct rt *rt, int argc, char **argv)
{
	struct load_src src = {.store = rt->store};
	const char *in = NULL, *tag = NULL;
	struct error e = {0};
	struct stat st;
	char *ntag = NULL;
	int r = -1;

	if (load_args(argc, argv, &in, &tag) < 0) {
		fprintf(stderr, "usage: df2make-runtime load -i IMAGE.tar|DIR [-t NAME]\n");
		return 2;
	}
	if (tag && !(ntag = ref_normalize(tag, &e)))
		return cmd_fail("load", &e);
	if (strcmp(in, "-") == 0)
		in = "/dev/stdin";
	if (stat(in, &st) < 0)
		error_set(&e, errno, "open");
	else if (S_ISDIR(st.st_mode))
		src.dir = xstrdup(in);
	load_set_source("load");
	if (e.msg[0] == '\0')
		r = load_locked(&src, in, ntag, &e);
	load_set_source(NULL);
	load_src_free(&src);
	free(ntag);
	return r < 0 ? cmd_fail(in, &e) : 0;
}

/* Checks that an import blob is a tar (plain, gzip or zstd): it is kept as
 * the layer blob, so it must be something every loader can read. */
static int import_check_tar(const char *path, const char *mt, struct error *e)
{
	char magic[6] = {0};
	FILE *f;

	if (strcmp(mt, MT_OCI_LAYER) != 0)
		return 0;
	f = fopen(path, "rb");
	if (!f)
		return error_set(e, errno, "open %s", path);
	if (fseek(f, 257, SEEK_SET) != 0 || fread(magic, 1, 5, f) != 5 ||
	    strcmp(magic, "ustar") != 0) {
		fclose(f);
		return error_set(e, 0, "%s is not a tar archive (plain, gzip or zstd)", path);
	}
	fclose(f);
	return 0;
}

/* import's options: --change lines and a history message. */
struct import_opts {
	const char *file, *name, *message;
	struct strlist changes;
};

/* The config of an imported rootfs, like `docker import`'s: platform of
 * the host, an empty config (no Env) unless --change says otherwise, one
 * history entry. */
static json_t *import_config(const struct import_opts *o, const char *diff_id, time_t created,
			     struct error *e)
{
	json_t *cfg = json_object(), *img;
	char t[32];

	for (size_t i = 0; i < o->changes.n; i++)
		if (change_apply(cfg, o->changes.v[i], e) < 0) {
			json_decref(cfg);
			return NULL;
		}
	oci_time(created, t);
	img = json_pack("{s:s, s:s, s:s, s:o, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "architecture",
			oci_host_arch(), "created", t, "os", "linux", "config", cfg, "rootfs",
			"type", "layers", "diff_ids", diff_id, "history", "created", t,
			"created_by", "df2make-runtime import");
	if (o->message)
		json_object_set_new(json_array_get(json_object_get(img, "history"), 0), "comment",
				    json_string(o->message));
	return img;
}

/* Stores the tarball as the layer blob; hex[65] and diff_id[72] get its
 * digests. */
static int import_layer(const struct rt *rt, const char *file, char hex[65], char diff_id[72],
			long long *size, struct error *e)
{
	char dhex[65], *bpath;
	const char *mt;
	int r;

	if (blob_put_file(rt->store, file, NULL, hex, size, e) < 0)
		return -1;
	bpath = xasprintf("%s/blobs/sha256/%s", rt->store, hex);
	mt = blob_layer_media_type(bpath, e);
	r = !mt || import_check_tar(bpath, mt, e) < 0 ? -1 : 0;
	if (r == 0 && strcmp(mt, MT_OCI_LAYER) != 0)
		r = blob_diff_id(bpath, dhex, e);
	free(bpath);
	if (r == 0)
		snprintf(diff_id, 72, "sha256:%s", strcmp(mt, MT_OCI_LAYER) ? dhex : hex);
	return r;
}

static int import_run(const struct rt *rt, const struct import_opts *o, struct error *e)
{
	char hex[65], diff_id[72], cdigest[72], *text;
	long long size;
	struct stat st;
	json_t *cfg, *layers, *names;
	int r;

	if (stat(o->file, &st) < 0)
		return error_set(e, errno, "open");
	if (import_layer(rt, o->file, hex, diff_id, &size, e) < 0)
		return -1;
	/* The tarball's mtime, not the clock: importing the same file twice
	 * gives the same image (and the same cache keys downstream). */
	cfg = import_config(o, diff_id, oci_default_epoch() ? oci_default_epoch() : st.st_mtime, e);
	if (!cfg)
		return -1;
	text = oci_dumps(cfg);
	json_decref(cfg);
	r = blob_put(rt->store, text, strlen(text), cdigest, e);
	free(text);
	if (r < 0)
		return -1;
	layers = json_pack("[{s:s+, s:I, s:s}]", "digest", "sha256:", hex, "size", (json_int_t)size,
			   "diff_id", diff_id);
	names = json_pack("[s]", o->name);
	load_set_source("import");
	r = load_register(rt->store, names, cdigest, layers, NULL, e);
	load_set_source(NULL);
	json_decref(layers);
	json_decref(names);
	return r;
}

/* [-c|--change INSTR]... [-m|--message MSG] ROOTFS.tar NAME */
static int import_args(int argc, char **argv, struct import_opts *o)
{
	const char *pos[2] = {NULL, NULL};
	int npos = 0;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];
		if ((!strcmp(a, "-c") || !strcmp(a, "--change")) && i + 1 < argc)
			strlist_add(&o->changes, argv[++i]);
		else if (startswith(a, "--change="))
			strlist_add(&o->changes, a + 9);
		else if ((!strcmp(a, "-m") || !strcmp(a, "--message")) && i + 1 < argc)
			o->message = argv[++i];
		else if (a[0] == '-' || npos == 2)
			return -1;
		else
			pos[npos++] = a;
	}
	o->file = pos[0];
	o->name = pos[1];
	return npos == 2 ? 0 : -1;
}

int cmd_import(const struct rt *rt, int argc, char **argv)
{
	struct import_opts o = {0};
	struct error e = {0};
	char *name;
	int r = -1;

	if (import_args(argc, argv, &o) < 0) {
		strlist_free(&o.changes);
		fprintf(stderr, "usage: df2make-runtime import [-c|--change INSTR]... [-m MESSAGE] "
				"ROOTFS.tar NAME\n");
		return 2;
	}
	name = ref_normalize(o.name, &e);
	/* bad --change lines fail before anything is stored */
	json_t *probe = name ? import_config(&o, "sha256:", 0, &e) : NULL;
	int lock =
	    probe && store_private_root(rt->store, &e) == 0 ? store_lock(rt->store, 0, &e) : -1;
	if (probe && lock >= 0) {
		o.name = name;
		r = import_run(rt, &o, &e);
		close(lock);
	}
	json_decref(probe);
	free(name);
	strlist_free(&o.changes);
	return r < 0 ? cmd_fail(o.file, &e) : 0;
}

/* "12.3MB" the way docker prints sizes (decimal units). */
static void images_size(long long n, char out[32])
{
	static const char *u[] = {"B", "kB", "MB", "GB", "TB"};
	double v = (double)n;
	size_t i = 0;

	while (v >= 1000 && i + 1 < LEN(u)) {
		v /= 1000;
		i++;
	}
	snprintf(out, 32, i ? "%.3g%s" : "%.0f%s", v, u[i]);
}

static int images_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A per-platform ref (it has "platform") that is also the name's plain
 * ref is listed once, under the plain name. */
static int images_is_default_copy(const char *store, json_t *ref, const char *name)
{
	char *path;
	json_t *plain;
	int same;

	if (!json_object_get(ref, "platform"))
		return 0;
	path = store_ref_path(store, name);
	plain = json_load_file(path, 0, NULL);
	same = json_equal(json_object_get(plain, "manifest"), json_object_get(ref, "manifest"));
	json_decref(plain);
	free(path);
	return same;
}

/* "NAME" or "NAME (linux/arm64)" for a per-platform ref. */
static char *images_name(json_t *ref, const char *name)
{
	const char *p = json_string_value(json_object_get(ref, "platform"));

	return p ? xasprintf("%s (%s)", name, p) : xstrdup(name);
}

/* One line per ref file: NAME ID SIZE SOURCE, collected for sorting. */
static void images_collect(const char *store, const char *dir, struct strlist *lines)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	while (d && (de = readdir(d))) {
		char *p, size[32];
		json_t *ref, *l;
		long long total = 0;
		size_t i;
		if (!endswith(de->d_name, ".json"))
			continue;
		p = path_join(dir, de->d_name);
		ref = json_load_file(p, 0, NULL);
		free(p);
		const char *name = json_string_value(json_object_get(ref, "name"));
		const char *cfg = json_string_value(json_object_get(ref, "config"));
		const char *src = json_string_value(json_object_get(ref, "source"));
		/* name@digest refs are aliases of tagged ones */
		if (name && cfg && strlen(cfg) > 19 && !strchr(name, '@') &&
		    !images_is_default_copy(store, ref, name)) {
			json_array_foreach(json_object_get(ref, "layers"), i, l)
			{
				total += json_integer_value(json_object_get(l, "size"));
			}
			images_size(total, size);
			char *shown = images_name(ref, name);
			strlist_take(lines, xasprintf("%-50s %.12s   %-8s %s", shown, cfg + 7, size,
						      src ? src : "-"));
			free(shown);
		}
		json_decref(ref);
	}
	if (d)
		closedir(d);
}

int cmd_images(const struct rt *rt, int argc, char **argv)
{
	struct strlist lines = {0};
	char *dir = xasprintf("%s/refs", rt->store);

	(void)argv;
	if (argc != 0) {
		free(dir);
		fprintf(stderr, "usage: df2make-runtime images\n");
		return 2;
	}
	images_collect(rt->store, dir, &lines);
	if (lines.n)
		qsort(lines.v, lines.n, sizeof(*lines.v), images_cmp);
	printf("%-50s %-12s   %-8s %s\n", "NAME", "ID", "SIZE", "SOURCE");
	for (size_t i = 0; i < lines.n; i++)
		printf("%s\n", lines.v[i]);
	strlist_free(&lines);
	free(dir);
	return 0;
}
