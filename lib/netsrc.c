/* netsrc: telling ADD's network sources apart, as BuildKit's frontend
 * does (see netsrc.h). Only string work: no network here. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "netsrc.h"
#include "util.h"

#define NETSRC_MASK "xxxxx"

/* Length of a leading "scheme://" ([a-zA-Z0-9]+://), else 0. */
static size_t netsrc_proto_len(const char *s)
{
	size_t n = 0;

	while (isalnum((unsigned char)s[n]))
		n++;
	return n && strncmp(s + n, "://", 3) == 0 ? n + 3 : 0;
}

/* 1 if the scheme of s (proto_len bytes with "://") is name, any case. */
static int netsrc_scheme_is(const char *s, size_t proto_len, const char *name)
{
	return proto_len == strlen(name) + 3 && strncasecmp(s, name, strlen(name)) == 0;
}

/* user@host:path, sshutil's gitSSHRegex. */
static int netsrc_scp_style(const char *s)
{
	size_t u = strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_");
	size_t h;

	if (!u || s[u] != '@')
		return 0;
	h = strspn(s + u + 1, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.");
	return h && s[u + 1 + h] == ':';
}

/* The URL's path: after the authority, before '?' or '#'. */
static void netsrc_path(const char *url, const char **p, size_t *n)
{
	const char *a = url + netsrc_proto_len(url);

	*p = a + strcspn(a, "/?#");
	*n = strcspn(*p, "?#");
}

enum netsrc_kind netsrc_kind(const char *src)
{
	size_t pl = netsrc_proto_len(src), n;
	const char *p;

	if (startswith(src, "./") || startswith(src, "../"))
		return NETSRC_LOCAL;
	if (!pl)
		return netsrc_scp_style(src) ? NETSRC_GIT : NETSRC_LOCAL;
	if (netsrc_scheme_is(src, pl, "ssh") || netsrc_scheme_is(src, pl, "git"))
		return NETSRC_GIT;
	if (!netsrc_scheme_is(src, pl, "http") && !netsrc_scheme_is(src, pl, "https"))
		return NETSRC_LOCAL; /* an unknown protocol: BuildKit takes a path */
	netsrc_path(src, &p, &n);
	if (n >= 4 && strncmp(p + n - 4, ".git", 4) == 0)
		return NETSRC_GIT;
	/* isHTTPSource is case-sensitive where the git parser is not */
	return startswith(src, "http://") || startswith(src, "https://") ? NETSRC_HTTP
									 : NETSRC_LOCAL;
}

/* The userinfo of a scheme:// URL: *at is its '@' (NULL when none). */
static const char *netsrc_userinfo(const char *s, const char **at)
{
	size_t pl = netsrc_proto_len(s);
	const char *a = s + pl, *end = a + strcspn(a, "/?#"), *q;

	*at = NULL;
	if (!pl)
		return NULL;
	for (q = a; q < end; q++)
		if (*q == '@')
			*at = q;
	return *at ? a : NULL;
}

char *netsrc_redact(const char *src)
{
	const char *at, *u = netsrc_userinfo(src, &at), *colon;
	const char *user;
	size_t pl = netsrc_proto_len(src);

	/* ssh user names are not secrets (keys are), as git@host shows */
	if (!u || netsrc_scheme_is(src, pl, "ssh"))
		return xstrdup(src);
	colon = memchr(u, ':', (size_t)(at - u));
	if (colon == u)
		user = ":" NETSRC_MASK; /* a password alone */
	else if (colon)
		user = NETSRC_MASK ":" NETSRC_MASK;
	else if (at > u)
		user = NETSRC_MASK;
	else
		return xstrdup(src);
	return xasprintf("%.*s%s%s", (int)(u - src), src, user, at);
}

int netsrc_has_secret(const char *src)
{
	char *r = netsrc_redact(src);
	int changed = strcmp(r, src) != 0;

	free(r);
	return changed;
}

static int netsrc_hex(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Percent-decodes s[0..n) (Go's url.Path is the decoded path). */
static char *netsrc_unescape(const char *s, size_t n)
{
	char *out = xmalloc(n + 1), *o = out;

	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && isxdigit((unsigned char)s[i + 1]) &&
		    isxdigit((unsigned char)s[i + 2])) {
			*o++ = (char)(netsrc_hex((unsigned char)s[i + 1]) * 16 +
				      netsrc_hex((unsigned char)s[i + 2]));
			i += 2;
		} else {
			*o++ = s[i];
		}
	}
	*o = '\0';
	return out;
}

/* pathutil.SafeFileName: the base name, "download" for nothing usable. */
static char *netsrc_safe_name(const char *s)
{
	const char *b;
	size_t n = strlen(s);

	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n > 1 && s[n - 1] == '/')
		n--;
	b = s + n;
	while (b > s && b[-1] != '/')
		b--;
	n = (size_t)(s + n - b);
	if (n == 0 || (n == 1 && *b == '.') || (n == 2 && b[0] == '.' && b[1] == '.') ||
	    (n == 1 && *b == '/'))
		return xstrdup("download");
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)b[i] < 0x20 || b[i] == 0x7f)
			return xstrdup("download");
	return xstrndup(b, n);
}

