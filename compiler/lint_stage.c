/* lint_stage: the build checks BuildKit's dispatch makes, stage by stage,
 * as it replays ENV, ARG and the other instructions of the stages it builds. */
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "context.h"
#include "error.h"
#include "expand.h"
#include "ignore.h"
#include "ref.h"
#include "store.h"
#include "lint_int.h"

/* ---- dispatch: the stages the build runs ---- */

/* InvalidBaseImagePlatform: the image's OS/architecture against the
 * stage's --platform, else the target platform (validateBaseImagePlatform). */
static void check_base_platform(struct lint *l, const struct lstage *s, json_t *config)
{
	const char *os = json_string_value(json_object_get(config, "os"));
	const char *arch = json_string_value(json_object_get(config, "architecture"));
	char *wos = NULL, *warch = NULL, *got, *want, *qg, *qw;

	if (s->platform)
		lint_platform_split(s->platform, l->arch, &wos, &warch);
	else {
		wos = xstrdup(l->os);
		warch = xstrdup(l->arch);
	}
	if (os && arch && (strcmp(os, wos) || strcmp(arch, warch))) {
		got = xasprintf("%s/%s", os, arch);
		/* platforms.Normalize drops arm64's v8 */
		int var = !s->platform && *l->variant &&
			  !(strcmp(warch, "arm64") == 0 && strcmp(l->variant, "v8") == 0);
		want = var ? xasprintf("%s/%s/%s", wos, warch, l->variant)
			   : xasprintf("%s/%s", wos, warch);
		qg = lint_quote(got);
		qw = lint_quote(want);
		l->cur = l->global;
		lint_report(l, R_INVALID_BASE_PLATFORM, &s->from->loc, s->image, qg, qw);
		free(qg);
		free(qw);
		free(got);
		free(want);
	}
	free(wos);
	free(warch);
}

/* The base image's config from the store: its Env and Shell, and its
 * platform. Unknown images leave env_known 0. */
static void stage_image(struct lint *l, struct lstage *s)
{
	struct store_image img = {0};
	struct error e = {0};
	char *name = ref_normalize(s->image, &e);
	json_t *cfg, *v;
	size_t i;

	if (!name || store_lookup(l->cli->store, name, NULL, &img, &e) < 0) {
		free(name);
		return;
	}
	s->env_known = 1;
	cfg = json_object_get(img.config, "config");
	json_array_foreach(json_object_get(cfg, "Env"), i, v)
	{
		const char *kv = json_string_value(v), *eq = kv ? strchr(kv, '=') : NULL;
		char *k = eq ? xstrndup(kv, (size_t)(eq - kv)) : NULL;
		if (k)
			args_set(&s->env, k, eq + 1);
		free(k);
	}
	s->shell_set = json_array_size(json_object_get(cfg, "Shell")) > 0;
	check_base_platform(l, s, img.config);
	store_image_free(&img);
	free(name);
}

/* The state a stage starts from: its base stage's, scratch, or an image. */
static void stage_init(struct lint *l, struct lstage *s, size_t idx)
{
	s->base = -1;
	for (size_t j = 0; s->image && j < idx; j++)
		if (l->st[j].from->stage_name && !strcasecmp(l->st[j].from->stage_name, s->image))
			s->base = (int)j;
	if (s->base >= 0) {
		struct lstage *b = &l->st[s->base];
		args_copy(&s->env, &b->env);
		for (size_t i = 0; i < b->declared.n; i++)
			strlist_add(&s->declared, b->declared.v[i]);
		s->env_known = b->env_known;
		s->shell_set = b->shell_set;
		s->workdir_set = b->workdir_set;
		return;
	}
	if (s->image && !strcasecmp(s->image, "scratch"))
		s->env_known = 1;
	else if (s->image)
		stage_image(l, s);
	if (!args_find(&s->env, "PATH")) /* BuildKit always sets one */
		args_set(&s->env, "PATH", lint_default_path);
}

/* SecretsUsedInArgOrEnv: a '_'-separated part of the name is a secret
 * word and none is an allowed one (validations.go's two regexps). */
static int secret_name(const char *key)
{
	static const char *const deny[] = {"apikey", "auth",	 "credential", "credentials",
					   "key",    "password", "pword",      "passwd",
					   "secret", "token"};
	static const char *const allow[] = {"public", "file", "version"};
	int hit = 0;

	for (const char *p = key;; p++) {
		size_t n = strcspn(p, "_");
		for (size_t i = 0; i < LEN(deny); i++)
			hit |= strlen(deny[i]) == n && !strncasecmp(p, deny[i], n);
		for (size_t i = 0; i < LEN(allow); i++)
			if (strlen(allow[i]) == n && !strncasecmp(p, allow[i], n))
				return 0;
		p += n;
		if (!*p)
			break;
	}
	return hit;
}

