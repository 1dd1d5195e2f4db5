/* emit: the Makefile writer (see emit.h). */
#include <jansson.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bfemit.h"
#include "cli.h"
#include "cmdline.h"
#include "emit.h"
#include "emitlayer.h"
#include "fetch.h"
#include "fsutil.h"
#include "graph.h"
#include "instr.h"
#include "key.h"
#include "mkquote.h"
#include "nctx.h"
#include "outfile.h"
#include "ref.h"
#include "error.h"
#include "sha256.h"
#include "spec.h"
#include "specout.h"
#include "templates.h"

/* Strings built for one template call, freed together. */
struct evars {
	const char *v[32];
	char *own[16];
	size_t n, nown;
};

static void ev_set(struct evars *ev, const char *name, const char *value)
{
	ev->v[ev->n++] = name;
	ev->v[ev->n++] = value;
	ev->v[ev->n] = NULL;
}

static void ev_take(struct evars *ev, const char *name, char *value)
{
	ev->own[ev->nown++] = value;
	ev_set(ev, name, value);
}

/* Fills template tpl into out, placeholder cb_name (or none) written by
 * cb, and frees the strings; 0, or -1 with the template's error in dg. */
static int ev_emit_cb(struct evars *ev, struct buf *out, const char *tpl, const char *cb_name,
		      void (*cb)(struct buf *, void *), void *arg, struct diags *dg)
{
	int r = templates_expand_cb(out, tpl, ev->v, cb_name, cb, arg, dg);

	for (size_t i = 0; i < ev->nown; i++)
		free(ev->own[i]);
	memset(ev, 0, sizeof(*ev));
	return r;
}

static int ev_emit(struct evars *ev, struct buf *out, const char *tpl, struct diags *dg)
{
	return ev_emit_cb(ev, out, tpl, NULL, NULL, NULL, dg);
}

static char *emit_with(void (*fn)(struct buf *, const char *), const char *s)
{
	struct buf b = {0};

	fn(&b, s);
	return buf_steal(&b);
}

/* Paths from the command line are used as they are or not at all: a clear
 * error beats a Makefile that depends on something else. */
static int emit_check_name(const char *what, const char *path, struct diags *dg)
{
	if (!path || mk_name_ok(path))
		return 0;
	return diag_error(dg, NULL,
			  "%s '%s' cannot be named in a Makefile (make reads a newline, tab, ; = "
			  "| %%, a trailing \\ & ) or blank as syntax): rename it",
			  what, path);
}

/* `-o .PHONY` would write a rule for a special target (make drops a
 * leading "./" from names, so `./.PHONY` too). */
