/* step_config: the instructions that change only the image config
 * (ENV, ARG, LABEL, EXPOSE, VOLUME, USER, CMD, ENTRYPOINT, SHELL, ...),
 * as BuildKit's dispatch records them in the config and history. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "step_int.h"

/* ---- metadata instructions ---- */

/* 1 when a key or value of in names a variable: only '$' expands one */
static int kvs_use_vars(const struct instr *in)
{
	for (size_t i = 0; i < in->nkvs; i++)
		if (strchr(in->kvs[i].key, '$') ||
		    (in->kvs[i].value && strchr(in->kvs[i].value, '$')))
			return 1;
	return 0;
}

void disp_kvs(struct disp *d, const struct instr *in, int env)
{
	static char *none[] = {NULL};
	/* the state env's "K=V" vector only when a value reads it: a file of
	 * ENV lines without references then never copies its variables */
	char **vars = kvs_use_vars(in) ? disp_env(d) : none;
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
		char *v = disp_expand(d, in->kvs[i].value ? in->kvs[i].value : "", vars, in);
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
	/* "ENV K=v" as written: the instruction's text (the graph's records
	 * are freed before the Dockerfile's) */
	if (in->original && !strcmp(hist.s, in->original))
		config_history_ref(&d->s->cfg, in->original, NULL);
	else
		config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

void disp_arg(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	struct buf hist = {0};
	struct df_error err;

	if (args_stage(&d->s->args, &d->g->globals, in, d->g->cli, d->escape, vars, &err) < 0)
		disp_error(d, &err.loc, "%s", err.msg);
	buf_adds(&hist, "ARG");
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct var *v = args_find(&d->s->args, in->kvs[i].key);
		const struct var *gv = args_find(&d->g->globals, in->kvs[i].key);
		/* this ARG set a value: it now shadows an ENV set before it */
		if (v && v->value &&
		    (in->kvs[i].value || cli_build_arg(d->g->cli, v->name) || (gv && gv->value))) {
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
void disp_string(struct disp *d, const struct instr *in, const char *field)
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
static void disp_port(struct disp *d, json_t *ports, const char *word, const struct instr *in)
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
	/* 0 is a port for BuildKit (parsePortNumber: 0-65535), as for docker */
	if (*dash || dash == w || lo < 0 || hi < lo || hi > 65535) {
		disp_error(d, &in->loc, "invalid containerPort: %s", word);
		free(w);
		return;
	}
	for (long p = lo; p <= hi; p++) {
		char *k = xasprintf("%ld/%s", p, proto && *proto ? strlower(proto) : "tcp");
		json_object_set_new(ports, k, json_object());
		free(k);
	}
	free(w);
}

void disp_expose(struct disp *d, const struct instr *in)
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
			disp_port(d, ports, w, in);
		free(w);
	}
	buf_adds(&hist, "EXPOSE map[");
	json_object_foreach(ports, k, v)
	    buf_printf(&hist, "%s%s:{}", hist.s[hist.len - 1] == '[' ? "" : " ", k);
	buf_adds(&hist, "]");
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

void disp_volume(struct disp *d, const struct instr *in)
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
		if (!*w) {
			disp_error(d, &in->loc, "VOLUME specified can not be an empty string");
			free(w);
			break;
		}
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

void disp_cmd(struct disp *d, const struct instr *in)
{
	struct buf hist = {0};

	config_cmd(&d->s->cfg, in);
	buf_printf(&hist, "%s ", instr_name(in->kind));
	disp_hist_list(&hist,
		       json_object_get(d->s->cfg.cfg, in->kind == I_CMD ? "Cmd" : "Entrypoint"));
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

void disp_shell(struct disp *d, const struct instr *in)
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

void disp_meta(struct disp *d, const struct instr *in)
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
