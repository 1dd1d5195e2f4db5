/* ref: docker reference normalisation, following
 * distribution/reference (normalize.go, regexp.go): the first path
 * component is a registry only when it looks like a host (has '.' or ':',
 * or is "localhost"); docker.io names get "library/" when they have one
 * component; a name without tag or digest gets ":latest". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "ref.h"
#include "util.h"

#define REF_DEFAULT_DOMAIN "docker.io"
#define REF_NAME_MAX 255

/* The parts of a reference as written. */
struct ref_parts {
	char *domain; /* NULL when the name has none */
	char *path;
	char *tag;    /* NULL when absent */
	char *digest; /* NULL when absent */
};

static int ref_is_alnum_lower(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ ((\.|_|__|-+)[a-z0-9]+)*. */
static int ref_valid_component(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (!ref_is_alnum_lower(s[i]))
			return 0;
		while (i < n && ref_is_alnum_lower(s[i]))
			i++;
		if (i == n)
			return 1;
		size_t sep = i;
		if (s[i] == '.' || s[i] == '_') {
			i++;
			if (s[sep] == '_' && i < n && s[i] == '_')
				i++;
		} else if (s[i] == '-') {
			while (i < n && s[i] == '-')
				i++;
		} else {
			return 0;
		}
		if (i == n)
			return 0;
	}
	return n > 0;
}

/* The repository path: components separated by '/'. */
static int ref_valid_path(const char *p)
{
	while (*p) {
		const char *slash = strchr(p, '/');
		size_t n = slash ? (size_t)(slash - p) : strlen(p);
		if (!ref_valid_component(p, n))
			return 0;
		if (!slash)
			return 1;
		p = slash + 1;
		if (!*p)
			return 0;
	}
	return 0;
}

/* host[:port]: host components of letters, digits and inner hyphens, or a
 * bracketed IPv6 address. */
static int ref_valid_domain(const char *d)
{
	const char *colon = d[0] == '[' ? strchr(d, ']') : d;
	if (!colon)
		return 0;
	colon = strchr(colon, ':');
	size_t hostlen = colon ? (size_t)(colon - d) : strlen(d);

	if (hostlen == 0)
		return 0;
	if (d[0] != '[') {
		for (size_t i = 0; i < hostlen; i++) {
			char c = d[i];
			int edge = i == 0 || i + 1 == hostlen || d[i - 1] == '.' || d[i + 1] == '.';
			if (!(isalnum((unsigned char)c) || c == '.' || (c == '-' && !edge)))
				return 0;
			if (c == '.' && edge)
				return 0;
		}
	}
	if (colon) {
		if (!colon[1])
			return 0;
		for (const char *p = colon + 1; *p; p++)
			if (!isdigit((unsigned char)*p))
				return 0;
	}
	return 1;
}

/* [\w][\w.-]{0,127} */
static int ref_valid_tag(const char *t)
{
	size_t n = strlen(t);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)t[0]) || t[0] == '_'))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!(isalnum((unsigned char)t[i]) || t[i] == '_' || t[i] == '.' || t[i] == '-'))
			return 0;
	return 1;
}

/* algorithm:hex, with sha256 needing exactly 64 lowercase hex digits. */
static int ref_valid_digest(const char *d)
{
	const char *colon = strchr(d, ':');
	size_t n;

	if (!colon || colon == d)
		return 0;
	for (const char *p = d; p < colon; p++)
		if (!(ref_is_alnum_lower(*p) || strchr("+._-", *p)))
			return 0;
	n = strlen(colon + 1);
	if (n < 32)
		return 0;
	for (const char *p = colon + 1; *p; p++)
		if (!isxdigit((unsigned char)*p) || isupper((unsigned char)*p))
			return 0;
	return strncmp(d, "sha256:", 7) != 0 || n == 64;
}

static void ref_parts_free(struct ref_parts *r)
{
	free(r->domain);
	free(r->path);
	free(r->tag);
	free(r->digest);
}

