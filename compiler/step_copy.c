/* step_copy: COPY and ADD dispatched into steps: sources expanded and
 * resolved in the context (globs, heredocs) or fetched (URL and git sources:
 * compiler/fetch.c), and the inputs
 * whose content keys the step. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "context.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "nctx.h"
#include "step_int.h"

/* ---- COPY / ADD ---- */

/* Heredoc bodies are expanded as text: quotes in them stay. */
static char *disp_expand_body(struct disp *d, const char *body, char **vars, const struct instr *in)
{
	struct buf b = {0};
	char *r;

	for (const char *p = body; *p; p++) {
		if (*p == '"' || *p == '\'')
			buf_addc(&b, d->escape);
		buf_addc(&b, *p);
	}
	r = disp_expand(d, b.s ? b.s : "", vars, in);
	buf_free(&b);
	return r;
}

static int disp_has_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int disp_walk_cb(const char *rel, const struct stat *st, void *arg)
{
	(void)st;
	strlist_add(arg, rel);
	return 0;
}

/* The directory part of a context-relative path ("." for none). */
static char *disp_dirname(const char *rel)
{
	const char *sl = strrchr(rel, '/');

	return sl ? xstrndup(rel, (size_t)(sl - rel)) : xstrdup(".");
}

/* Lists what a context source reads: the matches, everything below them,
 * and for a wildcard the directory it is matched in (new matches). */
/* What a context source read, remembered: the context does not change
 * while df2make runs, and walking it again for every COPY of the same
 * source was most of the system time of big files. */
struct input_memo {
	char *src; /* cleaned source; NULL for a free slot */
	struct strlist inputs;
};

/* FNV-1a. */
static size_t memo_hash(const char *s)
{
	size_t h = 14695981039346656037ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of src in the table (free when src is not in it). */
static struct input_memo *memo_slot(struct input_memo *tab, size_t cap, const char *src)
{
	size_t h = memo_hash(src) & (cap - 1);

	while (tab[h].src && strcmp(tab[h].src, src) != 0)
		h = (h + 1) & (cap - 1);
	return &tab[h];
}

/* The memo entry for src, made (empty) when there was none. */
static struct input_memo *memo_get(struct graph *g, const char *src, int *found)
{
	struct input_memo *m;

	if ((g->nmemo + 1) * 2 > g->memocap) {
		size_t cap = g->memocap ? g->memocap * 2 : 64;
		struct input_memo *tab = xcalloc(cap, sizeof(*tab));
		for (size_t i = 0; i < g->memocap; i++)
			if (g->memo[i].src)
				*memo_slot(tab, cap, g->memo[i].src) = g->memo[i];
		free(g->memo);
		g->memo = tab;
		g->memocap = cap;
	}
	m = memo_slot(g->memo, g->memocap, src);
	*found = m->src != NULL;
	if (!m->src) {
		m->src = xstrdup(src);
		g->nmemo++;
	}
	return m;
}

void step_free_graph(struct graph *g)
{
	for (size_t i = 0; i < g->memocap; i++) {
		free(g->memo[i].src);
		strlist_free(&g->memo[i].inputs);
	}
	free(g->memo);
}

/* Resolves a cleaned source in the main context (c NULL) or in a named
 * directory context into out (see disp_inputs). The main context's
 * paths are relative to it (build.mk names them under $(CONTEXT)), a
 * named one's absolute. */
static void disp_resolve(struct disp *d, const char *clean, struct strlist *out,
			 const struct instr *in, const struct nctx *c)
{
	struct error e = {0};
	struct strlist m = {0}, got = {0};
	const char *ctx = c ? c->dir : d->g->cli->context;
	const struct ignore *ig = c ? c->ig : d->g->ignore;

	if (ctx_resolve(ctx, ig, clean, &m, &e) < 0) {
		disp_error(d, &in->loc, "%s%s%s%s", c ? "build context " : "", c ? c->name : "",
			   c ? ": " : "", e.msg);
		strlist_free(&m);
		return;
	}
	if (disp_has_glob(clean)) {
		char *dir = disp_dirname(clean);
		if (!disp_has_glob(dir))
			strlist_add(&got, dir);
		free(dir);
		for (size_t i = 0; i < m.n; i++)
			strlist_take(&got, disp_dirname(m.v[i]));
	}
	for (size_t i = 0; i < m.n; i++)
		if (ctx_walk(ctx, ig, m.v[i], disp_walk_cb, &got, &e) < 0) {
			disp_error(d, &in->loc, "%s", e.msg);
			break;
		}
	for (size_t i = 0; i < got.n; i++)
		strlist_take(out, !c			       ? xstrdup(got.v[i])
				  : strcmp(got.v[i], ".") == 0 ? xstrdup(c->dir)
							       : path_join(c->dir, got.v[i]));
	strlist_free(&got);
	strlist_free(&m);
}

void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in,
		 const struct nctx *c)
{
	char *clean = ctx_clean_source(src);
	/* a named context's sources are remembered apart from the main one's */
	char *mk = c ? xasprintf("%s\n%s", c->name, clean) : NULL;
	int found;
	struct input_memo *m = memo_get(d->g, mk ? mk : clean, &found);

	if (!found)
		disp_resolve(d, clean, &m->inputs, in, c);
	for (size_t i = 0; i < m->inputs.n; i++)
		strlist_add(&step_src(st)->inputs, m->inputs.v[i]);
	if (c && c->ignore_path)
		strlist_add(&step_src(st)->inputs, c->ignore_path);
	free(mk);
	free(clean);
}

