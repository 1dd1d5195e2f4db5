/* push: blobs first (HEAD, then POST + PATCH chunks + PUT ?digest=),
 * config, then the manifest under the tag. The registry checks each
 * blob's digest at the final PUT, so a half-sent blob is never visible. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blob.h"
#include "blobloc.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "push.h"
#include "regconf.h"
#include "registry.h"
#include "store.h"
#include "util.h"
#include "workers.h"
#include "xferprog.h"

/* One PATCH: big enough to keep the round trips few (each waits for the
 * registry to store the chunk). Smaller blobs go in the final PUT. */
#define PUSH_CHUNK (64LL << 20)
#define PUSH_SMALL (8 << 20)
/* Layers sent at once, as for a pull (pull.c's PULL_JOBS). */
#define PUSH_JOBS 3

struct push {
	const char *store; /* where the blobs are (a store or a layout) */
	const char *rec;   /* the store whose blobloc record is read and kept, or NULL */
	struct reg reg;
	const char *repo;
	char *scope;
	char *from;	       /* another repository of the same registry holding the image */
	struct xferprog *prog; /* shared by the workers' copies of the struct */
};

/* 1 when the registry has the blob, 0 when not, -1 on error. */
static int push_has(struct push *p, const char *digest, struct error *e)
{
	struct http_req req = {.method = "HEAD"};
	struct http_resp resp;
	char *path = xasprintf("%s/blobs/%s", p->repo, digest);
	int r = reg_send(&p->reg, &req, path, p->scope, &resp, e);

	if (r == 0) {
		r = resp.status == 200 ? 1 : resp.status == 404 ? 0 : -1;
		if (r < 0)
			reg_status_error(&resp, "HEAD blob", e);
		http_resp_free(&resp);
	}
	http_req_free(&req); /* the client's auth header grew its list */
	free(path);
	return r;
}

/* Sends one request to *loc (updated from the answer's Location); the
 * answer must have status `want`. */
static int push_step(struct push *p, struct http_req *req, char **loc, long want, const char *what,
		     struct error *e)
{
	struct http_resp resp;
	int r = reg_send(&p->reg, req, *loc, p->scope, &resp, e);

	if (r == 0 && resp.status != want)
		r = reg_status_error(&resp, what, e);
	if (r == 0 && resp.location) {
		free(*loc);
		*loc = xstrdup(resp.location);
	}
	if (r == 0 || resp.status)
		http_resp_free(&resp);
	http_req_free(req);
	return r;
}

/* Bytes per PATCH of a big blob (DF2MAKE_PUSH_CHUNK overrides, for
 * tests): each is streamed from the file, so the size costs no memory;
 * chunks let an upload resume or fail at a boundary without holding a
 * request open for the whole of a multi-GB layer. */
static long long push_chunk_size(void)
{
	const char *v = getenv("DF2MAKE_PUSH_CHUNK");
	long long n = v ? strtoll(v, NULL, 10) : 0;

	return n > 0 ? n : PUSH_CHUNK;
}

/* The chunks of the file, each a PATCH with its Content-Range. */
static int push_chunks(struct push *p, int fd, long long size, char **loc, int row, struct error *e)
{
	long long off = 0, chunk = push_chunk_size();
	int r = 0;

	while (r == 0 && off < size) {
		long long n = size - off < chunk ? size - off : chunk;
		struct http_req req = {
		    .method = "PATCH", .body_fd = fd, .body_off = off, .body_fd_len = n};
		strlist_add(&req.headers, "Content-Type: application/octet-stream");
		strlist_take(&req.headers, xasprintf("Content-Range: %lld-%lld", off, off + n - 1));
		r = push_step(p, &req, loc, 202, "PATCH blob", e);
		off += n;
		xferprog_update(p->prog, row, off);
	}
	return r;
}

/* Cross-repository mount: POST ?mount=D&from=REPO. 1 when mounted; 0
 * when the registry started an upload instead (*loc set) or there is no
 * other repository; -1 on error. */
static int push_mount(struct push *p, const char *digest, const char *from, char **loc,
		      struct error *e)
{
	struct http_req req = {.method = "POST"};
	struct http_resp resp;
	char *path, *scope;
	int r;