static int emit_check_special(const char *output, struct diags *dg)
{
	const char *o = output;

	while (o[0] == '.' && o[1] == '/')
		o += 2 + strspn(o + 2, "/");
	if (o[0] == '.' && o[1] && strspn(o + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(o + 1))
		return diag_error(
		    dg, NULL, "-o '%s' names a special make target: choose another name", output);
	return 0;
}

/* The runtime build.mk calls: $DF2MAKE_RUNTIME, else the one next to
 * df2make (installed) or in the build tree, else the one on PATH. */
char *emit_runtime_path(void)
{
	const char *env = getenv("DF2MAKE_RUNTIME");
	char *self, *dir, *p;

	if (env && *env)
		return xstrdup(env);
	self = cli_self_path();
	dir = dirname(self);
	const char *cands[] = {"df2make-runtime", "../runtime/df2make-runtime"};
	for (size_t i = 0; i < LEN(cands); i++) {
		p = path_join(dir, cands[i]);
		char *clean = path_clean(p);
		free(p);
		if (access(clean, X_OK) == 0) {
			free(self);
			return clean;
		}
		free(clean);
	}
	free(self);
	return xstrdup("df2make-runtime");
}

/* The state key of a --cache-from registry source (STATE/KEY/ holds the
 * fetched manifest and cache config). */
static void emit_import_key(const char *ref, char key[33])
{
	json_t *spec = json_pack("{ss}", "cache-import", ref);

	key_compute(NULL, spec, NULL, key);
	json_decref(spec);
}

/* $DF2MAKE_CACHE_FROM: the --cache-from sources as a JSON list, in the
 * order given ([{"type":"local","src":DIR} or {"type":"registry",
 * "ref":REF,"key":KEY}, ...]), or "" for none. */
static char *emit_cache_from(const struct cli *c)
{
	json_t *a = json_array();
	char *s, key[33];

	for (size_t i = 0; i < c->cache_from.n; i++) {
		const char *v = c->cache_from.v[i];
		emit_import_key(v, key);
		json_array_append_new(
		    a, v[0] == '/'
			   ? json_pack("{ss ss}", "type", "local", "src", v)
			   : json_pack("{ss ss ss}", "type", "registry", "ref", v, "key", key));
	}
	s = c->cache_from.n && !c->bf.no_cache ? json_dumps(a, JSON_COMPACT | JSON_PRESERVE_ORDER)
					       : xstrdup("");
	json_decref(a);
	return s;
}

static int emit_prologue(struct graph *g, struct buf *out)
{
	const struct cli *c = g->cli;
	struct evars ev = {0};

	/* the base steps and build.mk depend on the store's ref files */
	if (emit_check_name("--state", c->state, g->dg) < 0 ||
	    emit_check_name("-o", c->output, g->dg) < 0 ||
	    emit_check_name("context", c->context, g->dg) < 0 ||
	    emit_check_name("-f", c->dockerfile, g->dg) < 0 ||
	    emit_check_name("--store", c->store, g->dg) < 0 ||
	    emit_check_special(c->output, g->dg) < 0)
		return -1;
	specout_set_state(c->state);
	ev_set(&ev, "VERSION", PACKAGE_VERSION);
	ev_take(&ev, "DOCKERFILE", emit_with(mk_comment, c->dockerfile));
	ev_take(&ev, "CONTEXT_PATH", emit_with(mk_comment, c->context));
	ev_take(&ev, "ARGS", cmdline_comment(c));
	ev_take(&ev, "TARGET", emit_with(mk_comment, g->target->label));
	char *rt = emit_runtime_path();
	ev_take(&ev, "RUNTIME", emit_with(mk_shell_var, rt));
	free(rt);
	ev_take(&ev, "STATE",
		c->state ? emit_with(mk_name, c->state)
			 : xstrdup("$(abspath $(dir $(MK)))/.df2make"));
	ev_take(&ev, "STATE_SH",
		c->state ? emit_with(mk_shell_var, c->state) : xstrdup("'$(STATE)'"));
	ev_take(&ev, "STORE_SH", emit_with(mk_shell_var, c->store));
	ev_take(&ev, "CONTEXT", emit_with(mk_name, c->context));
	ev_take(&ev, "OUTPUT", emit_with(mk_name, c->output));
	ev_take(&ev, "OUTPUT_VALUE", emit_with(mk_value, c->output));
	char *from = emit_cache_from(c);
	ev_take(&ev, "CACHE_FROM", emit_with(mk_value, from));
	free(from);
	ev_set(&ev, "PROGRESS", c->progress);
	ev_take(&ev, "DOCKERFILE_VALUE", emit_with(mk_value, c->dockerfile));
	return ev_emit(&ev, out, "prologue", g->dg);
}

/* " path" for a prerequisite, or nothing when make cannot name it. */
static void emit_prereq(struct buf *b, const char *path)
{
	if (!mk_name_ok(path))
		return;
	buf_addc(b, ' ');
	mk_name(b, path);
}

/* A file that may appear later: " path" for $(wildcard ...) in *wild, or,
 * when wildcard cannot take the name (blanks, `[`), its nearest existing
 * directory make can name in *dirs: creating the file changes that
 * directory's time. */
static void emit_maybe(struct buf *wild, struct buf *dirs, const char *path)
{
	char *d = xstrdup(path);
	struct stat st;

	if (mk_wildcard_ok(path)) {
		buf_addc(wild, ' ');
		mk_name(wild, path);
		free(d);
		return;
	}
	for (char *sl; (sl = strrchr(d, '/')) != NULL;) {
		sl[sl == d] = '\0';
		if (mk_name_ancestor(d) && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) {
			emit_prereq(dirs, d);
			break;
		}
	}
	free(d);
}

/* " $(STATE)/KEY.pull" when build.mk pulls the image. */
static void emit_pull_file(struct buf *b, const struct graph *g, const char *image,
			   const char *plat)
{
	char key[33];

	if (graph_pull_key(g, image, plat, key))
		buf_printf(b, " $(STATE)/%s.pull", key);
}

/* build.mk's own rule. gs: the graphs it was made from (several with a
 * --platform list), whose pulls it waits for; the rest is gs[0]'s. */
static int emit_remake(struct graph **gs, size_t ngs, struct buf *out)
{
	struct graph *g = gs[0];
	const struct cli *c = g->cli;
	size_t npulls = 0;
	struct evars ev = {0};
	struct buf in = {0}, dirs = {0};
	char *ign = xasprintf("%s.dockerignore", c->dockerfile);
	char *cands[] = {ign, path_join(c->context, ".dockerignore"),
			 path_join(c->context, ".containerignore")};

	mk_name(&in, c->dockerfile);
	/* $(wildcard) so that creating an ignore file, or loading a missing
	 * image, also regenerates build.mk */
	buf_adds(&in, " $(wildcard");
	for (size_t i = 0; i < LEN(cands); i++) {
		emit_maybe(&in, &dirs, cands[i]);
		free(cands[i]);
	}
	for (size_t i = 0; i < g->missing.n; i++)
		emit_maybe(&in, &dirs, g->missing.v[i]);
	buf_addc(&in, ')');
	buf_addn(&in, dirs.s ? dirs.s : "", dirs.len);
	buf_free(&dirs);
	for (size_t i = 0; i < g->refs.n; i++)
		emit_prereq(&in, g->refs.v[i]);
	nctx_layout_prereqs(&c->bf, &in, emit_prereq);
	char *cmd = cmdline_shell(c);
	/* a --build-arg value may hold a newline (a certificate, say) */
	if (strstr(cmd, "$$" MK_NL_VAR))
		mk_nl_define(out);
	/* `make clean` must not pull first (makefiles are remade before any goal) */
	for (size_t k = 0; k < ngs; k++)
		npulls += gs[k]->pulls.n;
	if (npulls)
		buf_adds(&in, " $(if $(filter clean,$(MAKECMDGOALS)),,");
	for (size_t k = 0; k < ngs; k++)
		for (size_t i = 0; i < gs[k]->pulls.n; i++)
			emit_pull_file(&in, gs[k], gs[k]->pulls.v[i], gs[k]->pull_plats.v[i]);
	if (npulls)
		buf_addc(&in, ')');
	ev_take(&ev, "INPUTS", buf_steal(&in));
	ev_take(&ev, "COMMAND", specout_command(cmd)); /* a long one from a file */
	return ev_emit(&ev, out, "remake", g->dg);
}

/* " $(STATE)/KEY.EXT", a prerequisite of nearly every rule: by hand, as
 * printf showed in profiles. */
static void emit_state_file(struct buf *b, const char *key, const char *ext)
{
	buf_addn(b, " $(STATE)/", 10);
	buf_adds(b, key);
	buf_addc(b, '.');
	buf_adds(b, ext);
}

static void emit_done(struct buf *b, const struct step *st)
{
	emit_state_file(b, st->key, "done");
}

/* The number of the next step that reports progress ("#5" of BuildKit's
 * plain output): steps are numbered in the order build.mk lists them, so
 * the numbers are fixed when build.mk is made and the same in every make
 * run, whichever steps make -j runs, in whatever order. */
static int emit_vertex;

int emit_vertex_next(void)
{
	return ++emit_vertex;
}

/* The spec as a recipe word; valid until the next call (specs are
 * written one at a time, each before the next is made). A spec with a
 * title, or any with numbered set, is a step that reports progress: it
 * gets "vertex" first. */
static const char *emit_spec_n(const struct sv *spec, int numbered, const char *more)
{
	static struct buf json;
	static const char titled[] = "{\"title\":";

	buf_reset(&json);
	spec_write(&json, spec);
	if (more && json.len > 2) { /* more fields: the object's last "}" moves after them */
		json.s[--json.len] = '\0';
		buf_printf(&json, ",%s}", more);
	}
	if (json.len > sizeof(titled) &&
	    (numbered || memcmp(json.s, titled, sizeof(titled) - 1) == 0)) {
		char *rest = xstrdup(json.s + 1);
		buf_reset(&json);
		buf_printf(&json, "{\"vertex\":%d,%s", emit_vertex_next(), rest);
		free(rest);
	}
	return specout_spec(json.s, json.len);
}

static const char *emit_spec(const struct sv *spec)
{
	return emit_spec_n(spec, 0, NULL);
}

/* The spec of a step's sum: not a step of its own, no number. */
static const char *emit_sum_spec(const struct sv *spec)
{
	static struct buf json;

	buf_reset(&json);
	spec_write(&json, spec);
	return specout_spec(json.s, json.len);
}

/* A jansson spec (layers, pack) written the same way. */
static const char *emit_json_spec(json_t *spec)
{
	struct spec *sp = spec_new();
	/* a layer's spec has no title, its step reports "exporting layer" */
	const char *r =
	    emit_spec_n(sv_json(sp, spec), json_object_get(spec, "parent") != NULL, NULL);

	spec_free(sp);
	return r;
}

static const char *emit_tpl(const struct step *st)
{
	static const char *const names[] = {"base", "run", "copy", "add", "workdir"};

	return names[st->kind];
}

/* multi: true when the rule named key was written already (then it is
 * not written again), else records it. */
static int emit_seen(struct emitter *em, const char *key)
{
	if (!em->multi)
		return 0;
	if (!em->seen)
		em->seen = json_object();
	if (json_object_get(em->seen, key))
		return 1;
	json_object_set_new(em->seen, key, json_true());
	return 0;
}

/* The base step of an image build.mk had to pull: make remakes build.mk
 * after the pull, so this recipe runs only when that did not happen. */
static int emit_missing(struct graph *g, struct step *st, struct buf *out)
{
	struct evars ev = {0};
	struct buf pre = {0};
	char plat[PLATFORM_MAX];
	char *msg = xasprintf("df2make: image %s is not in the store; pull it with "
			      "`df2make-runtime pull %s` or load it with "
			      "`df2make-runtime load -i IMAGE.tar`, then run make again",
			      st->image, st->image);

	emit_pull_file(&pre, g, st->image, graph_step_plat(g, st, plat));
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_take(&ev, "TITLE", emit_with(mk_comment, st->title));
	ev_set(&ev, "KEY", st->key);
	ev_take(&ev, "MESSAGE", emit_with(mk_shell, msg));
	free(msg);
	return ev_emit(&ev, out, "base-missing", g->dg);
}

/* A context path in a rule line, or the nearest directory make can name
 * when it cannot name the path itself ("a;b", "a%b": every input is also
 * a target). The context itself can be named (emit_prologue checked). */
static char *emit_input(const char *context, const char *rel)
{
	struct buf b = {0};
	char *abs = rel[0] == '/'	    ? NULL /* a named directory context's */
		    : strcmp(rel, ".") == 0 ? xstrdup(context)
					    : path_join(context, rel);
	size_t n = strlen(context);

	if (!abs)
		return nctx_input(rel);
	mk_name_ancestor(abs);
	buf_adds(&b, "$(CONTEXT)");
	if (strlen(abs) > n && abs[n] == '/') {
		buf_addc(&b, '/');
		mk_name(&b, abs + n + 1);
	}
	free(abs);
	return buf_steal(&b);
}

/* The context paths a sum step depends on. Each is also a target (an empty
 * rule, so a deleted file does not stop make). The runtime's .d file then
 * names every path, through an alias for the ones make cannot name. */
/* Context inputs from which a COPY's sum is not made stale by make's
 * stat of each one (100,000 prerequisites cost make seconds to read at
 * every run) but run every time, comparing the context's stat data with
 * its last run's itself (runtime/sum.c, the same number: SUM_BIG). */
#define EMIT_BIG_CONTEXT 4096

static void emit_inputs(struct graph *g, struct step *st, struct buf *b, struct strlist *all)
{
	if (step_inputs(st)->n > EMIT_BIG_CONTEXT) {
		buf_printf(b, " $(STATE)/%s.rescan", st->key);
		return;
	}
	for (size_t i = 0; i < step_inputs(st)->n; i++) {
		char *in = emit_input(g->cli->context, step_inputs(st)->v[i]);
		buf_printf(b, " %s", in);
		strlist_take(all, in);
	}
	if (g->ignore_path)
		emit_prereq(b, g->ignore_path);
}

static int emit_sum(struct graph *g, struct step *st, struct buf *out, struct strlist *all)
{
	struct evars ev = {0};
	struct buf pre = {0};

	emit_inputs(g, st, &pre, all);
	ev_set(&ev, "KEY", st->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_sum_spec(spec_root(step_sum_spec(st))));
	if (ev_emit(&ev, out, "sum", g->dg) < 0)
		return -1;
	if (step_inputs(st)->n > EMIT_BIG_CONTEXT)
		buf_printf(out, ".PHONY: $(STATE)/%s.rescan\n$(STATE)/%s.rescan:\n", st->key,
			   st->key);
	return 0;
}

/* The digest of what a COPY --from takes from its stage, made after the
 * stage's stamp: the copy runs when the digest changes, not the stamp. */
static int emit_fsum(struct graph *g, struct step *st, struct buf *out)
{
	struct evars ev = {0};
	struct buf pre = {0};

	for (size_t i = 0; i < st->ndeps; i++)
		emit_done(&pre, st->deps[i]);
	ev_set(&ev, "KEY", st->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_sum_spec(spec_root(st->spec)));
	return ev_emit(&ev, out, "fsum", g->dg);
}

/* 1 when a --cache-from source is a registry (imported at run time). */
static int emit_has_import(const struct cli *c)
{
	if (c->bf.no_cache) /* --no-cache: nothing is taken from a cache */
		return 0;
	for (size_t i = 0; i < c->cache_from.n; i++)
		if (c->cache_from.v[i][0] != '/')
			return 1;
	return 0;
}

static int emit_step(struct graph *g, struct step *st, struct buf *out, struct strlist *all)
{
	struct evars ev = {0};
	/* reused: this runs for every step */
	static struct buf pre, title;
	char plat[PLATFORM_MAX], *layer;

	if (st->kind == STEP_BASE && st->image && !st->manifest)
		return emit_missing(g, st, out);
	buf_reset(&pre);
	buf_addn(&pre, "", 0); /* "" rather than NULL when there is none */
	if (st->parent)
		emit_done(&pre, st->parent);
	for (size_t i = 0; i < st->ndeps; i++) {
		if (st->fsum) /* the --from stage's stamp is the fsum's prerequisite */
			emit_state_file(&pre, st->key, "fsum");
		else
			emit_done(&pre, st->deps[i]);
	}
	if (st->kind == STEP_BASE && st->ref)
		emit_prereq(&pre, st->ref);
	if (st->kind == STEP_BASE && st->image)
		emit_pull_file(&pre, g, st->image, graph_step_plat(g, st, plat));
	if (st->sum)
		emit_state_file(&pre, st->key, "sum");
	fetch_prereqs(st, &pre);
	buf_reset(&title);
	mk_comment(&title, st->title);
	ev_set(&ev, "TITLE", title.s ? title.s : "");
	ev_set(&ev, "KEY", st->key);
	ev_set(&ev, "PREREQS", pre.s);
	if (emitlayer_field(g, st, &layer) < 0)
		return -1;
	ev_set(&ev, "SPEC", emit_spec_n(spec_root(st->spec), 0, layer));
	free(layer);
	if (ev_emit(&ev, out, emit_tpl(st), g->dg) < 0)
		return -1;
	if (st->sum && emit_sum(g, st, out, all) < 0)
		return -1;
	return st->fsum ? emit_fsum(g, st, out) : 0;
}

static int emit_stages(struct graph *g, struct buf *out)
{
	int first = 1;

	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		struct evars ev = {0};
		if (!(s->flags & FLAG_REACH) || !s->name)
			continue;
		if (strcmp(s->name, "all") == 0 || strcmp(s->name, "clean") == 0) {
			warn("stage \"%s\" has no make target: the name is taken", s->name);
			continue;
		}
		if (first)
			buf_adds(out, "\n# One target per named stage.\n");
		first = 0;
		ev_set(&ev, "NAME", s->name);
		ev_set(&ev, "KEY", s->last->key);
		if (ev_emit(&ev, out, "stage", g->dg) < 0)
			return -1;
	}
	return 0;
}

