/* fetch: ADD's URL and git sources become fetch steps (see fetch.h). */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
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

/* --checksum for a URL: BuildKit's digest.Parse, sha256 only here. */
static void fetch_check_digest(const char *sum, const struct instr *in)
{
	const char *hex = sum + 7;

	if (!startswith(sum, "sha256:")) {
		if (strchr(sum, ':'))
			loc_fatal(&in->loc,
				  "unsupported digest algorithm: %s (df2make checks sha256)", sum);
		loc_fatal(&in->loc, "invalid checksum digest format");
	}
	if (strlen(hex) != 64 || strspn(hex, "0123456789abcdef") != 64)
		loc_fatal(&in->loc, "invalid checksum digest length");
}

/* The git parts of the fetch spec; --checksum, --keep-git-dir and the
 * URL's own query must agree, as in dockerfile2llb. */
static void fetch_git_spec(struct spec *sp, struct sv *o, const char *src, const char *checksum,
			   const struct instr *in)
{
	struct netsrc_git g;
	struct error e = {0};
	char *remote;
	int keep;

	if (netsrc_git_parse(src, &g, &e) < 0)
		loc_fatal(&in->loc, "%s", e.msg);
	if (in->keep_git_dir_set && g.keep_git_dir >= 0 && g.keep_git_dir != in->keep_git_dir)
		loc_fatal(&in->loc, "inconsistent keep-git-dir configuration");
	keep = g.keep_git_dir >= 0 ? g.keep_git_dir : in->keep_git_dir;
	if (checksum && *checksum && g.checksum && strcmp(checksum, g.checksum) != 0)
		loc_fatal(&in->loc, "checksum mismatch \"%s\" != \"%s\"", checksum, g.checksum);
	if (!g.checksum && checksum && *checksum)
		g.checksum = xstrdup(checksum);
	if (g.checksum &&
	    (!*g.checksum || strspn(g.checksum, "0123456789abcdefABCDEF") != strlen(g.checksum)))
		loc_fatal(&in->loc, "invalid checksum %s for Git URL, expected hex commit hash",
			  g.checksum);
	remote = netsrc_redact(g.remote);
	sv_set_str(sp, o, "kind", "git");
	sv_set_str(sp, o, "remote", remote);
	sv_set_str(sp, o, "ref", g.ref);
	sv_set_str(sp, o, "subdir", g.subdir);
	sv_set(o, "keep_git_dir", sv_bool(sp, keep));
	sv_set_str(sp, o, "checksum", g.checksum);
	free(remote);
	netsrc_git_free(&g);
}

/* Keys, titles and JSON of a new fetch step of st. A URL with
 * credentials gets "auth": where the fetch finds them when make runs
 * (the Dockerfile's line; outside the key: paths are not content). */
static struct fetch *fetch_new(struct step *st, struct spec *fs, const char *shown, const char *src,
			       const struct instr *in, const char *dockerfile)
{
	struct fetch *f;
	struct buf b = {0};

	st->fetch = xreallocarray(st->fetch, st->nfetch + 1, sizeof(*st->fetch));
	f = &st->fetch[st->nfetch++];
	memset(f, 0, sizeof(*f));
	key_spec(NULL, spec_root(fs), NULL, f->key);
	if (netsrc_has_secret(src) && dockerfile) {
		struct sv *auth = sv_set(spec_root(fs), "auth", sv_obj(fs));
		sv_set_str(fs, auth, "dockerfile", dockerfile);
		sv_set(auth, "line", sv_int(fs, in->loc.line));
	}
	f->title = xasprintf("[internal] fetch %s", shown);
	sv_set_str(fs, spec_root(fs), "title", f->title);
	sv_move_last(spec_root(fs), "title");
	spec_write(&b, spec_root(fs));
	f->spec = buf_steal(&b);
	return f;
}

char *fetch_source(struct step *st, struct spec *sp, struct sv *fa, size_t idx, const char *src,
		   const char *checksum, const struct instr *in, const char *dockerfile)
{
	enum netsrc_kind kind = netsrc_kind(src);
	struct spec *fs;
	struct sv *o, *ent;
	struct fetch *f;
	char *shown;

	if (kind == NETSRC_LOCAL)
		return NULL;
	shown = netsrc_redact(src);
	fs = spec_new();
	o = spec_root(fs);
	sv_set_str(fs, o, "loc", st->loc);
	if (kind == NETSRC_HTTP) {
		if (checksum && *checksum)
			fetch_check_digest(checksum, in);
		sv_set_str(fs, o, "kind", "http");
		sv_set_str(fs, o, "url", shown);
		sv_set_str(fs, o, "checksum", checksum && *checksum ? checksum : NULL);
	} else {
		fetch_git_spec(fs, o, src, checksum, in);
	}
	f = fetch_new(st, fs, shown, src, in, dockerfile);
	ent = sv_push(fa, sv_obj(sp));
	sv_set(ent, "src", sv_int(sp, (long long)idx));
	sv_set_str(sp, ent, "key", f->key);
	sv_set_str(sp, ent, "kind", kind == NETSRC_HTTP ? "http" : "git");
	if (kind == NETSRC_HTTP) {
		char *name = netsrc_filename(src);
		sv_set_str(sp, ent, "name", name);
		free(name);
	}
	spec_free(fs);
	return shown;
}

void fetch_prereqs(const struct step *st, struct buf *b)
{
	for (size_t i = 0; i < st->nfetch; i++)
		buf_printf(b, " $(STATE)/%s.fetch", st->fetch[i].key);
}

void fetch_rules(const struct step *st, struct buf *out, json_t *seen)
{
	for (size_t i = 0; i < st->nfetch; i++) {
		const struct fetch *f = &st->fetch[i];
		struct buf title = {0}, spec = {0};
		if (json_object_get(seen, f->key))
			continue;
		if (!json_object_get(seen, "fetch-force"))
			templates_expand(out, "fetch-force", (const char *const[]){NULL});
		json_object_set_new(seen, "fetch-force", json_true());
		json_object_set_new(seen, f->key, json_true());
		mk_comment(&title, f->title);
		mk_shell_n(&spec, f->spec, strlen(f->spec));
		templates_expand(
		    out, "fetch",
		    (const char *const[]){"TITLE", title.s, "KEY", f->key, "SPEC", spec.s, NULL});
		buf_free(&title);
		buf_free(&spec);
	}
}

void fetch_free(struct step *st)
{
	for (size_t i = 0; i < st->nfetch; i++) {
		free(st->fetch[i].title);
		free(st->fetch[i].spec);
	}
	free(st->fetch);
	st->fetch = NULL;
	st->nfetch = 0;
}
