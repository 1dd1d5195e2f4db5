/* step_run: RUN dispatched into a step: its argv, environment, proxies,
 * mounts (bind, cache, tmpfs, secret, ssh), grants and limits. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fsutil.h"
#include "nctx.h"
#include "ulimit.h"
#include "step_int.h"

/* ---- RUN ---- */

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

/* A lone heredoc is the script; one starting with #! is a file the shell
 * runs. */
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
			/* run by the shell, as BuildKit's dispatchRun prepends it */
			argv = disp_shell_argv(d, sp, p);
			free(p);
			return argv;
		}
		return disp_shell_argv(d, sp, h->content);
	}
	/* other forms: the shell reads the heredocs itself, <<- ones with
	 * their tabs (BuildKit's dispatchRun joins the bodies as written) */
	buf_adds(&b, text);
	for (size_t i = 0; i < in->nheredocs; i++)
		buf_printf(&b, "\n%s%s", in->heredocs[i].raw, in->heredocs[i].name);
	argv = disp_shell_argv(d, sp, b.s);
	buf_free(&b);
	return argv;
}

/* "1g", "64m", "512k", "1024" -> bytes */
static long long disp_size(struct disp *d, const char *s, const struct instr *in)
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
		return disp_error(d, &in->loc, "invalid tmpfs size: %s", s);
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

/* The spec of the sum step of a RUN with a context bind mount: it reads
 * like a COPY of the mounted sources. */
static struct spec *disp_bind_sum_spec(struct disp *d, struct step *st, const struct nctx *c)
{
	struct spec *sp = spec_new();
	struct sv *o = spec_root(sp);

	sv_set_str(sp, o, "title", st->title);
	sv_set_str(sp, o, "loc", st->loc);
	sv_set_str(sp, o, "parent", d->cur ? d->cur->key : NULL);
	sv_set_str(sp, o, "op", "copy");
	if (c) {
		nctx_spec(sp, o, c);
	} else {
		sv_set_str(sp, o, "context", d->g->cli->context);
		sv_set_str(sp, o, "ignore", d->g->ignore_path);
	}
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
			      const struct instr *in, const struct nctx *c)
{
	/* one context per RUN (nctx_check_run): the first bind's */
	struct step_src *x = step_src(st);

	if (!x->sum_spec)
		x->sum_spec = disp_bind_sum_spec(d, st, c);
	sv_push(sv_get(spec_root(x->sum_spec), "srcs"), sv_str(x->sum_spec, src));
	st->sum = 1;
	if (!d->failed) /* a source that did not expand is "": not the whole context */
		disp_inputs(d, st, src, in, c);
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
	if (!sec && mt->required && !step_no_grants(d->g))
		disp_error(d, &mt->loc, "secret %s: not provided (use --secret id=%s,src=FILE)",
			   w->id, w->id); /* left out; the stage stops after this RUN */
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
	struct df_error err;

	/* BuildKit's default target: ssh_agent.N, N counting the RUN's ssh
	 * mounts (granted or not) */
	for (const struct mount *p = in->mounts; p < mt; p++)
		nth += p->type == MOUNT_SSH;
	if (!w->id)
		w->id = xstrdup("default");
	if (!w->target)
		w->target = xasprintf("/run/buildkit/ssh_agent.%zu", nth);
	if (!step_no_grants(d->g) && ent_check_ssh(&d->g->cli->ent, mt, w->id, &err) < 0)
		disp_error(d, &err.loc, "%s", err.msg);
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
	const struct nctx *c = mt->from ? nctx_get(d->g, mt->from) : NULL;

	if (w->source)
		sv_set_str(sp, m, "source", w->source);
	if (c) { /* --build-context NAME=DIR: read like the main context */
		nctx_spec(sp, sv_set(m, "from", sv_obj(sp)), c);
		if (mt->type == MOUNT_BIND)
			disp_bind_context(d, st, w->source ? w->source : ".", in, c);
	} else if (mt->from) {
		sv_set(m, "from", disp_from_ref(d, st, mt->from, in));
	} else if (mt->type == MOUNT_BIND) {
		struct sv *from = sv_set(m, "from", sv_obj(sp));
		sv_set_str(sp, from, "context", d->g->cli->context);
		disp_bind_context(d, st, w->source ? w->source : ".", in, NULL);
	}
	if (mt->type == MOUNT_BIND)
		sv_set(m, "rw", sv_bool(sp, !mt->readonly));
}

static void disp_mount_opts(struct disp *d, struct spec *sp, struct sv *m, const struct mount *mt,
			    struct mnt *w, const struct instr *in)
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
		sv_set(m, "size", sv_int(sp, disp_size(d, mt->size, in)));
	if (mt->type == MOUNT_CACHE || mt->type == MOUNT_SECRET || mt->type == MOUNT_SSH)
		disp_mount_ids(sp, m, mt);
}

/* The mount point: relative to WORKDIR, which is also where a bind, cache
 * or tmpfs mount without target= goes (BuildKit joins "/", the WORKDIR
 * and the target as written); the root itself cannot be covered. */
static void disp_mount_target(struct disp *d, struct mnt *w, const struct mount *mt)
{
	char *abs = disp_abs(d, w->target ? w->target : "");

	if (strcmp(abs, "/") == 0)
		disp_error(d, &mt->loc, "invalid mount target \"/\"");
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
		disp_error(d, &mt->loc, "mount target is required");
	if (w.target)
		sv_set_str(sp, m, "target", w.target);
	if (mt->type == MOUNT_BIND || mt->type == MOUNT_CACHE)
		disp_mount_from(d, st, m, mt, &w, in);
	disp_mount_opts(d, sp, m, mt, &w, in);
	sv_move_last(m, "agent");
	sv_move_last(m, "src");
out:
	free(w.target), free(w.id), free(w.source);
	return m;
}

/* "RUN |2 A=1 B=2 sh -c x # buildkit": every ARG in scope, as the RUN sees
 * it (an ENV of the name wins), "K=" for one without a value (BuildKit's
 * runCommandString: env.Get, else ValueString), then argv. */
static void disp_run_history(struct disp *d, const struct sv *argv, struct buf *h)
{
	buf_adds(h, "RUN ");
	if (d->s->args.n) {
		buf_printf(h, "|%zu", d->s->args.n);
		for (size_t i = 0; i < d->s->args.n; i++) {
			const struct var *v = &d->s->args.v[i], *e = args_find(&d->s->env, v->name);
			const char *val = e && e->value ? e->value : v->value ? v->value : "";
			char *kv = args_kv(v->name, val);
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
	struct df_error err;

	if (!step_no_grants(d->g) && ent_check_run(&d->g->cli->ent, in, &used, &err) < 0)
		disp_error(d, &err.loc, "%s", err.msg);
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

void disp_run(struct disp *d, const struct instr *in)
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
	sv_set_str(sp, o, "network", in->opts && in->opts->network ? in->opts->network : "default");
	sv_set_str(sp, o, "security",
		   in->opts && in->opts->security ? in->opts->security : "sandbox");
	disp_run_grants(d, sp, in);
	sv_set_str(sp, o, "hostname", host && host->value ? host->value : "buildkitsandbox");
	disp_run_limits(d, sp, o);
	bflags_run_spec(&d->g->cli->bf, sp, o,
			in->opts && in->opts->network && strcmp(in->opts->network, "default"));
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