/* One layer target per step of steps[0..n) ("parent" added to params)
 * but those of g's image that make their layer themselves (g NULL: none
 * does). *nrules gets the count written. */
static int emit_layer_rules(struct buf *out, const struct graph *g, struct step **steps, size_t n,
			    json_t *params, const char *pk, struct emitter *em, size_t *nrules,
			    struct diags *dg)
{
	*nrules = 0;
	for (size_t i = 0; i < n; i++) {
		struct evars ev = {0};
		if (g && emitlayer_in_image(g, steps[i]))
			continue;
		char *lk = xasprintf("%s.layer", steps[i]->key);
		int seen = em && emit_seen(em, lk);
		free(lk);
		if (seen)
			continue;
		++*nrules;
		json_t *spec =
		    json_pack("{so}", "parent",
			      steps[i]->parent ? json_string(steps[i]->parent->key) : json_null());
		json_object_update(spec, params);
		ev_set(&ev, "KEY", steps[i]->key);
		ev_set(&ev, "PARAMS", pk);
		ev_set(&ev, "SPEC", emit_json_spec(spec));
		json_decref(spec);
		if (ev_emit(&ev, out, "layer", dg) < 0)
			return -1;
	}
	return 0;
}

static int emit_layers(struct graph *g, struct buf *out, struct step **chain, size_t n,
		       struct emitter *em)
{
	char pk[33];
	json_t *params = emitlayer_params(g->cli, pk, g->dg);
	struct evars ev = {0};
	struct buf rules = {0};
	size_t nrules = 0;
	int r = params ? 0 : -1;

