/* fetch: the fetch op for URL sources, and ADD's view of what it fetched
 * (see fetch.h). State of a fetch step KEY:
 *   STATE/KEY.fetch  "df2make-fetch 1\nsha256:HEX\nMTIME\n": what ADD
 *                    copies; rewritten only when it changes
 *   STATE/KEY.http   "df2make-http 1\nETAG\nLAST-MODIFIED\n": the
 *                    validators of the conditional GET
 * The bytes are a blob of the store, named by their digest. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "blob.h"
#include "cleanup.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "http.h"
#include "input.h"
#include "netsrc.h"
#include "regauth.h"
#include "rt.h"
#include "store.h"
#include "util.h"

#define FETCH_MAGIC "df2make-fetch 1\n"
#define HTTP_MAGIC "df2make-http 1\n"

/* What STATE/KEY.fetch says (an http fetch). */
struct fetch_rec {
	char digest[72]; /* "sha256:HEX", "" when unknown */
	long long mtime;
};

/* Line n (0-based) of a state file's text after its magic line. */
static char *fetch_line(const char *text, int n)
{
	const char *p = strchr(text, '\n');

	for (; p && n > 0; n--)
		p = strchr(p + 1, '\n');
	if (!p)
		return NULL;
	p++;
	return xstrndup(p, strcspn(p, "\n"));
}

/* Reads STATE/KEY.suffix when it starts with magic; NULL otherwise. */
static char *fetch_read(const struct rt *rt, const char *key, const char *suffix, const char *magic)
{
	cleanup_free char *path = rt_path(rt, key, suffix);
	char *text = NULL;
	size_t len;
	struct error ignored = {0};

	if (input_read(path, 1 << 16, &text, &len, &ignored) < 0)
		return NULL;
	if (!startswith(text, magic)) {
		free(text);
		return NULL;
	}
	return text;
}

/* STATE/KEY.fetch of a URL; -1 when missing, damaged or a git record. */
static int fetch_read_rec(const struct rt *rt, const char *key, struct fetch_rec *r)
{
	cleanup_free char *text = fetch_read(rt, key, ".fetch", FETCH_MAGIC);
	cleanup_free char *d = text ? fetch_line(text, 0) : NULL;
	cleanup_free char *m = text ? fetch_line(text, 1) : NULL;

	memset(r, 0, sizeof(*r));
	if (!d || !m || !startswith(d, "sha256:") || !blob_is_hex(d + 7))
		return -1;
	snprintf(r->digest, sizeof(r->digest), "%s", d);
	r->mtime = strtoll(m, NULL, 10);
	return 0;
}

/* 1 when the store holds the blob. */
static int fetch_have_blob(const struct rt *rt, const char *digest)
{
	cleanup_free char *p = store_blob_path(rt->store, digest);

	return access(p, F_OK) == 0;
}

/* Last-Modified (an HTTP date, RFC 7231's preferred form) as seconds;
 * BuildKit uses the Unix epoch when there is none or it does not parse. */
static long long fetch_http_time(const char *s)
{
	struct tm tm = {0};
	const char *end = s ? strptime(s, "%a, %d %b %Y %H:%M:%S GMT", &tm) : NULL;

	if (!end)
		return 0;
	return (long long)timegm(&tm);
}

static int fetch_sink(void *ctx, const void *p, size_t n)
{
	struct blob_writer *w = ctx;
	struct error e = {0};

	return blob_write(w, p, n, &e) < 0 ? -1 : 0;
}

/* The end of the authority of a scheme:// URL (after "://host"). */
static const char *fetch_authority_end(const char *url)
{
	const char *s = strstr(url, "://");

	return s ? s + 3 + strcspn(s + 3, "/?#") : url;
}

/* The user name and password the Dockerfile wrote in the first URL on
 * or after the instruction's line whose masked form has shown's scheme,
 * mask and host (a URL's path may hold variables; its credentials must
 * not: they would be the variable's name). */