	if (!from)
		return 0;
	path = xasprintf("%s/blobs/uploads/?mount=%s&from=%s", p->repo, digest, from);
	/* a token must also let us pull from the source repository, or the
	 * registry uploads instead of mounting */
	scope = xasprintf("%s repository:%s:pull", p->scope, from);
	r = reg_send(&p->reg, &req, path, scope, &resp, e);
	free(scope);
	if (r == 0 && resp.status != 201 && resp.status != 202)
		r = reg_status_error(&resp, "POST mount", e);
	if (r == 0 && resp.status == 202 && resp.location) {
		free(*loc);
		*loc = xstrdup(resp.location);
	}
	if (r == 0)
		r = resp.status == 201;
	if (r >= 0 || resp.status)
		http_resp_free(&resp);
	http_req_free(&req);
	free(path);
	return r;
}

/* The last request of an upload: PUT ?digest=, with the whole blob as
 * its body when it is small (one request instead of a PATCH and a PUT). */
static int push_finish(struct push *p, char **loc, const char *digest, const void *body, size_t len,
		       struct error *e)
{
	struct http_req put = {.method = "PUT", .body = body, .body_len = len};
	/* ':' of the digest percent-encoded, as the spec's examples */
	char *fin =
	    xasprintf("%s%cdigest=sha256%%3A%s", *loc, strchr(*loc, '?') ? '&' : '?', digest + 7);

	strlist_take(&put.headers, xstrdup("Content-Type: application/octet-stream"));
	free(*loc);
	*loc = fin;
	return push_step(p, &put, loc, 201, "PUT blob", e);
}

/* The blob's bytes: small ones in the final PUT, big ones in chunks. */
static int push_send(struct push *p, int fd, char **loc, const char *digest, int row,
		     struct error *e)
{
	struct stat st;
	char *buf;
	ssize_t n;
	int r;

	if (fstat(fd, &st) < 0)
		return error_set(e, errno, "stat");
	if (st.st_size > PUSH_SMALL) {
		if (push_chunks(p, fd, (long long)st.st_size, loc, row, e) < 0)
			return -1;
		return push_finish(p, loc, digest, NULL, 0, e);
	}
	buf = xmalloc((size_t)st.st_size + 1);
	n = pread(fd, buf, (size_t)st.st_size, 0);
	r = n != (ssize_t)st.st_size ? error_set(e, n < 0 ? errno : 0, "read: short")
				     : push_finish(p, loc, digest, buf, (size_t)n, e);
	free(buf);
	return r;
}

/* 1 when mounted from another repository, 0 when uploaded, -1 on error. */
static int push_upload(struct push *p, const char *digest, const char *from, long long size,
		       struct error *e)
{
	struct http_req post = {.method = "POST"};
	char *loc = xasprintf("%s/blobs/uploads/", p->repo), *path;
	int fd, r = -1, started = 0, row;

	if ((r = push_mount(p, digest, from, &loc, e)) != 0) {
		free(loc);
		return r;
	}
	started = !endswith(loc, "/blobs/uploads/");
	r = -1;
	path = store_blob_path(p->store, digest);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		error_set(e, errno, "open %s", path);
	else if (started || push_step(p, &post, &loc, 202, "POST upload", e) == 0) {
		row = xferprog_begin(p->prog, digest, size);
		r = push_send(p, fd, &loc, digest, row, e);
		if (r == 0)
			xferprog_end(p->prog, row);
	}
	if (fd >= 0)
		close(fd);
	http_req_free(&post);
	free(path);
	free(loc);
	return r;
}

/* A blob named by a manifest descriptor: mounted when the record or the
 * source image's name says another repository of the registry has it,
 * else skipped when there (HEAD), else uploaded. */
static int push_blob(struct push *p, json_t *desc, struct error *e)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	json_t *sz = json_object_get(desc, "size");
	char *from, *what;
	int has;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return error_set(e, 0, "unsupported digest %s", digest ? digest : "(none)");
	from = blobloc_find(p->rec, digest, p->reg.host, p->repo);
	if (!from && p->from)
		from = xstrdup(p->from);
	/* with a repository to mount from, the mount itself says whether the
	 * blob is there (201 whether it was or not): the HEAD is not needed */
	has = from ? 0 : push_has(p, digest, e);
	if (has == 0) {
		int u = push_upload(p, digest, from,
				    json_is_integer(sz) ? json_integer_value(sz) : -1, e);
		has = u < 0 ? -1 : u == 1 ? 2 : 0;
	}
	if (has == 1 || has == 2) {
		what = has == 1 ? xstrdup("already exists") : xasprintf("mounted from %s", from);
		xferprog_note(p->prog, digest, what);
		free(what);
	}
	if (has >= 0)
		blobloc_add(p->rec, digest, p->reg.host, p->repo);
	free(from);
	return has < 0 ? error_wrap(e, "blob %s", digest) : 0;
}

