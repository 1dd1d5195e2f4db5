/* step: dispatching instructions into config changes and steps (see
 * step.h). */
#include <errno.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "context.h"
#include "error.h"
#include "fsutil.h"
#include "graph.h"
#include "instr.h"
#include "key.h"
#include "platform.h"
#include "spec.h"
#include "step.h"
#include "store.h"
#include "ulimit.h"

/* Dispatch state of one stage. */
struct disp {
	struct graph *g;
	struct stage *s;
	struct step *cur; /* the stage's current filesystem state */
	int n, total;	  /* instruction number and count, for titles */
	char escape;
	/* The JSON text of RUN's env, made again only after ENV or ARG
	 * changed the variables (env_gen counts the changes). */
	struct buf env_json;
	unsigned env_gen, env_json_gen;
	size_t env_json_n; /* variables in env_json */
	int env_replaced;  /* a change since env_json replaced a value */
	/* The expansion environment, rebuilt only after ENV or ARG change
	 * it: building it for every instruction showed in profiles. The
	 * "K=V" strings live in one buffer, the vector points into it. */
	struct buf vars_text;
	char **vars;
	size_t vars_cap, vars_n; /* the vector's room and entries */
	size_t vars_from;	 /* env entries already in vars_text */
	int vars_redo;		 /* a value was replaced: rebuild it all */
	struct buf tmp;		 /* a title being written */
	const char *loc_file;	 /* the file of the last loc, and its base name */
	struct buf loc_base;
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The expansion environment: Env and ARG values, the later set winning
 * (an ENV shadows an earlier ARG, a later ARG shadows an ENV). A new
 * variable is appended to it; only a replaced value rebuilds it, since
 * rebuilding it for each of 50,000 ENV lines was quadratic. */
static char **disp_env(struct disp *d)
{
	struct buf *t = &d->vars_text;
	const char *was = t->s, *p;
	size_t from, n;

	if (d->vars && !d->vars_redo && d->vars_from == d->s->env.n)
		return d->vars;
	if (d->vars_redo || d->vars_from > d->s->env.n) {
		buf_reset(t);
		d->vars_from = d->vars_n = 0;
		d->vars_redo = 0;
	}
	from = t->len;
	n = d->vars_n;
	for (size_t i = d->vars_from; i < d->s->env.n; i++) {
		const struct var *v = &d->s->env.v[i];
		if (!v->value)
			continue;
		buf_adds(t, v->name);
		buf_addc(t, '=');
		buf_addn(t, v->value, strlen(v->value) + 1);
		n++;
	}
	d->vars_from = d->s->env.n;
	if (n + 1 > d->vars_cap) {
		d->vars_cap = (n + 1) * 2;
		d->vars = xreallocarray(d->vars, d->vars_cap, sizeof(*d->vars));
	}
	if (t->s != was) { /* the text moved: point at all of it again */
		from = 0;
		d->vars_n = 0;
	}
	p = t->s + from;
	for (size_t i = d->vars_n; i < n; p += strlen(p) + 1)
		d->vars[i++] = (char *)p;
	d->vars_n = n;
	d->vars[n] = NULL;
	return d->vars;
}

/* Sets a variable of the stage's state env (ENV, or an ARG shadowing it). */
static void disp_env_set(struct disp *d, const char *name, const char *value)
{
	size_t n = d->s->env.n;

	args_set(&d->s->env, name, value);
	d->env_gen++;
	if (d->s->env.n == n) /* vars stays valid until the next disp_env */
		d->env_replaced = d->vars_redo = 1;
}

static char *disp_expand(const struct disp *d, const char *word, char **env, const struct instr *in)
{
	return args_expand(word, d->escape, env, in);
}

/* Appends a decimal number: titles and locs are made for every step,
 * and printf showed in profiles. */
static void disp_put_int(struct buf *b, long v)
{
	char d[24], *p = d + sizeof(d);
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		*--p = (char)('0' + u % 10);
	while (u /= 10);
	if (v < 0)
		*--p = '-';
	buf_addn(b, p, (size_t)(d + sizeof(d) - p));
}

/* "Dockerfile:12" for the runtime's error messages, in the graph's arena:
 * base is the file's base name, b a buffer to write it in. */
static char *loc_text(struct graph *g, struct buf *b, const char *base, int line)
{
	buf_reset(b);
	buf_adds(b, base);
	buf_addc(b, ':');
	disp_put_int(b, line);
	return arena_strndup(&g->arena, b->s, b->len);
}

static const char *loc_file(const struct instr *in)
{
	return in->loc.file ? in->loc.file : "Dockerfile";
}

/* The loc of a step: the file's base name is worked out once per file,
 * not per step. */
static char *disp_loc(struct disp *d, const struct instr *in)
{
	const char *file = loc_file(in);

	if (file != d->loc_file) {
		char *p = xstrdup(file);
		buf_reset(&d->loc_base);
		buf_adds(&d->loc_base, basename(p));
		free(p);
		d->loc_file = file;
	}
	return loc_text(d->g, &d->tmp, d->loc_base.s, in->loc.line);
}

/* "[builder 2/5] RUN go build" (first line of the instruction), in the
 * graph's arena. */
static char *disp_title(struct disp *d, const struct instr *in)
{
	const char *text = in->original ? in->original : instr_name(in->kind);
	struct buf *b = &d->tmp;

	buf_reset(b);
	buf_addc(b, '[');
	buf_adds(b, d->s->label);
	buf_addc(b, ' ');
	disp_put_int(b, d->n);
	buf_addc(b, '/');
	disp_put_int(b, d->total);
	buf_addn(b, "] ", 2);
	buf_addn(b, text, strcspn(text, "\n"));
	return arena_strndup(&d->g->arena, b->s, b->len);
}

static struct step *disp_new(struct disp *d, enum step_kind kind, const struct instr *in)
{
	struct step *st = arena_calloc(&d->g->arena, 1, sizeof(*st));
	char *title = disp_title(d, in), *loc = disp_loc(d, in);

