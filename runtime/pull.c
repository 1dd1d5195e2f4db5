/* pull: manifest (an index picks the platform's), config, layers. Every
 * blob is streamed into a temp file of the blob store and hashed on the
 * way; it gets its digest name only when the digest matches, and the ref
 * file is written last, so a pull killed at any point leaves no image
 * and no blob under a wrong name. Blobs already stored are not fetched
 * again: an interrupted pull resumes layer by layer. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "blobloc.h"
#include "error.h"
#include "fsutil.h"
#include "input.h"
#include "load.h"
#include "oci.h"
#include "platform.h"
#include "progress.h"
#include "pull.h"
#include "regconf.h"
#include "registry.h"
#include "store.h"
#include "util.h"
#include "workers.h"
#include "xferprog.h"

#define PULL_MANIFEST_MAX (4u << 20)
/* Layers fetched at once: enough to overlap one layer's round trips and
 * decompression with another's download, few enough for a 2-core CI. */
#define PULL_JOBS 3

/* One pull from one endpoint. */
struct pull {
	const char *store;
	const struct pull_opts *o;
	struct reg reg;
	const char *repo; /* the repository at this endpoint */
	char *repo_own;	  /* repo, when this struct owns it */
	char *scope;
	struct xferprog prog;
	int no_layers;	/* a layout copy of the manifests and configs only */
	int batch_sync; /* blobs are fsynced by pull_sync, not one by one */
	char top[72];	/* digest the reference resolved to (index or manifest) */
};

/* The streaming sink of a blob download. */
struct pull_sink {
	struct blob_writer w;
	struct pull *p;
	const char *digest;
	long long want;
	int row; /* progress row, -1 for none */
	struct error *e;
};

static pthread_mutex_t pull_progress_lock = PTHREAD_MUTEX_INITIALIZER;

static int pull_sink_write(void *ctx, const void *buf, size_t n)
{
	struct pull_sink *s = ctx;

	/* A registry sending more than the descriptor's size is lying about
	 * the blob; stop before filling the disk. */
	if (s->want >= 0 && s->w.size + (long long)n > s->want)
		return error_set(s->e, 0, "blob %s: more than the %lld bytes its descriptor says",
				 s->digest, s->want);
	if (blob_write(&s->w, buf, n, s->e) < 0)
		return -1;
	if (s->row >= 0)
		xferprog_update(&s->p->prog, s->row, s->w.size);
	/* a build's pull feeds the tty view and rawjson; plain logs get the
	 * per-layer lines of xferprog instead */
	if (s->p->o->key && progress_mode() != PROGRESS_PLAIN) {
		/* progress.c keeps one status line: the layer workers take turns */
		pthread_mutex_lock(&pull_progress_lock);
		progress_bytes(s->digest, s->w.size, s->want > 0 ? s->want : 0);
		pthread_mutex_unlock(&pull_progress_lock);
	}
	return 0;
}

static int pull_have(const char *store, const char *digest)
{
	char *path = store_blob_path(store, digest);
	int r = access(path, F_OK) == 0;

	free(path);
	return r;
}

/* The sink's checks once the body is in: size, then digest. A layer's
 * diff_id is not checked here: that needs the decompressed bytes, which
 * its first unpack reads anyway (unpack_layer). */
static int pull_sink_check(struct pull_sink *s, struct error *e)
{
	if (s->want >= 0 && s->w.size != s->want)
		return error_set(e, 0, "%lld bytes, the descriptor says %lld", s->w.size, s->want);
	return blob_check(&s->w, s->digest + 7, e);
}

/* GET the blob into the store (rg: the calling thread's client),
 * verified against digest and size while it streams. */
