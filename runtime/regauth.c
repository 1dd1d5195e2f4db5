/* regauth: credentials and challenges. Files are read in podman's order
 * (REGISTRY_AUTH_FILE, then the containers auth.json, then docker's
 * config.json); the first one that knows the host wins. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "http.h"
#include "regauth.h"
#include "util.h"

#define REGAUTH_HELPER_MAX (64 * 1024)

char *regauth_b64(const char *p, size_t n)
{
	char *out = xmalloc(4 * ((n + 2) / 3) + 1);

	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)p, (int)n);
	return out;
}

/* Decodes base64 text (padding stripped from the length); NULL if bad. */
static char *regauth_unb64(const char *s)
{
	size_t n = strlen(s), pad = 0;
	char *out;
	int m;

	if (n % 4)
		return NULL;
	while (pad < 2 && n > pad && s[n - 1 - pad] == '=')
		pad++;
	out = xmalloc(n / 4 * 3 + 1);
	m = EVP_DecodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	if (m < 0 || (size_t)m < pad) {
		free(out);
		return NULL;
	}
	out[(size_t)m - pad] = '\0';
	return out;
}

char *regauth_key_host(const char *key)
{
	const char *p = strstr(key, "://");
	char *h = xstrdup(p ? p + 3 : key);

	h[strcspn(h, "/")] = '\0';
	if (!strcmp(h, "index.docker.io") || !strcmp(h, "registry-1.docker.io")) {
		free(h);
		h = xstrdup("docker.io");
	}
	return h;
}

char *regauth_config_key(const char *host)
{
	return xstrdup(strcmp(host, "docker.io") ? host : "https://index.docker.io/v1/");
}

char *regauth_docker_config(void)
{
	const char *dc = getenv("DOCKER_CONFIG"), *home = getenv("HOME");

	if (dc && dc[0])
		return path_join(dc, "config.json");
	return xasprintf("%s/.docker/config.json", home ? home : "");
}

/* The value of obj's member whose key names host; NULL when none. */
static json_t *regauth_member(json_t *obj, const char *host)
{
	const char *k;
	json_t *v;

	json_object_foreach(obj, k, v)
	{
		char *h = regauth_key_host(k);
		int same = strcmp(h, host) == 0;
		free(h);
		if (same)
			return v;
	}
	return NULL;
}

/* Reads the helper's whole stdout (bounded). */
static int regauth_read_all(int fd, struct buf *out, struct error *e)
{
	int r = fd_read_all(fd, out, REGAUTH_HELPER_MAX);

	if (r == -2)
		return error_set(e, 0, "answer too long");
	return r < 0 ? error_set(e, errno, "read") : 0;
}

/* Runs `docker-credential-NAME get` with the server URL on stdin; its
 * stdout in out. Returns the exit status, or -1 with e set. */
static int regauth_spawn(const char *prog, const char *server, struct buf *out, struct error *e)
{
	int in[2], o[2], st = 0, r;
	struct sigaction old;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0)
		return error_set(e, errno, "pipe");
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(o[1], 1);
		execlp(prog, prog, "get", (char *)NULL);
		_exit(127);
	}
	close(in[0]);
	close(o[1]);
	/* A helper that exits without reading (or is not found) must not kill
	 * us with SIGPIPE: its exit status says what happened. */
	sigaction(SIGPIPE, &(struct sigaction){.sa_handler = SIG_IGN}, &old);
	if (pid > 0 && (write(in[1], server, strlen(server)) < 0 || write(in[1], "\n", 1) < 0))
		st = -1;
	sigaction(SIGPIPE, &old, NULL);
	close(in[1]);
	r = pid < 0 ? error_set(e, errno, "fork") : regauth_read_all(o[0], out, e);
	close(o[0]);
	while (pid > 0 && waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (r < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128;
}

/* Credentials from a docker credential helper. */
static int regauth_helper(const char *name, const char *host, char **userpass, struct error *e)
{
	char *prog = xasprintf("docker-credential-%s", name), *server = regauth_config_key(host);
	struct buf out = {0};
	json_t *j = NULL;
	int st = regauth_spawn(prog, server, &out, e);

	if (st == 0 && (j = json_loads(out.s ? out.s : "", 0, NULL))) {
		const char *u = json_string_value(json_object_get(j, "Username"));
		const char *s = json_string_value(json_object_get(j, "Secret"));
		if (u && s)
			*userpass = xasprintf("%s:%s", u, s);
	} else if (st > 0 && out.s && strstr(out.s, "credentials not found")) {
		st = 0; /* the helper has nothing for this host */
	} else if (st >= 0) {
		st = error_set(e, 0, "%s get: %s", prog,
			       st == 127 ? "not found in PATH" : "failed or printed no JSON");
	}
	json_decref(j);
	buf_free(&out);
	free(prog);
	free(server);
	return st < 0 ? -1 : 0;
}

/* One credentials file: credHelpers, then auths, then credsStore. */
static int regauth_file(const char *path, const char *host, char **userpass, struct error *e)
{
	json_error_t jerr;
	json_t *j = json_load_file(path, 0, &jerr), *v;
	const char *helper, *auth;
	int r = 0;

	if (!j)
		return access(path, F_OK) == 0 ? error_set(e, 0, "%s: %s", path, jerr.text) : 0;
	helper = json_string_value(regauth_member(json_object_get(j, "credHelpers"), host));
	v = regauth_member(json_object_get(j, "auths"), host);
	auth = json_string_value(json_object_get(v, "auth"));
	if (helper)
		r = regauth_helper(helper, host, userpass, e);
	else if (auth && !(*userpass = regauth_unb64(auth)))
		r = error_set(e, 0, "%s: the auth of %s is not base64", path, host);
	else if (!auth && !v && (helper = json_string_value(json_object_get(j, "credsStore"))))
		r = regauth_helper(helper, host, userpass, e);
	json_decref(j);
	return r;
}

int regauth_lookup(const char *host, char **userpass, struct error *e)
{
	const char *raf = getenv("REGISTRY_AUTH_FILE"), *xdg = getenv("XDG_RUNTIME_DIR");
	char *paths[3] = {raf && raf[0] ? xstrdup(raf) : NULL,
			  xdg && xdg[0] ? xasprintf("%s/containers/auth.json", xdg) : NULL,
			  regauth_docker_config()};
	int r = 0;

	*userpass = NULL;
	for (size_t i = 0; i < LEN(paths); i++) {
		if (r == 0 && !*userpass && paths[i])
			r = regauth_file(paths[i], host, userpass, e);
		free(paths[i]);
	}
	if (*userpass && !strchr(*userpass, ':')) {
		free(*userpass);
		*userpass = NULL;
		return error_set(e, 0, "credentials for %s are not user:password", host);
	}
	return r;
}

/* Copies the value of param `name` of a challenge ("Bearer realm=\"x\",
 * service=\"y\""), unquoting it; NULL when absent. */
static char *regauth_param(const char *ch, const char *name)
{
	size_t nl = strlen(name);
	const char *p = ch;

	while ((p = strstr(p, name))) {
		int start = p == ch || p[-1] == ' ' || p[-1] == ',';
		if (start && p[nl] == '=') {
			struct buf b = {0};
			p += nl + 1;
			if (*p != '"')
				return xstrndup(p, strcspn(p, ", "));
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				buf_addc(&b, *p);
			}
			return buf_steal(&b);
		}
		p += nl;
	}
	return NULL;
}

