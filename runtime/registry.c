/* registry: the /v2/ client. Certificates follow docker and podman:
 * certs.d/HOST:PORT/ holds *.crt (CAs) and *.cert + *.key client pairs,
 * looked up in $DF2MAKE_CERTS_D (tests), /etc/containers/certs.d and
 * /etc/docker/certs.d. */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "regauth.h"
#include "regconf.h"
#include "registry.h"

void reg_split(const char *n, char **name, char **ref)
{
	const char *at = strchr(n, '@'), *slash = strrchr(n, '/');
	const char *colon = strrchr(slash ? slash : n, ':');

	if (at) {
		*name = xstrndup(n, (size_t)(at - n));
		*ref = xstrdup(at + 1);
	} else if (colon) {
		*name = xstrndup(n, (size_t)(colon - n));
		*ref = xstrdup(colon + 1);
	} else {
		*name = xstrdup(n);
		*ref = xstrdup("latest");
	}
}

/* Appends a PEM file to the CA buffer. */
static int reg_add_ca(struct reg *r, const char *path, struct error *e)
{
	char *data;
	size_t len;

	if (read_file(path, &data, &len, e) < 0)
		return error_wrap(e, "CA file");
	buf_addn(&r->ca, data, len);
	buf_addc(&r->ca, '\n');
	free(data);
	return 0;
}

/* A client pair: NAME.cert needs NAME.key beside it (docker's rule). */
static int reg_add_cert(struct reg *r, const char *dir, const char *name, struct error *e)
{
	char *cert = path_join(dir, name),
	     *key = xasprintf("%.*s.key", (int)strlen(cert) - 5, cert);

	if (access(key, R_OK) != 0) {
		error_set(e, errno, "client certificate %s without its key %s", cert, key);
		free(cert);
		free(key);
		return -1;
	}
	free(r->cert);
	free(r->key);
	r->cert = cert;
	r->key = key;
	return 0;
}

int reg_certs_dir(struct reg *r, const char *base, struct error *e)
{
	char *dir = path_join(base, r->cred);
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;

	while (d && rc == 0 && (de = readdir(d))) {
		char *p = path_join(dir, de->d_name);
		if (endswith(de->d_name, ".crt"))
			rc = reg_add_ca(r, p, e);
		else if (endswith(de->d_name, ".cert"))
			rc = reg_add_cert(r, dir, de->d_name, e);
		free(p);
	}
	if (d)
		closedir(d);
	free(dir);
	return rc;
}

static int reg_certs(struct reg *r, struct error *e)
{
	const char *env = getenv("DF2MAKE_CERTS_D");
	const char *dirs[] = {env && env[0] ? env : NULL, "/etc/containers/certs.d",
			      "/etc/docker/certs.d"};

	for (size_t i = 0; i < LEN(dirs); i++)
		if (dirs[i] && reg_certs_dir(r, dirs[i], e) < 0)
			return -1;
	if (r->ca.len) {
		r->tls.ca_pem = r->ca.s;
		r->tls.ca_len = r->ca.len;
	}
	r->tls.cert = r->cert;
	r->tls.key = r->key;
	return 0;
}

int reg_open(struct reg *r, const struct regconf_ep *ep, int tls_verify, struct error *e)
{
	memset(r, 0, sizeof(*r));
	r->host = xstrdup(ep->host);
	r->cred = xstrdup(ep->cred);
	r->scheme = xstrdup("https");
	/* localhost, 127.0.0.0/8 and ::1: docker talks plain HTTP to them */
	r->may_http = ep->insecure || http_loopback(ep->host);
	r->tls.verify = tls_verify && !ep->insecure;
	return reg_certs(r, e);
}