	if (n && !r)
		r = emit_layer_rules(&rules, g, chain, n, params, pk, em, &nrules, g->dg);
	if (nrules && !r) {
		buf_adds(out, "\n# Layers of the image made apart from their steps.\n");
		buf_addn(out, rules.s, rules.len);
		ev_set(&ev, "PARAMS", pk);
		if (!em || !emit_seen(em, pk))
			r = ev_emit(&ev, out, "layer-params", g->dg);
	}
	buf_free(&rules);
	json_decref(params);
	return r;
}

/* The -t names, normalised; NULL with the error in dg. */
static json_t *emit_tags(const struct cli *c, struct diags *dg)
{
	json_t *tags = json_array();
	struct error e = {0};

	for (size_t i = 0; i < c->tags.n; i++) {
		char *n = ref_normalize(c->tags.v[i], &e);
		if (!n) {
			diag_error(dg, NULL, "-t %s: %s", c->tags.v[i], e.msg);
			json_decref(tags);
			return NULL;
		}
		json_array_append_new(tags, json_string(n));
		free(n);
	}
	return tags;
}

json_t *emit_pack_spec(struct graph *g, int history)
{
	const struct cli *c = g->cli;
	struct step **chain;
	size_t n = graph_final_chain(g, &chain);
	json_t *layers, *out, *tags = emit_tags(c, g->dg), *epoch = emitlayer_epoch(c, g->dg);
	struct config *cfg = &g->target->cfg;
	/* the multi-platform index takes it whole; emit_pack writes its Env
	 * in pieces in the place the shared one keeps */
	json_t *cj = history ? config_json(cfg) : json_incref(cfg->cfg), *conf;

	if (!tags || !epoch) {
		json_decref(cj);
		json_decref(tags);
		json_decref(epoch);
		free(chain);
		return NULL;
	}
	layers = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(layers, json_string(chain[i]->key));
	free(chain);
	conf = bfemit_config(&c->bf, cj);
	json_decref(cj);
	out = json_pack("{ss ss}", "type", c->output_type, "dest", c->output);
	if (c->output_tar >= 0)
		json_object_set_new(out, "tar", json_boolean(c->output_tar));
	json_t *spec = json_pack(
	    "{ss ss so so so so so ss ss so so so}", "title", "exporting to image", "loc", "",
	    "output", out, "tags", tags, "epoch", epoch, "config", conf, "author",
	    cfg->author ? json_string(cfg->author) : json_null(), "architecture", g->arch, "os",
	    g->os, "variant", *g->variant ? json_string(g->variant) : json_null(), "history",
	    history ? config_history_json(cfg) : json_null(), "layers", layers);
	bfemit_pack_spec(c, spec);
	/* the layers' parameters: pack makes a layer that is missing or was
	 * made with others (its step made it for another build.mk) */
	char pk[33];
	json_t *params = emitlayer_params(c, pk, g->dg);
	if (!params) {
		json_decref(spec);
		return NULL;
	}
	json_object_set_new(spec, "layer", params);
	return spec;
}

