/* args: ARG scopes and the automatic ARGs (see args.h). */
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "args.h"
#include "cli.h"
#include "expand.h"
#include "instr.h"
#include "util.h"

void args_set(struct vars *vs, const char *name, const char *value)
{
	for (size_t i = 0; i < vs->n; i++) {
		if (strcmp(vs->v[i].name, name) == 0) {
			free(vs->v[i].value);
			vs->v[i].value = value ? xstrdup(value) : NULL;
			return;
		}
	}
	vs->v = xreallocarray(vs->v, vs->n + 1, sizeof(*vs->v));
	vs->v[vs->n].name = xstrdup(name);
	vs->v[vs->n].value = value ? xstrdup(value) : NULL;
	vs->n++;
}

const struct var *args_find(const struct vars *vs, const char *name)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strcmp(vs->v[i].name, name) == 0)
			return &vs->v[i];
	return NULL;
}

void args_copy(struct vars *dst, const struct vars *src)
{
	args_free(dst);
	for (size_t i = 0; i < src->n; i++)
		args_set(dst, src->v[i].name, src->v[i].value);
}

void args_free(struct vars *vs)
{
	for (size_t i = 0; i < vs->n; i++) {
		free(vs->v[i].name);
		free(vs->v[i].value);
	}
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
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

/* uname's machine name in Go's GOARCH spelling, as BuildKit reports it. */
static void args_host_arch(char **arch, char **variant)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
	    {"x86_64", "amd64", ""},
	    {"amd64", "amd64", ""},
	    {"aarch64", "arm64", ""},
	    {"arm64", "arm64", ""},
	    {"armv7l", "arm", "v7"},
	    {"armv6l", "arm", "v6"},
	    {"i386", "386", ""},
	    {"i686", "386", ""},
	    {"ppc64le", "ppc64le", ""},
	    {"s390x", "s390x", ""},
	    {"riscv64", "riscv64", ""},
	    {"mips64", "mips64", ""},
	    {"loongarch64", "loong64", ""},
	};
	struct utsname u;

	*arch = NULL;
	if (uname(&u) == 0)
		for (size_t i = 0; i < LEN(map); i++)
			if (strcmp(u.machine, map[i].machine) == 0) {
				*arch = xstrdup(map[i].arch);
				*variant = xstrdup(map[i].variant);
			}
	if (!*arch) {
		*arch = xstrdup(uname(&u) == 0 ? u.machine : "amd64");
		*variant = xstrdup("");
	}
}

void args_platform(const char *p, char **os, char **arch, char **variant)
{
	const char *s1, *s2;

	if (!p) {
		*os = xstrdup("linux");
		args_host_arch(arch, variant);
		return;
	}
	s1 = strchr(p, '/');
	if (!s1 || s1 == p || !s1[1])
		fatal("invalid platform '%s': want OS/ARCH[/VARIANT]", p);
	s2 = strchr(s1 + 1, '/');
	*os = strlower(xstrndup(p, (size_t)(s1 - p)));
	*arch = strlower(s2 ? xstrndup(s1 + 1, (size_t)(s2 - s1 - 1)) : xstrdup(s1 + 1));
	*variant = strlower(xstrdup(s2 ? s2 + 1 : ""));
	if (!**arch || strchr(*variant, '/'))
		fatal("invalid platform '%s': want OS/ARCH[/VARIANT]", p);
}

/* PREFIXPLATFORM, PREFIXOS, PREFIXARCH, PREFIXVARIANT */
static void args_set_platform(struct vars *g, const char *prefix, const char *p)
{
	char *os, *arch, *variant, *name, *full;

	args_platform(p, &os, &arch, &variant);
	full = *variant ? xasprintf("%s/%s/%s", os, arch, variant) : xasprintf("%s/%s", os, arch);
	const char *parts[][2] = {
	    {"PLATFORM", full}, {"OS", os}, {"ARCH", arch}, {"VARIANT", variant}};
	for (size_t i = 0; i < LEN(parts); i++) {
		name = xasprintf("%s%s", prefix, parts[i][0]);
		args_set(g, name, parts[i][1]);
		free(name);
	}
	free(full);
	free(os);
	free(arch);
	free(variant);
}

void args_predefined(struct vars *g, const char *platform, const char *target_stage)
{
	args_set_platform(g, "BUILD", NULL);
	args_set_platform(g, "TARGET", platform);
	args_set(g, "TARGETSTAGE", target_stage ? target_stage : "default");
}

char *args_expand(const char *word, char escape, char *const *env, const struct instr *in)
{
	struct expand_env e = expand_env_kv(env);
	struct expand_error err = {0};
	char *r = expand_word(word, escape, &e, &err);

	if (!r)
		loc_fatal(&in->loc, "%s", err.msg);
	return r;
}

void args_global(struct vars *g, const struct instr *in, const struct cli *c, char escape)
{
	char **env = NULL;
	size_t n = 0;

	/* every value of one instruction sees the scope as it was before it */
	args_to_vec(g, &env, &n);
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(c, kv->key);
		char *def = NULL;

		if (!ba && kv->has_value)
			def = args_expand(kv->value, escape, env ? env : (char *[]){NULL}, in);
		args_set(g, kv->key, ba ? ba : def);
		free(def);
	}
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
}

void args_stage(struct vars *s, const struct vars *g, const struct instr *in, const struct cli *c,
		char escape, char *const *env)
{
	for (size_t i = 0; i < in->nkvs; i++) {
		const struct kv *kv = &in->kvs[i];
		const char *ba = cli_build_arg(c, kv->key);
		const struct var *gv = args_find(g, kv->key);
		char *def = NULL;

		if (ba)
			args_set(s, kv->key, ba);
		else if (kv->has_value) {
			def = args_expand(kv->value, escape, env, in);
			args_set(s, kv->key, def);
		} else if (gv)
			args_set(s, kv->key, gv->value);
		else if (!args_find(s, kv->key))
			args_set(s, kv->key, NULL);
		free(def);
	}
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
