/* http: libcurl, loaded at the first request (see http.h for why). One
 * easy handle is kept per thread (a pull fetches layers on several), so
 * the requests of a thread reuse their connection (and TLS session) to
 * the registry. */
#include <curl/curl.h>
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "error.h"
#include "http.h"

#define HTTP_MAX_BODY (4u << 20)
#define HTTP_ERR_BASE 1000

/* The libcurl functions we call, resolved from the shared library. */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*init)(void);
	void (*reset)(CURL *);
	void (*cleanup)(CURL *);
	CURLcode (*setopt)(CURL *, CURLoption, ...);
	CURLcode (*perform)(CURL *);
	CURLcode (*getinfo)(CURL *, CURLINFO, ...);
	const char *(*strerror)(CURLcode);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;
static int http_loaded; /* cu is filled (once, under http_lock) */
static pthread_mutex_t http_lock = PTHREAD_MUTEX_INITIALIZER;
static _Thread_local CURL *http_handle;

/* dlsym into a function pointer (the cast C requires for it). */
static int http_sym(void *lib, const char *name, void *slot)
{
	void *p = dlsym(lib, name);

	memcpy(slot, &p, sizeof(p));
	return p ? 0 : -1;
}

static int http_load_lib(struct error *e)
{
	static const char *libs[] = {"libcurl.so.4", "libcurl-gnutls.so.4", "libcurl.so"};
	void *lib = NULL;

	for (size_t i = 0; i < LEN(libs) && !lib; i++)
		lib = dlopen(libs[i], RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return error_set(e, 0,
				 "cannot load libcurl (install the Debian package libcurl4): %s",
				 dlerror());
	if (http_sym(lib, "curl_global_init", &cu.global_init) ||
	    http_sym(lib, "curl_easy_init", &cu.init) ||
	    http_sym(lib, "curl_easy_reset", &cu.reset) ||
	    http_sym(lib, "curl_easy_cleanup", &cu.cleanup) ||
	    http_sym(lib, "curl_easy_setopt", &cu.setopt) ||
	    http_sym(lib, "curl_easy_perform", &cu.perform) ||
	    http_sym(lib, "curl_easy_getinfo", &cu.getinfo) ||
	    http_sym(lib, "curl_easy_strerror", &cu.strerror) ||
	    http_sym(lib, "curl_slist_append", &cu.slist_append) ||
	    http_sym(lib, "curl_slist_free_all", &cu.slist_free_all))
		return error_set(e, 0, "libcurl lacks a function: %s", dlerror());
	if (cu.global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return error_set(e, 0, "libcurl initialisation failed");
	http_loaded = 1;
	return 0;
}

/* The library once per process, a handle once per thread. */
static int http_load(struct error *e)
{
	int r = 0;

	if (http_handle)
		return 0;
	pthread_mutex_lock(&http_lock);
	if (!http_loaded)
		r = http_load_lib(e);
	pthread_mutex_unlock(&http_lock);
	if (r == 0 && !(http_handle = cu.init()))
		r = error_set(e, 0, "libcurl initialisation failed");
	return r;
}

void http_thread_end(void)
{
	if (http_handle)
		cu.cleanup(http_handle);
	http_handle = NULL;
}

/* What the callbacks see. */
struct http_ctx {
	const struct http_req *req;
	struct http_resp *resp;
	int sink_failed, too_big;
	long long sent;			/* bytes of body_fd sent so far */
	char curl_err[CURL_ERROR_SIZE]; /* libcurl's own words ("Operation too slow...") */
};

/* The body streamed from a file range (a blob upload: no copy in memory). */
static size_t http_read(char *p, size_t size, size_t n, void *arg)
{
	struct http_ctx *c = arg;
	long long left = c->req->body_fd_len - c->sent;
	size_t want = size * n < (size_t)left ? size * n : (size_t)left;
	ssize_t r;

	if (want == 0)
		return 0;
	do
		r = pread(c->req->body_fd, p, want, (off_t)(c->req->body_off + c->sent));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return CURL_READFUNC_ABORT;
	c->sent += r;
	return (size_t)r;
}

static size_t http_write(char *p, size_t size, size_t n, void *arg)
{
	struct http_ctx *c = arg;
	size_t len = size * n;
	size_t max = c->req->max_body ? c->req->max_body : HTTP_MAX_BODY;

	/* An error answer's body is kept for its message, not streamed. */
	if (c->req->sink && c->resp->status / 100 == 2) {
		if (c->req->sink(c->req->sink_ctx, p, len) != 0) {
			c->sink_failed = 1;
			return 0;
		}
		return len;
	}
	if (c->resp->body.len + len > max) {
		c->too_big = 1;
		return 0;
	}
	buf_addn(&c->resp->body, p, len);
	return len;
}

/* Sets *slot to the header's value when line is "name: value". */
static void http_header_value(const char *line, size_t n, const char *name, char **slot)
{
	size_t nl = strlen(name);

	if (n <= nl + 1 || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
		return;
	line += nl + 1;
	n -= nl + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n' || line[n - 1] == ' '))
		n--;
	free(*slot);
	*slot = xstrndup(line, n);
}

static size_t http_header(char *p, size_t size, size_t n, void *arg)
{
	struct http_ctx *c = arg;
	struct http_resp *r = c->resp;
	size_t len = size * n;

	/* A status line starts the headers of each response (redirects,
	 * 100-continue): only the last response's headers count. */
	if (len > 5 && strncmp(p, "HTTP/", 5) == 0) {
		char *sp = memchr(p, ' ', len);
		r->status = sp ? strtol(sp + 1, NULL, 10) : 0;
		free(r->content_type), free(r->digest), free(r->location), free(r->www_auth);
		free(r->etag), free(r->last_modified);
		r->content_type = r->digest = r->location = r->www_auth = NULL;
		r->etag = r->last_modified = NULL;
		r->length = -1;
		return len;
	}
	http_header_value(p, len, "Content-Type", &r->content_type);
	http_header_value(p, len, "Docker-Content-Digest", &r->digest);
	http_header_value(p, len, "Location", &r->location);
	http_header_value(p, len, "WWW-Authenticate", &r->www_auth);
	http_header_value(p, len, "ETag", &r->etag);
	http_header_value(p, len, "Last-Modified", &r->last_modified);
	if (len > 15 && strncasecmp(p, "Content-Length:", 15) == 0)
		r->length = strtoll(p + 15, NULL, 10);
	return len;
}

static void http_tls_opts(const struct http_tls *t)
{
	if (!t)
		return;
	cu.setopt(http_handle, CURLOPT_SSL_VERIFYPEER, (long)(t->verify != 0));
	cu.setopt(http_handle, CURLOPT_SSL_VERIFYHOST, t->verify ? 2L : 0L);
	/* Extra CAs are added to the system's, as a certs.d/HOST/ca.crt
	 * is for docker (libcurl loads a CA blob beside its CA file). */
	if (t->ca_pem) {
		struct curl_blob b = {(void *)t->ca_pem, t->ca_len, CURL_BLOB_COPY};
		cu.setopt(http_handle, CURLOPT_CAINFO_BLOB, &b);
	}
	if (t->cert && t->key) {
		cu.setopt(http_handle, CURLOPT_SSLCERT, t->cert);
		cu.setopt(http_handle, CURLOPT_SSLKEY, t->key);
	}
}

/* A request body up to this size still counts as a small exchange. */
#define HTTP_SMALL_SEND (1u << 20)

/* The whole-exchange limit, in seconds, of a request whose answer is kept
 * in memory (a token, a manifest, a config: at most 4 MiB) and whose body
 * is at most HTTP_SMALL_SEND:
 * DF2MAKE_HTTP_TIMEOUT, else 300. The low-speed limit alone lets a server
 * that trickles a few bytes a second (endless header lines) hold make
 * forever. Streamed bodies (layers) and uploads have no such limit: their
 * size is the registry's to announce, and the low-speed limit stops a
 * stall. */
static long http_small_timeout(void)
{
	const char *v = getenv("DF2MAKE_HTTP_TIMEOUT");
	char *end;
	long t = v && *v ? strtol(v, &end, 10) : 0;

	return t > 0 && !*end ? t : 300;
}

/* A positive integer from the environment variable name, else def. */
static long http_env_long(const char *name, long def)
{
	const char *v = getenv(name);
	char *end;
	long t = v && *v ? strtol(v, &end, 10) : 0;

	return t > 0 && !*end ? t : def;
}

long http_low_speed_limit(void)
{
	return http_env_long("DF2MAKE_HTTP_LOW_SPEED_LIMIT", HTTP_LOW_SPEED_LIMIT);
}

long http_low_speed_time(void)
{
	return http_env_long("DF2MAKE_HTTP_LOW_SPEED_TIME", HTTP_LOW_SPEED_TIME);
}

static void http_opts(const struct http_req *req, struct http_ctx *c, struct curl_slist *hdrs)
{
	CURL *h = http_handle;

	cu.reset(h);
	cu.setopt(h, CURLOPT_URL, req->url);
	/* "/d/./f" is asked as written, as Go's client (BuildKit) does */
	cu.setopt(h, CURLOPT_PATH_AS_IS, 1L);
	cu.setopt(h, CURLOPT_NOSIGNAL, 1L);
	cu.setopt(h, CURLOPT_USERAGENT, "df2make/" PACKAGE_VERSION);
	cu.setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	cu.setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	cu.setopt(h, CURLOPT_CONNECTTIMEOUT, 30L);
	/* A stalled or trickling server (a byte a second: a layer's announced
	 * size would take days) fails the transfer instead of holding make. */
	cu.setopt(h, CURLOPT_LOW_SPEED_LIMIT, http_low_speed_limit());
	cu.setopt(h, CURLOPT_LOW_SPEED_TIME, http_low_speed_time());
	c->curl_err[0] = 0;
	cu.setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	cu.setopt(h, CURLOPT_HTTPHEADER, hdrs);
	cu.setopt(h, CURLOPT_WRITEFUNCTION, http_write);
	cu.setopt(h, CURLOPT_WRITEDATA, c);
	cu.setopt(h, CURLOPT_HEADERFUNCTION, http_header);
	cu.setopt(h, CURLOPT_HEADERDATA, c);
	http_tls_opts(req->tls);
	/* streamed bodies (layers) in fewer, larger pieces */
	if (req->sink)
		cu.setopt(h, CURLOPT_BUFFERSIZE, 512L * 1024);
	else if (req->body_fd_len <= 0 && req->body_len <= HTTP_SMALL_SEND)
		cu.setopt(h, CURLOPT_TIMEOUT, http_small_timeout());
	if (req->body_fd_len > 0) {
		cu.setopt(h, CURLOPT_UPLOAD, 1L);
		cu.setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		cu.setopt(h, CURLOPT_READFUNCTION, http_read);
		cu.setopt(h, CURLOPT_READDATA, c);
		cu.setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)req->body_fd_len);
		cu.setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 512L * 1024);
	} else if (strcmp(req->method, "HEAD") == 0) {
		cu.setopt(h, CURLOPT_NOBODY, 1L);
	} else if (strcmp(req->method, "GET") != 0) {
		cu.setopt(h, CURLOPT_CUSTOMREQUEST, req->method);
		cu.setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
		cu.setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	} else {
		/* Blob GETs are redirected to storage (S3, a CDN); libcurl sends
		 * a custom Authorization header to the first host only. */
		cu.setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
		cu.setopt(h, CURLOPT_MAXREDIRS, 10L);
	}
}

