/* step: dispatching instructions into config changes and steps (see
 * step.h). */

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "diag.h"
#include "error.h"
#include "fsutil.h"
#include "key.h"
#include "netsrc.h"
#include "store.h"
#include "step_int.h"

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
char **disp_env(struct disp *d)
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
void disp_env_set(struct disp *d, const char *name, const char *value)
{
	size_t n = d->s->env.n;

	args_set(&d->s->env, name, value);
	d->env_gen++;
	if (d->s->env.n == n) /* vars stays valid until the next disp_env */
		d->env_replaced = d->vars_redo = 1;
}

char *disp_expand(struct disp *d, const char *word, char **env, const struct instr *in)
{
	struct df_error err;
	char *r = args_expand(word, d->escape, env, in, &err);

	if (r)
		return r;
	disp_error(d, &err.loc, "%s", err.msg);
	return xstrdup(""); /* the instruction ends as usual, the stage stops after it */
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

/* "Dockerfile:12" into b. */
static void loc_put(struct buf *b, const char *base, int line)
{
	buf_reset(b);
	buf_adds(b, base);
	buf_addc(b, ':');
	disp_put_int(b, line);
}

/* "Dockerfile:12" for the runtime's error messages, in the graph's arena:
 * base is the file's base name, b a buffer to write it in. */
static char *loc_text(struct graph *g, struct buf *b, const char *base, int line)
{
	loc_put(b, base, line);
	return arena_strndup(&g->arena, b->s, b->len);
}

static const char *loc_file(const struct instr *in)
{
	return in->loc.file ? in->loc.file : "Dockerfile";
}

/* The loc of a step into d->tmp: the file's base name is worked out once
 * per file, not per step. */
static void disp_loc(struct disp *d, const struct instr *in)
{
	const char *file = loc_file(in);

	if (file != d->loc_file) {
		char *p = xstrdup(file);
		buf_reset(&d->loc_base);
		buf_adds(&d->loc_base, basename(p));
		free(p);
		d->loc_file = file;
	}
	loc_put(&d->tmp, d->loc_base.s, in->loc.line);
}

/* BuildKit's "[builder 2/5] " (dockerfile2llb's prefixCommand): the
 * stage's name only when the file has several stages, the number padded
 * with blanks to the width of the total ("[ 2/12] "). */
static void title_head(struct buf *b, const struct graph *g, const struct stage *s, long n,
		       long total)
{
	buf_addc(b, '[');
	if (g->nstages > 1) {
		buf_adds(b, s->label);
		buf_addc(b, ' ');
	}
	for (long w = 10; w <= total; w *= 10)
		if (n < w)
			buf_addc(b, ' ');
	disp_put_int(b, n);
	buf_addc(b, '/');
	disp_put_int(b, total);
	buf_addn(b, "] ", 2);
}

/* A step of BuildKit's count: the instructions that make a vertex. */
static int counts_in_title(const struct instr *in)
{
	return in->kind == I_ADD || in->kind == I_COPY || in->kind == I_RUN ||
	       in->kind == I_WORKDIR;
}

/* BuildKit's cmdTotal: the FROM of an image (not scratch, not a stage),
 * the stage's ADD, COPY, RUN and WORKDIR, and every ONBUILD trigger
 * (its number is taken by its RUN, COPY, ADD or WORKDIR only). */
static long step_title_total(const struct stage *s)
{
	long total = !s->base && strcmp(s->image, "scratch") != 0;

	for (size_t i = 0; i < s->ninstrs; i++)
		total += i < s->ntriggers || counts_in_title(s->instrs[i]);
	return total;
}

/* "[builder 2/5] RUN go build" (first line of the instruction) into
 * d->tmp. */
static void disp_title(struct disp *d, const struct instr *in)
{
	const char *text = in->original ? in->original : instr_name(in->kind);
	struct buf *b = &d->tmp;

	buf_reset(b);
	title_head(b, d->g, d->s, d->n, d->total);
	if (d->onbuild) /* current BuildKit's prefixCommand (20.10 had none) */
		buf_adds(b, "ONBUILD ");
	buf_addn(b, text, strcspn(text, "\n"));
	if (in->kind == I_ADD && strstr(b->s, "://")) { /* no URL credentials in titles */
		char *red = netsrc_redact_text(b->s);
		buf_reset(b);
		buf_adds(b, red);
		free(red);
	}
}

/* Sets the spec's field key to text (d->tmp) and returns the text the
 * step keeps: the spec's copy when the step hook is the only reader
 * (build.mk: the spec lives until the hook returns, graph_step_done then
 * forgets it), else a copy in the graph's arena (--plan, --call outline
 * read titles after the graph is made). ~60 bytes a step. */
static char *disp_keep(struct disp *d, struct spec *sp, const char *key)
{
	struct sv *v = sv_set(spec_root(sp), key, sv_strn(sp, d->tmp.s, d->tmp.len));

	if (!graph_hook_only(d->g))
		return arena_strndup(&d->g->arena, d->tmp.s, d->tmp.len);
	return (char *)v->u.str.s;
}

struct step *disp_new(struct disp *d, enum step_kind kind, const struct instr *in)
{
	struct step *st = arena_calloc(&d->g->arena, 1, STEP_SIZE); /* not a base */

	st->kind = kind;
	st->in = in;
	st->stage = d->s;
	st->parent = d->cur;
	/* heap: a spec is dropped as soon as the step is emitted when the
	 * graph keeps none (graph_step_done), which bounds a big file's memory */
	st->spec = spec_new();
	disp_title(d, in);
	st->title = disp_keep(d, st->spec, "title");
	disp_loc(d, in);
	st->loc = disp_keep(d, st->spec, "loc");
	if (kind == STEP_RUN) { /* the lines a failing RUN's report shows */
		struct sv *lines = sv_set(spec_root(st->spec), "lines", sv_arr(st->spec));
		sv_push(lines, sv_int(st->spec, in->loc.line));
		sv_push(lines, sv_int(st->spec, in->loc.end_line));
	}
	sv_set_str(st->spec, spec_root(st->spec), "parent", d->cur ? d->cur->key : NULL);
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
struct step *disp_done(struct graph *g, struct step *st, struct step *kept)
{
	if (kept == st)
		graph_step_done(g, st);
	return kept;
}

int step_no_grants(const struct graph *g)
{
	return g->hooks && g->hooks->no_grants;
}

/* Keys st, or with no_keys gives it a unique placeholder: numbered, its
 * first digits spread for graph_slot's table. */
static void step_key(struct graph *g, struct step *st)
{
	unsigned long long n = g->nsteps + 1;

	if (!g->hooks || !g->hooks->no_keys) {
		/* --no-cache(-filter): a key no earlier build had; the base is
		 * the image itself, not a step BuildKit would rerun */
		if (st->kind != STEP_BASE && bflags_uncached(&g->cli->bf, st->stage->name))
			sv_set_str(st->spec, spec_root(st->spec), "nocache", g->cli->bf.nonce);
		key_step(st);
		return;
	}
	snprintf(st->key, sizeof(st->key), "%016llx%016llx", n * 0x9E3779B97F4A7C15ULL, n);
}

/* Keys the step, records it and makes it the stage's current state;
 * returns the step kept (an identical earlier one replaces st). */
struct step *disp_commit(struct disp *d, struct step *st)
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
void step_set_platform(struct graph *g, struct spec *sp, struct sv *o, const struct platform *p)
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
	buf_reset(&b);

	st->kind = STEP_BASE;
	st->in = in;
	st->stage = s;
	st->spec = spec_new();
	o = spec_root(st->spec);
	if (image) {
		st->image = xstrdup(image);
		st->manifest = manifest ? xstrdup(manifest) : NULL;
		st->ref = s && s->ref ? xstrdup(s->ref) : step_image_ref(g, image);
		if (s) {
			title_head(&b, g, s, 1, step_title_total(s));
			heap = xasprintf("%sFROM %s", b.s, image);
		} else {
			heap = xasprintf("[internal] load metadata for %s", image);
		}
		title = arena_strdup(&g->arena, heap);
		sv_set_str(st->spec, o, "title", title);
		sv_set_str(st->spec, o, "loc", loc);
		sv_set_str(st->spec, o, "image", image);
	} else {
		/* BuildKit makes no vertex of scratch, so it takes no number */
		heap = xstrdup("FROM scratch");
		title = arena_strdup(&g->arena, heap);
		sv_set_str(st->spec, o, "title", title);
		sv_set_str(st->spec, o, "loc", loc);
		sv_set(o, "scratch", sv_bool(st->spec, 1));
	}
	step_set_platform(g, st->spec, o, s ? &s->plat : &g->tplat);
	free(heap);
	buf_free(&b);
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

/* ---- filesystem instructions ---- */

/* A path joined to WORKDIR when relative, cleaned (trailing '/' kept). */
char *disp_abs(const struct disp *d, const char *p)
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

	if (!in->nargs) {
		disp_error(d, &in->loc, "WORKDIR requires exactly one argument");
		free(w);
		return;
	}
	/* a word that expands to nothing keeps the current directory
	 * (BuildKit's NormalizePath: "New workdir is empty") */
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
struct sv *disp_from_ref(struct disp *d, struct step *st, const char *from, const struct instr *in)
{
	struct stage *src = graph_stage_ref(d->g, from);
	struct sv *r = sv_obj(st->spec);
	struct step *dep;
	struct error e = {0};

	if (src && src->index < d->s->index) {
		disp_add_dep(st, src->last);
		sv_set_str(st->spec, r, "step", src->last->key);
		return r;
	}
	if (!(dep = graph_image_step(d->g, from, in, &e))) {
		disp_error(d, &in->loc, "invalid image reference \"%s\": %s", from, e.msg);
		return r;
	}
	disp_add_dep(st, dep);
	sv_set_str(st->spec, r, "image", dep->image);
	sv_set_str(st->spec, r, "step", dep->key);
	return r;
}

char *disp_opt(struct disp *d, const char *v, char **vars, const struct instr *in)
{
	return v ? disp_expand(d, v, vars, in) : NULL;
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
		disp_stopsignal(d, in);
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
		disp_error(d, &in->loc, "ONBUILD FROM is not allowed");
		break;
	default:
		disp_meta(d, in);
		break;
	}
}

int disp_error(struct disp *d, const struct loc *loc, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	if (d->failed++ || d->g->hook_failed) /* the first error only */
		return -1;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	diag_error(d->g->dg, loc, "%s", msg);
	free(msg);
	return -1;
}

int step_dispatch_stage(struct graph *g, struct stage *s)
{
	struct disp d = {.g = g, .s = s, .escape = g->df->escape};

	d.total = (int)step_title_total(s);
	d.n = !s->base && strcmp(s->image, "scratch") != 0;
	disp_from(&d);
	for (size_t i = 0; i < s->ninstrs && !d.failed && !g->hook_failed; i++) {
		d.n += counts_in_title(s->instrs[i]);
		d.onbuild = i < s->ntriggers && !s->dir_base;
		disp_instr(&d, s->instrs[i]);
	}
	s->last = d.cur;
	s->flags |= FLAG_DONE;
	buf_free(&d.env_json);
	buf_free(&d.tmp);
	buf_free(&d.loc_base);
	free(d.vars);
	buf_free(&d.vars_text);
	return d.failed || g->hook_failed ? -1 : 0;
}
