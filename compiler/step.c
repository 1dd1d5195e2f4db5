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
#include "step.h"
#include "store.h"

/* Dispatch state of one stage. */
struct disp {
	struct graph *g;
	struct stage *s;
	struct step *cur; /* the stage's current filesystem state */
	int n, total;	  /* instruction number and count, for titles */
	char escape;
	/* The last RUN's env, shared by the next RUNs while the variables
	 * stay the same (most do): one JSON array, serialised once. */
	struct buf env_sig; /* its "K=V\0" strings */
	json_t *env;
	/* The expansion environment, rebuilt only after ENV or ARG change
	 * it: building it for every instruction showed in profiles. */
	char **vars;
	int vars_stale;
};

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The expansion environment: Env and ARG values, the later set winning
 * (an ENV shadows an earlier ARG, a later ARG shadows an ENV). */
static char **disp_env(struct disp *d)
{
	size_t n = 0;

	if (d->vars && !d->vars_stale)
		return d->vars;
	strv_free(d->vars);
	d->vars = xcalloc(1, sizeof(*d->vars));
	d->vars_stale = 0;
	args_to_vec(&d->s->env, &d->vars, &n);
	return d->vars;
}

static char *disp_expand(const struct disp *d, const char *word, char **env, const struct instr *in)
{
	return args_expand(word, d->escape, env, in);
}

/* "Dockerfile:12" for the runtime's error messages. */
static char *disp_loc(const struct instr *in)
{
	char *p = xstrdup(in->loc.file ? in->loc.file : "Dockerfile");
	char *r = xasprintf("%s:%d", basename(p), in->loc.line);

	free(p);
	return r;
}

/* "[builder 2/5] RUN go build" (first line of the instruction). */
static char *disp_title(const struct disp *d, const struct instr *in)
{
	const char *text = in->original ? in->original : instr_name(in->kind);
	size_t len = strcspn(text, "\n");

	return xasprintf("[%s %d/%d] %.*s", d->s->label, d->n, d->total, (int)len, text);
}

static struct step *disp_new(struct disp *d, enum step_kind kind, const struct instr *in)
{
	struct step *st = xcalloc(1, sizeof(*st));
	char *title = disp_title(d, in), *loc = disp_loc(in);

