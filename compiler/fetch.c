/* fetch: ADD's URL and git sources become fetch steps (see fetch.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "cli.h"
#include "diag.h"
#include "entitle.h"
#include "error.h"
#include "fetch.h"
#include "graph.h"
#include "instr.h"
#include "key.h"
#include "mkquote.h"
#include "netsrc.h"
#include "spec.h"
#include "templates.h"
#include "util.h"

/* --checksum for a URL: BuildKit's digest.Parse, sha256 only here.
 * NULL when fine, else the message (static). */
static const char *fetch_digest_error(const char *sum)
{
	const char *hex = sum + 7;

	if (!startswith(sum, "sha256:"))
		return strchr(sum, ':') ? "unsupported digest algorithm (df2make checks sha256)"
					: "invalid checksum digest format";
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		return "invalid checksum digest length";
	return NULL;
}

/* --checksum, --keep-git-dir and the URL's own query must agree, as in
 * dockerfile2llb: the message when they do not (malloc'd), else NULL. */
static char *fetch_git_error(struct netsrc_git *g, const char *checksum, const struct instr *in)
{
	if (in->keep_git_dir_set && g->keep_git_dir >= 0 && g->keep_git_dir != in->keep_git_dir)
		return xstrdup("inconsistent keep-git-dir configuration");
	if (checksum && *checksum && g->checksum && strcmp(checksum, g->checksum) != 0)
		return xasprintf("checksum mismatch \"%s\" != \"%s\"", checksum, g->checksum);
	if (!g->checksum && checksum && *checksum)
		g->checksum = xstrdup(checksum);
	if (g->checksum &&
	    (!*g->checksum || strspn(g->checksum, "0123456789abcdefABCDEF") != strlen(g->checksum)))
		return xasprintf("invalid checksum %s for Git URL, expected hex commit hash",
				 g->checksum);
	return NULL;
}

/* 1 when ref is a full commit id (BuildKit's isCommitSHA). */
static int fetch_is_commit(const char *ref)
{
	size_t n = ref ? strlen(ref) : 0;

	return (n == 40 || n == 64) && strspn(ref, "0123456789abcdef") == n;
}

/* The git parts of the fetch spec; NULL, or the error (malloc'd). *pinned
 * is 1 when the ref is a commit id. */
static char *fetch_git_spec(struct spec *sp, struct sv *o, const char *src, const char *checksum,
			    const struct instr *in, int *pinned)
{
	struct netsrc_git g;
	struct error e = {0};
	char *remote, *err;

	if (netsrc_git_parse(src, &g, &e) < 0)
		return xstrdup(e.msg);
	if ((err = fetch_git_error(&g, checksum, in))) {
		netsrc_git_free(&g);
		return err;
	}
	remote = netsrc_redact(g.remote);
	*pinned = fetch_is_commit(g.ref);
	sv_set_str(sp, o, "kind", "git");
	sv_set_str(sp, o, "remote", remote);
	sv_set_str(sp, o, "ref", g.ref);
	sv_set_str(sp, o, "subdir", g.subdir);
	sv_set(o, "keep_git_dir",
	       sv_bool(sp, g.keep_git_dir >= 0 ? g.keep_git_dir : in->keep_git_dir));
	sv_set_str(sp, o, "checksum", g.checksum);
	if (!g.submodules) /* absent by default: keys of older build.mk stay */
		sv_set(o, "submodules", sv_bool(sp, 0));
	free(remote);
	netsrc_git_free(&g);
	return NULL;
}

/* The --secret named id, or NULL. */
static const struct cli_secret *fetch_cli_secret(const struct cli *cli, const char *id)
{
	for (size_t i = 0; i < cli->nsecrets; i++)
		if (strcmp(cli->secrets[i].id, id) == 0)
			return &cli->secrets[i];
	return NULL;
}

/* The host of a scheme:// URL, after any userinfo; with its port unless
 * noport (Go's u.Host / u.Hostname()). */
static char *fetch_host(const char *url, int noport)
{
	const char *s = strstr(url, "://"), *h, *at;
	size_t n;

	if (!s)
		return NULL;
	h = s + 3;
	n = strcspn(h, "/?#");
	at = memchr(h, '@', n);
	if (at)
		n -= (size_t)(at + 1 - h), h = at + 1;
	if (noport && *h != '[' && memchr(h, ':', n))
		n = (size_t)((const char *)memchr(h, ':', n) - h);
	return xstrndup(h, n);
}