/* PUTs the manifest under ref; the registry's digest must be ours. */
static int push_manifest(struct push *p, const char *data, size_t len, const char *mt,
			 const char *ref, const char *digest, struct error *e)
{
	struct http_req req = {.method = "PUT", .body = data, .body_len = len};
	char *loc = xasprintf("%s/manifests/%s", p->repo, ref);
	struct http_resp resp;
	int r;

	strlist_take(&req.headers, xasprintf("Content-Type: %s", mt));
	r = reg_send(&p->reg, &req, loc, p->scope, &resp, e);
	if (r == 0 && resp.status != 201)
		r = reg_status_error(&resp, "PUT manifest", e);
	else if (r == 0 && resp.digest && strcmp(resp.digest, digest) != 0)
		r = error_set(e, 0, "the registry stored the manifest as %s, not %s", resp.digest,
			      digest);
	if (r == 0 || resp.status)
		http_resp_free(&resp);
	http_req_free(&req);
	free(loc);
	return r;
}

/* The layers of a manifest, shared by the worker threads. */
struct push_jobs {
	struct push *p;
	json_t *layers;
};

/* A worker's client of its own: a copy of the push with its own
 * connection and token. */
static void *push_worker_open(void *ctx)
{
	struct push_jobs *j = ctx;
	struct push *w = xmalloc(sizeof(*w));

	*w = *j->p;
	reg_clone(&w->reg, &j->p->reg);
	return w;
}

static int push_worker_run(void *ctx, void *state, size_t i, struct error *e)
{
	struct push_jobs *j = ctx;

	return push_blob(state, json_array_get(j->layers, i), e);
}

static void push_worker_close(void *ctx, void *state)
{
	struct push *w = state;

	(void)ctx;
	reg_close(&w->reg);
	free(w);
	http_thread_end();
}

/* The layers, PUSH_JOBS at a time (the config and the manifest follow). */
static int push_layers(struct push *p, json_t *layers, struct error *e)
{
	static const struct workers_ops ops = {push_worker_open, push_worker_run,
					       push_worker_close};
	struct push_jobs j = {.p = p, .layers = layers};

	return workers_run(PUSH_JOBS, json_array_size(layers), &ops, &j, e);
}

static int push_all(struct push *p, const char *manifest, const char *ref, struct error *e);

/* The manifests of an index, each under its digest, before the index. */
static int push_children(struct push *p, json_t *m, struct error *e)
{
	size_t i;
	json_t *d;

	json_array_foreach(json_object_get(m, "manifests"), i, d)
	{
		const char *cd = json_string_value(json_object_get(d, "digest"));
		if (!cd || !startswith(cd, "sha256:") || !blob_is_hex(cd + 7))
			return error_set(e, 0, "index entry without a sha256 digest");
		if (push_all(p, cd, cd, e) < 0)
			return -1;
	}
	return 0;
}

/* Layers, config, manifest (an index: its manifests, then itself). */
static int push_all(struct push *p, const char *manifest, const char *ref, struct error *e)
{
	char *path = store_blob_path(p->store, manifest), *data = NULL;
	json_t *m = NULL;
	size_t len;
	int r = read_file(path, &data, &len, e);

	free(path);
	if (r == 0 && !(m = json_loadb(data, len, 0, NULL)))
		r = error_set(e, 0, "manifest %s is not JSON", manifest);
	if (r == 0)
		r = push_children(p, m, e);
	if (r == 0)
		r = push_layers(p, json_object_get(m, "layers"), e);
	if (r == 0 && json_object_get(m, "config"))
		r = push_blob(p, json_object_get(m, "config"), e);
	if (r == 0) {
		const char *mt = json_string_value(json_object_get(m, "mediaType"));
		r = push_manifest(p, data, len, mt ? mt : MT_OCI_MANIFEST, ref, manifest, e);
	}
	json_decref(m);
	free(data);
	return r;
}

/* The source image's repository when it is on the destination's registry
 * under another name: blobs can be mounted from there. */