	st->kind = kind;
	st->in = in;
	st->stage = d->s;
	st->parent = d->cur;
	st->spec = spec_new();
	sv_set_str(st->spec, spec_root(st->spec), "title", title);
	sv_set_str(st->spec, spec_root(st->spec), "loc", loc);
	sv_set_str(st->spec, spec_root(st->spec), "parent", d->cur ? d->cur->key : NULL);
	st->title = title;
	st->loc = loc;
	return st;
}

static void disp_add_dep(struct step *st, struct step *dep)
{
	for (size_t i = 0; i < st->ndeps; i++)
		if (st->deps[i] == dep)
			return;
	st->deps = xreallocarray(st->deps, st->ndeps + 1, sizeof(*st->deps));
	st->deps[st->ndeps++] = dep;
}

/* Runs the graph's step hook once the kept step is new and final. */
static struct step *disp_done(struct graph *g, struct step *st, struct step *kept)
{
	if (kept == st)
		graph_step_done(g, st);
	return kept;
}

/* Keys st, or with no_keys gives it a unique placeholder: numbered, its
 * first digits spread for graph_slot's table. */
static void step_key(struct graph *g, struct step *st)
{
	unsigned long long n = g->nsteps + 1;

	if (!g->hooks || !g->hooks->no_keys) {
		key_step(st);
		return;
	}
	snprintf(st->key, sizeof(st->key), "%016llx%016llx", n * 0x9E3779B97F4A7C15ULL, n);
}

/* Keys the step, records it and makes it the stage's current state;
 * returns the step kept (an identical earlier one replaces st). */
static struct step *disp_commit(struct disp *d, struct step *st)
{
	step_key(d->g, st);
	st = graph_add_step(d->g, st);
	if (d->s->nsteps == d->s->stepcap) {
		d->s->stepcap = d->s->stepcap ? d->s->stepcap * 2 : 16;
		d->s->steps = xreallocarray(d->s->steps, d->s->stepcap, sizeof(*d->s->steps));
	}
	d->s->steps[d->s->nsteps++] = st;
	d->cur = st;
	return st;
}

/* "platform" in a spec whose stage is not on the host's platform: the
 * runtime picks the base image by it and runs RUN through binfmt_misc.
 * Left out for the host's, so host builds keep their keys. */
static void step_set_platform(struct graph *g, struct spec *sp, struct sv *o,
			      const struct platform *p)
{
	char f[PLATFORM_MAX];

	if (!p || platform_is_host(p))
		return;
	platform_format(p, f);
	sv_set_str(sp, o, "platform", arena_strdup(&g->arena, f));
}

/* The ref file an image used by --from resolves to for the build's
 * target platform (BuildKit resolves such images for the target, not for
 * the stage), or the name's plain ref when it is missing. */
static char *step_image_ref(struct graph *g, const char *image)
{
	struct store_image img;
	struct error e = {0};
	char *ref;

	if (store_lookup(g->cli->store, image, &g->tplat, &img, &e) < 0)
		return store_ref_path(g->cli->store, image);
	ref = xstrdup(img.ref);
	store_image_free(&img);
	return ref;
}

struct step *step_base(struct graph *g, struct stage *s, const char *image, const char *manifest,
		       const struct instr *in)
{
	struct step *st = arena_calloc(&g->arena, 1, sizeof(*st));
	char *file = xstrdup(loc_file(in)), *title, *heap;
	struct buf b = {0};
	char *loc = loc_text(g, &b, basename(file), in->loc.line);
	struct sv *o;

	free(file);
	buf_free(&b);

	st->kind = STEP_BASE;
	st->in = in;
	st->stage = s;
	st->spec = spec_new();
	o = spec_root(st->spec);
	if (image) {
		st->image = xstrdup(image);
		st->manifest = manifest ? xstrdup(manifest) : NULL;
		st->ref = s && s->ref ? xstrdup(s->ref) : step_image_ref(g, image);
		heap = s ? xasprintf("[%s 1/%zu] FROM %s", s->label, s->ninstrs + 1, image)
			 : xasprintf("[internal] load metadata for %s", image);
		title = arena_strdup(&g->arena, heap);
		sv_set_str(st->spec, o, "title", title);
		sv_set_str(st->spec, o, "loc", loc);
		sv_set_str(st->spec, o, "image", image);
	} else {
		heap = xasprintf("[%s 1/%zu] FROM scratch", s->label, s->ninstrs + 1);
		title = arena_strdup(&g->arena, heap);
		sv_set_str(st->spec, o, "title", title);
		sv_set_str(st->spec, o, "loc", loc);
		sv_set(o, "scratch", sv_bool(st->spec, 1));
	}
	step_set_platform(g, st->spec, o, s ? &s->plat : &g->tplat);
	free(heap);
	st->title = title;
	st->loc = loc;
	step_key(g, st);
	return disp_done(g, st, graph_add_step(g, st));
}

/* The state env of a stage FROM an image: the image's Env. */
static void disp_env_from_config(struct stage *s)
{
	char **v = NULL;
	size_t n = 0;

	config_env_vec(&s->cfg, &v, &n);
	for (size_t i = 0; i < n; i++) {
		char *eq = strchr(v[i], '=');
		*eq = '\0';
		args_set(&s->env, v[i], eq + 1);
	}
	strv_free(v);
}

/* The stage's starting point: a base stage's result, an image, scratch. */
static void disp_from(struct disp *d)
{
	struct stage *s = d->s;

	if (s->base) {
		config_clone(&s->cfg, &s->base->cfg);
		s->cfg.light = (s->flags & FLAG_LIGHT) != 0;
		/* BuildKit: ONBUILD triggers are consumed by the child */
		json_object_del(s->cfg.cfg, "OnBuild");
		args_copy(&s->args, &s->base->args);
		args_copy(&s->env, &s->base->env);
		d->cur = s->base->last;
		return;
	}
	if (s->image_config)
		config_from_image(&s->cfg, s->image_config);
	else
		config_scratch(&s->cfg);
	s->cfg.light = (s->flags & FLAG_LIGHT) != 0;
	disp_env_from_config(s);
	json_object_del(s->cfg.cfg, "OnBuild");
	if (strcmp(s->image, "scratch") == 0)
		s->base_step = step_base(d->g, s, NULL, NULL, s->from);
	else
		s->base_step = step_base(d->g, s, s->image, s->manifest, s->from);
	d->cur = s->base_step;
}

/* ---- metadata instructions ---- */

static void disp_kvs(struct disp *d, const struct instr *in, int env)
{
	char **vars = disp_env(d);
	struct buf hist = {0};
	int image = config_keeps_history(&d->s->cfg); /* else only Env matters */
	json_t *labels = json_object_get(d->s->cfg.cfg, "Labels");

	buf_adds(&hist, env ? "ENV" : "LABEL");
	if (!env && image && !json_is_object(labels)) {
		labels = json_object();
		config_set(&d->s->cfg, "Labels", labels);
	}
	/* all values see the variables as they were before this line */
	for (size_t i = 0; i < in->nkvs; i++) {
		char *k = disp_expand(d, in->kvs[i].key, vars, in);
		char *v = disp_expand(d, in->kvs[i].has_value ? in->kvs[i].value : "", vars, in);
		if (env) {
			if (image)
				config_env_set(&d->s->cfg, k, v);
			disp_env_set(d, k, v);
		} else if (image)
			json_object_set_new(labels, k, json_string(v));
		if (image)
			buf_printf(&hist, " %s=%s", k, v);
		free(k);
		free(v);
	}
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

static void disp_arg(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	struct buf hist = {0};

	args_stage(&d->s->args, &d->g->globals, in, d->g->cli, d->escape, vars);
	buf_adds(&hist, "ARG");
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct var *v = args_find(&d->s->args, in->kvs[i].key);
		const struct var *gv = args_find(&d->g->globals, in->kvs[i].key);
		/* this ARG set a value: it now shadows an ENV set before it */
		if (v && v->value &&
		    (in->kvs[i].has_value || cli_build_arg(d->g->cli, v->name) ||
		     (gv && gv->value))) {
			disp_env_set(d, v->name, v->value);
		}
		if (v && v->value)
			buf_printf(&hist, " %s=%s", v->name, v->value);
		else
			buf_printf(&hist, " %s", in->kvs[i].key);
	}
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

/* One string field (USER, STOPSIGNAL): expanded, stored, in history. */
static void disp_string(struct disp *d, const struct instr *in, const char *field)
{
	char **vars = disp_env(d);
	char *v = disp_expand(d, in->nargs ? in->args[0] : "", vars, in);
	char *hist = xasprintf("%s %s", instr_name(in->kind), v);

	config_set(&d->s->cfg, field, json_string(v));
	config_history(&d->s->cfg, hist, NULL);
	free(hist);
	free(v);
}

/* Adds "PORT/proto" entries for one EXPOSE word (ranges expanded). */
static void disp_port(json_t *ports, const char *word, const struct instr *in)
{
	char *w = xstrdup(word), *proto = strchr(w, '/'), *dash;
	long lo, hi;

	if (proto)
		*proto++ = '\0';
	if (strchr(w, ':')) { /* lint.c's ExposeInvalidFormat warns about it */
		char *last = strrchr(w, ':');
		memmove(w, last + 1, strlen(last));
	}
	lo = strtol(w, &dash, 10);
	hi = *dash == '-' ? strtol(dash + 1, &dash, 10) : lo;
	if (*dash || lo <= 0 || hi < lo || hi > 65535)
		loc_fatal(&in->loc, "invalid containerPort: %s", word);
	for (long p = lo; p <= hi; p++) {
		char *k = xasprintf("%ld/%s", p, proto && *proto ? strlower(proto) : "tcp");
		json_object_set_new(ports, k, json_object());
		free(k);
	}
	free(w);
}

static void disp_expose(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	json_t *ports = json_object_get(d->s->cfg.cfg, "ExposedPorts"), *v;
	struct buf hist = {0};
	const char *k;

	if (!json_is_object(ports)) {
		ports = json_object();
		config_set(&d->s->cfg, "ExposedPorts", ports);
	}
	for (size_t i = 0; i < in->nargs; i++) {
		char *w = disp_expand(d, in->args[i], vars, in);
		if (*w)
			disp_port(ports, w, in);
		free(w);
	}
	buf_adds(&hist, "EXPOSE map[");
	json_object_foreach(ports, k, v)
	    buf_printf(&hist, "%s%s:{}", hist.s[hist.len - 1] == '[' ? "" : " ", k);
	buf_adds(&hist, "]");
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

static void disp_volume(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	json_t *vols = json_object_get(d->s->cfg.cfg, "Volumes");
	struct buf hist = {0};

	if (!json_is_object(vols)) {
		vols = json_object();
		config_set(&d->s->cfg, "Volumes", vols);
	}
	buf_adds(&hist, "VOLUME [");
	for (size_t i = 0; i < in->nargs; i++) {
		char *w = disp_expand(d, in->args[i], vars, in);
		if (!*w)
			loc_fatal(&in->loc, "VOLUME specified can not be an empty string");
		json_object_set_new(vols, w, json_object());
		buf_printf(&hist, "%s%s", i ? " " : "", w);
		free(w);
	}
	buf_adds(&hist, "]");
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

static json_t *disp_words(const struct instr *in)
{
	json_t *a = json_array();

	for (size_t i = 0; i < in->nargs; i++)
		json_array_append_new(a, json_string(in->args[i]));
	return a;
}

/* Go's %q of a []string, as BuildKit's history shows CMD and SHELL. */
static void disp_hist_list(struct buf *b, json_t *a)
{
	json_t *v;
	size_t i;

	buf_addc(b, '[');
	json_array_foreach(a, i, v)
	{
		char *q = json_dumps(v, JSON_ENCODE_ANY);
		buf_printf(b, "%s%s", i ? " " : "", q);
		free(q);
	}
	buf_addc(b, ']');
}

static void disp_cmd(struct disp *d, const struct instr *in)
{
	struct buf hist = {0};

	config_cmd(&d->s->cfg, in);
	buf_printf(&hist, "%s ", instr_name(in->kind));
	disp_hist_list(&hist,
		       json_object_get(d->s->cfg.cfg, in->kind == I_CMD ? "Cmd" : "Entrypoint"));
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

static void disp_shell(struct disp *d, const struct instr *in)
{
	struct buf hist = {0};
	json_t *sh = disp_words(in);

	buf_adds(&hist, "SHELL ");
	disp_hist_list(&hist, sh);
	config_set(&d->s->cfg, "Shell", sh);
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

/* The instruction text after its keyword (ONBUILD's trigger, history). */
static const char *disp_rest(const struct instr *in)
{
	const char *t = in->original ? in->original : "";

	t += strcspn(t, " \t");
	return t + strspn(t, " \t");
}

static void disp_meta(struct disp *d, const struct instr *in)
{
	char *hist;

	switch (in->kind) {
	case I_HEALTHCHECK:
		config_healthcheck(&d->s->cfg, in);
		break;
	case I_ONBUILD:
		config_onbuild(&d->s->cfg, disp_rest(in));
		break;
	case I_MAINTAINER:
		free(d->s->cfg.author);
		d->s->cfg.author = xstrdup(in->nargs ? in->args[0] : "");
		break;
	default:
		return;
	}
	hist = xasprintf("%s %s", instr_name(in->kind), disp_rest(in));
	config_history(&d->s->cfg, hist, NULL);
	free(hist);
}

/* ---- filesystem instructions ---- */

/* A path joined to WORKDIR when relative, cleaned (trailing '/' kept). */
static char *disp_abs(const struct disp *d, const char *p)
{
	char *j = p[0] == '/' ? xstrdup(p) : path_join(config_workdir(&d->s->cfg), p);
	char *c = path_clean(j);

	free(j);
	return c;
}

/* WORKDIR as BuildKit keeps it (util/system NormalizeWorkdir): an absolute
 * path exactly as written, trailing '/' included, since it lands in the
 * image config verbatim; a relative one joined to the current WORKDIR and
 * cleaned like Go's path.Join, which drops a trailing '/'. */
static char *disp_workdir_path(const struct disp *d, const char *w)
{
	char *j, *c;

	if (w[0] == '/')
		return xstrdup(w);
	j = path_join(config_workdir(&d->s->cfg), w);
	c = path_clean(j);
	free(j);
	return c;
}

static void disp_workdir(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	char *w = disp_expand(d, in->nargs ? in->args[0] : "", vars, in), *path, *hist;
	struct step *st;

	if (!*w)
		loc_fatal(&in->loc, "WORKDIR requires exactly one argument");
	path = disp_workdir_path(d, w);
	config_set(&d->s->cfg, "WorkingDir", json_string(path));
	st = disp_new(d, STEP_WORKDIR, in);
	sv_set_str(st->spec, spec_root(st->spec), "path", path);
	sv_set_str(st->spec, spec_root(st->spec), "user", config_user(&d->s->cfg));
	st = disp_done(d->g, st, disp_commit(d, st));
	hist = xasprintf("WORKDIR %s", path);
	config_history(&d->s->cfg, hist, st->key);
	free(hist);
	free(path);
	free(w);
}

/* The step a --from / mount from= names: a stage's result or an image. */
static struct sv *disp_from_ref(struct disp *d, struct step *st, const char *from,
				const struct instr *in)
{
	struct stage *src = graph_stage_ref(d->g, from);
	struct sv *r = sv_obj(st->spec);
	struct step *dep;

	if (src && src->index < d->s->index) {
		disp_add_dep(st, src->last);
		sv_set_str(st->spec, r, "step", src->last->key);
		return r;
	}
	dep = graph_image_step(d->g, from, in);
	disp_add_dep(st, dep);
	sv_set_str(st->spec, r, "image", dep->image);
	sv_set_str(st->spec, r, "step", dep->key);
	return r;
}

/* RUN: env = image Env + ARGs in scope (ENV wins); undeclared proxies are
 * added after keying so they stay out of the cache key (BuildKit). */

/* Appends "K=V" of variables [from, env.n) to the env JSON text, which
 * is "[" or ends in "]" (taken off and put back). */
static void disp_env_json_add(struct disp *d, size_t from)
{
	struct buf *b = &d->env_json, kv = {0};

	if (b->len > 1)
		b->len--;
	for (size_t i = from; i < d->s->env.n; i++) {
		buf_reset(&kv);
		buf_adds(&kv, d->s->env.v[i].name);
		buf_addc(&kv, '=');
		buf_adds(&kv, d->s->env.v[i].value);
		if (b->len > 1)
			buf_addc(b, ',');
		spec_write_string(b, kv.s, kv.len);
	}
	buf_addc(b, ']');
	buf_free(&kv);
}

/* The env of a RUN as JSON text: the stage's variables "K=V" in order.
 * Made again only when they changed since the last RUN (most RUNs share
 * it), and then only extended when the change added variables: rebuilt
 * for every ENV, it grew with the square of a stage's length. */
static struct sv *disp_run_env(struct disp *d, struct spec *sp)
{
	struct buf *b = &d->env_json;

	if (!b->s || d->env_replaced || d->env_json_n > d->s->env.n) {
		buf_reset(b);
		buf_addc(b, '[');
		disp_env_json_add(d, 0);
	} else if (d->env_json_gen != d->env_gen) {
		disp_env_json_add(d, d->env_json_n);
	}
	d->env_json_gen = d->env_gen;
	d->env_json_n = d->s->env.n;
	d->env_replaced = 0;
	return sv_raw(sp, b->s, b->len);
}

/* Appends the string s to the env text of spec (kept as raw JSON). */
static void disp_env_append(struct spec *sp, const char *s)
{
	struct sv *env = sv_get(spec_root(sp), "env");
	struct buf b = {0};

	buf_addn(&b, env->u.str.s, env->u.str.n - 1); /* without ']' */
	if (env->u.str.n > 2)
		buf_addc(&b, ',');
	spec_write_string(&b, s, strlen(s));
	buf_addc(&b, ']');
	sv_set(spec_root(sp), "env", sv_raw(sp, b.s, b.len));
	buf_free(&b);
}

/* The value a RUN gets for proxy variable nth (0..4 as in args_proxy_name):
 * BuildKit folds the two spellings into one setting, taking the build args
 * in sorted order, so the lower-case one wins when both are given. */
static const char *disp_proxy_value(const struct disp *d, int nth)
{
	const struct strlist *ba = &d->g->cli->build_args;
	size_t n = strlen(args_proxy_name(nth, 1));
	const char *v = NULL;

	for (int upper = 1; upper >= 0; upper--) {
		const char *name = args_proxy_name(nth, upper);
		for (size_t i = 0; i < ba->n; i++)
			if (strncmp(ba->v[i], name, n) == 0 && ba->v[i][n] == '=')
				v = ba->v[i] + n + 1;
	}
	return v && *v ? v : NULL;
}

/* Proxy build args reach every RUN without an ARG, in both spellings
 * (BuildKit's ProxyEnv), after the stage's own variables, which win. They
 * stay out of the config and the history. */
static void disp_proxies(struct disp *d, struct spec *sp)
{
	for (int nth = 0; nth < ARGS_NPROXY; nth++) {
		const char *v = disp_proxy_value(d, nth);
		for (int upper = 1; v && upper >= 0; upper--) {
			const char *name = args_proxy_name(nth, upper);
			char *kv;
			if (args_find(&d->s->args, name) || args_find(&d->s->env, name))
				continue;
			kv = xasprintf("%s=%s", name, v);
			disp_env_append(sp, kv);
			free(kv);
		}
	}
}

/* Exec-form words as a JSON array. */
static struct sv *disp_words_sv(struct spec *sp, const struct instr *in)
{
	struct sv *a = sv_arr(sp);

	for (size_t i = 0; i < in->nargs; i++)
		sv_push(a, sv_str(sp, in->args[i]));
	return a;
}

/* Shell form: the stage's SHELL words and the text. */
static struct sv *disp_shell_argv(struct disp *d, struct spec *sp, const char *text)
{
	struct sv *a = sv_json(sp, config_shell(&d->s->cfg));

	sv_push(a, sv_str(sp, text));
	return a;
}

/* A lone heredoc is the script; one starting with #! runs as a file. */
static struct sv *disp_run_argv(struct disp *d, const struct instr *in, struct spec *sp)
{
	const char *text = in->nargs ? in->args[0] : "";
	struct buf b = {0};
	const struct heredoc *h = in->nheredocs ? &in->heredocs[0] : NULL;
	struct sv *argv;

	if (in->json)
		return disp_words_sv(sp, in);
	if (!h)
		return disp_shell_argv(d, sp, text);
	if (in->nheredocs == 1 && strspn(text, "<-0123456789\"'") > 1 && strstr(text, h->name) &&
	    strlen(text) <= strlen(h->name) + 6 && !strchr(text, ' ')) {
		if (startswith(h->content, "#!")) {
			char *p = xasprintf("/dev/pipes/%s", h->name);
			struct sv *doc = sv_obj(sp);
			sv_set_str(sp, doc, "path", p);
			sv_set_str(sp, doc, "content", h->content);
			sv_set(doc, "mode", sv_int(sp, 0755));
			sv_push(sv_set(spec_root(sp), "heredocs", sv_arr(sp)), doc);
			argv = sv_arr(sp);
			sv_push(argv, sv_str(sp, p));
			free(p);
			return argv;
		}
		return disp_shell_argv(d, sp, h->content);
	}
	/* other forms: the shell reads the heredocs itself */
	buf_adds(&b, text);
	for (size_t i = 0; i < in->nheredocs; i++)
		buf_printf(&b, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
	argv = disp_shell_argv(d, sp, b.s);
	buf_free(&b);
	return argv;
}

/* "1g", "64m", "512k", "1024" -> bytes */
static long long disp_size(const char *s, const struct instr *in)
{
	char *end;
	double v = strtod(s, &end);
	long long mul = 1;

	switch (*end | 0x20) {
	case 'k':
		mul = 1LL << 10;
		end++;
		break;
	case 'm':
		mul = 1LL << 20;
		end++;
		break;
	case 'g':
		mul = 1LL << 30;
		end++;
		break;
	case 't':
		mul = 1LL << 40;
		end++;
		break;
	default:
		break;
	}
	if ((*end | 0x20) == 'b')
		end++;
	if (end == s || *end || v < 0)
		loc_fatal(&in->loc, "invalid tmpfs size: %s", s);
	return (long long)(v * (double)mul);
}

static const struct cli_secret *disp_secret(const struct disp *d, const char *id)
{
	for (size_t i = 0; i < d->g->cli->nsecrets; i++)
		if (strcmp(d->g->cli->secrets[i].id, id) == 0)
			return &d->g->cli->secrets[i];
	return NULL;
}

/* "src": the file's path, or {"env": VAR} for a secret the runtime takes
 * from its environment (the variable make runs with); never the value. */
static void disp_secret_src(struct spec *sp, struct sv *m, const struct cli_secret *sec)
{
	if (sec->env)
		sv_set_str(sp, sv_set(m, "src", sv_obj(sp)), "env", sec->env);
	else
		sv_set_str(sp, m, "src", sec->src);
}

static void disp_mount_ids(struct spec *sp, struct sv *m, const struct mount *mt)
{
	if (mt->mode >= 0)
		sv_set(m, "mode", sv_int(sp, mt->mode));
	if (mt->uid >= 0)
		sv_set(m, "uid", sv_int(sp, mt->uid));
	if (mt->gid >= 0)
		sv_set(m, "gid", sv_int(sp, mt->gid));
}

static char *disp_opt(struct disp *d, const char *v, char **vars, const struct instr *in)
{
	return v ? disp_expand(d, v, vars, in) : NULL;
}

static void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in);

/* The spec of the sum step of a RUN with a context bind mount: it reads
 * like a COPY of the mounted sources. */
static struct spec *disp_bind_sum_spec(struct disp *d, struct step *st)
{
	struct spec *sp = spec_new();
	struct sv *o = spec_root(sp);

	sv_set_str(sp, o, "title", st->title);
	sv_set_str(sp, o, "loc", st->loc);
	sv_set_str(sp, o, "parent", d->cur ? d->cur->key : NULL);
	sv_set_str(sp, o, "op", "copy");
	sv_set_str(sp, o, "context", d->g->cli->context);
	sv_set_str(sp, o, "ignore", d->g->ignore_path);
	sv_set(o, "srcs", sv_arr(sp));
	sv_set(o, "heredocs", sv_arr(sp));
	sv_set_str(sp, o, "dest", "/");
	sv_set_str(sp, o, "workdir", config_workdir(&d->s->cfg));
	sv_set_str(sp, o, "user", config_user(&d->s->cfg));
	sv_set(o, "chown", sv_null(sp));
	sv_set(o, "chmod", sv_null(sp));
	sv_set(o, "link", sv_bool(sp, 0));
	sv_set(o, "parents", sv_bool(sp, 0));
	sv_set(o, "excludes", sv_arr(sp));
	return sp;
}

/* A bind mount of the context: its content is an input of the RUN, like
 * a COPY's (BuildKit keys on it), so the RUN gets a sum step whose spec
 * reads like a COPY of the mounted sources. */
static void disp_bind_context(struct disp *d, struct step *st, const char *src,
			      const struct instr *in)
{
	if (!st->sum_spec)
		st->sum_spec = disp_bind_sum_spec(d, st);
	sv_push(sv_get(spec_root(st->sum_spec), "srcs"), sv_str(st->sum_spec, src));
	st->sum = 1;
	disp_inputs(d, st, src, in);
}

/* A mount's expanded words. */
struct mnt {
	char *target, *id, *source;
};

/* A secret: id defaults to the target's name, the target to
 * /run/secrets/ID; only the host path of the file goes in. 0 = leave the
 * mount out (BuildKit skips a missing optional secret). */
static int disp_mount_secret(struct disp *d, struct spec *sp, struct sv *m, const struct mount *mt,
			     struct mnt *w, char **vars, const struct instr *in)
{
	const struct cli_secret *sec;

	if (!w->id)
		w->id = xstrdup(w->target ? strrchr(w->target, '/') + 1 : "");
	/* With env= and no target= the secret is only the variable: no file. */
	if (!w->target && !mt->env)
		w->target = xasprintf("/run/secrets/%s", w->id);
	sec = disp_secret(d, w->id);
	if (!sec && mt->required)
		loc_fatal(&mt->loc, "secret %s: not provided (use --secret id=%s,src=FILE)", w->id,
			  w->id);
	if (!sec)
		return 0;
	disp_secret_src(sp, m, sec);
	if (mt->env) {
		char *e = disp_expand(d, mt->env, vars, in);
		sv_set_str(sp, m, "env", e);
		free(e);
	}
	sv_set(m, "required", sv_bool(sp, mt->required));
	return 1;
}

/* An ssh mount gets an agent only when --ssh granted its id: then the
 * spec names the make variable that carries the socket path to the
 * runtime (build.mk never holds the $SSH_AUTH_SOCK df2make ran with).
 * 0 = leave the mount out (not granted, not required: BuildKit skips it). */
static int disp_mount_ssh(struct disp *d, struct spec *sp, struct sv *m, const struct mount *mt,
			  struct mnt *w, const struct instr *in)
{
	char *var;
	size_t nth = 0;

	/* BuildKit's default target: ssh_agent.N, N counting the RUN's ssh
	 * mounts (granted or not) */
	for (const struct mount *p = in->mounts; p < mt; p++)
		nth += p->type == MOUNT_SSH;
	if (!w->id)
		w->id = xstrdup("default");
	if (!w->target)
		w->target = xasprintf("/run/buildkit/ssh_agent.%zu", nth);
	ent_check_ssh(&d->g->cli->ent, mt, w->id);
	if (!ent_ssh_find(&d->g->cli->ent, w->id))
		return 0;
	var = ent_ssh_var(w->id);
	sv_set_str(sp, m, "agent", var);
	free(var);
	sv_set(m, "required", sv_bool(sp, mt->required));
	return 1;
}

/* bind and cache: what is mounted, from the context, a stage or an image. */
static void disp_mount_from(struct disp *d, struct step *st, struct sv *m, const struct mount *mt,
			    struct mnt *w, const struct instr *in)
{
	struct spec *sp = st->spec;

	if (w->source)
		sv_set_str(sp, m, "source", w->source);
	if (mt->from) {
		sv_set(m, "from", disp_from_ref(d, st, mt->from, in));
	} else if (mt->type == MOUNT_BIND) {
		struct sv *from = sv_set(m, "from", sv_obj(sp));
		sv_set_str(sp, from, "context", d->g->cli->context);
		disp_bind_context(d, st, w->source ? w->source : ".", in);
	}
	if (mt->type == MOUNT_BIND)
		sv_set(m, "rw", sv_bool(sp, !mt->readonly));
}

static void disp_mount_opts(struct spec *sp, struct sv *m, const struct mount *mt, struct mnt *w,
			    const struct instr *in)
{
	static const char *const sharing[] = {"shared", "private", "locked"};

	if (mt->type == MOUNT_CACHE) {
		sv_set_str(sp, m, "id", w->id);
		sv_set_str(sp, m, "sharing", sharing[mt->sharing]);
		sv_set(m, "ro", sv_bool(sp, mt->readonly));
	} else if (w->id && mt->type != MOUNT_BIND && mt->type != MOUNT_TMPFS) {
		sv_set_str(sp, m, "id", w->id);
	}
	if (mt->type == MOUNT_TMPFS && mt->size)
		sv_set(m, "size", sv_int(sp, disp_size(mt->size, in)));
	if (mt->type == MOUNT_CACHE || mt->type == MOUNT_SECRET || mt->type == MOUNT_SSH)
		disp_mount_ids(sp, m, mt);
}

/* The mount point: relative to WORKDIR, which is also where a bind, cache
 * or tmpfs mount without target= goes (BuildKit joins "/", the WORKDIR
 * and the target as written); the root itself cannot be covered. */
static void disp_mount_target(const struct disp *d, struct mnt *w, const struct mount *mt)
{
	char *abs = disp_abs(d, w->target ? w->target : "");

	if (strcmp(abs, "/") == 0)
		loc_fatal(&mt->loc, "invalid mount target \"/\"");
	free(w->target);
	w->target = abs;
}

/* One --mount as the runtime's JSON (values expanded, a relative target
 * joined to WORKDIR), or NULL to leave it out. Host paths of secrets and
 * ssh come last (build.mk has always had them there). */
static struct sv *disp_mount(struct disp *d, struct step *st, const struct mount *mt, char **vars,
			     const struct instr *in)
{
	static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
	struct spec *sp = st->spec;
	struct sv *m = sv_obj(sp);
	struct mnt w = {disp_opt(d, mt->target, vars, in), disp_opt(d, mt->id, vars, in),
			disp_opt(d, mt->source, vars, in)};

	sv_set_str(sp, m, "type", types[mt->type]);
	if (mt->type == MOUNT_CACHE && !w.id)
		w.id = path_clean(w.target ? w.target : "");
	if (w.target || mt->type == MOUNT_BIND || mt->type == MOUNT_CACHE ||
	    mt->type == MOUNT_TMPFS)
		disp_mount_target(d, &w, mt);
	if (mt->type == MOUNT_SECRET && !disp_mount_secret(d, sp, m, mt, &w, vars, in)) {
		m = NULL;
		goto out;
	}
	if (mt->type == MOUNT_SSH && !disp_mount_ssh(d, sp, m, mt, &w, in)) {
		m = NULL;
		goto out;
	}
	if (!w.target && mt->type != MOUNT_SECRET)
		loc_fatal(&mt->loc, "mount target is required");
	if (w.target)
		sv_set_str(sp, m, "target", w.target);
	if (mt->type == MOUNT_BIND || mt->type == MOUNT_CACHE)
		disp_mount_from(d, st, m, mt, &w, in);
	disp_mount_opts(sp, m, mt, &w, in);
	sv_move_last(m, "agent");
	sv_move_last(m, "src");
out:
	free(w.target), free(w.id), free(w.source);
	return m;
}

/* "RUN |2 A=1 B=2 sh -c x # buildkit": the ARGs with a value, then argv. */
static void disp_run_history(struct disp *d, const struct sv *argv, struct buf *h)
{
	size_t n = 0;

	buf_adds(h, "RUN ");
	for (size_t i = 0; i < d->s->args.n; i++)
		n += d->s->args.v[i].value != NULL;
	if (n) {
		buf_printf(h, "|%zu", n);
		for (size_t i = 0; i < d->s->args.n; i++) {
			const struct var *v = &d->s->args.v[i];
			if (!v->value)
				continue;
			char *kv = args_kv(v->name, v->value);
			buf_printf(h, " %s", kv);
			free(kv);
		}
		buf_addc(h, ' ');
	}
	for (const struct sv *x = argv->u.kids.first; x; x = x->next) {
		if (x != argv->u.kids.first)
			buf_addc(h, ' ');
		buf_adds(h, x->type == SV_STR ? x->u.str.s : "(null)");
	}
	buf_adds(h, " # buildkit");
}

/* --network=host and --security=insecure need --allow; the spec says
 * which grants the step uses, so the runtime never widens on its own. */
static void disp_run_grants(struct disp *d, struct spec *sp, const struct instr *in)
{
	struct strlist used = {0};
	struct sv *a;

	ent_check_run(&d->g->cli->ent, in, &used);
	if (used.n) {
		a = sv_set(spec_root(sp), "entitlements", sv_arr(sp));
		for (size_t i = 0; i < used.n; i++)
			sv_push(a, sv_str(sp, used.v[i]));
	}
	strlist_free(&used);
}

/* --memory, --pids-limit and --ulimit as the RUN's "limits", only when
 * given: other specs stay as they were, and key.c leaves limits out of
 * the key (they bound the step, they do not change what it makes). */
static void disp_run_limits(struct disp *d, struct spec *sp, struct sv *o)
{
	const struct cli *c = d->g->cli;
	struct sv *l, *a, *u;
	struct ulimit ul;
	char err[256];

	if (!c->memory && !c->pids_limit && !c->ulimits.n)
		return;
	l = sv_set(o, "limits", sv_obj(sp));
	if (c->memory)
		sv_set(l, "memory", sv_int(sp, c->memory));
	if (c->pids_limit)
		sv_set(l, "pids", sv_int(sp, c->pids_limit));
	if (!c->ulimits.n)
		return;
	a = sv_set(l, "ulimits", sv_arr(sp));
	for (size_t i = 0; i < c->ulimits.n; i++) {
		if (ulimit_parse(c->ulimits.v[i], &ul, err, sizeof(err)) < 0)
			continue; /* cli.c refused it already */
		u = sv_push(a, sv_obj(sp));
		sv_set_str(sp, u, "name", ul.name);
		sv_set(u, "soft", sv_int(sp, ul.soft));
		sv_set(u, "hard", sv_int(sp, ul.hard));
	}
}

static void disp_run(struct disp *d, const struct instr *in)
{
	struct step *st = disp_new(d, STEP_RUN, in);
	struct spec *sp = st->spec;
	struct sv *o = spec_root(sp), *mounts, *argv, *m;
	char **vars = disp_env(d);
	struct buf hist = {0};
	const struct var *host = args_find(&d->s->args, "BUILDKIT_SANDBOX_HOSTNAME");

	argv = sv_set(o, "args", disp_run_argv(d, in, sp));
	sv_set(o, "env", disp_run_env(d, sp));
	sv_set_str(sp, o, "user", config_user(&d->s->cfg));
	sv_set_str(sp, o, "workdir", config_workdir(&d->s->cfg));
	sv_set_str(sp, o, "network", in->network ? in->network : "default");
	sv_set_str(sp, o, "security", in->security ? in->security : "sandbox");
	disp_run_grants(d, sp, in);
	sv_set_str(sp, o, "hostname", host && host->value ? host->value : "buildkitsandbox");
	disp_run_limits(d, sp, o);
	step_set_platform(d->g, sp, o, &d->s->plat);
	mounts = sv_arr(sp);
	for (size_t i = 0; i < in->nmounts; i++)
		if ((m = disp_mount(d, st, &in->mounts[i], vars, in)))
			sv_push(mounts, m);
	sv_set(o, "mounts", mounts);
	if (config_keeps_history(&d->s->cfg)) /* argv goes with the spec */
		disp_run_history(d, argv, &hist);
	struct step *kept = disp_commit(d, st);
	if (kept == st) /* an identical step got them already */
		disp_proxies(d, sp);
	disp_done(d->g, st, kept);
	if (hist.s)
		config_history(&d->s->cfg, hist.s, kept->key);
	buf_free(&hist);
}

static int disp_is_remote(const char *src)
{
	return startswith(src, "http://") || startswith(src, "https://") ||
	       startswith(src, "git@") || startswith(src, "git://") || endswith(src, ".git");
}

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

/* Resolves a cleaned context source into out (see disp_inputs). */
static void disp_resolve(struct disp *d, const char *clean, struct strlist *out,
			 const struct instr *in)
{
	struct error e = {0};
	struct strlist m = {0};
	const char *ctx = d->g->cli->context;

	if (ctx_resolve(ctx, d->g->ignore, clean, &m, &e) < 0)
		loc_fatal(&in->loc, "%s", e.msg);
	if (disp_has_glob(clean)) {
		char *dir = disp_dirname(clean);
		if (!disp_has_glob(dir))
			strlist_add(out, dir);
		free(dir);
		for (size_t i = 0; i < m.n; i++)
			strlist_take(out, disp_dirname(m.v[i]));
	}
	for (size_t i = 0; i < m.n; i++)
		if (ctx_walk(ctx, d->g->ignore, m.v[i], disp_walk_cb, out, &e) < 0)
			loc_fatal(&in->loc, "%s", e.msg);
	strlist_free(&m);
}

static void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in)
{
	char *clean = ctx_clean_source(src);
	int found;
	struct input_memo *m = memo_get(d->g, clean, &found);

	if (!found)
		disp_resolve(d, clean, &m->inputs, in);
	for (size_t i = 0; i < m->inputs.n; i++)
		strlist_add(&st->inputs, m->inputs.v[i]);
	free(clean);
}

static void disp_copy_flags(struct disp *d, struct step *st, const struct instr *in, char **vars)
{
	struct spec *sp = st->spec;
	struct sv *o = spec_root(sp), *ex = sv_arr(sp);
	char *v;

	v = disp_opt(d, in->chown, vars, in);
	sv_set_str(sp, o, "chown", v);
	free(v);
	v = disp_opt(d, in->chmod, vars, in);
	sv_set_str(sp, o, "chmod", v);
	free(v);
	sv_set(o, "link", sv_bool(sp, in->link));
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
			   struct buf *hist)
{
	struct spec *sp = st->spec;
	struct sv *srcs = sv_arr(sp), *docs = sv_arr(sp), *doc;

	for (size_t i = 0; i < in->nheredocs; i++) {
		const struct heredoc *h = &in->heredocs[i];
		char *c = h->expand ? disp_expand_body(d, h->content ? h->content : "", vars, in)
				    : xstrdup(h->content ? h->content : "");
		doc = sv_push(docs, sv_obj(sp));
		sv_set_str(sp, doc, "name", h->name);
		sv_set_str(sp, doc, "content", c);
		buf_printf(hist, " <<%s", h->name);
		free(c);
	}
	for (size_t i = 0; i + 1 < in->nargs; i++) {
		char *s = disp_expand(d, in->args[i], vars, in);
		sv_push(srcs, sv_str(sp, s));
		buf_printf(hist, " %s", s);
		if (!in->from && !(in->kind == I_ADD && disp_is_remote(s))) {
			st->sum = 1;
			disp_inputs(d, st, s, in);
		}
		free(s);
	}
	sv_set(spec_root(sp), "srcs", srcs);
	sv_set(spec_root(sp), "heredocs", docs);
}

static void disp_copy(struct disp *d, const struct instr *in)
{
	struct step *st = disp_new(d, in->kind == I_ADD ? STEP_ADD : STEP_COPY, in);
	char **vars = disp_env(d), *dest;
	struct buf hist = {0};
	struct sv *o = spec_root(st->spec);

	if (in->nargs < 1 || in->nargs + in->nheredocs < 2)
		loc_fatal(&in->loc, "%s requires at least two arguments", instr_name(in->kind));
	sv_set_str(st->spec, o, "op", in->kind == I_ADD ? "add" : "copy");
	buf_adds(&hist, instr_name(in->kind));
	if (in->from) {
		sv_set(o, "from", disp_from_ref(d, st, in->from, in));
		buf_printf(&hist, " --from=%s", in->from);
	} else {
		sv_set_str(st->spec, o, "context", d->g->cli->context);
		sv_set_str(st->spec, o, "ignore", d->g->ignore_path);
	}
	disp_copy_srcs(d, st, in, vars, &hist);
	dest = disp_expand(d, in->args[in->nargs - 1], vars, in);
	sv_set_str(st->spec, o, "dest", dest);
	sv_set_str(st->spec, o, "workdir", config_workdir(&d->s->cfg));
	sv_set_str(st->spec, o, "user", config_user(&d->s->cfg));
	disp_copy_flags(d, st, in, vars);
	st = disp_done(d->g, st, disp_commit(d, st));
	buf_printf(&hist, " %s # buildkit", dest);
	config_history(&d->s->cfg, hist.s, st->key);
	buf_free(&hist);
	free(dest);
}

static void disp_instr(struct disp *d, const struct instr *in)
{
	switch (in->kind) {
	case I_ENV:
		disp_kvs(d, in, 1);
		break;
	case I_LABEL:
		disp_kvs(d, in, 0);
		break;
	case I_ARG:
		disp_arg(d, in);
		break;
	case I_USER:
		disp_string(d, in, "User");
		break;
	case I_STOPSIGNAL:
		disp_string(d, in, "StopSignal");
		break;
	case I_EXPOSE:
		disp_expose(d, in);
		break;
	case I_VOLUME:
		disp_volume(d, in);
		break;
	case I_CMD:
	case I_ENTRYPOINT:
		disp_cmd(d, in);
		break;
	case I_SHELL:
		disp_shell(d, in);
		break;
	case I_WORKDIR:
		disp_workdir(d, in);
		break;
	case I_RUN:
		disp_run(d, in);
		break;
	case I_COPY:
	case I_ADD:
		disp_copy(d, in);
		break;
	case I_FROM:
		loc_fatal(&in->loc, "ONBUILD FROM is not allowed");
		break;
	default:
		disp_meta(d, in);
		break;
	}
}

void step_dispatch_stage(struct graph *g, struct stage *s)
{
	struct disp d = {.g = g, .s = s, .escape = g->df->escape};

	d.total = (int)s->ninstrs + 1;
	d.n = 1;
	disp_from(&d);
	for (size_t i = 0; i < s->ninstrs; i++) {
		d.n = (int)i + 2;
		disp_instr(&d, s->instrs[i]);
	}
	s->last = d.cur;
	s->flags |= FLAG_DONE;
	buf_free(&d.env_json);
	buf_free(&d.tmp);
	buf_free(&d.loc_base);
	free(d.vars);
	buf_free(&d.vars_text);
}