/* --push: one target per tag after the image is written, each named by
 * the tag and the pack key (a new image is pushed again). */
static int emit_push(struct graph *g, struct buf *out, json_t *tags, const char *pk)
{
	size_t i;
	json_t *t;
	char prev[33] = "";
	int r = 0;

	if (json_array_size(tags) == 0 || strcmp(g->cli->output_type, "local") == 0)
		return diag_error(g->dg, NULL,
				  "--push needs -t NAME:TAG and an image output (-o tar or oci)");
	json_array_foreach(tags, i, t)
	{
		const char *name = json_string_value(t);
		struct evars ev = {0};
		char hex[65], *text = xasprintf("df2make-push 1\n%s\n%s\n", pk, name);
		json_t *spec = json_pack("{s:s+, s:s, s:s}", "title", "pushing ", name, "ref", name,
					 "source", g->cli->output);
		sha256_hex(text, strlen(text), hex);
		hex[32] = '\0';
		ev_take(&ev, "TITLE",
			emit_with(mk_comment, json_string_value(json_object_get(spec, "title"))));
		ev_set(&ev, "PUSHKEY", hex);
		ev_take(&ev, "PREREQS",
			prev[0] ? xasprintf(" $(STATE)/%s.push", prev) : xstrdup(""));
		memcpy(prev, hex, 33);
		ev_set(&ev, "SPEC", emit_json_spec(spec));
		r = ev_emit(&ev, out, "push", g->dg);
		json_decref(spec);
		free(text);
		if (r < 0)
			return -1;
	}
	return 0;
}

/* Moves em->out past em->flush_at (a 64th of what was written, 8 to 64 KB:
 * 8 KB to 512 KB of build.mk, 64 KB from 4 MB: few writes for a big one)
 * to the output (the file or the spill file); 0, or -1 with the error in dg. */
static int emit_flush(struct emitter *em, struct diags *dg)
{
	if (em->out->len <= em->flush_at)
		return 0;
	if (em->direct && outfile_write(em->out->s, em->out->len) < 0)
		return diag_error(dg, NULL, "write error on standard output: %s", strerror(errno));
	if (!em->direct && !em->spill)
		return 0;
	if (!em->direct && fwrite(em->out->s, 1, em->out->len, em->spill) != em->out->len)
		return diag_error(dg, NULL, "write error on a temporary file");
	em->written += em->out->len;
	buf_reset(em->out);
	em->flush_at = em->written / 64 > (1 << 16) ? 1 << 16 : em->written / 64;
	em->flush_at = em->flush_at < (1 << 13) ? 1 << 13 : em->flush_at;
	return 0;
}

/* specout's flush cannot fail: the first error is kept for emit_pack. */
static void emit_flush_arg(void *arg)
{
	struct emitter *em = arg;

	if (!em->flush_failed && emit_flush(em, em->flush_dg) < 0)
		em->flush_failed = 1;
}

