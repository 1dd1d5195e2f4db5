/* regconf: a hand-written reader for the small TOML subset registries.conf
 * uses: [[tables]], key = "string" | true | false, # comments. Anything
 * else (other tables, arrays of strings, v1 format) is skipped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "regconf.h"
#include "util.h"

#define REGCONF_DEFAULT "/etc/containers/registries.conf"

struct regconf_mirror {
	char *location;
	int insecure;
};

struct regconf_reg {
	char *prefix, *location;
	int insecure, by_digest_only, blocked;
	struct regconf_mirror *mirrors;
	size_t nmirrors;
};

struct regconf {
	struct regconf_reg *regs;
	size_t nregs;
	int section; /* 0 other, 1 registry, 2 mirror */
};

static void regconf_conf_free(struct regconf *c)
{
	for (size_t i = 0; i < c->nregs; i++) {
		struct regconf_reg *r = &c->regs[i];
		free(r->prefix);
		free(r->location);
		for (size_t j = 0; j < r->nmirrors; j++)
			free(r->mirrors[j].location);
		free(r->mirrors);
	}
	free(c->regs);
}

/* Trims spaces and a comment (a # outside double quotes) in place. */
static char *regconf_trim(char *s)
{
	int q = 0;
	char *p, *end;

	for (p = s; *p; p++) {
		if (*p == '"' && (p == s || p[-1] != '\\'))
			q = !q;
		else if (*p == '#' && !q)
			break;
	}
	*p = '\0';
	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && strchr(" \t\r\n", end[-1]))
		*--end = '\0';
	return s;
}

/* A value: "string" (malloc'd into *str) or true/false (into *b). */
static int regconf_value(const char *v, char **str, int *b)
{
	size_t n = strlen(v);

	if (n >= 2 && v[0] == '"' && v[n - 1] == '"' && !memchr(v + 1, '\\', n - 2)) {
		*str = xstrndup(v + 1, n - 2);
		return 0;
	}
	if (strcmp(v, "true") == 0 || strcmp(v, "false") == 0) {
		*b = v[0] == 't';
		return 1;
	}
	return -1;
}

/* A table header line; opens a registry or mirror entry. */
static int regconf_table(struct regconf *c, const char *line)
{
	if (strcmp(line, "[[registry]]") == 0) {
		c->regs = xreallocarray(c->regs, c->nregs + 1, sizeof(*c->regs));
		memset(&c->regs[c->nregs++], 0, sizeof(*c->regs));
		c->section = 1;
	} else if (strcmp(line, "[[registry.mirror]]") == 0) {
		if (!c->nregs)
			return -1;
		struct regconf_reg *r = &c->regs[c->nregs - 1];
		r->mirrors = xreallocarray(r->mirrors, r->nmirrors + 1, sizeof(*r->mirrors));
		memset(&r->mirrors[r->nmirrors++], 0, sizeof(*r->mirrors));
		c->section = 2;
	} else {
		c->section = 0;
	}
	return 0;
}

/* key = value inside a registry or mirror entry. */
static int regconf_key(struct regconf *c, const char *k, const char *v)
{
	struct regconf_reg *r = c->nregs ? &c->regs[c->nregs - 1] : NULL;
	char *str = NULL;
	int b = 0, t = regconf_value(v, &str, &b);

	if (c->section == 2) {
		struct regconf_mirror *m = &r->mirrors[r->nmirrors - 1];
		if (!strcmp(k, "location") && t == 0)
			free(m->location), m->location = str, str = NULL;
		else if (!strcmp(k, "insecure") && t == 1)
			m->insecure = b;
	} else if (c->section == 1) {
		if (!strcmp(k, "location") && t == 0)
			free(r->location), r->location = str, str = NULL;
		else if (!strcmp(k, "prefix") && t == 0)
			free(r->prefix), r->prefix = str, str = NULL;
		else if (!strcmp(k, "insecure") && t == 1)
			r->insecure = b;
		else if (!strcmp(k, "mirror-by-digest-only") && t == 1)
			r->by_digest_only = b;
		else if (!strcmp(k, "blocked") && t == 1)
			r->blocked = b;
	}
	free(str);
	return 0;
}