static char *fetch_find_userinfo(const char *text, long line, const char *shown, struct error *e)
{
	size_t plen = (size_t)(fetch_authority_end(shown) - shown);
	const char *p = text;

	for (long l = 1; l < line && p; l++)
		p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL;
	for (const char *s = p ? strstr(p, "://") : NULL; s; s = strstr(s + 3, "://")) {
		const char *w = s, *end = fetch_authority_end(s);
		while (w > text && (isalnum((unsigned char)w[-1]) || w[-1] == '+'))
			w--;
		cleanup_free char *word = xstrndup(w, (size_t)(end - w));
		cleanup_free char *masked = netsrc_redact(word);
		const char *at = strrchr(word, '@');
		if (strlen(masked) != plen || strncmp(masked, shown, plen) != 0 || !at)
			continue;
		if (memchr(word, '$', (size_t)(at - word))) {
			error_set(
			    e, 0,
			    "%s: credentials from a variable are not passed on (docs/copy.md)",
			    shown);
			return NULL;
		}
		return xstrndup(strstr(word, "://") + 3, (size_t)(at - strstr(word, "://") - 3));
	}
	error_set(e, 0, "%s: its credentials are no longer in the Dockerfile (run df2make again)",
		  shown);
	return NULL;
}

char *fetch_url(json_t *spec, const char *shown, struct error *e)
{
	json_t *auth = json_object_get(spec, "auth");
	const char *df = json_string_value(json_object_get(auth, "dockerfile"));
	const char *s = strstr(shown, "://"), *at;
	cleanup_free char *text = NULL, *user = NULL;
	size_t len;

	at = s ? memchr(s + 3, '@', (size_t)(fetch_authority_end(shown) - s - 3)) : NULL;
	if (!at || strncasecmp(shown, "ssh://", 6) == 0) /* ssh user names are not masked */
		return xstrdup(shown);
	if (!df) /* a spec not from df2make: no credentials */
		return xasprintf("%.*s%s", (int)(s + 3 - shown), shown, at + 1);
	if (input_read(df, INPUT_MAX, &text, &len, e) < 0) {
		error_wrap(e, "%s: read its credentials", shown);
		return NULL;
	}
	user = fetch_find_userinfo(text, (long)json_integer_value(json_object_get(auth, "line")),
				   shown, e);
	return user ? xasprintf("%.*s%s%s", (int)(s + 3 - shown), shown, user, at) : NULL;
}

int fetch_auth_header(json_t *spec, const char *shown, char **header, struct error *e)
{
	json_t *sec = json_object_get(spec, "secret"), *src = json_object_get(sec, "src");
	const char *kind = json_string_value(json_object_get(sec, "kind"));
	const char *id = json_string_value(json_object_get(sec, "id"));
	const char *var = json_string_value(json_object_get(src, "env"));
	cleanup_free char *v = NULL;
	size_t len = 0;

	*header = NULL;
	if (!sec)
		return 0;
	if (var && getenv(var))
		v = xstrdup(getenv(var));
	else if (!var && json_is_string(src) &&
		 input_read(json_string_value(src), 1 << 16, &v, &len, e) < 0)
		return error_wrap(e, "%s: secret %s", shown, id ? id : "?");
	if (!v) /* a variable not set when make runs: BuildKit goes without */
		return 0;
	v[strcspn(v, "\r\n")] = '\0';
	if (kind && strcmp(kind, "bearer") == 0)
		*header = xasprintf("Authorization: Bearer %s", v);
	else if (kind && strcmp(kind, "git-token") == 0) {
		cleanup_free char *pair = xasprintf("x-access-token:%s", v);
		cleanup_free char *b64 = regauth_b64(pair, strlen(pair));
		*header = xasprintf("Authorization: basic %s", b64);
	} else
		*header = xasprintf("Authorization: %s", v);
	return 0;
}