static void check_secret(struct lint *l, const struct instr *in, const char *what, const char *k)
{
	if (secret_name(k)) {
		char *q = lint_quote(k);
		lint_report(l, R_SECRETS, &in->loc, what, q);
		free(q);
	}
}

/* LegacyKeyValueFormat, named as the instruction is written. */
static void check_legacy(struct lint *l, const struct instr *in)
{
	if (in->legacy_kv) {
		char *kw = lint_orig_keyword(in);
		lint_report(l, R_LEGACY_KV, &in->loc, kw, kw);
		free(kw);
	}
}

/* ENV and LABEL: every key and value expanded with the env before it. */
static void disp_kvs(struct lint *l, struct lstage *s, const struct instr *in)
{
	size_t n = in->nkvs;
	char **k = xcalloc(n + 1, sizeof(*k)), **v = xcalloc(n + 1, sizeof(*v));

	check_legacy(l, in);
	for (size_t i = 0; i < n; i++) {
		k[i] = lint_word(l, s, in, in->kvs[i].key);
		v[i] = lint_word(l, s, in, in->kvs[i].value ? in->kvs[i].value : "");
	}
	for (size_t i = 0; i < n; i++) {
		if (in->kind == I_ENV) {
			check_secret(l, in, "ENV", k[i]);
			args_set(&s->env, k[i], v[i]);
		}
		free(k[i]);
		free(v[i]);
	}
	free(k);
	free(v);
}

/* ARG: the value is the build-arg, else the expanded default, else the
 * global one; a value enters the env, every name is declared. */
static void disp_arg(struct lint *l, struct lstage *s, const struct instr *in)
{
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(l->cli, kv->key);
		const struct var *g = args_find(&l->globals, kv->key);
		char *v = NULL;

		check_secret(l, in, "ARG", kv->key);
		if (ba)
			v = xstrdup(ba);
		else if (kv->value)
			v = lint_word(l, s, in, kv->value);
		else if (g && g->value)
			v = xstrdup(g->value);
		if (v && strcmp(kv->key, "BUILDKIT_SBOM_SCAN_CONTEXT") &&
		    strcmp(kv->key, "BUILDKIT_SBOM_SCAN_STAGE"))
			args_set(&s->env, kv->key, v);
		free(v);
		if (!lint_has_str(&s->declared, kv->key))
			strlist_add(&s->declared, kv->key);
	}
}

/* Expands each word and frees the results (only the findings count). */
static void disp_words(struct lint *l, struct lstage *s, const struct instr *in, char *const *w,
		       size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(lint_word(l, s, in, w[i]));
}

/* ExposeProtoCasing and ExposeInvalidFormat on one expanded port word. */
static void check_port(struct lint *l, const struct instr *in, const char *raw)
{
	const char *last = strrchr(raw, ':'), *c = last ? last + 1 : raw;
	const char *slash = strchr(c, '/');

	if (slash && !lint_is_lower(slash + 1))
		lint_report(l, R_EXPOSE_PROTO_CASING, &in->loc, raw);
	if (last)
		lint_report(l, R_EXPOSE_INVALID_FORMAT, &in->loc, raw);
}

static void disp_expose(struct lint *l, struct lstage *s, const struct instr *in)
{
	char **vec = NULL;
	size_t n = 0;

	args_to_vec(&s->env, &vec, &n);
	vec = xreallocarray(vec, n + 1, sizeof(*vec));
	vec[n] = NULL;
	struct expand_env env = expand_env_kv(vec);
	for (size_t i = 0; i < in->nargs; i++) {
		struct expand_error err;
		char **w = expand_words(in->args[i], l->df->escape, &env, &err);
		for (size_t k = 0; w && w[k]; k++)
			check_port(l, in, w[k]);
		if (w)
			expand_free_words(w);
	}
	for (size_t i = 0; i < n; i++)
		free(vec[i]);
	free(vec);
}

/* CopyIgnoredFile for one expanded context source (validateCopySourcePath). */
static void check_ignored(struct lint *l, const struct instr *in, const char *src)
{
	char *clean, *q;

	if (!l->ignore || l->ignore_has_neg || in->from || !strncmp(src, "http://", 7) ||
	    !strncmp(src, "https://", 8))
		return;
	clean = ctx_clean_source(src);
	if (!strcmp(clean, ".") ? l->ignore_root : ignore_excluded(l->ignore, clean)) {
		/* Go's filepath.Clean keeps a leading '/', ctx_clean_source drops it */
		q = lint_quote(!strcmp(clean, ".") && src[0] == '/' ? "/" : clean);
		lint_report(l, R_COPY_IGNORED, &in->loc, in->kind == I_ADD ? "Add" : "Copy", q);
		free(q);
	}
	free(clean);
}