int http_loopback(const char *host)
{
	size_t n = host[0] == '[' ? strcspn(host, "]") + 1 : strcspn(host, ":/");

	return (n == 9 && !strncmp(host, "localhost", 9)) || !strncmp(host, "127.", 4) ||
	       (n == 5 && !strncmp(host, "[::1]", 5));
}

/* DF2MAKE_LOOPBACK_ONLY=1 (set by the test suite): no request leaves the
 * machine, whatever a Dockerfile names. */
static int http_allowed(const char *url, struct error *e)
{
	const char *h = strstr(url, "://"), *at;

	/* the host is after the userinfo (ADD's https://user:pass@host) */
	at = h ? memchr(h + 3, '@', strcspn(h + 3, "/?#")) : NULL;
	if (at)
		h = at - 2;
	if (!getenv("DF2MAKE_LOOPBACK_ONLY") || (h && http_loopback(h + 3)))
		return 0;
	return error_set(
	    e, 0, "%s: DF2MAKE_LOOPBACK_ONLY is set: only loopback hosts are contacted", url);
}

int http_do(const struct http_req *req, struct http_resp *resp, struct error *e)
{
	struct http_ctx c = {.req = req, .resp = resp};
	struct curl_slist *hdrs = NULL;
	CURLcode rc;

	memset(resp, 0, sizeof(*resp));
	resp->length = -1;
	if (http_allowed(req->url, e) < 0)
		return -1;
	if (http_load(e) < 0)
		return -1;
	for (size_t i = 0; i < req->headers.n; i++)
		hdrs = cu.slist_append(hdrs, req->headers.v[i]);
	/* Expect: 100-continue would cost a round trip per upload. */
	hdrs = cu.slist_append(hdrs, "Expect:");
	http_opts(req, &c, hdrs);
	rc = cu.perform(http_handle);
	cu.slist_free_all(hdrs);
	if (rc == CURLE_OK)
		return 0;
	/* a failed exchange leaves nothing to free: what came of the answer
	 * (headers, a body cut at max_body) goes, as callers free only after
	 * success (an endless manifest leaked its 4 MiB) */
	http_resp_free(resp);
	if (c.sink_failed)
		return -1; /* the sink said why */
	if (c.too_big)
		return error_set(e, 0, "%s %s: answer larger than %zu bytes", req->method, req->url,
				 req->max_body ? req->max_body : HTTP_MAX_BODY);
	if (rc == CURLE_OPERATION_TIMEDOUT && !strncmp(c.curl_err, "Operation too slow", 18))
		error_set(e, 0,
			  "%s %s: %s (the low-speed limit: DF2MAKE_HTTP_LOW_SPEED_LIMIT bytes/s "
			  "over DF2MAKE_HTTP_LOW_SPEED_TIME seconds)",
			  req->method, req->url, c.curl_err);
	else
		error_set(e, 0, "%s %s: %s", req->method, req->url, cu.strerror(rc));
	e->code = HTTP_ERR_BASE + (int)rc;
	return -1;
}

int http_err_not_tls(const struct error *e)
{
	/* Only the handshake itself: a TLS server refusing us later (no
	 * client certificate: a receive error) must not send us to http://. */
	return e->code == HTTP_ERR_BASE + CURLE_SSL_CONNECT_ERROR;
}

void http_resp_free(struct http_resp *resp)
{
	free(resp->content_type);
	free(resp->digest);
	free(resp->location);
	free(resp->www_auth);
	free(resp->etag);
	free(resp->last_modified);
	buf_free(&resp->body);
	memset(resp, 0, sizeof(*resp));
}

void http_req_free(struct http_req *req)
{
	strlist_free(&req->headers);
}