/* Validators of the last answer, sent back so the server may say 304. */
static void fetch_conditional(const struct rt *rt, const char *key, struct http_req *req)
{
	cleanup_free char *text = fetch_read(rt, key, ".http", HTTP_MAGIC);
	cleanup_free char *etag = text ? fetch_line(text, 0) : NULL;
	cleanup_free char *lm = text ? fetch_line(text, 1) : NULL;

	if (etag && *etag)
		strlist_take(&req->headers, xasprintf("If-None-Match: %s", etag));
	if (lm && *lm)
		strlist_take(&req->headers, xasprintf("If-Modified-Since: %s", lm));
}

/* Writes KEY.http, then KEY.fetch only when it changed. */
static int fetch_record(const struct rt *rt, const char *key, json_t *spec,
			const struct http_resp *resp, const char *digest, long long mtime,
			struct error *e)
{
	cleanup_free char *hp = rt_path(rt, key, ".http");
	cleanup_free char *fp = rt_path(rt, key, ".fetch");
	cleanup_free char *h = xasprintf(HTTP_MAGIC "%s\n%s\n", resp->etag ? resp->etag : "",
					 resp->last_modified ? resp->last_modified : "");
	cleanup_free char *f = xasprintf(FETCH_MAGIC "%s\n%lld\n", digest, mtime);
	int changed;

	if (write_atomic(hp, h, strlen(h), 0644, e) < 0 ||
	    write_if_changed(fp, f, strlen(f), &changed, e) < 0)
		return -1;
	/* silent when nothing changed: a no-op build prints no step */
	if (changed)
		rt_progress(rt, key, spec, "%s", digest);
	return 0;
}

/* The GET itself, its body streamed into a store blob. */
static int fetch_get(const struct rt *rt, const char *key, const char *url, const char *auth,
		     int conditional, struct http_resp *resp, char digest[72], struct error *e)
{
	struct blob_writer w;
	struct http_req req = {.method = "GET", .url = url, .sink = fetch_sink, .sink_ctx = &w};
	int r;

	if (blob_open(&w, rt->store, e) < 0)
		return -1;
	if (conditional)
		fetch_conditional(rt, key, &req);
	if (auth)
		strlist_add(&req.headers, auth);
	r = http_do(&req, resp, e);
	http_req_free(&req);
	if (r < 0) { /* libcurl's messages name the URL it was given: credentials too */
		cleanup_free char *m = netsrc_redact_text(e->msg);
		snprintf(e->msg, sizeof(e->msg), "%s", m);
	}
	if (r == 0 && resp->status / 100 != 2) {
		blob_abort(&w);
		return 0; /* the caller judges the status */
	}
	if (r < 0 || blob_commit(&w, NULL, e) < 0) {
		blob_abort(&w);
		return -1;
	}
	snprintf(digest, 72, "sha256:%s", w.hex);
	return 0;
}

/* A status that is not 2xx or 304: BuildKit's message, with the URL. */
static int fetch_bad_status(const char *shown, long status, struct error *e)
{
	return error_set(e, 0, "%s: invalid response status %ld", shown, status);
}

static int fetch_http(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *shown = json_string_value(json_object_get(spec, "url"));
	const char *sum = json_string_value(json_object_get(spec, "checksum"));
	struct fetch_rec old;
	struct http_resp resp = {0};
	char digest[72] = "";
	int have = fetch_read_rec(rt, key, &old) == 0 && fetch_have_blob(rt, old.digest);
	cleanup_free char *url = NULL, *auth = NULL;
	int r;

	if (!shown)
		return error_set(e, 0, "fetch spec has no \"url\"");
	/* pinned by --checksum and stored: nothing to ask */
	if (have && sum && strcmp(sum, old.digest) == 0)
		return 0;
	if (!(url = fetch_url(spec, shown, e)) || fetch_auth_header(spec, shown, &auth, e) < 0)
		return -1;
	r = fetch_get(rt, key, url, auth, have && !sum, &resp, digest, e);
	if (r == 0 && resp.status == 304 && have)
		r = 0;
	else if (r == 0 && resp.status / 100 != 2)
		r = fetch_bad_status(shown, resp.status, e);
	else if (r == 0 && sum && strcmp(sum, digest) != 0)
		r = error_set(e, 0, "digest mismatch for %s: %s (expected: %s)", shown, digest,
			      sum);
	else if (r == 0)
		r = fetch_record(rt, key, spec, &resp, digest, fetch_http_time(resp.last_modified),
				 e);
	else
		error_wrap(e, "fetch %s", shown);
	http_resp_free(&resp);
	return r;
}

