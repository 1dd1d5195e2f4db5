/* config: image config tracking (see config.h). */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "instr.h"
#include "spec.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* BuildKit adds PATH when the base image has none. */
static void config_path_default(struct config *c)
{
	if (!config_env_get(c, "PATH"))
		config_env_set(c, "PATH", DEFAULT_PATH);
}

/* The name of Env entry i. An entry without '=' (or not a string) gets
 * a key with its NUL in it, which no name looked up can equal: such an
 * entry never matched a name before the index either. */
static const char *config_env_key(const void *ctx, size_t i, size_t *len)
{
	const struct config *c = ctx;
	const char *s = c->env[i], *eq;

	if (!s) {
		*len = 1;
		return "";
	}
	eq = strchr(s, '=');
	*len = eq ? (size_t)(eq - s) : strlen(s) + 1;
	return s;
}

/* Appends an entry and indexes it under its name. */
static void config_env_push(struct config *c, const char *kv)
{
	if (c->nenv == c->envcap) {
		c->envcap = c->envcap ? 2 * c->envcap : 16;
		c->env = xreallocarray(c->env, c->envcap, sizeof(*c->env));
		c->env_heap = xreallocarray(c->env_heap, c->envcap, sizeof(*c->env_heap));
	}
	c->env[c->nenv] = kv;
	c->env_heap[c->nenv] = 0;
	nameidx_push(&c->env_idx, config_env_key, c);
	c->nenv++;
}

/* The base image's entries, as the Env array of c->cfg holds them. */
static void config_env_import(struct config *c)
{
	json_t *e = json_object_get(c->cfg, "Env");

	if (!json_is_array(e))
		return; /* replaced by an array at the first config_env_set */
	c->env_base = e;
	for (size_t i = 0; i < json_array_size(e); i++)
		config_env_push(c, json_string_value(json_array_get(e, i)));
}

void config_scratch(struct config *c)
{
	memset(c, 0, sizeof(*c));
	c->cfg = json_object();
	config_path_default(c);
	json_object_set_new(c->cfg, "WorkingDir", json_string("/"));
}

void config_from_image(struct config *c, json_t *image)
{
	json_t *cfg = json_object_get(image, "config");
	json_t *hist = json_object_get(image, "history");
	json_t *author = json_object_get(image, "author");

	memset(c, 0, sizeof(*c));
	c->cfg = json_is_object(cfg) ? json_deep_copy(cfg) : json_object();
	config_env_import(c);
	/* shared, never changed: this build's entries go to c->hist */
	c->base_history = json_is_array(hist) ? json_incref(hist) : NULL;
	if (json_is_string(author))
		c->author = xstrdup(json_string_value(author));
	config_path_default(c);
}

/* Entry i of src for dst, whose cfg is a copy of src's: a base entry
 * points at the copy's string, this build's text is copied. */
static const char *config_env_copy(struct config *dst, const struct config *src, size_t i)
{
	const char *s = src->env[i];

	if (src->env_base && i < json_array_size(src->env_base) &&
	    s == json_string_value(json_array_get(src->env_base, i)))
		return json_string_value(json_array_get(dst->env_base, i));
	return arena_strdup(&dst->arena, s);
}

void config_clone(struct config *dst, const struct config *src)
{
	memset(dst, 0, sizeof(*dst)); /* cmd_set, light, the Env index: unset */
	dst->cfg = json_deep_copy(src->cfg);
	dst->env_base = src->env_base ? json_object_get(dst->cfg, "Env") : NULL;
	for (size_t i = 0; i < src->nenv; i++)
		config_env_push(dst, config_env_copy(dst, src, i));
	dst->base_history = json_incref(src->base_history);
	for (size_t i = 0; i < src->nhist; i++)
		config_history(dst, src->hist[i].created_by, src->hist[i].step);
	dst->author = src->author ? xstrdup(src->author) : NULL;
}

void config_free(struct config *c)
{
	json_decref(c->cfg);
	json_decref(c->base_history);
	free(c->hist);
	for (size_t i = 0; i < c->nenv; i++)
		if (c->env_heap[i])
			free((char *)c->env[i]);
	free(c->env);
	free(c->env_heap);
	arena_free(&c->arena);
	free(c->author);
	nameidx_free(&c->env_idx);
	memset(c, 0, sizeof(*c));
}

