/* http: one HTTP request over libcurl. libcurl is loaded with dlopen the
 * first time a request is made: df2make-runtime starts once per build
 * step, and only pull/push/login talk to a network, so the other steps do
 * not pay for mapping libcurl and its dozen libraries. */
#ifndef DF_HTTP_H
#define DF_HTTP_H
#include <stddef.h>

#include "buf.h"
#include "util.h"

struct error;

/* TLS settings of one registry host. */
struct http_tls {
	int verify;	    /* 0: accept any certificate (--tls-verify=false) */
	const char *ca_pem; /* extra CAs (certs.d *.crt, PEM), or NULL */
	size_t ca_len;
	const char *cert; /* client certificate (PEM) or NULL */
	const char *key;  /* its key (PEM) or NULL */
};

/* Called with each piece of the response body; non-zero stops the
 * transfer (the callee sets its own error). */
typedef int (*http_sink_fn)(void *ctx, const void *p, size_t n);

struct http_req {
	const char *method; /* "GET", "HEAD", "PUT", ... */
	const char *url;
	struct strlist headers; /* "Name: value" lines */
	const struct http_tls *tls;
	const void *body; /* request body or NULL */
	size_t body_len;
	int body_fd;			 /* with body_fd_len > 0: the body is read from here */
	long long body_off, body_fd_len; /* the byte range of body_fd sent (pread) */
	http_sink_fn sink;		 /* NULL: the body goes to resp->body */
	void *sink_ctx;
	size_t max_body; /* limit of resp->body (0 = 4 MB) */
};

struct http_resp {
	long status;
	char *content_type, *digest, *location, *www_auth; /* headers, or NULL */
	char *etag, *last_modified;			   /* ADD's validators, or NULL */
	long long length;				   /* Content-Length, -1 if none */
	struct buf body;
};

/* Performs the request; a completed exchange returns 0 whatever the
 * status. Transport errors return -1 with e set (e->code = the CURLcode
 * plus 1000, so callers can tell a TLS handshake failure apart) and resp
 * empty: nothing to free. */
int http_do(const struct http_req *req, struct http_resp *resp, struct error *e);
/* 1 for localhost, 127.0.0.0/8 and [::1] ("HOST[:PORT]..."). */
int http_loopback(const char *host);

/* A transfer slower than this many bytes a second (DF2MAKE_HTTP_LOW_SPEED_LIMIT)
 * for HTTP_LOW_SPEED_TIME seconds (DF2MAKE_HTTP_LOW_SPEED_TIME) fails: below
 * it, a layer's announced size would take days. */
#define HTTP_LOW_SPEED_LIMIT 1024
#define HTTP_LOW_SPEED_TIME 120

/* The low-speed limit in bytes a second (the environment's, or the default). */
long http_low_speed_limit(void);

/* The seconds a transfer may stay under the low-speed limit. */
long http_low_speed_time(void);
/* Frees the calling thread's handle (a worker thread, before it ends). */
void http_thread_end(void);
/* Frees the response's fields. */
void http_resp_free(struct http_resp *resp);
/* Frees the request's header list. */
void http_req_free(struct http_req *req);
/* The CURLcode of a failed http_do that means "this is not TLS" (a plain
 * HTTP server answered the handshake): the caller may retry with http://. */
int http_err_not_tls(const struct error *e);

#endif