int op_fetch(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *kind = json_string_value(json_object_get(spec, "kind"));
	const char *loc = json_string_value(json_object_get(spec, "loc"));
	int lock = -1, r;

	/* shared store lock: gc must not take a blob stored but not named yet */
	r = store_private_root(rt->store, e) == 0 && (lock = store_lock(rt->store, 0, e)) != -1
		? 0
		: -1;
	if (r == 0 && kind && strcmp(kind, "git") == 0)
		r = gitsrc_fetch(rt, key, spec, e);
	else if (r == 0)
		r = fetch_http(rt, key, spec, e);
	if (lock >= 0)
		close(lock);
	if (r < 0)
		error_wrap(e, "%s: ADD step", loc ? loc : "Dockerfile");
	return r;
}

/* Copies the blob into a new file of mode 0600 with the given mtime. */
static int fetch_materialise(const char *blob, const char *path, long long mtime, struct error *e)
{
	cleanup_close int in = open(blob, O_RDONLY | O_CLOEXEC);
	cleanup_close int out = -1;
	struct timespec ts[2] = {{mtime, 0}, {mtime, 0}};
	char buf[1 << 16];
	ssize_t n;

	if (in < 0)
		return error_set(e, errno, "open %s (fetched blob; run make again)", blob);
	out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (out < 0)
		return error_set(e, errno, "create %s", path);
	/* write_all: a short write is not an error (it was reported with
	 * whatever errno an earlier call left: "No such file or directory") */
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write_all(out, buf, (size_t)n) < 0)
			return error_set(e, errno, "write %s", path);
	if (n < 0)
		return error_set(e, errno, "read %s", blob);
	if (fchmod(out, 0600) < 0 || futimens(out, ts) < 0)
		return error_set(e, errno, "set mode and time of %s", path);
	return 0;
}

int fetch_prepare(const struct rt *rt, const char *step, json_t *ent, char **dir, char **rel,
		  struct error *e)
{
	const char *fkey = json_string_value(json_object_get(ent, "key"));
	const char *kind = json_string_value(json_object_get(ent, "kind"));
	const char *name = json_string_value(json_object_get(ent, "name"));
	long long idx = json_integer_value(json_object_get(ent, "src"));
	struct fetch_rec rec;
	cleanup_free char *sub = xasprintf("/net-%lld", idx);
	cleanup_free char *blob = NULL, *path = NULL;

	*dir = *rel = NULL;
	if (!fkey || !kind)
		return error_set(e, 0, "fetch entry without key or kind");
	if (strcmp(kind, "git") == 0) {
		*dir = rt_path(rt, fkey, ".tree");
		*rel = xstrdup(".");
		return 0;
	}
	if (!name || !*name || strchr(name, '/') || strcmp(name, "..") == 0)
		return error_set(e, 0, "fetch entry with a bad file name");
	if (fetch_read_rec(rt, fkey, &rec) < 0)
		return error_set(e, 0, "%s.fetch is missing or damaged: run make again", fkey);
	*dir = rt_path(rt, step, sub);
	if (mkdir(*dir, 0700) < 0 && errno != EEXIST)
		return error_set(e, errno, "mkdir %s", *dir);
	path = xasprintf("%s/%s", *dir, name);
	blob = store_blob_path(rt->store, rec.digest);
	unlink(path);
	*rel = xstrdup(name);
	if (access(blob, F_OK) < 0 && errno == ENOENT) {
		/* gone from the store (gc without --state): without its record
		 * the next make fetches again, a pinned source included */
		cleanup_free char *fp = rt_path(rt, fkey, ".fetch");
		unlink(fp);
		return error_set(e, 0, "%s is no longer in the store: run make again to fetch it",
				 rec.digest);
	}
	return fetch_materialise(blob, path, rec.mtime, e);
}