char *netsrc_filename(const char *url)
{
	const char *p;
	size_t n;
	char *path, *r;

	netsrc_path(url, &p, &n);
	path = netsrc_unescape(p, n);
	n = strlen(path);
	while (n > 1 && path[n - 1] == '/') /* path.Base drops trailing slashes */
		path[--n] = '\0';
	if (n == 0 || strcmp(path, "/") == 0 || strcmp(path, ".") == 0 || endswith(path, "/.")) {
		free(path);
		return xstrdup("__unnamed__");
	}
	r = netsrc_safe_name(path);
	free(path);
	return r;
}

/* path.Join("/", s) without the leading '/' (parseOpts' subdir). */
static char *netsrc_clean_subdir(const char *s)
{
	char *j = xasprintf("/%s", s), *c = path_clean(j), *r;

	r = xstrdup(c + 1);
	free(j);
	free(c);
	if (!*r) {
		free(r);
		return NULL;
	}
	return r;
}

/* Sets *slot to v unless it holds another value (BuildKit's conflicts). */
static int netsrc_set_once(char **slot, const char *v, const char *what, struct error *e)
{
	if (*slot && strcmp(*slot, v) != 0)
		return error_set(e, 0, "%s conflicts: \"%s\" vs \"%s\"", what, *slot, v);
	free(*slot);
	*slot = xstrdup(v);
	return 0;
}

/* "tag=v1" / "branch=main": the ref with its refs/ prefix. */
static int netsrc_query_ref(struct netsrc_git *g, const char *prefix, const char *v,
			    struct error *e)
{
	char *full = startswith(v, prefix) ? xstrdup(v) : xasprintf("%s%s", prefix, v);
	int r = netsrc_set_once(&g->ref, full, "ref", e);

	free(full);
	return r;
}