const char *config_env_get(const struct config *c, const char *name)
{
	size_t n = strlen(name), i = nameidx_find(&c->env_idx, name, n, config_env_key, c);

	return i == (size_t)-1 ? NULL : c->env[i] + n + 1;
}

/* "name=value" in dst (n + v + 2 bytes). */
static char *config_env_text(char *dst, const char *name, size_t n, const char *value, size_t v)
{
	memcpy(dst, name, n);
	dst[n] = '=';
	memcpy(dst + n + 1, value, v + 1);
	return dst;
}

void config_env_set(struct config *c, const char *name, const char *value)
{
	size_t n = strlen(name), v = strlen(value), i;

	if (!c->env_base) { /* the field's place, where BuildKit's Env would be */
		c->env_base = json_array();
		json_object_set_new(c->cfg, "Env", c->env_base);
	}
	/* entries are only ever appended or replaced under the same name */
	i = nameidx_find(&c->env_idx, name, n, config_env_key, c);
	if (i == (size_t)-1) {
		config_env_push(
		    c, config_env_text(arena_text(&c->arena, n + v + 2), name, n, value, v));
		return;
	}
	/* the text being replaced may be the value given (ENV A=$A reads it) */
	char *kv = config_env_text(xmalloc(n + v + 2), name, n, value, v);
	if (c->env_heap[i])
		free((char *)c->env[i]);
	c->env[i] = kv;
	c->env_heap[i] = 1;
}

void config_env_vec(const struct config *c, char ***vec, size_t *n)
{
	for (size_t i = 0; i < c->nenv; i++) {
		if (!c->env[i])
			continue;
		*vec = xreallocarray(*vec, *n + 2, sizeof(**vec));
		(*vec)[(*n)++] = xstrdup(c->env[i]);
		(*vec)[*n] = NULL;
	}
}

/* Env entry i as jansson: a base entry that is not a string as it is. */
static json_t *config_env_json(const struct config *c, size_t i)
{
	return c->env[i] ? json_string(c->env[i]) : json_deep_copy(json_array_get(c->env_base, i));
}

json_t *config_json(const struct config *c)
{
	json_t *out = json_deep_copy(c->cfg), *env;

	if (!c->env_base)
		return out;
	env = json_array();
	for (size_t i = 0; i < c->nenv; i++)
		json_array_append_new(env, config_env_json(c, i));
	json_object_set_new(out, "Env", env);
	return out;
}

static struct sv *config_env_elem(const void *arg, size_t i, struct spec *sp)
{
	const struct config *c = arg;

	return c->env[i] ? sv_str(sp, c->env[i]) : sv_json_lazy(sp, json_array_get(c->env_base, i));
}

struct sv *config_env_sv(const struct config *c, struct spec *sp)
{
	return sv_lazy(sp, c->nenv, config_env_elem, c);
}

const char *config_workdir(const struct config *c)
{
	const char *s = json_string_value(json_object_get(c->cfg, "WorkingDir"));

	return s && *s ? s : "/";
}

const char *config_user(const struct config *c)
{
	const char *s = json_string_value(json_object_get(c->cfg, "User"));

	return s ? s : "";
}

json_t *config_shell(const struct config *c)
{
	static json_t *def;
	json_t *sh = json_object_get(c->cfg, "Shell");

	if (json_is_array(sh) && json_array_size(sh) > 0)
		return sh;
	if (!def)
		def = json_pack("[ss]", "/bin/sh", "-c");
	return def;
}

json_t *config_shell_argv(const struct config *c, const char *text)
{
	json_t *argv = json_deep_copy(config_shell(c));

	json_array_append_new(argv, json_string(text));
	return argv;
}

void config_set(struct config *c, const char *field, json_t *v)
{
	json_object_set_new(c->cfg, field, v);
}

/* Exec-form words as a JSON array. */
static json_t *config_words(const struct instr *in)
{
	json_t *a = json_array();

	for (size_t i = 0; i < in->nargs; i++)
		json_array_append_new(a, json_string(in->args[i]));
	return a;
}

