/* args: ARG scopes and the automatic ARGs (see args.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "diag.h"
#include "expand.h"
#include "instr.h"
#include "platform.h"
#include "util.h"

/* The name of variable i, for the index. */
static const char *args_key(const void *ctx, size_t i, size_t *len)
{
	const struct vars *vs = ctx;

	*len = strlen(vs->v[i].name);
	return vs->v[i].name;
}

/* v's name and value in one allocation, "name\0value\0" (value NULL: no
 * value part): two per variable were malloc's overhead twice in every
 * scope of a 50,000-ENV file. Made before the old one is freed, since
 * name or value may point into it. */
static void var_fill(struct var *v, const char *name, size_t nlen, const char *value)
{
	size_t vlen = value ? strlen(value) + 1 : 0;
	char *p = xmalloc(nlen + 1 + vlen);

	memcpy(p, name, nlen);
	p[nlen] = '\0';
	if (value)
		memcpy(p + nlen + 1, value, vlen);
	free(v->name);
	v->name = p;
	v->value = value ? p + nlen + 1 : NULL;
}

void args_set(struct vars *vs, const char *name, const char *value)
{
	size_t nlen = strlen(name), i = nameidx_find(&vs->idx, name, nlen, args_key, vs);

	if (i != (size_t)-1) {
		var_fill(&vs->v[i], name, nlen, value);
		return;
	}
	vs->v = xreallocarray(vs->v, vs->n + 1, sizeof(*vs->v));
	vs->v[vs->n] = (struct var){0};
	var_fill(&vs->v[vs->n], name, nlen, value);
	nameidx_push(&vs->idx, args_key, vs);
	vs->n++;
}

const struct var *args_find(const struct vars *vs, const char *name)
{
	size_t i = nameidx_find(&vs->idx, name, strlen(name), args_key, vs);

	return i == (size_t)-1 ? NULL : &vs->v[i];
}

void args_copy(struct vars *dst, const struct vars *src)
{
	args_free(dst);
	for (size_t i = 0; i < src->n; i++)
		args_set(dst, src->v[i].name, src->v[i].value);
}

void args_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		free(vs->v[i].name); /* the value is in the same block */
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
	nameidx_free(&vs->idx);
}

/* "name=value", malloc'd; without printf, which showed in profiles since
 * every instruction builds its whole environment. */
char *args_kv(const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value);
	char *s = xmalloc(n + v + 2);

	memcpy(s, name, n);
	s[n] = '=';
	memcpy(s + n + 1, value, v + 1);
	return s;
}

void args_to_vec(const struct vars *vs, char ***vec, size_t *n)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (!vs->v[i].value)
			continue;
		*vec = xreallocarray(*vec, *n + 2, sizeof(**vec));
		(*vec)[(*n)++] = args_kv(vs->v[i].name, vs->v[i].value);
		(*vec)[*n] = NULL;
	}
}

/* PREFIXPLATFORM, PREFIXOS, PREFIXARCH, PREFIXVARIANT */
static void args_set_platform(struct vars *g, const char *prefix, const struct platform *p)
{
	char full[PLATFORM_MAX], *name;

	platform_format(p, full);
	const char *parts[][2] = {
	    {"PLATFORM", full}, {"OS", p->os}, {"ARCH", p->arch}, {"VARIANT", p->variant}};
	for (size_t i = 0; i < LEN(parts); i++) {
		name = xasprintf("%s%s", prefix, parts[i][0]);
		args_set(g, name, parts[i][1]);
		free(name);
	}
}

void args_predefined(struct vars *g, const struct platform *target, const char *target_stage)
{
	struct platform host;

	/* BUILD* is where the build runs, TARGET* the build's target in every
	 * stage, whatever its FROM --platform (BuildKit's defaultArgs) */
	platform_host(&host);
	args_set_platform(g, "BUILD", &host);
	args_set_platform(g, "TARGET", target);
	args_set(g, "TARGETSTAGE", target_stage ? target_stage : "default");
}

char *args_expand(const char *word, char escape, char *const *env, const struct instr *in,
		  struct df_error *err)
{
	struct expand_env e = expand_env_kv(env);
	struct expand_error xe = {0};
	char *r = expand_word(word, escape, &e, &xe);

	if (!r) {
		err->loc = in->loc;
		snprintf(err->msg, sizeof(err->msg), "%s", xe.msg);
	}
	return r;
}

int args_global(struct vars *g, const struct instr *in, const struct cli *c, char escape,
		struct df_error *err)
{
	char **env = NULL;
	size_t n = 0;
	int r = 0;

	/* every value of one instruction sees the scope as it was before it */
	args_to_vec(g, &env, &n);
	for (size_t i = 0; i < in->nkvs && !r; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(c, kv->key);
		char *def = NULL;

		if (!ba && kv->value &&
		    !(def = args_expand(kv->value, escape, env ? env : (char *[]){NULL}, in, err)))
			r = -1;
		else
			args_set(g, kv->key, ba ? ba : def);
		free(def);
	}
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	return r;
}

int args_stage(struct vars *s, const struct vars *g, const struct instr *in, const struct cli *c,
	       char escape, char *const *env, struct df_error *err)
{
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(c, kv->key);
		const struct var *gv = args_find(g, kv->key);
		char *def = NULL;

		if (ba)
			args_set(s, kv->key, ba);
		else if (kv->value) {
			if (!(def = args_expand(kv->value, escape, env, in, err)))
				return -1;
			args_set(s, kv->key, def);
		} else if (gv)
			args_set(s, kv->key, gv->value);
		else if (!args_find(s, kv->key))
			args_set(s, kv->key, NULL);
		free(def);
	}
	return 0;
}

static const char *const proxies[2][ARGS_NPROXY] = {
    {"http_proxy", "https_proxy", "ftp_proxy", "no_proxy", "all_proxy"},
    {"HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY"}};

const char *args_proxy_name(int nth, int upper)
{
	return proxies[upper != 0][nth];
}

int args_is_proxy(const char *name)
{
	for (int nth = 0; nth < ARGS_NPROXY; nth++)
		if (strcmp(name, proxies[0][nth]) == 0 || strcmp(name, proxies[1][nth]) == 0)
			return 1;
	return 0;
}