	st->kind = kind;
	st->in = in;
	st->stage = d->s;
	st->parent = d->cur;
	st->spec = json_pack("{ss ss so}", "title", title, "loc", loc, "parent",
			     d->cur ? json_string(d->cur->key) : json_null());
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

/* Keys the step, records it and makes it the stage's current state;
 * returns the step kept (an identical earlier one replaces st). */
static struct step *disp_commit(struct disp *d, struct step *st)
{
	key_step(st);
	st = graph_add_step(d->g, st);
	if (d->s->nsteps == d->s->stepcap) {
		d->s->stepcap = d->s->stepcap ? d->s->stepcap * 2 : 16;
		d->s->steps = xreallocarray(d->s->steps, d->s->stepcap, sizeof(*d->s->steps));
	}
	d->s->steps[d->s->nsteps++] = st;
	d->cur = st;
	return st;
}

struct step *step_base(struct graph *g, struct stage *s, const char *image, const char *manifest,
		       const struct instr *in)
{
	struct step *st = xcalloc(1, sizeof(*st));
	char *loc = disp_loc(in), *title;

	st->kind = STEP_BASE;
	st->in = in;
	st->stage = s;
	if (image) {
		st->image = xstrdup(image);
		st->manifest = manifest ? xstrdup(manifest) : NULL;
		st->ref = store_ref_path(g->cli->store, image);
		title = s ? xasprintf("[%s 1/%zu] FROM %s", s->label, s->ninstrs + 1, image)
			  : xasprintf("[internal] load metadata for %s", image);
		st->spec = json_pack("{ss ss ss}", "title", title, "loc", loc, "image", image);
	} else {
		title = xasprintf("[%s 1/%zu] FROM scratch", s->label, s->ninstrs + 1);
		st->spec = json_pack("{ss ss sb}", "title", title, "loc", loc, "scratch", 1);
	}
	st->title = title;
	st->loc = loc;
	key_step(st);
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
	json_t *labels = json_object_get(d->s->cfg.cfg, "Labels");

	buf_adds(&hist, env ? "ENV" : "LABEL");
	if (!env && !json_is_object(labels)) {
		labels = json_object();
		config_set(&d->s->cfg, "Labels", labels);
	}
	/* all values see the variables as they were before this line */
	for (size_t i = 0; i < in->nkvs; i++) {
		char *k = disp_expand(d, in->kvs[i].key, vars, in);
		char *v = disp_expand(d, in->kvs[i].has_value ? in->kvs[i].value : "", vars, in);
		if (env) {
			config_env_set(&d->s->cfg, k, v);
			args_set(&d->s->env, k, v);
			d->vars_stale = 1; /* vars stays valid until the next disp_env */
		} else
			json_object_set_new(labels, k, json_string(v));
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
			args_set(&d->s->env, v->name, v->value);
			d->vars_stale = 1;
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
	if (strchr(w, ':')) {
		loc_warn(&in->loc, "EXPOSE %s: an IP or host port is ignored", word);
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

static void disp_workdir(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	char *w = disp_expand(d, in->nargs ? in->args[0] : "", vars, in), *path, *hist;
	struct step *st;

	if (!*w)
		loc_fatal(&in->loc, "WORKDIR requires exactly one argument");
	path = disp_abs(d, w);
	config_set(&d->s->cfg, "WorkingDir", json_string(path));
	st = disp_new(d, STEP_WORKDIR, in);
	json_object_set_new(st->spec, "path", json_string(path));
	json_object_set_new(st->spec, "user", json_string(config_user(&d->s->cfg)));
	st = disp_done(d->g, st, disp_commit(d, st));
	hist = xasprintf("WORKDIR %s", path);
	config_history(&d->s->cfg, hist, st->key);
	free(hist);
	free(path);
	free(w);
}

/* The step a --from / mount from= names: a stage's result or an image. */
static json_t *disp_from_ref(struct disp *d, struct step *st, const char *from,
			     const struct instr *in)
{
	struct stage *src = graph_stage_ref(d->g, from);
	struct step *dep;

	if (src && src->index < d->s->index) {
		disp_add_dep(st, src->last);
		return json_pack("{ss}", "step", src->last->key);
	}
	dep = graph_image_step(d->g, from, in);
	disp_add_dep(st, dep);
	return json_pack("{ss ss}", "image", dep->image, "step", dep->key);
}

/* RUN: env = image Env + ARGs in scope (ENV wins); undeclared proxies are
 * added after keying so they stay out of the cache key (BuildKit). */
/* The stage's variables as "K=V\0" strings. */
static void disp_env_sig(const struct disp *d, struct buf *b)
{
	for (size_t i = 0; i < d->s->env.n; i++) {
		buf_adds(b, d->s->env.v[i].name);
		buf_addc(b, '=');
		buf_addn(b, d->s->env.v[i].value, strlen(d->s->env.v[i].value) + 1);
	}
}

/* The env array of a RUN: the previous one when nothing changed. Never
 * modified afterwards (see disp_proxies), as the JSON writer caches it. */
static json_t *disp_env_json(struct disp *d)
{
	struct buf sig = {0};

	disp_env_sig(d, &sig);
	if (d->env && sig.len == d->env_sig.len && memcmp(sig.s, d->env_sig.s, sig.len) == 0) {
		buf_free(&sig);
		return json_incref(d->env);
	}
	json_decref(d->env);
	d->env = json_array();
	for (size_t i = 0; i < sig.len; i += strlen(sig.s + i) + 1)
		json_array_append_new(d->env, json_string(sig.s + i));
	buf_free(&d->env_sig);
	d->env_sig = sig;
	key_json_cache(d->env);
	return json_incref(d->env);
}

static json_t *disp_run_env(struct disp *d, json_t **hist_args)
{
	json_t *env = disp_env_json(d);

	*hist_args = json_array();
	for (size_t i = 0; i < d->s->args.n; i++) {
		const struct var *v = &d->s->args.v[i];
		char *kv;
		if (!v->value)
			continue;
		kv = args_kv(v->name, v->value);
		json_array_append_new(*hist_args, json_string(kv));
		free(kv);
	}
	return env;
}

static void disp_proxies(struct disp *d, json_t *spec)
{
	const struct strlist *ba = &d->g->cli->build_args;
	json_t *env = NULL;

	for (size_t i = 0; i < ba->n; i++) {
		char *name = xstrndup(ba->v[i], strcspn(ba->v[i], "="));
		if (args_is_proxy(name) && !args_find(&d->s->args, name) &&
		    !args_find(&d->s->env, name)) {
			if (!env) { /* copy on write: the env array is shared */
				env = json_copy(json_object_get(spec, "env"));
				json_object_set_new(spec, "env", env);
			}
			json_array_append_new(env, json_string(ba->v[i]));
		}
		free(name);
	}
}

/* A lone heredoc is the script; one starting with #! runs as a file. */
static json_t *disp_run_argv(struct disp *d, const struct instr *in, json_t *spec)
{
	const char *text = in->nargs ? in->args[0] : "";
	struct buf b = {0};
	const struct heredoc *h = in->nheredocs ? &in->heredocs[0] : NULL;
	json_t *argv;

	if (in->json)
		return disp_words(in);
	if (!h)
		return config_shell_argv(&d->s->cfg, text);
	if (in->nheredocs == 1 && strspn(text, "<-0123456789\"'") > 1 && strstr(text, h->name) &&
	    strlen(text) <= strlen(h->name) + 6 && !strchr(text, ' ')) {
		if (startswith(h->content, "#!")) {
			char *p = xasprintf("/dev/pipes/%s", h->name);
			json_object_set_new(spec, "heredocs",
					    json_pack("[{ss ss si}]", "path", p, "content",
						      h->content, "mode", 0755));
			argv = json_pack("[s]", p);
			free(p);
			return argv;
		}
		return config_shell_argv(&d->s->cfg, h->content);
	}
	/* other forms: the shell reads the heredocs itself */
	buf_adds(&b, text);
	for (size_t i = 0; i < in->nheredocs; i++)
		buf_printf(&b, "\n%s%s", in->heredocs[i].content, in->heredocs[i].name);
	argv = config_shell_argv(&d->s->cfg, b.s);
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

static const char *disp_secret_src(const struct disp *d, const char *id)
{
	for (size_t i = 0; i < d->g->cli->nsecrets; i++)
		if (strcmp(d->g->cli->secrets[i].id, id) == 0)
			return d->g->cli->secrets[i].src;
	return NULL;
}

static void disp_mount_ids(json_t *m, const struct mount *mt)
{
	if (mt->mode >= 0)
		json_object_set_new(m, "mode", json_integer(mt->mode));
	if (mt->uid >= 0)
		json_object_set_new(m, "uid", json_integer(mt->uid));
	if (mt->gid >= 0)
		json_object_set_new(m, "gid", json_integer(mt->gid));
}

static char *disp_opt(struct disp *d, const char *v, char **vars, const struct instr *in)
{
	return v ? disp_expand(d, v, vars, in) : NULL;
}

static void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in);

/* A bind mount of the context: its content is an input of the RUN, like
 * a COPY's (BuildKit keys on it), so the RUN gets a sum step whose spec
 * reads like a COPY of the mounted sources. */
static void disp_bind_context(struct disp *d, struct step *st, const char *src,
			      const struct instr *in)
{
	if (!st->sum_spec)
		st->sum_spec = json_pack(
		    "{ss ss so ss ss so s[] s[] ss ss ss sn sn sb sb s[]}", "title", st->title,
		    "loc", st->loc, "parent", d->cur ? json_string(d->cur->key) : json_null(), "op",
		    "copy", "context", d->g->cli->context, "ignore",
		    d->g->ignore_path ? json_string(d->g->ignore_path) : json_null(), "srcs",
		    "heredocs", "dest", "/", "workdir", config_workdir(&d->s->cfg), "user",
		    config_user(&d->s->cfg), "chown", "chmod", "link", 0, "parents", 0, "excludes");
	json_array_append_new(json_object_get(st->sum_spec, "srcs"), json_string(src));
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
static int disp_mount_secret(struct disp *d, json_t *m, const struct mount *mt, struct mnt *w,
			     char **vars, const struct instr *in)
{
	const char *src;

	if (!w->id)
		w->id = xstrdup(w->target ? strrchr(w->target, '/') + 1 : "");
	if (!w->target)
		w->target = xasprintf("/run/secrets/%s", w->id);
	src = disp_secret_src(d, w->id);
	if (!src && mt->required)
		loc_fatal(&mt->loc, "secret %s: not provided (use --secret id=%s,src=FILE)", w->id,
			  w->id);
	if (!src)
		return 0;
	json_object_set_new(m, "src", json_string(src));
	if (mt->env) {
		char *e = disp_expand(d, mt->env, vars, in);
		json_object_set_new(m, "env", json_string(e));
		free(e);
	}
	json_object_set_new(m, "required", json_boolean(mt->required));
	return 1;
}

static void disp_mount_ssh(json_t *m, const struct mount *mt, struct mnt *w)
{
	const char *sock = getenv("SSH_AUTH_SOCK");

	if (!w->id)
		w->id = xstrdup("default");
	if (!w->target)
		w->target = xstrdup("/run/buildkit/ssh_agent.0");
	json_object_set_new(m, "socket", sock ? json_string(sock) : json_null());
	json_object_set_new(m, "required", json_boolean(mt->required));
}

/* bind and cache: what is mounted, from the context, a stage or an image. */
static void disp_mount_from(struct disp *d, struct step *st, json_t *m, const struct mount *mt,
			    struct mnt *w, const struct instr *in)
{
	if (w->source)
		json_object_set_new(m, "source", json_string(w->source));
	if (mt->from) {
		json_object_set_new(m, "from", disp_from_ref(d, st, mt->from, in));
	} else if (mt->type == MOUNT_BIND) {
		json_object_set_new(m, "from", json_pack("{ss}", "context", d->g->cli->context));
		disp_bind_context(d, st, w->source ? w->source : ".", in);
	}
	if (mt->type == MOUNT_BIND)
		json_object_set_new(m, "rw", json_boolean(!mt->readonly));
}

static void disp_mount_opts(json_t *m, const struct mount *mt, struct mnt *w,
			    const struct instr *in)
{
	static const char *const sharing[] = {"shared", "private", "locked"};

	if (mt->type == MOUNT_CACHE) {
		json_object_set_new(m, "id", json_string(w->id ? w->id : w->target));
		json_object_set_new(m, "sharing", json_string(sharing[mt->sharing]));
		json_object_set_new(m, "ro", json_boolean(mt->readonly));
	} else if (w->id && mt->type != MOUNT_BIND && mt->type != MOUNT_TMPFS) {
		json_object_set_new(m, "id", json_string(w->id));
	}
	if (mt->type == MOUNT_TMPFS && mt->size)
		json_object_set_new(m, "size", json_integer(disp_size(mt->size, in)));
	if (mt->type == MOUNT_CACHE || mt->type == MOUNT_SECRET || mt->type == MOUNT_SSH)
		disp_mount_ids(m, mt);
}

/* Moves field k (if any) to the end of m. Host paths of secrets and ssh
 * have always come last in build.mk (keying used to take them out and put
 * them back); keying no longer touches the spec, so this keeps the files
 * byte-identical. */
static void disp_mount_last(json_t *m, const char *k)
{
	json_t *v = json_incref(json_object_get(m, k));

	if (!v)
		return;
	json_object_del(m, k);
	json_object_set_new(m, k, v);
}

/* One --mount as the runtime's JSON (values expanded, a relative target
 * joined to WORKDIR), or NULL to leave it out. */
static json_t *disp_mount(struct disp *d, struct step *st, const struct mount *mt, char **vars,
			  const struct instr *in)
{
	static const char *const types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};
	json_t *m = json_pack("{ss}", "type", types[mt->type]);
	struct mnt w = {disp_opt(d, mt->target, vars, in), disp_opt(d, mt->id, vars, in),
			disp_opt(d, mt->source, vars, in)};

	if (w.target) {
		char *abs = disp_abs(d, w.target);
		free(w.target);
		w.target = abs;
	}
	if (mt->type == MOUNT_SECRET && !disp_mount_secret(d, m, mt, &w, vars, in)) {
		json_decref(m);
		m = NULL;
		goto out;
	}
	if (mt->type == MOUNT_SSH)
		disp_mount_ssh(m, mt, &w);
	if (!w.target)
		loc_fatal(&mt->loc, "mount target is required");
	json_object_set_new(m, "target", json_string(w.target));
	if (mt->type == MOUNT_BIND || mt->type == MOUNT_CACHE)
		disp_mount_from(d, st, m, mt, &w, in);
	disp_mount_opts(m, mt, &w, in);
	disp_mount_last(m, "socket");
	disp_mount_last(m, "src");
out:
	free(w.target), free(w.id), free(w.source);
	return m;
}

static void disp_run_history(struct disp *d, struct step *st, json_t *argv, json_t *hargs)
{
	struct buf h = {0};
	json_t *v;
	size_t i;

	buf_adds(&h, "RUN ");
	if (json_array_size(hargs)) {
		buf_printf(&h, "|%zu", json_array_size(hargs));
		json_array_foreach(hargs, i, v) buf_printf(&h, " %s", json_string_value(v));
		buf_addc(&h, ' ');
	}
	json_array_foreach(argv, i, v) buf_printf(&h, "%s%s", i ? " " : "", json_string_value(v));
	buf_adds(&h, " # buildkit");
	config_history(&d->s->cfg, h.s, st->key);
	buf_free(&h);
}

static void disp_run(struct disp *d, const struct instr *in)
{
	struct step *st = disp_new(d, STEP_RUN, in);
	char **vars = disp_env(d);
	json_t *hargs, *env = disp_run_env(d, &hargs), *mounts = json_array(), *argv, *m;
	const struct var *host = args_find(&d->s->args, "BUILDKIT_SANDBOX_HOSTNAME");

	argv = disp_run_argv(d, in, st->spec);
	json_object_set_new(st->spec, "args", json_incref(argv));
	json_object_set_new(st->spec, "env", env);
	json_object_set_new(st->spec, "user", json_string(config_user(&d->s->cfg)));
	json_object_set_new(st->spec, "workdir", json_string(config_workdir(&d->s->cfg)));
	json_object_set_new(st->spec, "network",
			    json_string(in->network ? in->network : "default"));
	json_object_set_new(st->spec, "security",
			    json_string(in->security ? in->security : "sandbox"));
	json_object_set_new(st->spec, "hostname",
			    json_string(host && host->value ? host->value : "buildkitsandbox"));
	for (size_t i = 0; i < in->nmounts; i++)
		if ((m = disp_mount(d, st, &in->mounts[i], vars, in)))
			json_array_append_new(mounts, m);
	json_object_set_new(st->spec, "mounts", mounts);
	struct step *kept = disp_commit(d, st);
	if (kept == st) /* an identical step got them already */
		disp_proxies(d, st->spec);
	st = disp_done(d->g, st, kept);
	disp_run_history(d, st, argv, hargs);
	json_decref(argv);
	json_decref(hargs);
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
static void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in)
{
	struct error e = {0};
	struct strlist m = {0};
	char *clean = ctx_clean_source(src);
	const char *ctx = d->g->cli->context;

	if (ctx_resolve(ctx, d->g->ignore, clean, &m, &e) < 0)
		loc_fatal(&in->loc, "%s", e.msg);
	if (disp_has_glob(clean)) {
		char *dir = disp_dirname(clean);
		if (!disp_has_glob(dir))
			strlist_add(&st->inputs, dir);
		free(dir);
		for (size_t i = 0; i < m.n; i++)
			strlist_take(&st->inputs, disp_dirname(m.v[i]));
	}
	for (size_t i = 0; i < m.n; i++)
		if (ctx_walk(ctx, d->g->ignore, m.v[i], disp_walk_cb, &st->inputs, &e) < 0)
			loc_fatal(&in->loc, "%s", e.msg);
	strlist_free(&m);
	free(clean);
}

static void disp_copy_flags(struct disp *d, struct step *st, const struct instr *in, char **vars)
{
	json_t *ex = json_array();
	char *v;

	v = in->chown ? disp_expand(d, in->chown, vars, in) : NULL;
	json_object_set_new(st->spec, "chown", v ? json_string(v) : json_null());
	free(v);
	v = in->chmod ? disp_expand(d, in->chmod, vars, in) : NULL;
	json_object_set_new(st->spec, "chmod", v ? json_string(v) : json_null());
	free(v);
	json_object_set_new(st->spec, "link", json_boolean(in->link));
	json_object_set_new(st->spec, "parents", json_boolean(in->parents));
	for (size_t i = 0; i < in->nexcludes; i++)
		json_array_append_new(ex, json_string(in->excludes[i]));
	json_object_set_new(st->spec, "excludes", ex);
	if (in->kind != I_ADD)
		return;
	json_object_set_new(st->spec, "unpack",
			    in->unpack < 0 ? json_null() : json_boolean(in->unpack));
	v = in->checksum ? disp_expand(d, in->checksum, vars, in) : NULL;
	json_object_set_new(st->spec, "checksum", v ? json_string(v) : json_null());
	free(v);
	if (in->keep_git_dir)
		json_object_set_new(st->spec, "keep_git_dir", json_true());
}

/* Sources: heredocs become named contents, the rest are expanded words;
 * context sources make this a summed step. Returns the history text. */
static void disp_copy_srcs(struct disp *d, struct step *st, const struct instr *in, char **vars,
			   struct buf *hist)
{
	json_t *srcs = json_array(), *docs = json_array();

	for (size_t i = 0; i < in->nheredocs; i++) {
		const struct heredoc *h = &in->heredocs[i];
		char *c = h->expand ? disp_expand_body(d, h->content ? h->content : "", vars, in)
				    : xstrdup(h->content ? h->content : "");
		json_array_append_new(docs, json_pack("{ss ss}", "name", h->name, "content", c));
		buf_printf(hist, " <<%s", h->name);
		free(c);
	}
	for (size_t i = 0; i + 1 < in->nargs; i++) {
		char *s = disp_expand(d, in->args[i], vars, in);
		json_array_append_new(srcs, json_string(s));
		buf_printf(hist, " %s", s);
		if (!in->from && !(in->kind == I_ADD && disp_is_remote(s))) {
			st->sum = 1;
			disp_inputs(d, st, s, in);
		}
		free(s);
	}
	json_object_set_new(st->spec, "srcs", srcs);
	json_object_set_new(st->spec, "heredocs", docs);
}

static void disp_copy(struct disp *d, const struct instr *in)
{
	struct step *st = disp_new(d, in->kind == I_ADD ? STEP_ADD : STEP_COPY, in);
	char **vars = disp_env(d), *dest;
	struct buf hist = {0};

	if (in->nargs < 1 || in->nargs + in->nheredocs < 2)
		loc_fatal(&in->loc, "%s requires at least two arguments", instr_name(in->kind));
	json_object_set_new(st->spec, "op", json_string(in->kind == I_ADD ? "add" : "copy"));
	buf_adds(&hist, instr_name(in->kind));
	if (in->from) {
		json_object_set_new(st->spec, "from", disp_from_ref(d, st, in->from, in));
		buf_printf(&hist, " --from=%s", in->from);
	} else {
		json_object_set_new(st->spec, "context", json_string(d->g->cli->context));
		json_object_set_new(st->spec, "ignore",
				    d->g->ignore_path ? json_string(d->g->ignore_path)
						      : json_null());
	}
	disp_copy_srcs(d, st, in, vars, &hist);
	dest = disp_expand(d, in->args[in->nargs - 1], vars, in);
	json_object_set_new(st->spec, "dest", json_string(dest));
	json_object_set_new(st->spec, "workdir", json_string(config_workdir(&d->s->cfg)));
	json_object_set_new(st->spec, "user", json_string(config_user(&d->s->cfg)));
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
	json_decref(d.env);
	buf_free(&d.env_sig);
	strv_free(d.vars);
}