/* COPY and ADD: the flags, sources, destination and heredoc bodies that
 * BuildKit expands; sources from the context against the ignore file. */
static void disp_copy(struct lint *l, struct lstage *s, const struct instr *in)
{
	const char *flags[] = {in->chown, in->chmod, in->kind == I_ADD ? in->checksum : NULL};

	for (size_t i = 0; i < LEN(flags); i++)
		if (flags[i])
			free(lint_word(l, s, in, flags[i]));
	for (size_t i = 0; i < in->nargs; i++) {
		char *w = lint_word(l, s, in, in->args[i]);
		if (i + 1 < in->nargs)
			check_ignored(l, in, w);
		free(w);
	}
	for (size_t i = 0; i < in->nheredocs; i++)
		if (in->heredocs[i].expand && in->heredocs[i].content)
			free(lint_word(l, s, in, in->heredocs[i].content));
}

/* RUN: the --mount option values (setMountState expands each). */
static void disp_run(struct lint *l, struct lstage *s, const struct instr *in)
{
	for (size_t i = 0; i < in->nmounts; i++) {
		const char *spec = in->mounts[i].spec;
		if (!spec || !strchr(spec, '$'))
			continue;
		char *copy = xstrdup(spec), *save = NULL;
		for (char *f = strtok_r(copy, ",", &save); f; f = strtok_r(NULL, ",", &save)) {
			char *eq = strchr(f, '=');
			if (eq)
				free(lint_word(l, s, in, eq + 1));
		}
		free(copy);
	}
}

/* MultipleInstructionsDisallowed reports the earlier one, which is lost. */
static void check_once(struct lint *l, const struct instr **prev, const struct instr *in)
{
	if (*prev) {
		char *kw = lint_orig_keyword(in);
		lint_report(l, R_MULTIPLE_INSTR, &(*prev)->loc, kw);
		free(kw);
	}
	*prev = in;
}

/* CMD and ENTRYPOINT in shell form with no SHELL set. */
static void check_json(struct lint *l, const struct lstage *s, const struct instr *in)
{
	if (!in->json && !s->shell_set) {
		char *kw = lint_orig_keyword(in);
		lint_report(l, R_JSON_ARGS, &in->loc, kw);
		free(kw);
	}
}

static void disp_workdir(struct lint *l, struct lstage *s, const struct instr *in)
{
	char *p = lint_word(l, s, in, in->nargs ? in->args[0] : "");

	if (!s->workdir_set && p[0] != '/') {
		char *q = lint_quote(p);
		lint_report(l, R_WORKDIR_RELATIVE, &in->loc, q);
		free(q);
	}
	s->workdir_set = 1;
	free(p);
}

/* One instruction of a dispatched stage (convert.go's dispatch). */
static void disp_instr(struct lint *l, struct lstage *s, const struct instr *in,
		       const struct instr **once)
{
	switch (in->kind) {
	case I_ENV:
	case I_LABEL:
		disp_kvs(l, s, in);
		break;
	case I_ARG:
		disp_arg(l, s, in);
		break;
	case I_WORKDIR:
		disp_workdir(l, s, in);
		break;
	case I_CMD:
	case I_ENTRYPOINT:
		check_once(l, &once[in->kind == I_CMD], in);
		check_json(l, s, in);
		break;
	case I_HEALTHCHECK:
		check_once(l, &once[2], in);
		break;
	case I_SHELL:
		s->shell_set = 1;
		break;
	case I_EXPOSE:
		disp_expose(l, s, in);
		break;
	case I_COPY:
	case I_ADD:
		disp_copy(l, s, in);
		break;
	case I_RUN:
		disp_run(l, s, in);
		break;
	case I_USER:
	case I_VOLUME:
	case I_STOPSIGNAL:
		disp_words(l, s, in, in->args, in->nargs);
		break;
	default:
		break;
	}
}

/* Dispatches a stage: each instruction with its own check comments. */
void lint_stage(struct lint *l, size_t idx)
{
	struct lstage *s = &l->st[idx];
	const struct instr *once[3] = {NULL, NULL, NULL};

	stage_init(l, s, idx);
	for (size_t i = s->first; i < s->end; i++) {
		struct strlist c = {0};
		lint_enter(l, i, &c);
		disp_instr(l, s, l->df->instrs[i], once);
		strlist_free(&c);
	}
}