static char *reg_dup(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

void reg_clone(struct reg *dst, const struct reg *src)
{
	*dst = *src;
	dst->host = reg_dup(src->host);
	dst->cred = reg_dup(src->cred);
	dst->scheme = reg_dup(src->scheme);
	dst->userpass = reg_dup(src->userpass);
	dst->auth = reg_dup(src->auth);
	dst->scope = reg_dup(src->scope);
	memset(&dst->ca, 0, sizeof(dst->ca));
	buf_addn(&dst->ca, src->ca.s ? src->ca.s : "", src->ca.len);
	dst->cert = reg_dup(src->cert);
	dst->key = reg_dup(src->key);
	dst->tls.ca_pem = src->tls.ca_pem ? dst->ca.s : NULL;
	dst->tls.cert = dst->cert;
	dst->tls.key = dst->key;
}

void reg_close(struct reg *r)
{
	free(r->host);
	free(r->cred);
	free(r->scheme);
	if (r->userpass)
		explicit_bzero(r->userpass, strlen(r->userpass));
	free(r->userpass);
	free(r->auth);
	free(r->scope);
	buf_free(&r->ca);
	free(r->cert);
	free(r->key);
	memset(r, 0, sizeof(*r));
}

/* One exchange; falls back to plain HTTP once when allowed and the
 * server did not speak TLS. */
/* The URL of a path under /v2/, or of a Location the registry sent
 * ("/v2/..." or an absolute URL on the same host); NULL for another host:
 * the Authorization header must not go there. */
static char *reg_url(const struct reg *r, const char *path)
{
	const char *p = strstr(path, "://");

	if (path[0] == '/')
		return xasprintf("%s://%s%s", r->scheme, r->host, path);
	if (!p)
		return xasprintf("%s://%s/v2/%s", r->scheme, r->host, path);
	p += 3;
	if (strncmp(p, r->host, strlen(r->host)) != 0 || p[strlen(r->host)] != '/')
		return NULL;
	return xasprintf("%s://%s", r->scheme, p);
}

static int reg_exchange(struct reg *r, struct http_req *req, const char *path,
			struct http_resp *resp, struct error *e)
{
	char *url = reg_url(r, path);
	int rc;

	if (!url)
		return error_set(e, 0, "the registry sent a location on another host: %s", path);
	req->url = url;
	req->tls = &r->tls;
	if (r->auth)
		strlist_add(&req->headers, r->auth);
	rc = http_do(req, resp, e);
	if (r->auth) /* the header is not left in the caller's list */
		free(req->headers.v[--req->headers.n]);
	if (rc < 0 && r->may_http && !strcmp(r->scheme, "https") && http_err_not_tls(e)) {
		free(r->scheme);
		r->scheme = xstrdup("http");
		free(url);
		return reg_exchange(r, req, path, resp, e);
	}
	req->url = NULL;
	free(url);
	return rc;
}

/* Answers the challenge of a 401 for scope; 1 when the request should be
 * repeated. */
static int reg_challenge(struct reg *r, const struct http_resp *resp, const char *scope,
			 struct error *e)
{
	char *hdr = NULL;

	if (resp->status != 401 || !resp->www_auth)
		return 0;
	/* Same scope, same credentials, refused again: a real 401. */
	if (r->auth && r->scope && scope && !strcmp(r->scope, scope))
		return 0;
	if (!r->looked_up && regauth_lookup(r->cred, &r->userpass, e) < 0)
		return -1;
	r->looked_up = 1;
	if (regauth_answer(resp->www_auth, r->userpass, scope ? scope : "", &r->tls, &hdr, e) < 0)
		return error_wrap(e, "%s", r->host);
	free(r->auth);
	free(r->scope);
	r->auth = hdr;
	r->scope = scope ? xstrdup(scope) : NULL;
	return 1;
}

int reg_send(struct reg *r, struct http_req *req, const char *path, const char *scope,
	     struct http_resp *resp, struct error *e)
{
	int again;

	if (r->scope && scope && strcmp(r->scope, scope) != 0 &&
	    startswith(r->auth, "Authorization: Bearer"))
		free(r->auth), r->auth = NULL; /* a token is for its scope only */
	if (reg_exchange(r, req, path, resp, e) < 0)
		return -1;
	again = reg_challenge(r, resp, scope, e);
	if (again < 0)
		http_resp_free(resp); /* a failed send leaves nothing to free */
	if (again <= 0)
		return again;
	http_resp_free(resp);
	return reg_exchange(r, req, path, resp, e);
}

int reg_status_error(const struct http_resp *resp, const char *what, struct error *e)
{
	json_t *j = json_loadb(resp->body.s ? resp->body.s : "", resp->body.len, 0, NULL);
	json_t *first = json_array_get(json_object_get(j, "errors"), 0);
	const char *code = json_string_value(json_object_get(first, "code"));
	const char *msg = json_string_value(json_object_get(first, "message"));

	if (code)
		error_set(e, 0, "%s: HTTP %ld: %s: %s", what, resp->status, code, msg ? msg : "");
	else
		error_set(e, 0, "%s: HTTP %ld", what, resp->status);
	json_decref(j);
	return -1;
}