void config_cmd(struct config *c, const struct instr *in)
{
	json_t *argv =
	    in->json ? config_words(in) : config_shell_argv(c, in->nargs ? in->args[0] : "");

	if (in->kind == I_CMD) {
		config_set(c, "Cmd", argv);
		c->cmd_set = 1;
	} else {
		config_set(c, "Entrypoint", argv);
		/* an ENTRYPOINT drops a CMD inherited from the base, not one
		 * set earlier in this stage */
		if (!c->cmd_set)
			json_object_del(c->cfg, "Cmd");
	}
	/* BuildKit's dispatchCmd sets it for either form, dispatchEntrypoint
	 * never (an inherited one stays) */
	if (in->kind == I_CMD)
		json_object_set_new(c->cfg, "ArgsEscaped", json_true());
}

void config_healthcheck(struct config *c, const struct instr *in)
{
	const struct instr_hc *o = in->hc ? in->hc : &(struct instr_hc){0};
	json_t *hc = json_object(), *test;

	if (in->hc_none) {
		config_set(c, "Healthcheck", json_pack("{s[s]}", "Test", "NONE"));
		json_decref(hc);
		return;
	}
	if (in->json) {
		test = config_words(in);
		json_array_insert_new(test, 0, json_string("CMD"));
	} else {
		test = json_pack("[ss]", "CMD-SHELL", in->nargs ? in->args[0] : "");
	}
	json_object_set_new(hc, "Test", test);
	if (o->interval)
		json_object_set_new(hc, "Interval", json_integer(o->interval));
	if (o->timeout)
		json_object_set_new(hc, "Timeout", json_integer(o->timeout));
	if (o->start_period)
		json_object_set_new(hc, "StartPeriod", json_integer(o->start_period));
	if (o->start_interval)
		json_object_set_new(hc, "StartInterval", json_integer(o->start_interval));
	if (o->retries)
		json_object_set_new(hc, "Retries", json_integer(o->retries));
	config_set(c, "Healthcheck", hc);
}

void config_onbuild(struct config *c, const char *text)
{
	json_t *ob = json_object_get(c->cfg, "OnBuild");

	if (!json_is_array(ob)) {
		ob = json_array();
		json_object_set_new(c->cfg, "OnBuild", ob);
	}
	json_array_append_new(ob, json_string(text));
}

int config_keeps_history(const struct config *c)
{
	return !c->light;
}

void config_history_ref(struct config *c, const char *created_by, const char *step)
{
	if (c->light)
		return;
	if (c->nhist == c->histcap) {
		c->histcap = c->histcap ? 2 * c->histcap : 16;
		c->hist = xreallocarray(c->hist, c->histcap, sizeof(*c->hist));
	}
	c->hist[c->nhist++] = (struct hist_rec){created_by, step};
}

void config_history(struct config *c, const char *created_by, const char *step)
{
	if (!c->light)
		config_history_ref(c, arena_strdup(&c->arena, created_by), step);
}

static size_t config_nbase(const struct config *c)
{
	return c->base_history ? json_array_size(c->base_history) : 0;
}

/* Entry i: the base image's as it is, then ours with the fields in the
 * order BuildKit writes them. */
static struct sv *config_history_elem(const void *arg, size_t i, struct spec *sp)
{
	const struct config *c = arg;
	size_t nbase = config_nbase(c);
	const struct hist_rec *r;
	struct sv *h;

	if (i < nbase)
		return sv_json_lazy(sp, json_array_get(c->base_history, i));
	r = &c->hist[i - nbase];
	h = sv_obj(sp);
	sv_set(h, "created_by", sv_str(sp, r->created_by));
	sv_set(h, "comment", sv_raw(sp, "\"buildkit.dockerfile.v0\"", 24));
	if (r->step)
		sv_set(h, "step", sv_str(sp, r->step));
	else
		sv_set(h, "empty_layer", sv_bool(sp, 1));
	return h;
}

struct sv *config_history_sv(const struct config *c, struct spec *sp)
{
	return sv_lazy(sp, config_nbase(c) + c->nhist, config_history_elem, c);
}

json_t *config_history_json(const struct config *c)
{
	json_t *a = c->base_history ? json_deep_copy(c->base_history) : json_array();

	for (size_t i = 0; i < c->nhist; i++) {
		json_t *h = json_object();
		json_object_set_new(h, "created_by", json_string(c->hist[i].created_by));
		json_object_set_new(h, "comment", json_string("buildkit.dockerfile.v0"));
		if (c->hist[i].step)
			json_object_set_new(h, "step", json_string(c->hist[i].step));
		else
			json_object_set_new(h, "empty_layer", json_true());
		json_array_append_new(a, h);
	}
	return a;
}