static int netsrc_bool(const char *v, int *out)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};

	for (size_t i = 0; i < LEN(t); i++) {
		if (strcmp(v, t[i]) == 0)
			return *out = 1, 0;
		if (strcmp(v, f[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/* One k=v of the query (dfgitutil loadQuery). */
static int netsrc_query_kv(struct netsrc_git *g, const char *k, const char *v, int has_v,
			   struct error *e)
{
	int b = 1;

	if (!has_v && strcmp(k, "keep-git-dir") && strcmp(k, "submodules"))
		return error_set(e, 0, "query \"%s\" has no value", k);
	if (strcmp(k, "ref") == 0)
		return netsrc_set_once(&g->ref, v, "ref", e);
	if (strcmp(k, "tag") == 0)
		return netsrc_query_ref(g, "refs/tags/", v, e);
	if (strcmp(k, "branch") == 0)
		return netsrc_query_ref(g, "refs/heads/", v, e);
	if (strcmp(k, "subdir") == 0) {
		char *s = netsrc_clean_subdir(v);
		int r = s ? netsrc_set_once(&g->subdir, s, "subdir", e) : 0;
		free(s);
		return r;
	}
	if (strcmp(k, "checksum") == 0 || strcmp(k, "commit") == 0)
		return netsrc_set_once(&g->checksum, v, "checksum", e);
	if (strcmp(k, "keep-git-dir") == 0) {
		if (has_v && netsrc_bool(v, &b) < 0)
			return error_set(e, 0, "invalid keep-git-dir value: \"%s\"", v);
		g->keep_git_dir = b;
		return 0;
	}
	if (strcmp(k, "submodules") == 0) {
		if (has_v && netsrc_bool(v, &b) < 0)
			return error_set(e, 0, "invalid submodules value: \"%s\"", v);
		g->submodules = b;
		return 0;
	}
	return error_set(e, 0, "unexpected query \"%s\"", k);
}

static int netsrc_query(struct netsrc_git *g, const char *q, size_t n, struct error *e)
{
	char *all = xstrndup(q, n), *save = NULL;
	int r = 0;

	for (char *kv = strtok_r(all, "&", &save); r == 0 && kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '='), *k, *v;
		if (eq)
			*eq = '\0';
		k = netsrc_unescape(kv, strlen(kv));
		v = netsrc_unescape(eq ? eq + 1 : "", eq ? strlen(eq + 1) : 0);
		r = netsrc_query_kv(g, k, v, eq && *v, e);
		free(k);
		free(v);
	}
	free(all);
	return r;
}

int netsrc_git_parse(const char *src, struct netsrc_git *g, struct error *e)
{
	size_t nrem = strcspn(src, "?#");
	const char *q = src[nrem] == '?' ? src + nrem + 1 : NULL;
	const char *frag = strchr(src, '#');

	memset(g, 0, sizeof(*g));
	g->keep_git_dir = -1;
	g->submodules = 1;
	g->remote = xstrndup(src, nrem);
	if (frag && frag[1]) {
		size_t rl = strcspn(frag + 1, ":");
		if (rl)
			g->ref = xstrndup(frag + 1, rl);
		if (frag[1 + rl] == ':')
			g->subdir = netsrc_clean_subdir(frag + 2 + rl);
	}
	if (q && netsrc_query(g, q, (size_t)((frag ? frag : q + strlen(q)) - q), e) < 0) {
		netsrc_git_free(g);
		return -1;
	}
	return 0;
}

void netsrc_git_free(struct netsrc_git *g)
{
	free(g->remote);
	free(g->ref);
	free(g->subdir);
	free(g->checksum);
	memset(g, 0, sizeof(*g));
}

int netsrc_is_ssh(const char *src)
{
	size_t pl = netsrc_proto_len(src);

	return pl ? netsrc_scheme_is(src, pl, "ssh") : netsrc_scp_style(src);
}

int netsrc_loopback(const char *url)
{
	size_t pl = netsrc_proto_len(url);
	const char *at, *h = url + pl;

	if (!pl) /* user@host:path */
		h = strchr(url, '@') + 1;
	else if (netsrc_userinfo(url, &at))
		h = at + 1;
	size_t n = strcspn(h, ":/?#");

	/* 127.0.0.0/8 by its digits: "127.example.com" is not loopback */
	return (n == 9 && strncmp(h, "localhost", 9) == 0) ||
	       (n >= 7 && strncmp(h, "127.", 4) == 0 && strspn(h, "0123456789.") == n) ||
	       strncmp(h, "[::1]", 5) == 0;
}

char *netsrc_redact_text(const char *text)
{
	struct buf b = {0};
	const char *p = text;

	while (*p) {
		const char *s = strstr(p, "://"), *start;
		size_t end;
		char *word, *red;
		if (!s)
			break;
		for (start = s; start > p && isalnum((unsigned char)start[-1]); start--)
			;
		end = (size_t)(s - start) + 3 + strcspn(s + 3, " \t\n/?#");
		word = xstrndup(start, end);
		red = netsrc_redact(word);
		buf_addn(&b, p, (size_t)(start - p));
		buf_adds(&b, red);
		free(word);
		free(red);
		p = start + end;
	}
	buf_adds(&b, p);
	return b.s ? buf_steal(&b) : xstrdup("");
}