static int regconf_line(struct regconf *c, char *line)
{
	char *eq;

	line = regconf_trim(line);
	if (!line[0])
		return 0;
	if (line[0] == '[')
		return regconf_table(c, line);
	eq = strchr(line, '=');
	if (!eq)
		return c->section ? -1 : 0; /* continuation of an array elsewhere */
	*eq = '\0';
	return regconf_key(c, regconf_trim(line), regconf_trim(eq + 1));
}

static int regconf_read(struct regconf *c, struct error *e)
{
	const char *path = getenv("CONTAINERS_REGISTRIES_CONF");
	char *line = NULL;
	size_t cap = 0;
	int lineno = 0, r = 0;
	FILE *f;

	if (!path || !path[0])
		path = REGCONF_DEFAULT;
	f = fopen(path, "r");
	if (!f)
		return 0; /* no file: every registry is itself */
	while (r == 0 && getline(&line, &cap, f) > 0) {
		lineno++;
		if (regconf_line(c, line) < 0)
			r = error_set(e, 0,
				      "%s:%d: not understood (registries.conf subset: "
				      "[[registry]], [[registry.mirror]], key = value)",
				      path, lineno);
	}
	free(line);
	fclose(f);
	return r;
}

/* Length of the entry's prefix when it matches name at a boundary. */
static size_t regconf_match(const struct regconf_reg *r, const char *name)
{
	const char *p = r->prefix ? r->prefix : r->location;
	size_t n = p ? strlen(p) : 0;

	if (!n || strncmp(name, p, n) != 0 || (name[n] && name[n] != '/'))
		return 0;
	return n;
}

/* The API host of a registry name: Docker Hub serves docker.io there. */
static char *regconf_api_host(const char *h)
{
	return xstrdup(strcmp(h, "docker.io") == 0 ? "registry-1.docker.io" : h);
}

/* Adds the endpoint for LOCATION + rest ("host/ns" + "/library/x"). */
static void regconf_add(struct regconf_list *l, const char *loc, const char *rest, int insecure)
{
	struct regconf_ep *ep;
	size_t hl = strcspn(loc, "/");
	char *host = xstrndup(loc, hl);
	const char *ns = loc[hl] ? loc + hl + 1 : "";

	l->v = xreallocarray(l->v, l->n + 1, sizeof(*l->v));
	ep = &l->v[l->n++];
	ep->host = regconf_api_host(host);
	ep->cred = host;
	ep->repo = xasprintf("%s%s%s", ns, ns[0] && rest[0] ? "/" : "", rest);
	ep->insecure = insecure;
}

int regconf_endpoints(const char *name, int by_digest, struct regconf_list *out, struct error *e)
{
	struct regconf c = {0};
	struct regconf_reg *best = NULL;
	size_t bestn = 0, n;

	memset(out, 0, sizeof(*out));
	if (regconf_read(&c, e) < 0) {
		regconf_conf_free(&c);
		return -1;
	}
	for (size_t i = 0; i < c.nregs; i++)
		if ((n = regconf_match(&c.regs[i], name)) > bestn)
			best = &c.regs[i], bestn = n;
	if (best && best->blocked) {
		regconf_conf_free(&c);
		return error_set(e, 0, "registry %s is blocked in registries.conf", name);
	}
	if (!best) {
		size_t hl = strcspn(name, "/");
		char *host = xstrndup(name, hl);
		regconf_add(out, host, name[hl] ? name + hl + 1 : "", 0);
		free(host);
	} else {
		const char *rest = name[bestn] == '/' ? name + bestn + 1 : name + bestn;
		for (size_t j = 0; j < best->nmirrors && (by_digest || !best->by_digest_only); j++)
			if (best->mirrors[j].location)
				regconf_add(out, best->mirrors[j].location, rest,
					    best->mirrors[j].insecure);
		regconf_add(out, best->location ? best->location : best->prefix, rest,
			    best->insecure);
	}
	regconf_conf_free(&c);
	return 0;
}

void regconf_free(struct regconf_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].host);
		free(l->v[i].repo);
		free(l->v[i].cred);
	}
	free(l->v);
	memset(l, 0, sizeof(*l));
}
