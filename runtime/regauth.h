/* regauth: registry credentials where users already keep them, and the
 * answer to a registry's WWW-Authenticate challenge (Basic, or the Bearer
 * token flow of the distribution spec). Credentials live in memory only:
 * never in argv, the environment of children, build.mk or the state. */
#ifndef DF_REGAUTH_H
#define DF_REGAUTH_H

struct error;
struct http_tls;

/* Looks up "user:password" for a registry host ("docker.io",
 * "127.0.0.1:5000") in REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/
 * auth.json and $DOCKER_CONFIG/config.json (default ~/.docker): auths
 * entries, credHelpers and credsStore (`docker-credential-NAME get`).
 * Sets *userpass (malloc'd) or NULL when there is none; -1 on a broken
 * file or helper. */
int regauth_lookup(const char *host, char **userpass, struct error *e);
/* Answers a challenge for `scope` ("repository:NAME:pull"): sets *header
 * to a malloc'd "Authorization: ..." line (fetching a token for Bearer).
 * userpass may be NULL (anonymous token). */
int regauth_answer(const char *challenge, const char *userpass, const char *scope,
		   const struct http_tls *tls, char **header, struct error *e);
/* The key docker writes in config.json "auths" for a registry host
 * ("https://index.docker.io/v1/" for Docker Hub); malloc'd. */
char *regauth_config_key(const char *host);
/* A config key or server argument in the host's form: scheme and path
 * dropped, Docker Hub's names ("index.docker.io", ".../v1/") mapped to
 * docker.io; malloc'd. */
char *regauth_key_host(const char *key);
/* Path of the docker config file: $DOCKER_CONFIG/config.json, else
 * ~/.docker/config.json; malloc'd. */
char *regauth_docker_config(void);
/* base64 of n bytes; malloc'd. */
char *regauth_b64(const char *p, size_t n);

#endif
