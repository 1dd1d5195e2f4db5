/* step_config: the instructions that change only the image config
 * (ENV, ARG, LABEL, EXPOSE, VOLUME, USER, CMD, ENTRYPOINT, SHELL, ...),
 * as BuildKit's dispatch records them in the config and history. */

#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "expand.h"
#include "step_int.h"
#include "strconv.h"

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

void disp_stopsignal(struct disp *d, const struct instr *in)
{
	char *v = disp_expand(d, in->nargs ? in->args[0] : "", disp_env(d), in);
	int ok = d->failed || instr_valid_signal(v);

	/* the parser checked a signal without variables; this one the
	 * expansion made ("" too: BuildKit's ParseSignal refuses it) */
	if (!ok)
		disp_error(d, &in->loc, "invalid signal: %s", v);
	free(v);
	if (ok && !d->failed)
		disp_string(d, in, "StopSignal");
}

/* Adds "PORT/proto" entries for one EXPOSE word (ranges expanded), each
 * also to the history text hist. */
static void disp_port(struct disp *d, json_t *ports, const char *word, const struct instr *in,
		      struct buf *hist)
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
		buf_printf(hist, "%s%s", hist->s[hist->len - 1] == '[' ? "" : " ", k);
		free(k);
	}
	free(w);
}

void disp_expose(struct disp *d, const struct instr *in)
{
	char **vars = disp_env(d);
	json_t *ports = json_object_get(d->s->cfg.cfg, "ExposedPorts");
	struct buf hist = {0};

	if (!json_is_object(ports)) {
		ports = json_object();
		config_set(&d->s->cfg, "ExposedPorts", ports);
	}
	/* "EXPOSE [80/tcp 53/udp]": this instruction's ports in the order of
	 * its (sorted) words, as current BuildKit (convert_expose.go); Docker
	 * 20.10 printed the Go map of them ("map[53/udp:{} 80/tcp:{}]") */
	buf_adds(&hist, "EXPOSE [");
	for (size_t i = 0; i < in->nargs; i++) {
		/* a word can expand to several ports, or none (ProcessWords) */
		struct expand_env env = expand_env_kv(vars);
		struct expand_error xe = {0};
		char **ws = expand_words(in->args[i], d->escape, &env, &xe);
		if (!ws) {
			disp_error(d, &in->loc, "%s", xe.msg);
			break;
		}
		for (size_t k = 0; ws[k]; k++)
			disp_port(d, ports, ws[k], in, &hist);
		expand_free_words(ws);
	}
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

/* A string list as Go prints it: %q quotes each word (CMD, ENTRYPOINT),
 * %v does not (SHELL, HEALTHCHECK's Test). */
static void disp_hist_list(struct buf *b, json_t *a, int quoted)
{
	json_t *v;
	size_t i;

	buf_addc(b, '[');
	json_array_foreach(a, i, v)
	{
		if (i)
			buf_addc(b, ' ');
		if (quoted)
			strconv_quote_add(b, json_string_value(v), strlen(json_string_value(v)));
		else
			buf_adds(b, json_string_value(v));
	}
	buf_addc(b, ']');
}

void disp_cmd(struct disp *d, const struct instr *in)
{
	struct buf hist = {0};

	config_cmd(&d->s->cfg, in);
	buf_printf(&hist, "%s ", instr_name(in->kind));
	disp_hist_list(&hist,
		       json_object_get(d->s->cfg.cfg, in->kind == I_CMD ? "Cmd" : "Entrypoint"), 1);
	config_history(&d->s->cfg, hist.s, NULL);
	buf_free(&hist);
}

void disp_shell(struct disp *d, const struct instr *in)
{
	struct buf hist = {0};
	json_t *sh = disp_words(in);

	buf_adds(&hist, "SHELL ");
	disp_hist_list(&hist, sh, 0);
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

/* A duration in ns as Go's time.Duration.String: "0s", "1.5s", "1m30s",
 * "1h0m0s", "250ms", "3µs", "9ns" (HEALTHCHECK's history shows them so). */
static void go_duration(struct buf *b, long long ns)
{
	unsigned long long u = ns < 0 ? 0ULL - (unsigned long long)ns : (unsigned long long)ns;
	static const char *const units[] = {"ns", "\xc2\xb5s", "ms"}; /* U+00B5, as Go */
	unsigned long long scale = 1000000000ULL, s;
	int prec = 9, unit = -1;

	if (ns < 0)
		buf_addc(b, '-');
	if (u == 0) {
		buf_adds(b, "0s");
		return;
	}
	if (u < 1000000000ULL) { /* below a second: the largest unit that fits */
		unit = u < 1000 ? 0 : u < 1000000 ? 1 : 2;
		prec = 3 * unit;
		scale = unit == 0 ? 1 : unit == 1 ? 1000 : 1000000;
	}
	s = u / scale;
	if (unit < 0 && s >= 3600)
		buf_printf(b, "%lluh%llum%llu", s / 3600, s / 60 % 60, s % 60);
	else if (unit < 0 && s >= 60)
		buf_printf(b, "%llum%llu", s / 60, s % 60);
	else
		buf_printf(b, "%llu", s);
	if (u % scale) { /* the fraction, without its trailing zeros */
		char frac[16];
		int n = snprintf(frac, sizeof(frac), "%0*llu", prec, u % scale);
		while (n > 0 && frac[n - 1] == '0')
			frac[--n] = '\0';
		buf_printf(b, ".%s", frac);
	}
	buf_adds(b, unit < 0 ? "s" : units[unit]);
}

/* "HEALTHCHECK {Test:[CMD-SHELL x] Interval:7s ... Retries:0}": BuildKit's
 * %+v of the config's HealthcheckConfig. */
static char *disp_healthcheck_history(const json_t *hc)
{
	static const char *const durs[] = {"Interval", "Timeout", "StartPeriod", "StartInterval"};
	struct buf b = {0};

	buf_adds(&b, "HEALTHCHECK {Test:");
	disp_hist_list(&b, json_object_get(hc, "Test"), 0);
	for (size_t i = 0; i < sizeof(durs) / sizeof(durs[0]); i++) {
		buf_printf(&b, " %s:", durs[i]);
		go_duration(&b, json_integer_value(json_object_get(hc, durs[i])));
	}
	buf_printf(&b, " Retries:%lld}",
		   (long long)json_integer_value(json_object_get(hc, "Retries")));
	return b.s;
}

void disp_meta(struct disp *d, const struct instr *in)
{
	char *hist;

	switch (in->kind) {
	case I_HEALTHCHECK:
		config_healthcheck(&d->s->cfg, in);
		hist = disp_healthcheck_history(json_object_get(d->s->cfg.cfg, "Healthcheck"));
		break;
	case I_ONBUILD: /* BuildKit's dispatchOnbuild records no history */
		config_onbuild(&d->s->cfg, disp_rest(in));
		return;
	case I_MAINTAINER:
		free(d->s->cfg.author);
		d->s->cfg.author = xstrdup(in->nargs ? in->args[0] : "");
		hist = xasprintf("%s %s", instr_name(in->kind), disp_rest(in));
		break;
	default:
		return;
	}
	config_history(&d->s->cfg, hist, NULL);
	free(hist);
}