static int pull_blob_fetch(struct pull *p, struct reg *rg, const char *digest, long long size,
			   int row, struct error *e)
{
	struct pull_sink s = {.p = p, .digest = digest, .want = size, .row = row, .e = e};
	struct http_req req = {.method = "GET", .sink = pull_sink_write, .sink_ctx = &s};
	struct http_resp resp;
	char *path = xasprintf("%s/blobs/%s", p->repo, digest);
	int r = blob_open(&s.w, p->store, e), got = 0;

	if (r == 0)
		got = (r = reg_send(rg, &req, path, p->scope, &resp, e)) == 0;
	if (r == 0 && resp.status != 200)
		r = reg_status_error(&resp, "GET", e);
	else if (r == 0)
		r = pull_sink_check(&s, e);
	/* blob_commit refuses (and removes) a temp file of another digest.
	 * An image pull syncs its blobs at once (pull_sync) before the ref
	 * files name them. */
	if (r == 0)
		r = p->batch_sync ? blob_commit_nosync(&s.w, digest + 7, e)
				  : blob_commit(&s.w, digest + 7, e);
	else
		blob_abort(&s.w);
	if (got)
		http_resp_free(&resp);
	http_req_free(&req);
	free(path);
	return r < 0 ? error_wrap(e, "blob %s", digest) : 0;
}

/* A digest we can name a file after. */
static int pull_digest_ok(const char *digest, struct error *e)
{
	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return error_set(e, 0, "unsupported digest %s", digest ? digest : "(none)");
	return 0;
}

/* A blob named by a descriptor (a config, a layer of a layout copy):
 * stored unless it already is. */
static int pull_blob(struct pull *p, json_t *desc, int quiet, struct error *e)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *sz = json_object_get(desc, "size");
	long long size = json_is_integer(sz) ? json_integer_value(sz) : -1;
	int row = -1;

	if (pull_digest_ok(digest, e) < 0)
		return -1;
	if (pull_have(p->store, digest)) {
		if (!quiet)
			xferprog_note(&p->prog, digest, "already exists");
		return 0;
	}
	if (!quiet)
		row = xferprog_begin(&p->prog, digest, size);
	if (pull_blob_fetch(p, &p->reg, digest, size, row, e) < 0)
		return -1;
	if (row >= 0)
		xferprog_end(&p->prog, row);
	return 0;
}

/* One layer on a worker's client, unless it is stored already. */
static int pull_layer(struct pull *p, struct reg *rg, json_t *l, struct error *e)
{
	const char *digest = json_string_value(json_object_get(l, "digest"));
	const char *diff_id = json_string_value(json_object_get(l, "diff_id"));
	json_t *sz = json_object_get(l, "size");
	long long size = json_is_integer(sz) ? json_integer_value(sz) : -1;
	int row;

	if (pull_digest_ok(digest, e) < 0)
		return -1;
	if (!diff_id || !startswith(diff_id, "sha256:") || !blob_is_hex(diff_id + 7))
		return error_set(e, 0, "layer %s: bad diff_id", digest);
	if (pull_have(p->store, digest)) {
		xferprog_note(&p->prog, digest, "already exists");
		return 0;
	}
	row = xferprog_begin(&p->prog, digest, size);
	if (pull_blob_fetch(p, rg, digest, size, row, e) < 0)
		return -1;
	xferprog_end(&p->prog, row);
	return 0;
}

/* The layers of an image, shared by the worker threads. */
struct pull_jobs {
	struct pull *p;
	json_t *layers; /* [{digest, size, diff_id}] */
};

/* A worker's client of its own (connection and token). */
static void *pull_worker_open(void *ctx)
{
	struct pull_jobs *j = ctx;
	struct reg *rg = xmalloc(sizeof(*rg));

	reg_clone(rg, &j->p->reg);
	return rg;
}

static int pull_worker_run(void *ctx, void *state, size_t i, struct error *e)
{
	struct pull_jobs *j = ctx;

	return pull_layer(j->p, state, json_array_get(j->layers, i), e);
}

static void pull_worker_close(void *ctx, void *state)
{
	(void)ctx;
	reg_close(state);
	free(state);
	http_thread_end();
}

/* Fetches the layers, PULL_JOBS at a time. */
static int pull_layers_fetch(struct pull *p, json_t *layers, struct error *e)
{
	static const struct workers_ops ops = {pull_worker_open, pull_worker_run,
					       pull_worker_close};
	struct pull_jobs j = {.p = p, .layers = layers};

	return workers_run(PULL_JOBS, json_array_size(layers), &ops, &j, e);
}