/* BuildKit's auth secrets for a source, by name (the first one given):
 * a URL's HTTP_AUTH_TOKEN_<host> ("Bearer ") or HTTP_AUTH_HEADER_<host>;
 * a git remote's GIT_AUTH_HEADER.<host>, GIT_AUTH_TOKEN.<host>,
 * GIT_AUTH_HEADER, GIT_AUTH_TOKEN. The spec gets where the value is read
 * when make runs (a file or a variable), never the value. */
static void fetch_secret(struct spec *fs, const struct cli *cli, const char *src)
{
	int git = netsrc_kind(src) == NETSRC_GIT;
	cleanup_free char *host = fetch_host(src, !git);
	char *names[4] = {0};
	const char *kinds[4];
	const struct cli_secret *sec = NULL;
	size_t n = 0, i;

	if (!host) /* user@host:path: ssh authenticates with keys */
		return;
	if (git) {
		names[n] = xasprintf("GIT_AUTH_HEADER.%s", host), kinds[n++] = "header";
		names[n] = xasprintf("GIT_AUTH_TOKEN.%s", host), kinds[n++] = "git-token";
		names[n] = xstrdup("GIT_AUTH_HEADER"), kinds[n++] = "header";
		names[n] = xstrdup("GIT_AUTH_TOKEN"), kinds[n++] = "git-token";
	} else {
		names[n] = xasprintf("HTTP_AUTH_TOKEN_%s", host), kinds[n++] = "bearer";
		names[n] = xasprintf("HTTP_AUTH_HEADER_%s", host), kinds[n++] = "header";
	}
	for (i = 0; i < n && !sec; i++)
		sec = fetch_cli_secret(cli, names[i]);
	if (sec) {
		struct sv *o = sv_set(spec_root(fs), "secret", sv_obj(fs));
		sv_set_str(fs, o, "id", sec->id);
		sv_set_str(fs, o, "kind", kinds[i - 1]);
		if (sec->env)
			sv_set_str(fs, sv_set(o, "src", sv_obj(fs)), "env", sec->env);
		else
			sv_set_str(fs, o, "src", sec->src);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
}

/* An ssh remote gets the agent of `--ssh default`, as BuildKit mounts
 * that id for ssh remotes: "agent" names the variable build.mk exports
 * (the socket path is read when make runs; outside the key). */
static void fetch_agent(struct spec *fs, const struct cli *cli, const char *src)
{
	char *var;

	if (netsrc_kind(src) != NETSRC_GIT || !netsrc_is_ssh(src) ||
	    !ent_ssh_find(&cli->ent, "default"))
		return;
	var = ent_ssh_var("default");
	sv_set_str(fs, spec_root(fs), "agent", var);
	free(var);
}

/* BuildKit's error for an ssh remote with no agent forwarded, or NULL. */
static char *fetch_ssh_error(const char *src, const struct cli *cli, int no_grants)
{
	if (no_grants || netsrc_kind(src) != NETSRC_GIT || !netsrc_is_ssh(src) ||
	    ent_ssh_find(&cli->ent, "default"))
		return NULL;
	return xstrdup("no SSH key \"default\" forwarded from the client (an ssh remote needs "
		       "df2make --ssh default[=SOCKET])");
}

/* Keys, titles and JSON of a new fetch step of st. A URL with
 * credentials gets "auth": where the fetch finds them when make runs
 * (the Dockerfile's line; outside the key: paths are not content). */
static struct fetch *fetch_new(struct step *st, struct spec *fs, const char *shown, const char *src,
			       const struct instr *in, const struct cli *cli)
{
	struct step_src *x = step_src(st);
	struct fetch *f;

	x->fetch = xreallocarray(x->fetch, st->nfetch + 1, sizeof(*x->fetch));
	f = &x->fetch[st->nfetch++];
	memset(f, 0, sizeof(*f));
	key_spec(NULL, spec_root(fs), NULL, f->key);
	if (netsrc_has_secret(src) && cli->dockerfile) {
		struct sv *auth = sv_set(spec_root(fs), "auth", sv_obj(fs));
		sv_set_str(fs, auth, "dockerfile", cli->dockerfile);
		sv_set(auth, "line", sv_int(fs, in->loc.line));
	}
	fetch_secret(fs, cli, src);
	fetch_agent(fs, cli, src);
	f->title = xasprintf("[internal] fetch %s", shown);
	f->spec = fs;
	return f;
}

/* The spec of src's fetch step, or NULL with *err (malloc'd) set; *pinned
 * says whether its content is fixed (struct fetch). */
static struct spec *fetch_spec(enum netsrc_kind kind, const char *src, const char *shown,
			       const char *checksum, const struct instr *in, char **err,
			       int *pinned)
{
	struct spec *fs = spec_new();
	struct sv *o = spec_root(fs);
	const char *bad;
	char *title = xasprintf("[internal] fetch %s", shown);

	/* the title first: build.mk numbers the steps that have one (emit.c) */
	sv_set_str(fs, o, "title", title);
	free(title);
	*err = NULL;
	*pinned = 0;
	if (in->kind != I_ADD)
		*err = xasprintf("source can't be a %s for COPY",
				 kind == NETSRC_GIT ? "git ref" : "URL");
	else if (kind == NETSRC_GIT)
		*err = fetch_git_spec(fs, o, src, checksum, in, pinned);
	else if (checksum && *checksum && (bad = fetch_digest_error(checksum)))
		*err = xstrdup(bad);
	if (!*err && kind == NETSRC_HTTP) {
		sv_set_str(fs, o, "kind", "http");
		sv_set_str(fs, o, "url", shown);
		sv_set_str(fs, o, "checksum", checksum && *checksum ? checksum : NULL);
		*pinned = checksum && *checksum;
	}
	if (*err) {
		spec_free(fs);
		return NULL;
	}
	return fs;
}

char *fetch_source(struct step *st, struct spec *sp, struct sv *fa, size_t idx, const char *src,
		   const char *checksum, const struct instr *in, const struct cli *cli,
		   int no_grants, char **err)
{
	enum netsrc_kind kind = netsrc_kind(src);
	struct spec *fs;
	struct sv *ent;
	struct fetch *f;
	char *shown;
	int pinned;

	*err = NULL;
	if (kind == NETSRC_LOCAL)
		return NULL;
	shown = netsrc_redact(src);
	if ((*err = fetch_ssh_error(src, cli, no_grants)) ||
	    !(fs = fetch_spec(kind, src, shown, checksum, in, err, &pinned))) {
		free(shown);
		return NULL;
	}
	sv_set_str(fs, spec_root(fs), "loc", st->loc);
	f = fetch_new(st, fs, shown, src, in, cli); /* takes fs */
	f->pinned = pinned;
	ent = sv_push(fa, sv_obj(sp));
	sv_set(ent, "src", sv_int(sp, (long long)idx));
	sv_set_str(sp, ent, "key", f->key);
	sv_set_str(sp, ent, "kind", kind == NETSRC_HTTP ? "http" : "git");
	if (kind == NETSRC_HTTP) {
		char *name = netsrc_filename(src);
		sv_set_str(sp, ent, "name", name);
		free(name);
	}
	return shown;
}

void fetch_prereqs(const struct step *st, struct buf *b)
{
	for (size_t i = 0; i < st->nfetch; i++) /* nfetch > 0: st->src is there */
		buf_printf(b, " $(STATE)/%s.fetch", st->src->fetch[i].key);
}

int fetch_rules(const struct step *st, struct buf *out, json_t *seen,
		const char *(*spec_word)(const struct sv *spec), struct diags *dg)
{
	int r = 0;

	for (size_t i = 0; i < st->nfetch && !r; i++) {
		const struct fetch *f = &st->src->fetch[i];
		struct buf title = {0};
		if (json_object_get(seen, f->key))
			continue;
		if (!f->pinned && !json_object_get(seen, "fetch-force") &&
		    templates_expand(out, "fetch-force", (const char *const[]){NULL}, dg) < 0)
			return -1;
		if (!f->pinned)
			json_object_set_new(seen, "fetch-force", json_true());
		json_object_set_new(seen, f->key, json_true());
		mk_comment(&title, f->title);
		r = templates_expand(
		    out, "fetch",
		    (const char *const[]){"TITLE", title.s, "KEY", f->key, "FORCE",
					  f->pinned ? "" : " df2make-fetch-force", "WHEN",
					  f->pinned ? "Pinned: run only while"
						      " KEY.fetch is missing"
						    : "Asked again at every make run",
					  "SPEC", spec_word(spec_root(f->spec)), NULL},
		    dg);
		buf_free(&title);
	}
	return r;
}

void fetch_free(struct step *st)
{
	if (!st->src)
		return;
	for (size_t i = 0; i < st->nfetch; i++) {
		free(st->src->fetch[i].title);
		spec_free(st->src->fetch[i].spec);
	}
	free(st->src->fetch);
	st->src->fetch = NULL;
	st->nfetch = 0;
}
