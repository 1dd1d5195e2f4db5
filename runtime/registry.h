/* registry: a client of one registry endpoint (OCI distribution spec,
 * /v2/ API): TLS from certs.d, plain HTTP where docker allows it, the
 * 401 challenge answered once per repository and kept. */
#ifndef DF_REGISTRY_H
#define DF_REGISTRY_H
#include <stddef.h>

#include "http.h"

struct error;
struct regconf_ep;

/* Accept header of manifest requests: every manifest type we read. */
#define REG_ACCEPT_MANIFESTS                                                                       \
	"Accept: application/vnd.oci.image.index.v1+json, "                                        \
	"application/vnd.docker.distribution.manifest.list.v2+json, "                              \
	"application/vnd.oci.image.manifest.v1+json, "                                             \
	"application/vnd.docker.distribution.manifest.v2+json"

struct reg {
	char *host;	  /* API host[:port] */
	char *cred;	  /* registry name credentials are filed under */
	char *scheme;	  /* "https", or "http" once a plain server answered */
	int may_http;	  /* loopback or insecure: plain HTTP allowed */
	char *userpass;	  /* credentials (looked up at the first challenge) */
	int looked_up;	  /* userpass lookup done */
	char *auth;	  /* "Authorization: ..." answering the last challenge */
	char *scope;	  /* "repository:NAME:pull" asked for */
	struct buf ca;	  /* certs.d CAs (PEM) */
	char *cert, *key; /* certs.d client pair */
	struct http_tls tls;
};

/* Splits a normalised reference into "HOST/REPO" (*name) and the tag or
 * "sha256:..." digest (*ref); both malloc'd. */
void reg_split(const char *normalized, char **name, char **ref);
/* Opens a client for an endpoint; tls_verify 0 turns verification off
 * (--tls-verify=false), as does the endpoint's insecure flag. */
int reg_open(struct reg *r, const struct regconf_ep *ep, int tls_verify, struct error *e);
/* A copy of src for another thread: same endpoint, credentials and the
 * answer to the last challenge (its token), so it asks for none again. */
void reg_clone(struct reg *dst, const struct reg *src);
/* Frees the client (and forgets its credentials). */
void reg_close(struct reg *r);
/* Sends req to /v2/PATH, or to a Location the registry sent ("/v2/...",
 * or absolute on the same host); req->url is set here. The auth dance: a 401
 * is answered (token or Basic for `scope`) and the request repeated.
 * Returns 0 when an HTTP answer came back, whatever its status. */
int reg_send(struct reg *r, struct http_req *req, const char *path, const char *scope,
	     struct http_resp *resp, struct error *e);
/* An error for an unexpected status, with the registry's error message
 * ({"errors":[{"code","message"}]}) when it sent one. */
int reg_status_error(const struct http_resp *resp, const char *what, struct error *e);
/* Loads the client's TLS material from DIR/HOST/ (certs.d layout). */
int reg_certs_dir(struct reg *r, const char *dir, struct error *e);

#endif