/* GETs a manifest (tag or digest) and stores it; a digest reference must
 * hash to itself. */
static json_t *pull_manifest(struct pull *p, const char *ref, char digest[72], struct error *e)
{
	struct http_req req = {.method = "GET", .max_body = PULL_MANIFEST_MAX};
	struct http_resp resp;
	char *path = xasprintf("%s/manifests/%s", p->repo, ref);
	json_t *m = NULL;

	strlist_add(&req.headers, REG_ACCEPT_MANIFESTS);
	if (reg_send(&p->reg, &req, path, p->scope, &resp, e) == 0) {
		if (resp.status != 200)
			reg_status_error(&resp, "GET manifest", e);
		else if (blob_put(p->store, resp.body.s ? resp.body.s : "", resp.body.len, digest,
				  e) < 0)
			;
		else if (startswith(ref, "sha256:") && strcmp(digest + 7, ref + 7) != 0)
			error_set(e, 0, "the registry sent a manifest with digest %s", digest);
		else if (!(m = json_loadb(resp.body.s, resp.body.len, 0, NULL)))
			error_set(e, 0, "the manifest is not JSON");
		http_resp_free(&resp);
	}
	http_req_free(&req);
	free(path);
	if (!m)
		error_wrap(e, "%s:%s", p->repo, ref);
	return m;
}

static const char *pull_mt(json_t *m)
{
	const char *mt = json_string_value(json_object_get(m, "mediaType"));

	/* An OCI index may leave mediaType out; "manifests" tells it. */
	if (!mt && json_is_array(json_object_get(m, "manifests")))
		return MT_OCI_INDEX;
	return mt ? mt : MT_OCI_MANIFEST;
}

static int pull_str_eq(json_t *o, const char *k, const char *want)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v && want && strcmp(v, want) == 0;
}

/* The index entry for the wanted platform (variant: exact when asked;
 * arm64 without a variant is v8). */
static json_t *pull_pick(const struct pull *p, json_t *index, struct error *e)
{
	const struct pull_opts *o = p->o;
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(index, "manifests"), i, d)
	{
		json_t *pl = json_object_get(d, "platform");
		const char *v = json_string_value(json_object_get(pl, "variant"));
		if (!pull_str_eq(pl, "os", o->os) || !pull_str_eq(pl, "architecture", o->arch))
			continue;
		if (!o->variant || (v && !strcmp(v, o->variant)) ||
		    (!v && !strcmp(o->arch, "arm64") && !strcmp(o->variant, "v8")))
			return d;
	}
	error_set(e, 0, "no image for %s/%s%s%s in the index", o->os, o->arch,
		  o->variant ? "/" : "", o->variant ? o->variant : "");
	return NULL;
}

/* The ref file's layer list: descriptors + the config's diff_ids. */
static json_t *pull_layers(json_t *m, json_t *cfg, struct error *e)
{
	json_t *diff_ids = json_object_get(json_object_get(cfg, "rootfs"), "diff_ids");
	json_t *ls = json_object_get(m, "layers"), *out, *d;
	size_t i;

	if (!json_is_array(ls) || json_array_size(ls) != json_array_size(diff_ids)) {
		error_set(e, 0, "%zu layers but %zu diff_ids", json_array_size(ls),
			  json_array_size(diff_ids));
		return NULL;
	}
	out = json_array();
	json_array_foreach(ls, i, d)
	{
		json_array_append_new(out, json_pack("{s:O, s:O, s:O}", "digest",
						     json_object_get(d, "digest"), "size",
						     json_object_get(d, "size"), "diff_id",
						     json_array_get(diff_ids, i)));
	}
	return out;
}

/* The blobs fetched without fsync (layers, config) made durable, once,
 * before a ref file names them: a crash then loses the pull, never leaves
 * an image whose blobs are not on disk. */