/* The flags in the spec; those BuildKit's history names (--parents and
 * the expanded --chown, --chmod; not --from, --link) appended to hist. */
static void disp_copy_flags(struct disp *d, struct step *st, const struct instr *in, char **vars,
			    struct buf *hist)
{
	struct spec *sp = st->spec;
	struct sv *o = spec_root(sp), *ex = sv_arr(sp);
	char *v;

	if (in->parents > 0)
		buf_adds(hist, " --parents");
	v = disp_opt(d, in->chown, vars, in);
	sv_set_str(sp, o, "chown", v);
	if (v && *v)
		buf_printf(hist, " --chown=%s", v);
	free(v);
	v = disp_opt(d, in->chmod, vars, in);
	sv_set_str(sp, o, "chmod", v);
	if (v && *v)
		buf_printf(hist, " --chmod=%s", v);
	/* with a --chmod BuildKit's dispatchCopy makes no merged layer: --link
	 * is a plain COPY then (`cfg.link && cfg.chmod == ""`) */
	sv_set(o, "link", sv_bool(sp, in->link && !(v && *v)));
	free(v);
	sv_set(o, "parents", sv_bool(sp, in->parents));
	for (size_t i = 0; i < in->nexcludes; i++)
		sv_push(ex, sv_str(sp, in->excludes[i]));
	sv_set(o, "excludes", ex);
	if (in->kind != I_ADD)
		return;
	sv_set(o, "unpack", in->unpack < 0 ? sv_null(sp) : sv_bool(sp, in->unpack));
	v = disp_opt(d, in->checksum, vars, in);
	sv_set_str(sp, o, "checksum", v);
	free(v);
	if (in->keep_git_dir)
		sv_set(o, "keep_git_dir", sv_bool(sp, 1));
}

/* Sources: heredocs become named contents, the rest are expanded words;
 * context sources make this a summed step. Returns the history text. */
static void disp_copy_srcs(struct disp *d, struct step *st, const struct instr *in, char **vars,
			   struct buf *hist, const struct nctx *nc)
{
	struct spec *sp = st->spec;
	struct sv *srcs = sv_arr(sp), *docs = sv_arr(sp), *doc, *fa = sv_arr(sp);
	char *sum = in->kind == I_ADD ? disp_opt(d, in->checksum, vars, in) : NULL;

