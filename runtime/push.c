/* push: blobs first (HEAD, then POST + PATCH chunks + PUT ?digest=),
 * config, then the manifest under the tag. The registry checks each
 * blob's digest at the final PUT, so a half-sent blob is never visible. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "blob.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "push.h"
#include "regconf.h"
#include "registry.h"
#include "store.h"
#include "util.h"

/* One PATCH: big enough to keep the round trips few, small enough to
 * hold in memory. */
#define PUSH_CHUNK (8u << 20)

struct push {
	const char *store;
	struct reg reg;
	const char *repo;
	char *scope;
	char *from; /* another repository of the same registry holding the image */
	const struct push_say *say;
};

/* One line of the push: a progress line of the step, or plain on out. */
__attribute__((format(printf, 3, 4))) static void push_say(const struct push *p, FILE *out,
							   const char *fmt, ...)
{
	char text[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (p->say && p->say->key)
		progress_line(p->say->rt, p->say->key, "%s", text);
	else
		fprintf(out, "%s\n", text);
}

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

/* The chunks of the file, each a PATCH with its Content-Range. */
static int push_chunks(struct push *p, int fd, char **loc, struct error *e)
{
	char *buf = xmalloc(PUSH_CHUNK);
	long long off = 0;
	ssize_t n;
	int r = 0;

	while (r == 0 && (n = read(fd, buf, PUSH_CHUNK)) != 0) {
		struct http_req req = {.method = "PATCH", .body = buf, .body_len = (size_t)n};
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = error_set(e, errno, "read");
			break;
		}
		strlist_add(&req.headers, "Content-Type: application/octet-stream");
		strlist_take(&req.headers,
			     xasprintf("Content-Range: %lld-%lld", off, off + (long long)n - 1));
		r = push_step(p, &req, loc, 202, "PATCH blob", e);
		off += n;
	}
	free(buf);
	return r;
}

/* Cross-repository mount: POST ?mount=D&from=REPO. 1 when mounted; 0
 * when the registry started an upload instead (*loc set) or there is no
 * other repository; -1 on error. */
static int push_mount(struct push *p, const char *digest, char **loc, struct error *e)
{
	struct http_req req = {.method = "POST"};
	struct http_resp resp;
	char *path;
	int r;

	if (!p->from)
		return 0;
	path = xasprintf("%s/blobs/uploads/?mount=%s&from=%s", p->repo, digest, p->from);
	r = reg_send(&p->reg, &req, path, p->scope, &resp, e);
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

/* 1 when mounted from another repository, 0 when uploaded, -1 on error. */
static int push_upload(struct push *p, const char *digest, struct error *e)
{
	struct http_req post = {.method = "POST"}, put = {.method = "PUT"};
	char *loc = xasprintf("%s/blobs/uploads/", p->repo), *path, *fin;
	int fd, r = -1, started = 0;

	if ((r = push_mount(p, digest, &loc, e)) != 0) {
		free(loc);
		return r;
	}
	started = !endswith(loc, "/blobs/uploads/");
	r = -1;
	path = store_blob_path(p->store, digest);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		error_set(e, errno, "open %s", path);
	else if ((started || push_step(p, &post, &loc, 202, "POST upload", e) == 0) &&
		 push_chunks(p, fd, &loc, e) == 0) {
		/* ':' of the digest percent-encoded, as the spec's examples */
		fin = xasprintf("%s%cdigest=sha256%%3A%s", loc, strchr(loc, '?') ? '&' : '?',
				digest + 7);
		strlist_take(&put.headers, xstrdup("Content-Type: application/octet-stream"));
		free(loc);
		loc = fin;
		r = push_step(p, &put, &loc, 201, "PUT blob", e);
	}
	if (fd >= 0)
		close(fd);
	http_req_free(&post);
	free(path);
	free(loc);
	return r;
}

/* A blob named by a manifest descriptor: skipped when there. */
static int push_blob(struct push *p, json_t *desc, struct error *e)
{
	const char *digest = json_string_value(json_object_get(desc, "digest"));
	int has;

	if (!digest || !startswith(digest, "sha256:") || !blob_is_hex(digest + 7))
		return error_set(e, 0, "unsupported digest %s", digest ? digest : "(none)");
	has = push_has(p, digest, e);
	if (has == 0) {
		int u = push_upload(p, digest, e);
		has = u < 0 ? -1 : u == 1 ? 2 : 0;
	}
	if (has >= 0)
		push_say(p, stderr, "%.12s: %s", digest + 7,
			 has == 1   ? "already exists"
			 : has == 2 ? "mounted"
				    : "pushed");
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
	json_t *m = NULL, *d;
	size_t len, i;
	int r = read_file(path, &data, &len, e);

	free(path);
	if (r == 0 && !(m = json_loadb(data, len, 0, NULL)))
		r = error_set(e, 0, "manifest %s is not JSON", manifest);
	if (r == 0)
		r = push_children(p, m, e);
	json_array_foreach(json_object_get(m, "layers"), i, d)
	{
		if (r == 0)
			r = push_blob(p, d, e);
	}
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

/* Pushes manifest (in blobs_dir/blobs/sha256: the store or a layout) as dest. */
static int push_run(const char *blobs_dir, const char *manifest, const char *from, const char *dest,
		    int tls_verify, const struct push_say *say, struct error *e)
{
	struct push p = {.store = blobs_dir, .say = say};
	struct regconf_list eps;
	char *name, *ref;
	int r = -1;

	reg_split(dest, &name, &ref);
	p.from = from ? push_from(from, name) : NULL;
	/* mirrors are for pulling: push to the registry itself (the last) */
	if (regconf_endpoints(name, 0, &eps, e) == 0) {
		p.repo = eps.v[eps.n - 1].repo;
		p.scope = xasprintf("repository:%s:pull,push", p.repo);
		if (reg_open(&p.reg, &eps.v[eps.n - 1], tls_verify, e) == 0)
			r = push_all(&p, manifest, ref, e);
		if (r == 0) {
			push_say(&p, stdout, "Pushed %s", dest);
			push_say(&p, stdout, "Digest: %s", manifest);
		}
		reg_close(&p.reg);
		free(p.scope);
		regconf_free(&eps);
	}
	free(p.from);
	free(name);
	free(ref);
	return r < 0 ? error_wrap(e, "push %s", dest) : 0;
}

int push_layout(const char *dir, const char *dest, int tls_verify, const struct push_say *say,
		struct error *e)
{
	char *ip = path_join(dir, "index.json");
	json_t *idx = json_load_file(ip, 0, NULL), *ms = json_object_get(idx, "manifests");
	const char *d = json_string_value(json_object_get(json_array_get(ms, 0), "digest"));
	int r;

	if (json_array_size(ms) != 1 || !d || !startswith(d, "sha256:") || !blob_is_hex(d + 7))
		r = error_set(e, 0, "%s: want an index.json naming one manifest", ip);
	else
		r = push_run(dir, d, NULL, dest, tls_verify, say, e);
	json_decref(idx);
	free(ip);
	return r;
}

int push_image(const char *store, const char *image, const char *dest, int tls_verify,
	       const struct push_say *say, struct error *e)
{
	struct store_image img;
	int r;

	if (store_lookup(store, image, NULL, &img, e) < 0)
		return -1;
	r = push_run(store, img.manifest, image, dest, tls_verify, say, e);
	store_image_free(&img);
	return r;
}