static int pull_sync(struct pull *p, json_t *layers, const char *cdigest, struct error *e)
{
	size_t i, n = json_array_size(layers);
	char *dir = xasprintf("%s/blobs/sha256", p->store);
	int r = 0;

	for (i = 0; i <= n && r == 0; i++) {
		const char *d =
		    i < n ? json_string_value(json_object_get(json_array_get(layers, i), "digest"))
			  : cdigest;
		char *path = store_blob_path(p->store, d);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) < 0)
			r = error_set(e, errno, "fsync %s", path);
		if (fd >= 0)
			close(fd);
		free(path);
	}
	if (r == 0)
		r = fsync_dir(dir, e);
	free(dir);
	return r;
}

/* Where the blobs were found, for a later push to mount them. */
static void pull_record(struct pull *p, json_t *m, const char *cdigest)
{
	size_t i;
	json_t *d;

	blobloc_add(p->store, cdigest, p->reg.host, p->repo);
	json_array_foreach(json_object_get(m, "layers"), i, d)
	{
		blobloc_add(p->store, json_string_value(json_object_get(d, "digest")), p->reg.host,
			    p->repo);
	}
}

/* Config and layers of an image manifest, then the ref files. */
/* load_register_platform's flags: an image picked from an index is that
 * index's image for its platform; only the host's takes the plain name
 * (an arm64 pull must not become what FROM NAME means on amd64). */
static int pull_flags(const struct pull *p, int from_index)
{
	struct platform pl = {0};

	if (!from_index)
		return LOAD_DEFAULT;
	snprintf(pl.os, sizeof(pl.os), "%s", p->o->os);
	snprintf(pl.arch, sizeof(pl.arch), "%s", p->o->arch);
	snprintf(pl.variant, sizeof(pl.variant), "%s", p->o->variant ? p->o->variant : "");
	return LOAD_INDEX | (platform_is_host(&pl) ? LOAD_DEFAULT : 0);
}

static int pull_image_manifest(struct pull *p, const char *name, json_t *m, const char *mdigest,
			       int from_index, struct error *e)
{
	json_t *cdesc = json_object_get(m, "config"), *cfg = NULL, *layers = NULL, *names;
	const char *cdigest = json_string_value(json_object_get(cdesc, "digest"));
	char *cpath, *source;
	int r = -1;

	if (pull_blob(p, cdesc, 1, e) < 0)
		return error_wrap(e, "config");
	cpath = store_blob_path(p->store, cdigest);
	cfg = json_load_file(cpath, 0, NULL);
	free(cpath);
	if (!cfg)
		return error_set(e, 0, "config %s is not JSON", cdigest);
	layers = pull_layers(m, cfg, e);
	if (!layers || pull_layers_fetch(p, layers, e) < 0 || pull_sync(p, layers, cdigest, e) < 0)
		goto out;
	pull_record(p, m, cdigest);
	names = json_pack("[s]", name);
	source = xasprintf("pull %.*s@%s", (int)strcspn(name, "@"), name, p->top);
	load_set_source(source);
	r = layers ? load_register_platform(p->store, names, cdigest, layers, mdigest,
					    pull_flags(p, from_index) | LOAD_LAZY, e)
		   : -1;
	load_set_source(NULL);
	free(source);
	json_decref(names);
out:
	json_decref(layers);
	json_decref(cfg);
	return r;
}

/* Resolves ref at this endpoint: an index picks its platform's manifest. */
static int pull_from(struct pull *p, const char *name, const char *ref, char manifest[72],
		     struct error *e)
{
	json_t *m = pull_manifest(p, ref, p->top, e), *pick, *m2 = NULL;
	const char *mt = m ? pull_mt(m) : NULL;
	int r = -1;

	strcpy(manifest, p->top);
	if (mt && (!strcmp(mt, MT_OCI_INDEX) || !strcmp(mt, MT_DOCKER_LIST))) {
		pick = pull_pick(p, m, e);
		const char *d = json_string_value(json_object_get(pick, "digest"));
		if (d && startswith(d, "sha256:") && blob_is_hex(d + 7))
			m2 = pull_manifest(p, d, manifest, e);
		else if (pick)
			error_set(e, 0, "index entry without a sha256 digest");
		mt = m2 ? pull_mt(m2) : NULL;
	}
	if (mt && strcmp(mt, MT_OCI_MANIFEST) && strcmp(mt, MT_DOCKER_MANIFEST))
		error_set(e, 0, "unsupported manifest type %s", mt);
	else if (mt)
		r = pull_image_manifest(p, name, m2 ? m2 : m, manifest, m2 != NULL, e);
	json_decref(m2);
	json_decref(m);
	return r;
}