	for (size_t i = 0; i < in->nheredocs; i++) {
		const struct heredoc *h = &in->heredocs[i];
		char *c = h->expand ? disp_expand_body(d, h->content ? h->content : "", vars, in)
				    : xstrdup(h->content ? h->content : "");
		doc = sv_push(docs, sv_obj(sp));
		sv_set_str(sp, doc, "name", h->name);
		sv_set_str(sp, doc, "content", c);
		free(c);
	}
	for (size_t i = 0; i + 1 < in->nargs && !d->failed; i++) {
		char *s = disp_expand(d, in->args[i], vars, in), *err = NULL;
		/* a URL or git source: a fetch step, written masked */
		char *net = !in->from && !d->failed
				? fetch_source(st, sp, fa, i, s, sum, in, d->g->cli,
					       step_no_grants(d->g), &err)
				: NULL;
		if (err || d->failed) { /* the stage stops after this COPY */
			if (err)
				disp_error(d, &in->loc, "%s", err);
			free(err);
			free(s);
			break;
		}
		sv_push(srcs, sv_str(sp, net ? net : s));
		buf_printf(hist, " %s", net ? net : s);
		if ((!in->from || nc) && !net) {
			st->sum = 1;
			disp_inputs(d, st, s, in, nc);
		}
		free(net);
		free(s);
	}
	/* the history names the heredocs after the other sources, whatever
	 * the order in the instruction (BuildKit's dispatchCopy: SourcePaths,
	 * then SourceContents) */
	for (size_t i = 0; i < in->nheredocs; i++)
		buf_printf(hist, " <<%s", in->heredocs[i].name);
	free(sum);
	sv_set(spec_root(sp), "srcs", srcs);
	sv_set(spec_root(sp), "heredocs", docs);
	if (st->nfetch)
		sv_set(spec_root(sp), "fetch", fa);
}

void disp_copy(struct disp *d, const struct instr *in)
{
	struct step *st;
	char **vars, *dest;
	struct buf hist = {0}, flags = {0}; /* the sources' text; the whole */
	struct sv *o;
	const struct nctx *c = NULL;

	if (in->nargs < 1 || in->nargs + in->nheredocs < 2) {
		disp_error(d, &in->loc, "%s requires at least two arguments", instr_name(in->kind));
		return;
	}
	st = disp_new(d, in->kind == I_ADD ? STEP_ADD : STEP_COPY, in);
	vars = disp_env(d);
	o = spec_root(st->spec);
	sv_set_str(st->spec, o, "op", in->kind == I_ADD ? "add" : "copy");
	if (in->from && (c = nctx_get(d->g, in->from)) != NULL) {
		nctx_spec(st->spec, o, c); /* --build-context NAME=DIR */
	} else if (in->from) {
		sv_set(o, "from", disp_from_ref(d, st, in->from, in));
		/* a stage's result may come out the same after a rebuild: a
		 * digest of what is copied decides (runtime/fsum.c) */
		st->fsum = !sv_get(sv_get(o, "from"), "image");
	} else {
		sv_set_str(st->spec, o, "context", d->g->cli->context);
		sv_set_str(st->spec, o, "ignore", d->g->ignore_path);
	}
	disp_copy_srcs(d, st, in, vars, &hist, c);
	dest = disp_expand(d, in->args[in->nargs - 1], vars, in);
	sv_set_str(st->spec, o, "dest", dest);
	sv_set_str(st->spec, o, "workdir", config_workdir(&d->s->cfg));
	sv_set_str(st->spec, o, "user", config_user(&d->s->cfg));
	/* "COPY [flags] SRC... DEST # buildkit" (convert_copy.go's
	 * commitMessage): the flags are known after the sources */
	buf_adds(&flags, instr_name(in->kind));
	disp_copy_flags(d, st, in, vars, &flags);
	buf_addn(&flags, hist.s ? hist.s : "", hist.len);
	st = disp_done(d->g, st, disp_commit(d, st));
	buf_printf(&flags, " %s # buildkit", dest);
	config_history(&d->s->cfg, flags.s, st->key);
	buf_free(&hist);
	buf_free(&flags);
	free(dest);
}
