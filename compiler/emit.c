/* emit: the Makefile writer (see emit.h). */
#include <jansson.h>
#include <errno.h>
#include <libgen.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "bfemit.h"
#include "cli.h"
#include "emit.h"
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

static void ev_emit(struct evars *ev, struct buf *out, const char *tpl)
{
	templates_expand(out, tpl, ev->v);
	for (size_t i = 0; i < ev->nown; i++)
		free(ev->own[i]);
	memset(ev, 0, sizeof(*ev));
}

static char *emit_with(void (*fn)(struct buf *, const char *), const char *s)
{
	struct buf b = {0};

	fn(&b, s);
	return buf_steal(&b);
}

/* Paths from the command line are used as they are or not at all: a clear
 * error beats a Makefile that depends on something else. */
static void emit_check_name(const char *what, const char *path)
{
	if (!mk_name_ok(path))
		fatal("%s '%s' cannot be named in a Makefile (make reads a newline, tab, ; = | %%, "
		      "a trailing \\ & ) or blank as syntax): rename it",
		      what, path);
}

/* `-o .PHONY` would write a rule for a special target (make drops a
 * leading "./" from names, so `./.PHONY` too). */
static void emit_check_special(const char *output)
{
	const char *o = output;

	while (o[0] == '.' && o[1] == '/')
		o += 2 + strspn(o + 2, "/");
	if (o[0] == '.' && o[1] && strspn(o + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == strlen(o + 1))
		fatal("-o '%s' names a special make target: choose another name", output);
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

static char *emit_args_comment(const struct cli *c)
{
	struct buf b = {0};

	for (int i = 1; i < c->argc; i++) {
		if (i > 1)
			buf_addc(&b, ' ');
		mk_comment(&b, c->argv[i]);
	}
	return buf_steal(&b);
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

static void emit_prologue(struct graph *g, struct buf *out)
{
	const struct cli *c = g->cli;
	struct evars ev = {0};

	if (c->state)
		emit_check_name("--state", c->state);
	emit_check_name("-o", c->output);
	emit_check_name("context", c->context);
	emit_check_name("-f", c->dockerfile);
	/* the base steps and build.mk depend on the store's ref files */
	emit_check_name("--store", c->store);
	emit_check_special(c->output);
	ev_set(&ev, "VERSION", PACKAGE_VERSION);
	ev_take(&ev, "DOCKERFILE", emit_with(mk_comment, c->dockerfile));
	ev_take(&ev, "CONTEXT_PATH", emit_with(mk_comment, c->context));
	ev_take(&ev, "ARGS", emit_args_comment(c));
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
	ev_emit(&ev, out, "prologue");
}

static void emit_word(struct buf *b, const char *w)
{
	buf_addc(b, ' ');
	mk_shell(b, w);
}

static void emit_opt(struct buf *b, const char *opt, const char *val)
{
	emit_word(b, opt);
	emit_word(b, val);
}

/* --memory (in bytes), --pids-limit and --ulimit, when given. */
static void emit_limits(struct buf *b, const struct cli *c)
{
	char n[32];

	if (c->memory) {
		snprintf(n, sizeof(n), "%lld", c->memory);
		emit_opt(b, "--memory", n);
	}
	if (c->pids_limit) {
		snprintf(n, sizeof(n), "%lld", c->pids_limit);
		emit_opt(b, "--pids-limit", n);
	}
	for (size_t i = 0; i < c->ulimits.n; i++)
		emit_opt(b, "--ulimit", c->ulimits.v[i]);
}

/* df2make's command line again, with absolute paths. */
static char *emit_command(const struct cli *c)
{
	struct buf b = {0};
	char *self = cli_self_path();

	mk_shell(&b, self);
	free(self);
	emit_opt(&b, "-f", c->dockerfile);
	for (size_t i = 0; i < c->tags.n; i++)
		emit_opt(&b, "-t", c->tags.v[i]);
	if (c->target)
		emit_opt(&b, "--target", c->target);
	for (size_t i = 0; i < c->build_args_raw.n; i++)
		emit_opt(&b, "--build-arg", c->build_args_raw.v[i]);
	char *o = xasprintf("type=%s,dest=%s%s", c->output_type, c->output,
			    c->output_tar < 0 ? ""
			    : c->output_tar   ? ",tar=true"
					      : ",tar=false");
	emit_opt(&b, "-o", strcmp(c->output_type, "tar") == 0 ? c->output : o);
	free(o);
	if (c->state)
		emit_opt(&b, "--state", c->state);
	emit_opt(&b, "--store", c->store);
	for (size_t i = 0; i < c->nsecrets; i++) {
		const struct cli_secret *sec = &c->secrets[i];
		char *s = sec->env ? xasprintf("id=%s,env=%s", sec->id, sec->env)
				   : xasprintf("id=%s,src=%s", sec->id, sec->src);
		emit_opt(&b, "--secret", s);
		free(s);
	}
	struct strlist ent = {0};
	ent_args(&c->ent, &ent);
	for (size_t i = 0; i < ent.n; i++)
		emit_word(&b, ent.v[i]);
	strlist_free(&ent);
	if (c->platform)
		emit_opt(&b, "--platform", c->platform);
	if (c->templates)
		emit_opt(&b, "--templates", c->templates);
	emit_opt(&b, "--compress", c->compress);
	if (c->cache_to) {
		char *to =
		    xasprintf("type=%s,%s%s,mode=%s", c->cache_to[0] == '/' ? "local" : "registry",
			      c->cache_to[0] == '/' ? "dest=" : "ref=", c->cache_to, c->cache_mode);
		emit_opt(&b, "--cache-to", to);
		free(to);
	}
	for (size_t i = 0; i < c->cache_from.n; i++) {
		const char *v = c->cache_from.v[i];
		char *from = v[0] == '/' ? xasprintf("type=local,src=%s", v)
					 : xasprintf("type=registry,ref=%s", v);
		emit_opt(&b, "--cache-from", from);
		free(from);
	}
	emit_limits(&b, c);
	bflags_args(&c->bf, &ent);
	for (size_t i = 0; i < ent.n; i++)
		emit_word(&b, ent.v[i]);
	strlist_free(&ent);
	if (c->pull)
		emit_word(&b, "--pull");
	if (c->push)
		emit_word(&b, "--push");
	if (strcmp(c->progress, "auto") != 0)
		emit_opt(&b, "--progress", c->progress);
	emit_word(&b, c->context);
	return buf_steal(&b);
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
static void emit_remake(struct graph **gs, size_t ngs, struct buf *out)
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
	char *cmd = emit_command(c);
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
	ev_take(&ev, "COMMAND", cmd);
	ev_emit(&ev, out, "remake");
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
static const char *emit_spec_n(const struct sv *spec, int numbered)
{
	static struct buf json, quoted;
	static const char titled[] = "{\"title\":";

	buf_reset(&json);
	spec_write(&json, spec);
	if (json.len > sizeof(titled) &&
	    (numbered || memcmp(json.s, titled, sizeof(titled) - 1) == 0)) {
		char *rest = xstrdup(json.s + 1);
		buf_reset(&json);
		buf_printf(&json, "{\"vertex\":%d,%s", emit_vertex_next(), rest);
		free(rest);
	}
	buf_reset(&quoted);
	mk_shell_n(&quoted, json.s, json.len);
	return quoted.s;
}

static const char *emit_spec(const struct sv *spec)
{
	return emit_spec_n(spec, 0);
}

/* The spec of a step's sum: not a step of its own, no number. */
static const char *emit_sum_spec(const struct sv *spec)
{
	static struct buf quoted;
	struct buf json = {0};

	spec_write(&json, spec);
	buf_reset(&quoted);
	mk_shell_n(&quoted, json.s, json.len);
	buf_free(&json);
	return quoted.s;
}

/* A jansson spec (layers, pack) written the same way. */
static const char *emit_json_spec(json_t *spec)
{
	struct spec *sp = spec_new();
	/* a layer's spec has no title, its step reports "exporting layer" */
	const char *r = emit_spec_n(sv_json(sp, spec), json_object_get(spec, "parent") != NULL);

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
static void emit_missing(struct graph *g, struct step *st, struct buf *out)
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
	ev_emit(&ev, out, "base-missing");
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
	if (st->inputs.n > EMIT_BIG_CONTEXT) {
		buf_printf(b, " $(STATE)/%s.rescan", st->key);
		return;
	}
	for (size_t i = 0; i < st->inputs.n; i++) {
		char *in = emit_input(g->cli->context, st->inputs.v[i]);
		buf_printf(b, " %s", in);
		strlist_take(all, in);
	}
	if (g->ignore_path)
		emit_prereq(b, g->ignore_path);
}

static void emit_sum(struct graph *g, struct step *st, struct buf *out, struct strlist *all)
{
	struct evars ev = {0};
	struct buf pre = {0};

	emit_inputs(g, st, &pre, all);
	ev_set(&ev, "KEY", st->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_sum_spec(spec_root(st->sum_spec ? st->sum_spec : st->spec)));
	ev_emit(&ev, out, "sum");
	if (st->inputs.n > EMIT_BIG_CONTEXT)
		buf_printf(out, ".PHONY: $(STATE)/%s.rescan\n$(STATE)/%s.rescan:\n", st->key,
			   st->key);
}

/* The digest of what a COPY --from takes from its stage, made after the
 * stage's stamp: the copy runs when the digest changes, not the stamp. */
static void emit_fsum(struct step *st, struct buf *out)
{
	struct evars ev = {0};
	struct buf pre = {0};

	for (size_t i = 0; i < st->ndeps; i++)
		emit_done(&pre, st->deps[i]);
	ev_set(&ev, "KEY", st->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_sum_spec(spec_root(st->spec)));
	ev_emit(&ev, out, "fsum");
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

static void emit_step(struct graph *g, struct step *st, struct buf *out, struct strlist *all)
{
	struct evars ev = {0};
	/* reused: this runs for every step */
	static struct buf pre, title;
	char plat[PLATFORM_MAX];

	if (st->kind == STEP_BASE && st->image && !st->manifest) {
		emit_missing(g, st, out);
		return;
	}
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
	ev_set(&ev, "SPEC", emit_spec(spec_root(st->spec)));
	ev_emit(&ev, out, emit_tpl(st));
	if (st->sum)
		emit_sum(g, st, out, all);
	if (st->fsum)
		emit_fsum(st, out);
}

static void emit_stages(struct graph *g, struct buf *out)
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
		ev_emit(&ev, out, "stage");
	}
}

/* SOURCE_DATE_EPOCH (build-arg, else environment), or null. */
static json_t *emit_epoch(const struct cli *c)
{
	const char *e = cli_build_arg(c, "SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!e)
		e = getenv("SOURCE_DATE_EPOCH");
	if (!e || !*e)
		return json_null();
	v = strtoll(e, &end, 10);
	if (*end || v < 0)
		fatal("SOURCE_DATE_EPOCH must be a number of seconds, not '%s'", e);
	return json_integer(v);
}

/* The layers' build-wide parameters; a layer target depends on a stamp
 * named by their hash, so changing SOURCE_DATE_EPOCH or --compress makes
 * every layer again (the layer is named by its step's key, which they are
 * not part of: they change the layer, not the step). */
static json_t *emit_layer_params(const struct cli *c, char pk[33])
{
	json_t *p = json_pack("{so ss so}", "epoch", emit_epoch(c), "compress", c->compress,
			      "level", json_null());

	key_compute(NULL, p, NULL, pk);
	return p;
}

/* One layer target per step of steps[0..n) ("parent" added to params). */
static void emit_layer_rules(struct buf *out, struct step **steps, size_t n, json_t *params,
			     const char *pk, struct emitter *em)
{
	for (size_t i = 0; i < n; i++) {
		struct evars ev = {0};
		char *lk = xasprintf("%s.layer", steps[i]->key);
		int seen = em && emit_seen(em, lk);
		free(lk);
		if (seen)
			continue;
		json_t *spec =
		    json_pack("{so}", "parent",
			      steps[i]->parent ? json_string(steps[i]->parent->key) : json_null());
		json_object_update(spec, params);
		ev_set(&ev, "KEY", steps[i]->key);
		ev_set(&ev, "PARAMS", pk);
		ev_set(&ev, "SPEC", emit_json_spec(spec));
		json_decref(spec);
		ev_emit(&ev, out, "layer");
	}
}

static void emit_layers(struct graph *g, struct buf *out, struct step **chain, size_t n,
			struct emitter *em)
{
	char pk[33];
	json_t *params = emit_layer_params(g->cli, pk);
	struct evars ev = {0};

	if (n) {
		buf_adds(out, "\n# Layers of the image, one per filesystem step of its chain.\n");
		emit_layer_rules(out, chain, n, params, pk, em);
		ev_set(&ev, "PARAMS", pk);
		if (!em || !emit_seen(em, pk))
			ev_emit(&ev, out, "layer-params");
	}
	json_decref(params);
}

static json_t *emit_tags(const struct cli *c)
{
	json_t *tags = json_array();
	struct error e = {0};

	for (size_t i = 0; i < c->tags.n; i++) {
		char *n = ref_normalize(c->tags.v[i], &e);
		if (!n)
			fatal("-t %s: %s", c->tags.v[i], e.msg);
		json_array_append_new(tags, json_string(n));
		free(n);
	}
	return tags;
}

json_t *emit_pack_spec(struct graph *g)
{
	const struct cli *c = g->cli;
	struct step **chain;
	size_t n = graph_final_chain(g, &chain);
	json_t *layers = json_array(), *out;
	struct config *cfg = &g->target->cfg;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(layers, json_string(chain[i]->key));
	free(chain);
	out = json_pack("{ss ss}", "type", c->output_type, "dest", c->output);
	if (c->output_tar >= 0)
		json_object_set_new(out, "tar", json_boolean(c->output_tar));
	json_t *spec =
	    json_pack("{ss ss so so so so so ss ss so sO so}", "title", "exporting to image", "loc",
		      "", "output", out, "tags", emit_tags(c), "epoch", emit_epoch(c), "config",
		      bfemit_config(&c->bf, cfg->cfg), "author",
		      cfg->author ? json_string(cfg->author) : json_null(), "architecture", g->arch,
		      "os", g->os, "variant", *g->variant ? json_string(g->variant) : json_null(),
		      "history", cfg->history, "layers", layers);
	bfemit_pack_spec(c, spec);
	return spec;
}

/* --push: one target per tag after the image is written, each named by
 * the tag and the pack key (a new image is pushed again). */
static void emit_push(struct graph *g, struct buf *out, json_t *tags, const char *pk)
{
	size_t i;
	json_t *t;
	char prev[33] = "";

	if (json_array_size(tags) == 0 || strcmp(g->cli->output_type, "local") == 0)
		fatal("--push needs -t NAME:TAG and an image output (-o tar or oci)");
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
		ev_emit(&ev, out, "push");
		json_decref(spec);
		free(text);
	}
}

static void emit_pack(struct graph *g, struct buf *out)
{
	struct step **chain;
	size_t n = graph_final_chain(g, &chain);
	struct evars ev = {0};
	struct buf pre = {0};
	json_t *spec = emit_pack_spec(g);
	char pk[33];

	emit_layers(g, out, chain, n, NULL);
	emit_done(&pre, g->target->last);
	for (size_t i = 0; i < n; i++)
		emit_state_file(&pre, chain[i]->key, "layer");
	key_compute(g->target->last->key, spec, NULL, pk);
	ev_set(&ev, "PACKKEY", pk);
	ev_set(&ev, "KEY", g->target->last->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_json_spec(spec));
	ev_emit(&ev, out, "pack");
	bfemit_results(g->cli, g->target->last->key, pk, out);
	if (g->cli->push)
		emit_push(g, out, json_object_get(spec, "tags"), pk);
	json_decref(spec);
	free(chain);
}

/* The steps --cache-to exports besides the image's chain (mode=max: the
 * other stages'); their layer rules are written here. */
static size_t emit_cache_extra(struct graph *g, struct buf *out, struct step ***extra,
			       int chain_empty)
{
	size_t n = 0;
	char pk[33];
	json_t *params = emit_layer_params(g->cli, pk);

	*extra = xcalloc(g->nsteps + 1, sizeof(**extra));
	for (size_t i = 0; strcmp(g->cli->cache_mode, "max") == 0 && i < g->nsteps; i++)
		if (g->steps[i]->kind != STEP_BASE && !(g->steps[i]->flags & FLAG_FINAL))
			(*extra)[n++] = g->steps[i];
	if (n)
		buf_adds(out, "\n# Layers of the other stages' steps, for the cache (mode=max).\n");
	emit_layer_rules(out, *extra, n, params, pk, NULL);
	if (n && chain_empty) { /* emit_layers wrote no .lp rule */
		struct evars ev = {0};
		ev_set(&ev, "PARAMS", pk);
		ev_emit(&ev, out, "layer-params");
	}
	json_decref(params);
	return n;
}

/* --cache-to: a stamp named by the export's spec, made after the image
 * and the exported steps' layers. */
static void emit_cache_to(struct graph *g, struct buf *out)
{
	const struct cli *c = g->cli;
	struct step **chain, **extra;
	size_t n = graph_final_chain(g, &chain), nx;
	json_t *steps = json_array(), *spec, *params;
	struct evars ev = {0};
	struct buf pre = {0};
	char key[33], pk[33];

	nx = emit_cache_extra(g, out, &extra, n == 0);
	for (size_t i = 0; i < n + nx; i++) {
		struct step *st = i < n ? chain[i] : extra[i - n];
		json_array_append_new(steps, json_string(st->key));
		emit_state_file(&pre, st->key, "layer");
	}
	params = emit_layer_params(c, pk);
	spec = json_pack("{ss ss ss ss so}", "title", "exporting cache", "loc", "",
			 c->cache_to[0] == '/' ? "dest" : "ref", c->cache_to, "mode", c->cache_mode,
			 "steps", steps);
	json_object_update(spec, params);
	key_compute(NULL, spec, NULL, key);
	ev_set(&ev, "KEY", key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_json_spec(spec));
	ev_emit(&ev, out, "cache-to");
	json_decref(spec);
	json_decref(params);
	free(chain);
	free(extra);
}

static int emit_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Empty rules for the context inputs and the includes of the .d files. */
static void emit_epilogue(struct graph **gs, size_t ng, struct buf *out, struct strlist *all)
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
	ev_emit(&ev, out, "epilogue");
}

/* The pull steps: one make target per image, so make -j pulls them in
 * parallel while it remakes build.mk (whose rule depends on them). The
 * spec holds the name and platform only: credentials stay with the
 * runtime (docs/registry.md). An oci-layout:// context is loaded instead. */
static void emit_pulls(struct emitter *em, struct graph *g, struct buf *out)
{
	for (size_t i = 0; i < g->pulls.n; i++) {
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
		ev_emit(&ev, out, "pull");
		spec_free(sp);
		free(title);
	}
	if (g->cli->pull && g->pulls.n && !emit_seen(em, "pull-force"))
		templates_expand(out, "pull-force", (const char *const[]){NULL});
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

static void emit_begin(void *arg, struct graph *g)
{
	struct emitter *em = arg;

	if (em->multi && em->ngraphs++) {
		em->cur = NULL;
		buf_printf(em->out, "\n# ==== platform %s ====\n", g->cli->platform);
		emit_pulls(em, g, em->out);
		return;
	}
	templates_set_dir(g->cli->templates);
	em->direct = outfile_begin(STDOUT_FILENO);
	if (!em->direct)
		em->spill = tmpfile(); /* NULL: everything stays in memory */
	emit_prologue(g, em->out);
	emit_cache_run(g->cli, em->out);
	ent_emit_mk(&g->cli->ent, em->out);
	if (em->multi) /* at the end, with every platform's images */
		buf_printf(em->out, "\n# ==== platform %s ====\n", g->cli->platform);
	else
		emit_remake(&g, 1, em->out);
	emit_pulls(em, g, em->out);
}

static void emit_hook_step(void *arg, struct graph *g, struct step *st)
{
	struct emitter *em = arg;

	if (emit_seen(em, st->key))
		return;
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
		fetch_rules(st, em->out, em->fetched, emit_spec);
	}
	emit_step(g, st, em->out, &em->inputs);
	if (em->out->len <= (1 << 16))
		return;
	/* keep memory flat: build.mk of a big Dockerfile is megabytes */
	if (em->direct)
		outfile_write(em->out->s, em->out->len);
	else if (!em->spill)
		return;
	else if (fwrite(em->out->s, 1, em->out->len, em->spill) != em->out->len)
		fatal("write error on a temporary file");
	buf_reset(em->out);
}

void emit_init(struct emitter *em, struct buf *out, struct graph_hooks *h)
{
	memset(em, 0, sizeof(*em));
	em->out = out;
	*h = (struct graph_hooks){
	    .begin = emit_begin, .step = emit_hook_step, .arg = em, .drop_specs = 1};
}

/* Copies the spilled part in the kernel (build.mk is megabytes); 0 when
 * f cannot take it that way, with nothing written. */
static int emit_sendfile(FILE *spill, FILE *f)
{
	off_t off = 0, size = ftello(spill);
	ssize_t n;

	if (size < 0 || fflush(f) != 0)
		return 0;
	while (off < size) {
		n = sendfile(fileno(f), fileno(spill), &off, (size_t)(size - off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 && off == 0)
			return 0; /* say, a descriptor sendfile does not write to */
		if (n <= 0)
			fatal("write error on standard output");
	}
	return 1;
}

void emit_output(struct emitter *em, FILE *f)
{
	char chunk[1 << 16];
	size_t n;

	if (em->direct) {
		outfile_write(em->out->s, em->out->len);
		outfile_commit();
		return;
	}
	if (em->spill) {
		if (fflush(em->spill) != 0)
			fatal("write error on a temporary file");
		if (emit_sendfile(em->spill, f)) {
			fclose(em->spill);
			em->spill = NULL;
		} else if (fseek(em->spill, 0, SEEK_SET) != 0) {
			fatal("read error on a temporary file");
		}
	}
	if (em->spill) {
		while ((n = fread(chunk, 1, sizeof(chunk), em->spill)) > 0)
			if (fwrite(chunk, 1, n, f) != n)
				fatal("write error on standard output");
		if (ferror(em->spill))
			fatal("read error on a temporary file");
		fclose(em->spill);
		em->spill = NULL;
	}
	if (em->out->len && fwrite(em->out->s, 1, em->out->len, f) != em->out->len)
		fatal("write error on standard output");
}

void emit_finish(struct emitter *em, struct graph *g)
{
	emit_stages(g, em->out);
	emit_pack(g, em->out);
	if (g->cli->cache_to)
		emit_cache_to(g, em->out);
	templates_expand(em->out, "clean", (const char *const[]){NULL});
	emit_epilogue(&g, 1, em->out, &em->inputs);
	strlist_free(&em->inputs);
	json_decref(em->fetched);
	em->fetched = NULL;
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
 * each platform's own fields and final step key. */
static json_t *emit_multi_spec(struct graph **gs, size_t n)
{
	json_t *top = emit_pack_spec(gs[0]), *images = json_array();

	for (size_t i = 0; i < n; i++) {
		json_t *one = i ? emit_pack_spec(gs[i]) : json_deep_copy(top);
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
static void emit_pack_multi(struct emitter *em, struct graph **gs, size_t n)
{
	struct evars ev = {0};
	struct buf pre = {0};
	json_t *spec = emit_multi_spec(gs, n);
	char pk[33];

	for (size_t i = 0; i < n; i++) {
		struct step **chain;
		size_t nc = graph_final_chain(gs[i], &chain);
		emit_layers(gs[i], em->out, chain, nc, em);
		emit_done(&pre, gs[i]->target->last);
		for (size_t j = 0; j < nc; j++)
			emit_state_file(&pre, chain[j]->key, "layer");
		free(chain);
	}
	key_compute(gs[0]->target->last->key, spec, NULL, pk);
	ev_set(&ev, "PACKKEY", pk);
	ev_set(&ev, "KEY", gs[0]->target->last->key);
	ev_take(&ev, "PREREQS", buf_steal(&pre));
	ev_set(&ev, "SPEC", emit_json_spec(spec));
	ev_emit(&ev, em->out, "pack");
	bfemit_results(gs[0]->cli, gs[0]->target->last->key, pk, em->out);
	/* the written index with every platform is what is pushed */
	if (gs[0]->cli->push)
		emit_push(gs[0], em->out, json_object_get(spec, "tags"), pk);
	json_decref(spec);
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

void emit_finish_multi(struct emitter *em, struct graph **gs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		emit_stages(gs[i], em->out);
	emit_pack_multi(em, gs, n);
	templates_expand(em->out, "clean", (const char *const[]){NULL});
	/* build.mk is remade when any platform's image is (re)loaded */
	for (size_t i = 1; i < n; i++) {
		for (size_t j = 0; j < gs[i]->refs.n; j++)
			if (!graph_has_str(&gs[0]->refs, gs[i]->refs.v[j]))
				strlist_add(&gs[0]->refs, gs[i]->refs.v[j]);
		for (size_t j = 0; j < gs[i]->missing.n; j++)
			if (!graph_has_str(&gs[0]->missing, gs[i]->missing.v[j]))
				strlist_add(&gs[0]->missing, gs[i]->missing.v[j]);
	}
	emit_remake(gs, n, em->out);
	emit_epilogue(gs, n, em->out, &em->inputs);
	strlist_free(&em->inputs);
	json_decref(em->seen);
	json_decref(em->fetched);
}