/* Appends s percent-encoded (RFC 3986 unreserved kept). */
static void regauth_urlenc(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			buf_addc(b, (char)c);
		else
			buf_printf(b, "%%%02X", c);
	}
}

/* GETs a token from the challenge's realm. */
static int regauth_token(const char *ch, const char *userpass, const char *scope,
			 const struct http_tls *tls, char **token, struct error *e)
{
	char *realm = regauth_param(ch, "realm"), *service = regauth_param(ch, "service");
	struct http_req req = {.method = "GET", .tls = tls};
	struct http_resp resp;
	struct buf url = {0};
	json_t *j = NULL;
	int r = -1;

	if (!realm || !(startswith(realm, "https://") || startswith(realm, "http://"))) {
		error_set(e, 0, "bad token realm in challenge: %s", ch);
		goto out;
	}
	buf_printf(&url, "%s%c", realm, strchr(realm, '?') ? '&' : '?');
	if (service) {
		buf_adds(&url, "service=");
		regauth_urlenc(&url, service);
	}
	/* login asks for no scope (the account alone); a mount asks for two,
	 * space-separated: one scope= each, as docker sends them */
	for (const char *sc = scope; *sc;) {
		size_t n = strcspn(sc, " ");
		char *one = xstrndup(sc, n);
		buf_adds(&url, service || sc != scope ? "&scope=" : "scope=");
		regauth_urlenc(&url, one);
		free(one);
		sc += n;
		sc += strspn(sc, " ");
	}
	req.url = url.s;
	if (userpass) {
		char *b = regauth_b64(userpass, strlen(userpass));
		strlist_take(&req.headers, xasprintf("Authorization: Basic %s", b));
		free(b);
	}
	if (http_do(&req, &resp, e) == 0) {
		j = resp.status == 200
			? json_loadb(resp.body.s ? resp.body.s : "", resp.body.len, 0, NULL)
			: NULL;
		const char *t = json_string_value(json_object_get(j, "token"));
		if (!t)
			t = json_string_value(json_object_get(j, "access_token"));
		if (t) {
			*token = xstrdup(t);
			r = 0;
		} else {
			error_set(e, 0, "token server %s: %s", realm,
				  resp.status == 200 ? "no token in the answer"
				  : resp.status == 401
				      ? "401 Unauthorized (wrong user or password?)"
				      : "unexpected status");
			if (resp.status != 200 && resp.status != 401)
				error_wrap(e, "HTTP %ld", resp.status);
		}
		http_resp_free(&resp);
	}
	json_decref(j);
	http_req_free(&req);
out:
	buf_free(&url);
	free(realm);
	free(service);
	return r;
}

int regauth_answer(const char *challenge, const char *userpass, const char *scope,
		   const struct http_tls *tls, char **header, struct error *e)
{
	char *token = NULL, *b;

	if (strncasecmp(challenge, "Basic", 5) == 0) {
		if (!userpass)
			return error_set(e, 0,
					 "the registry wants a user and password "
					 "(df2make-runtime login)");
		b = regauth_b64(userpass, strlen(userpass));
		*header = xasprintf("Authorization: Basic %s", b);
		free(b);
		return 0;
	}
	if (strncasecmp(challenge, "Bearer", 6) != 0)
		return error_set(e, 0, "unsupported authentication: %s", challenge);
	if (regauth_token(challenge, userpass, scope, tls, &token, e) < 0)
		return -1;
	*header = xasprintf("Authorization: Bearer %s", token);
	free(token);
	return 0;
}