static int pull_endpoint(const char *store, const char *name, const char *ref,
			 const struct regconf_ep *ep, const struct pull_opts *o, char manifest[72],
			 struct error *e)
{
	struct pull p = {.store = store, .o = o, .repo = ep->repo, .batch_sync = 1};
	int r = reg_open(&p.reg, ep, o->tls_verify, e);

	xferprog_init(&p.prog, o->rt, o->key, "pulling", "pulled", isatty(2) && !o->key);
	p.scope = xasprintf("repository:%s:pull", ep->repo);
	if (r == 0)
		r = pull_from(&p, name, ref, manifest, e);
	free(p.scope);
	reg_close(&p.reg);
	xferprog_free(&p.prog);
	return r < 0 ? error_wrap(e, "pull from %s", ep->host) : 0;
}

int pull_image(const char *store, const char *name, const struct pull_opts *o, char manifest[72],
	       struct error *e)
{
	struct regconf_list eps;
	char *repo, *ref;
	int r = -1, lock = -1;

	reg_split(name, &repo, &ref);
	/* The store lock, shared: gc must not take blobs stored but not yet
	 * named by a ref file (as load holds it). */
	if (store_private_root(store, e) == 0 && (lock = store_lock(store, 0, e)) != -1 &&
	    regconf_endpoints(repo, startswith(ref, "sha256:"), &eps, e) == 0) {
		/* Mirrors first; the registry itself last. */
		for (size_t i = 0; i < eps.n && r < 0; i++)
			r = pull_endpoint(store, name, ref, &eps.v[i], o, manifest, e);
		regconf_free(&eps);
	}
	if (lock >= 0)
		close(lock);
	free(repo);
	free(ref);
	return r;
}

/* Every blob a manifest or index names (an index: its manifests first),
 * into p->store, which is a layout directory here. */
static int pull_tree(struct pull *p, json_t *m, struct error *e)
{
	json_t *d, *child;
	size_t i;
	int r = 0;
	char dg[72];

	json_array_foreach(json_object_get(m, "manifests"), i, d)
	{
		const char *cd = json_string_value(json_object_get(d, "digest"));
		if (r == 0 && !(cd && startswith(cd, "sha256:") && blob_is_hex(cd + 7)))
			r = error_set(e, 0, "index entry without a sha256 digest");
		if (r == 0 && !(child = pull_manifest(p, cd, dg, e)))
			r = -1;
		if (r == 0) {
			r = pull_tree(p, child, e);
			json_decref(child);
		}
	}
	/* a config is read whole later (64 MiB at most): a registry naming a
	 * bigger one would only fill the disk */
	if (r == 0 && p->no_layers &&
	    json_integer_value(json_object_get(json_object_get(m, "config"), "size")) >
		(json_int_t)INPUT_MAX)
		r = error_set(e, 0, "config of more than %zu bytes", INPUT_MAX);
	if (r == 0 && json_object_get(m, "config"))
		r = pull_blob(p, json_object_get(m, "config"), 1, e);
	json_array_foreach(json_object_get(m, "layers"), i, d)
	{
		if (r == 0 && !p->no_layers)
			r = pull_blob(p, d, 0, e);
	}
	return r;
}

/* DIR/index.json naming the copied manifest (with the tag as ref.name). */
static int pull_layout_index(const char *dir, json_t *m, const char *digest, const char *ref,
			     struct error *e)
{
	char *path = store_blob_path(dir, digest), *text, *ip;
	struct stat st;
	json_t *desc, *idx;
	int r;