/* The config's Env entries in the place of its "Env" field. */
static void emit_pack_env(const struct config *cfg, struct sv *root, struct spec *sp)
{
	struct sv *conf = sv_get(root, "config");

	if (conf && sv_get(conf, "Env"))
		sv_set(conf, "Env", config_env_sv(cfg, sp));
}

static int emit_pack(struct emitter *em, struct graph *g)
{
	struct step **chain;
	size_t n;
	struct evars ev = {0};
	struct buf pre = {0}, *out = em->out;
	json_t *spec = emit_pack_spec(g, 0);
	struct spec *sp;
	struct sv *root;
	char pk[33];
	int r;

	if (!spec)
		return -1;
	sp = spec_new();
	root = sv_json_lazy(sp, spec);
	/* in json_pack's place: made entry by entry as it is written */
	sv_set(root, "history", config_history_sv(&g->target->cfg, sp));
	emit_pack_env(&g->target->cfg, root, sp);
	n = graph_final_chain(g, &chain);
	if (emit_layers(g, out, chain, n, NULL) < 0) {
		spec_free(sp);
		json_decref(spec);
		free(chain);
		return -1;
	}
	emit_done(&pre, g->target->last);
	for (size_t i = 0; i < n; i++)
		if (chain[i] != g->target->last || !emitlayer_in_image(g, chain[i]))
			emitlayer_prereq(&pre, g, chain[i]);
	key_spec(g->target->last->key, root, NULL, pk);
	ev_set(&ev, "PACKKEY", pk);
	ev_set(&ev, "KEY", g->target->last->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	struct specout so = {root, emit_vertex_next(), emit_flush_arg, em}; /* titled */
	em->flush_dg = g->dg;
	r = ev_emit_cb(&ev, out, "pack", "SPEC", specout_word, &so, g->dg);
	spec_free(sp);
	if (!r && em->flush_failed)
		r = -1;
	if (!r)
		r = bfemit_results(g->cli, g->target->last->key, pk, out, g->dg);
	if (!r && g->cli->push)
		r = emit_push(g, out, json_object_get(spec, "tags"), pk);
	json_decref(spec);
	free(chain);
	return r;
}

/* The steps --cache-to exports besides the image's chain (mode=max: the
 * other stages', *n of them); their layer rules are written here. 0, or
 * -1 with the error in g->dg. */
static int emit_cache_extra(struct graph *g, struct buf *out, struct step ***extra, size_t *n,
			    int chain_rules)
{
	size_t nrules;
	char pk[33];
	json_t *params = emitlayer_params(g->cli, pk, g->dg);
	int r;

	*n = 0;
	*extra = xcalloc(g->nsteps + 1, sizeof(**extra));
	if (!params)
		return -1;
	for (size_t i = 0; strcmp(g->cli->cache_mode, "max") == 0 && i < g->nsteps; i++)
		if (g->steps[i]->kind != STEP_BASE && !(g->steps[i]->flags & FLAG_FINAL))
			(*extra)[(*n)++] = g->steps[i];
	if (*n)
		buf_adds(out, "\n# Layers of the other stages' steps, for the cache (mode=max).\n");
	r = emit_layer_rules(out, NULL, *extra, *n, params, pk, NULL, &nrules, g->dg);
	if (!r && *n && !chain_rules) { /* emit_layers wrote no .lp rule */
		struct evars ev = {0};
		ev_set(&ev, "PARAMS", pk);
		r = ev_emit(&ev, out, "layer-params", g->dg);
	}
	json_decref(params);
	return r;
}

/* --cache-to: a stamp named by the export's spec, made after the image
 * and the exported steps' layers. */
static int emit_cache_to(struct graph *g, struct buf *out)
{
	const struct cli *c = g->cli;
	struct step **chain, **extra;
	size_t n = graph_final_chain(g, &chain), nx;
	json_t *steps, *spec, *params;
	struct evars ev = {0};
	struct buf pre = {0};
	char key[33], pk[33];
	int r;

	/* emit_cache_extra read SOURCE_DATE_EPOCH: params is not NULL after it */
	size_t chain_rules = 0;
	for (size_t i = 0; i < n; i++)
		chain_rules += !emitlayer_in_image(g, chain[i]);
	if (emit_cache_extra(g, out, &extra, &nx, chain_rules != 0) < 0) {
		free(chain);
		free(extra);
		return -1;
	}
	steps = json_array();
	for (size_t i = 0; i < n + nx; i++) {
		struct step *st = i < n ? chain[i] : extra[i - n];
		json_array_append_new(steps, json_string(st->key));
		if (i < n)
			emitlayer_prereq(&pre, g, st);
		else
			emit_state_file(&pre, st->key, "layer");
	}
	params = emitlayer_params(c, pk, g->dg);
	spec = json_pack("{ss ss ss ss so}", "title", "exporting cache", "loc", "",
			 c->cache_to[0] == '/' ? "dest" : "ref", c->cache_to, "mode", c->cache_mode,
			 "steps", steps);
	json_object_update(spec, params);
	key_compute(NULL, spec, NULL, key);
	ev_set(&ev, "KEY", key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_json_spec(spec));
	r = ev_emit(&ev, out, "cache-to", g->dg);
	json_decref(spec);
	json_decref(params);
	free(chain);
	free(extra);
	return r;
}

static int emit_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Empty rules for the context inputs and the includes of the .d files. */
static int emit_epilogue(struct graph **gs, size_t ng, struct buf *out, struct strlist *all)
{
	struct evars ev = {0};
	struct buf rule = {0}, inc = {0};

	if (all->n)
		qsort(all->v, all->n, sizeof(*all->v), emit_cmp);
	for (size_t i = 0; i < all->n; i++) {
		if (i && strcmp(all->v[i], all->v[i - 1]) == 0)
			continue;
		buf_adds(&rule, rule.len ? " \\\n\t"
					 : "\n# A deleted context file must not stop make: its "
					   "checksum step\n# notices instead.\n");
		buf_adds(&rule, all->v[i]);
	}
	if (rule.len)
		buf_adds(&rule, ":\n");
	for (size_t j = 0; j < ng; j++)
		for (size_t i = 0; i < gs[j]->nsteps; i++) {
			struct step *st = gs[j]->steps[i];
			if (!st->sum || (j && strstr(inc.s, st->key)))
				continue;
			if (!inc.len)
				buf_adds(&inc, "\n# What the checksum steps read (like gcc -MD).\n"
					       "ifeq ($(filter clean,$(MAKECMDGOALS)),)\n-include");
			buf_printf(&inc, " \\\n\t$(STATE)/%s.d", st->key);
		}
	if (inc.len)
		buf_adds(&inc, "\nendif\n");
	ev_take(&ev, "INPUTS_RULE", buf_steal(&rule));
	ev_take(&ev, "INCLUDES", buf_steal(&inc));
	return ev_emit(&ev, out, "epilogue", gs[0]->dg);
}

/* The pull steps: one make target per image, so make -j pulls them in
 * parallel while it remakes build.mk (whose rule depends on them). The
 * spec holds the name and platform only: credentials stay with the
 * runtime (docs/registry.md). An oci-layout:// context is loaded instead. */
static int emit_pulls(struct emitter *em, struct graph *g, struct buf *out)
{
	for (size_t i = 0; i < g->pulls.n; i++) {
		int r;
		struct evars ev = {0};
		struct spec *sp = spec_new();
		struct sv *o = spec_root(sp);
		char key[33], *title = nctx_pull(&g->cli->bf, sp, g->pulls.v[i]);
		const char *plat = g->pull_plats.v[i];

		graph_pull_key(g, g->pulls.v[i], plat, key);
		if (emit_seen(em, key)) { /* another platform of a list pulls it */
			spec_free(sp);
			free(title);
			continue;
		}
		sv_set_str(sp, o, "title", title);
		sv_set_str(sp, o, "loc", g->pull_locs.v[i]);
		sv_set_str(sp, o, "image", g->pulls.v[i]);
		sv_set_str(sp, o, "platform", plat);
		sv_set(o, "always", sv_bool(sp, g->cli->pull));
		ev_take(&ev, "TITLE", emit_with(mk_comment, title));
		ev_set(&ev, "KEY", key);
		ev_set(&ev, "FORCE",
		       g->cli->pull ? " $(if $(MAKE_RESTARTS),,df2make-pull-force)" : "");
		ev_set(&ev, "SPEC", emit_spec(o));
		r = ev_emit(&ev, out, "pull", g->dg);
		spec_free(sp);
		free(title);
		if (r < 0)
			return -1;
	}
	if (g->cli->pull && g->pulls.n && !emit_seen(em, "pull-force"))
		return templates_expand(out, "pull-force", (const char *const[]){NULL}, g->dg);
	return 0;
}

/* With a registry source: $DF2MAKE_CACHE_RUN, this make run's id (make's
 * pid, from the one $(shell) of build.mk). The first step that looks a
 * step up in the cache fetches its manifest, once per run (a tag may
 * have moved); a make with nothing to do runs no step, asks no registry. */
static void emit_cache_run(const struct cli *c, struct buf *out)
{
	if (emit_has_import(c))
		buf_adds(out,
			 "\n# This make run (make's pid): a --cache-from registry is imported\n"
			 "# at most once per run, by the first step looked up in it.\n"
			 "export DF2MAKE_CACHE_RUN := $(shell echo $$PPID)\n");
}

static int emit_begin(void *arg, struct graph *g)
{
	struct emitter *em = arg;

	if (em->multi && em->ngraphs++) {
		em->cur = NULL;
		buf_printf(em->out, "\n# ==== platform %s ====\n", g->cli->platform);
		return emit_pulls(em, g, em->out);
	}
	templates_set_dir(g->cli->templates);
	em->direct = outfile_begin(STDOUT_FILENO);
	if (!em->direct)
		em->spill = tmpfile(); /* NULL: everything stays in memory */
	if (emit_prologue(g, em->out) < 0)
		return -1;
	emit_cache_run(g->cli, em->out);
	ent_emit_mk(&g->cli->ent, em->out);
	if (em->multi) /* at the end, with every platform's images */
		buf_printf(em->out, "\n# ==== platform %s ====\n", g->cli->platform);
	else if (emit_remake(&g, 1, em->out) < 0)
		return -1;
	return emit_pulls(em, g, em->out);
}

static int emit_hook_step(void *arg, struct graph *g, struct step *st)
{
	struct emitter *em = arg;

	if (emit_seen(em, st->key))
		return 0;
	if (st->stage && st->stage != em->cur) {
		em->cur = st->stage;
		buf_adds(em->out, "\n# ---- stage ");
		mk_comment(em->out, em->cur->label);
		buf_adds(em->out, " (");
		mk_comment(em->out, em->cur->base ? em->cur->base->label : em->cur->image);
		buf_adds(em->out, ") ----\n");
	}
	if (st->nfetch) { /* first: they run first, and get the lower numbers */
		if (!em->fetched)
			em->fetched = json_object();
		if (fetch_rules(st, em->out, em->fetched, emit_spec, g->dg) < 0)
			return -1;
	}
	if (emit_step(g, st, em->out, &em->inputs) < 0)
		return -1;
	return emit_flush(em, g->dg);
}

void emit_init(struct emitter *em, struct buf *out, struct graph_hooks *h)
{
	memset(em, 0, sizeof(*em));
	em->out = out;
	em->flush_at = 1 << 13;
	*h = (struct graph_hooks){
	    .begin = emit_begin, .step = emit_hook_step, .arg = em, .drop_specs = 1};
}

int emit_output(struct emitter *em, FILE *f, struct diags *dg)
{
	FILE *spill = em->spill;

	if (em->direct) {
		if (outfile_write(em->out->s, em->out->len) < 0)
			return diag_error(dg, NULL, "write error on standard output: %s",
					  strerror(errno));
		outfile_commit();
		return 0;
	}
	em->spill = NULL;
	if (spill && outfile_copy(spill, f, dg) < 0)
		return -1;
	if (em->out->len && fwrite(em->out->s, 1, em->out->len, f) != em->out->len)
		return diag_error(dg, NULL, "write error on standard output");
	return 0;
}

int emit_finish(struct emitter *em, struct graph *g)
{
	int r = emit_stages(g, em->out);

	if (!r)
		r = emit_pack(em, g);
	if (!r && g->cli->cache_to)
		r = emit_cache_to(g, em->out);
	if (!r)
		r = templates_expand(em->out, "clean", (const char *const[]){NULL}, g->dg);
	if (!r)
		r = emit_epilogue(&g, 1, em->out, &em->inputs);
	strlist_free(&em->inputs);
	json_decref(em->fetched);
	em->fetched = NULL;
	return r;
}

static int graph_has_str(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* The fields of a pack spec that are one image's (the rest is shared). */
static const char *const emit_image_fields[] = {"config",  "author",  "architecture", "os",
						"variant", "history", "layers"};

/* The pack of several platforms: the shared fields, and "images" holding
 * each platform's own fields and final step key. NULL with the error in
 * the graphs' dg. */
static json_t *emit_multi_spec(struct graph **gs, size_t n)
{
	json_t *top = emit_pack_spec(gs[0], 1), *images;

	if (!top) /* the options every platform shares are wrong */
		return NULL;
	images = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *one = i ? emit_pack_spec(gs[i], 1) : json_deep_copy(top);
		json_t *im = json_pack("{ss}", "key", gs[i]->target->last->key);
		for (size_t k = 0; k < LEN(emit_image_fields); k++)
			json_object_set(im, emit_image_fields[k],
					json_object_get(one, emit_image_fields[k]));
		json_array_append_new(images, im);
		json_decref(one);
	}
	for (size_t k = 0; k < LEN(emit_image_fields); k++)
		json_object_del(top, emit_image_fields[k]);
	json_object_set_new(top, "images", images);
	return top;
}

/* One pack rule needing every platform's final step and layers. */
static int emit_pack_multi(struct emitter *em, struct graph **gs, size_t n)
{
	struct evars ev = {0};
	struct buf pre = {0};
	json_t *spec = emit_multi_spec(gs, n);
	char pk[33];
	int r = spec ? 0 : -1;

	for (size_t i = 0; i < n && !r; i++) {
		struct step **chain;
		size_t nc = graph_final_chain(gs[i], &chain);
		r = emit_layers(gs[i], em->out, chain, nc, em);
		emit_done(&pre, gs[i]->target->last);
		for (size_t j = 0; j < nc; j++)
			if (chain[j] != gs[i]->target->last || !emitlayer_in_image(gs[i], chain[j]))
				emitlayer_prereq(&pre, gs[i], chain[j]);
		free(chain);
	}
	if (r) {
		buf_free(&pre);
		json_decref(spec);
		return -1;
	}
	key_compute(gs[0]->target->last->key, spec, NULL, pk);
	ev_set(&ev, "PACKKEY", pk);
	ev_set(&ev, "KEY", gs[0]->target->last->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_json_spec(spec));
	r = ev_emit(&ev, em->out, "pack", gs[0]->dg);
	if (!r)
		r = bfemit_results(gs[0]->cli, gs[0]->target->last->key, pk, em->out, gs[0]->dg);
	/* the written index with every platform is what is pushed */
	if (!r && gs[0]->cli->push)
		r = emit_push(gs[0], em->out, json_object_get(spec, "tags"), pk);
	json_decref(spec);
	return r;
}

void emit_abandon(struct emitter *em)
{
	strlist_free(&em->inputs);
	json_decref(em->seen);
	json_decref(em->fetched);
	em->seen = em->fetched = NULL;
	if (em->spill)
		fclose(em->spill);
	em->spill = NULL;
}

int emit_finish_multi(struct emitter *em, struct graph **gs, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && !r; i++)
		r = emit_stages(gs[i], em->out);
	if (!r)
		r = emit_pack_multi(em, gs, n);
	if (!r)
		r = templates_expand(em->out, "clean", (const char *const[]){NULL}, gs[0]->dg);
	/* build.mk is remade when any platform's image is (re)loaded */
	for (size_t i = 1; i < n && !r; i++) {
		for (size_t j = 0; j < gs[i]->refs.n; j++)
			if (!graph_has_str(&gs[0]->refs, gs[i]->refs.v[j]))
				strlist_add(&gs[0]->refs, gs[i]->refs.v[j]);
		for (size_t j = 0; j < gs[i]->missing.n; j++)
			if (!graph_has_str(&gs[0]->missing, gs[i]->missing.v[j]))
				strlist_add(&gs[0]->missing, gs[i]->missing.v[j]);
	}
	if (!r)
		r = emit_remake(gs, n, em->out);
	if (!r)
		r = emit_epilogue(gs, n, em->out, &em->inputs);
	strlist_free(&em->inputs);
	json_decref(em->seen);
	json_decref(em->fetched);
	em->seen = em->fetched = NULL;
	return r;
}
