/* regconf: where an image is fetched from. The part of podman's
 * registries.conf (TOML, v2 format) that decides it: [[registry]] with
 * prefix/location/insecure/mirror-by-digest-only/blocked and its
 * [[registry.mirror]] location/insecure entries. */
#ifndef DF_REGCONF_H
#define DF_REGCONF_H
#include <stddef.h>

struct error;

/* One place to try: the repository as that registry names it. */
struct regconf_ep {
	char *host;   /* "registry-1.docker.io", "127.0.0.1:5000" */
	char *repo;   /* "library/busybox" (a mirror's namespace prefixed) */
	char *cred;   /* the registry name credentials are filed under ("docker.io") */
	int insecure; /* registries.conf insecure = true */
};

struct regconf_list {
	struct regconf_ep *v;
	size_t n;
};

/* The endpoints for "HOST/REPO" (a normalised name without tag/digest),
 * mirrors first (only for digest pulls when mirror-by-digest-only), read
 * from $CONTAINERS_REGISTRIES_CONF or /etc/containers/registries.conf.
 * -1 with e set for a syntax error or a blocked registry. */
int regconf_endpoints(const char *name, int by_digest, struct regconf_list *out, struct error *e);
/* Frees the list. */
void regconf_free(struct regconf_list *l);

#endif