	r = stat(path, &st) < 0 ? error_set(e, errno, "stat %s", path) : 0;
	free(path);
	if (r < 0)
		return -1;
	desc = oci_descriptor(pull_mt(m), digest, (long long)st.st_size);
	if (!startswith(ref, "sha256:"))
		json_object_set_new(desc, "annotations",
				    json_pack("{s:s}", "org.opencontainers.image.ref.name", ref));
	idx = json_pack("{s:i, s:s, s:[o]}", "schemaVersion", 2, "mediaType", MT_OCI_INDEX,
			"manifests", desc);
	text = oci_dumps(idx);
	ip = path_join(dir, "index.json");
	r = write_atomic(ip, text, strlen(text), 0644, e);
	free(ip);
	free(text);
	json_decref(idx);
	ip = path_join(dir, "oci-layout");
	text = "{\"imageLayoutVersion\":\"1.0.0\"}";
	if (r == 0)
		r = write_atomic(ip, text, strlen(text), 0644, e);
	free(ip);
	return r;
}

/* Opens p's client for the registry of name itself (a copy names one
 * place: mirrors are for images); *ref gets the tag or digest. */
static int pull_open_direct(struct pull *p, const char *name, char **ref, struct error *e)
{
	struct regconf_list eps;
	char *repo;
	int r;

	reg_split(name, &repo, ref);
	r = regconf_endpoints(repo, 1, &eps, e);
	free(repo);
	if (r < 0)
		return -1;
	p->repo = p->repo_own = xstrdup(eps.v[eps.n - 1].repo);
	p->scope = xasprintf("repository:%s:pull", p->repo);
	r = reg_open(&p->reg, &eps.v[eps.n - 1], p->o->tls_verify, e);
	regconf_free(&eps);
	return r;
}

static void pull_close_direct(struct pull *p)
{
	reg_close(&p->reg);
	free(p->scope);
	free(p->repo_own);
}

/* pull_layout, all of it or (no_layers) the manifests and configs only. */
static int pull_layout_run(const char *name, const char *dir, int tls_verify, int no_layers,
			   struct error *e)
{
	struct pull_opts o = {.tls_verify = tls_verify};
	struct pull p = {.store = dir, .o = &o, .no_layers = no_layers};
	char *ref = NULL;
	json_t *m = NULL;
	int r = mkdir_p(dir, 0755, e);

	xferprog_init(&p.prog, NULL, NULL, "pulling", "pulled", isatty(2));
	if (r == 0)
		r = pull_open_direct(&p, name, &ref, e);
	if (r == 0 && !(m = pull_manifest(&p, ref, p.top, e)))
		r = -1;
	if (r == 0)
		r = pull_tree(&p, m, e);
	if (r == 0)
		r = pull_layout_index(dir, m, p.top, ref, e);
	json_decref(m);
	pull_close_direct(&p);
	free(ref);
	xferprog_free(&p.prog);
	return r < 0 ? error_wrap(e, "copy %s", name) : 0;
}

int pull_layout(const char *name, const char *dir, int tls_verify, struct error *e)
{
	return pull_layout_run(name, dir, tls_verify, 0, e);
}

int pull_layout_meta(const char *name, const char *dir, int tls_verify, struct error *e)
{
	return pull_layout_run(name, dir, tls_verify, 1, e);
}

int pull_blob_from(const char *name, json_t *desc, const struct pull_opts *o, struct error *e)
{
	struct pull p = {.store = o->store, .o = o};
	char *ref = NULL;
	int r = pull_open_direct(&p, name, &ref, e);

	xferprog_init(&p.prog, o->rt, o->key, "pulling", "pulled", isatty(2) && !o->key);
	if (r == 0)
		r = pull_blob(&p, desc, 0, e);
	pull_close_direct(&p);
	xferprog_free(&p.prog);
	free(ref);
	return r < 0 ? error_wrap(e, "pull from %s", name) : 0;
}

int pull_platform(char *p, struct pull_opts *o)
{
	char *a = strchr(p, '/'), *v;

	if (!a || a == p || !a[1])
		return -1;
	*a++ = '\0';
	v = strchr(a, '/');
	if (v)
		*v++ = '\0';
	if (v && (!*v || strchr(v, '/')))
		return -1;
	o->os = p;
	o->arch = a;
	o->variant = v;
	return 0;
}