static char *push_from(const char *image, const char *dest_name)
{
	char *sname, *sref, *from = NULL;
	size_t hl = strcspn(dest_name, "/");

	reg_split(image, &sname, &sref);
	if (strncmp(sname, dest_name, hl + 1) == 0 && strcmp(sname, dest_name) != 0)
		from = xstrdup(sname + hl + 1);
	free(sname);
	free(sref);
	return from;
}

/* GET /v2/ first, as docker does: the scheme (a loopback registry may
 * speak plain HTTP) and the token are settled once, before the workers
 * copy the client, instead of once per worker. */
static int push_ping(struct push *p, struct error *e)
{
	struct http_req req = {.method = "GET"};
	struct http_resp resp;
	int r = reg_send(&p->reg, &req, "/v2/", p->scope, &resp, e);

	if (r == 0)
		http_resp_free(&resp);
	http_req_free(&req);
	return r;
}

/* Pushes manifest (in blobs_dir/blobs/sha256: the store or a layout) as
 * dest; rec: the store whose blob record is used, or NULL. */
static int push_run(const char *blobs_dir, const char *rec, const char *manifest, const char *from,
		    const char *dest, int tls_verify, const struct push_say *say, struct error *e)
{
	const struct rt *rt = say ? say->rt : NULL;
	const char *key = say ? say->key : NULL;
	struct push p = {.store = blobs_dir, .rec = rec};
	struct xferprog prog;
	struct regconf_list eps;
	char *name, *ref;
	int r = -1;

	/* under a step, its progress lines (as a build's pull) */
	xferprog_init(&prog, rt, key, "pushing", "pushed", isatty(2) && !key);
	p.prog = &prog;
	reg_split(dest, &name, &ref);
	p.from = from ? push_from(from, name) : NULL;
	/* mirrors are for pulling: push to the registry itself (the last) */
	if (regconf_endpoints(name, 0, &eps, e) == 0) {
		p.repo = eps.v[eps.n - 1].repo;
		p.scope = xasprintf("repository:%s:pull,push", p.repo);
		if (reg_open(&p.reg, &eps.v[eps.n - 1], tls_verify, e) == 0 &&
		    push_ping(&p, e) == 0)
			r = push_all(&p, manifest, ref, e);
		if (r == 0 && key) {
			progress_line(rt, key, "Pushed %s", dest);
			progress_line(rt, key, "Digest: %s", manifest);
		} else if (r == 0) {
			printf("Pushed %s\nDigest: %s\n", dest, manifest);
		}
		reg_close(&p.reg);
		free(p.scope);
		regconf_free(&eps);
	}
	free(p.from);
	free(name);
	free(ref);
	xferprog_free(&prog);
	return r < 0 ? error_wrap(e, "push %s", dest) : 0;
}

/* push_layout_rec, reporting as say says. */
static int push_layout_run(const char *dir, const char *store, const char *dest, int tls_verify,
			   const struct push_say *say, struct error *e)
{
	char *ip = path_join(dir, "index.json");
	json_t *idx = json_load_file(ip, 0, NULL), *ms = json_object_get(idx, "manifests");
	const char *d = json_string_value(json_object_get(json_array_get(ms, 0), "digest"));
	int r;

	if (json_array_size(ms) != 1 || !d || !startswith(d, "sha256:") || !blob_is_hex(d + 7))
		r = error_set(e, 0, "%s: want an index.json naming one manifest", ip);
	else
		r = push_run(dir, store, d, NULL, dest, tls_verify, say, e);
	json_decref(idx);
	free(ip);
	return r;
}

int push_layout_rec(const char *dir, const char *store, const char *dest, int tls_verify,
		    struct error *e)
{
	return push_layout_run(dir, store, dest, tls_verify, NULL, e);
}

int push_layout(const char *dir, const char *dest, int tls_verify, const struct push_say *say,
		struct error *e)
{
	return push_layout_run(dir, NULL, dest, tls_verify, say, e);
}

int push_digest(const char *store, const char *digest, const char *dest, int tls_verify,
		const struct push_say *say, struct error *e)
{
	return push_run(store, store, digest, NULL, dest, tls_verify, say, e);
}

int push_image(const char *store, const char *image, const char *dest, int tls_verify,
	       const struct push_say *say, struct error *e)
{
	struct store_image img;
	int r;

	if (store_lookup(store, image, NULL, &img, e) < 0)
		return -1;
	r = push_run(store, store, img.manifest, image, dest, tls_verify, say, e);
	store_image_free(&img);
	return r;
}