/* Splits "domain/path:tag@digest" without validating the parts. */
static void ref_split(const char *ref, struct ref_parts *r)
{
	char *s = xstrdup(ref);
	char *at = strchr(s, '@');
	char *slash, *colon;

	if (at) {
		*at = '\0';
		r->digest = xstrdup(at + 1);
	}
	slash = strrchr(s, '/');
	colon = strrchr(slash ? slash : s, ':');
	if (colon) {
		*colon = '\0';
		r->tag = xstrdup(colon + 1);
	}
	slash = strchr(s, '/');
	/* distribution's splitDockerDomain: a first component is a registry
	 * only when it cannot be a user name. */
	if (slash && (memchr(s, '.', (size_t)(slash - s)) || memchr(s, ':', (size_t)(slash - s)) ||
		      (slash - s == 9 && strncmp(s, "localhost", 9) == 0))) {
		r->domain = xstrndup(s, (size_t)(slash - s));
		r->path = xstrdup(slash + 1);
	} else {
		r->path = xstrdup(s);
	}
	free(s);
}

/* Fills domain and the library/ prefix the way docker does. */
static void ref_apply_defaults(struct ref_parts *r)
{
	if (!r->domain || strcmp(r->domain, "index.docker.io") == 0) {
		free(r->domain);
		r->domain = xstrdup(REF_DEFAULT_DOMAIN);
	}
	if (strcmp(r->domain, REF_DEFAULT_DOMAIN) == 0 && !strchr(r->path, '/')) {
		char *p = xasprintf("library/%s", r->path);
		free(r->path);
		r->path = p;
	}
	if (!r->tag && !r->digest)
		r->tag = xstrdup("latest");
}

static int ref_validate(const char *ref, const struct ref_parts *r, struct error *e)
{
	for (const char *p = r->path; *p; p++)
		if (isupper((unsigned char)*p))
			return error_set(
			    e, 0,
			    "invalid reference format: repository name (%s) must be lowercase",
			    ref);
	if (!ref_valid_path(r->path))
		return error_set(e, 0, "invalid reference format: %s", ref);
	if (r->domain && !ref_valid_domain(r->domain))
		return error_set(e, 0, "invalid reference format: bad registry in %s", ref);
	if (r->tag && !ref_valid_tag(r->tag))
		return error_set(e, 0, "invalid reference format: bad tag in %s", ref);
	if (r->digest && !ref_valid_digest(r->digest))
		return error_set(e, 0, "invalid reference format: bad digest in %s", ref);
	return 0;
}

char *ref_normalize(const char *ref, struct error *e)
{
	struct ref_parts r = {0};
	struct buf out = {0};

	if (!ref || !*ref) {
		error_set(e, 0, "invalid reference format: empty name");
		return NULL;
	}
	ref_split(ref, &r);
	if (ref_validate(ref, &r, e) < 0) {
		ref_parts_free(&r);
		return NULL;
	}
	ref_apply_defaults(&r);
	buf_printf(&out, "%s/%s", r.domain, r.path);
	if (out.len > REF_NAME_MAX) {
		error_set(
		    e, 0,
		    "invalid reference format: repository name must not be more than %d characters",
		    REF_NAME_MAX);
		buf_free(&out);
		ref_parts_free(&r);
		return NULL;
	}
	if (r.tag)
		buf_printf(&out, ":%s", r.tag);
	if (r.digest)
		buf_printf(&out, "@%s", r.digest);
	ref_parts_free(&r);
	return buf_steal(&out);
}

char *ref_familiar(const char *normalized)
{
	const char *p = normalized;

	if (startswith(p, REF_DEFAULT_DOMAIN "/")) {
		p += strlen(REF_DEFAULT_DOMAIN "/");
		/* library/ is dropped only for single-component official names. */
		if (startswith(p, "library/") && !strchr(p + 8, '/'))
			p += 8;
	}
	return xstrdup(p);
}
