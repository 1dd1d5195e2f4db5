/* change: `import --change 'INSTR ARGS'`, the Dockerfile instructions
 * `docker import --change` accepts, applied to an image config's "config"
 * object: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME,
 * WORKDIR. No variable expansion (docker does none here either). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "change.h"
#include "error.h"
#include "util.h"

/* Splits on blanks; double or single quotes group and are removed. */
static void change_words(const char *s, struct strlist *out)
{
	while (*s) {
		char *w = xmalloc(strlen(s) + 1), *p = w, q = 0;
		while (isspace((unsigned char)*s))
			s++;
		if (!*s) {
			free(w);
			break;
		}
		for (; *s && (q || !isspace((unsigned char)*s)); s++) {
			if (!q && (*s == '"' || *s == '\'')) {
				q = *s;
			} else if (q && *s == q) {
				q = 0;
			} else {
				if (*s == '\\' && s[1] && q != '\'')
					s++;
				*p++ = *s;
			}
		}
		*p = '\0';
		strlist_take(out, w);
	}
}

/* A JSON array of strings, else the shell form wrapped in /bin/sh -c. */
static json_t *change_command(const char *args)
{
	json_t *j = json_loads(args, 0, NULL);
	size_t i;
	json_t *v;

	if (json_is_array(j)) {
		json_array_foreach(j, i, v)
		{
			if (!json_is_string(v))
				break;
		}
		if (i == json_array_size(j))
			return j;
	}
	json_decref(j);
	return json_pack("[s, s, s]", "/bin/sh", "-c", args);
}

/* Replaces or appends KEY=VALUE in Env. */
static void change_env_set(json_t *cfg, const char *k, const char *v)
{
	json_t *env = json_object_get(cfg, "Env"), *e;
	char *kv = xasprintf("%s=%s", k, v);
	size_t n = strlen(k), i;

	if (!json_is_array(env)) {
		env = json_array();
		json_object_set_new(cfg, "Env", env);
	}
	json_array_foreach(env, i, e)
	{
		const char *s = json_string_value(e);
		if (s && strncmp(s, k, n) == 0 && s[n] == '=') {
			json_array_set_new(env, i, json_string(kv));
			free(kv);
			return;
		}
	}
	json_array_append_new(env, json_string(kv));
	free(kv);
}

static void change_pair_set(json_t *cfg, json_t *labels, const char *k, const char *v)
{
	if (labels)
		json_object_set_new(labels, k, json_string(v));
	else
		change_env_set(cfg, k, v);
}

/* ENV/LABEL: k=v pairs, or the legacy "k v..." form. */
static int change_pairs(json_t *cfg, const char *instr, const char *args, struct error *e)
{
	struct strlist w = {0};
	json_t *labels = NULL;

	change_words(args, &w);
	if (strcmp(instr, "LABEL") == 0) {
		labels = json_object_get(cfg, "Labels");
		if (!json_is_object(labels)) {
			labels = json_object();
			json_object_set_new(cfg, "Labels", labels);
		}
	}
	for (size_t i = 0; i < w.n; i++) {
		char *eq = strchr(w.v[i], '=');
		if (!eq && i == 0 && w.n > 1) {
			const char *rest = args + strspn(args, " \t") + strlen(w.v[0]);
			rest += strspn(rest, " \t");
			change_pair_set(cfg, labels, w.v[0], rest);
			break;
		}
		if (!eq || eq == w.v[i]) {
			strlist_free(&w);
			return error_set(e, 0, "%s %s: want KEY=VALUE", instr, args);
		}
		*eq = '\0';
		change_pair_set(cfg, labels, w.v[i], eq + 1);
	}
	strlist_free(&w);
	return 0;
}

/* EXPOSE/VOLUME: a set object {"x":{}}; ports get "/tcp" by default. */
static void change_set(json_t *cfg, const char *field, const char *args, int port)
{
	json_t *set = json_object_get(cfg, field);
	json_t *list = json_loads(args, 0, NULL);
	struct strlist w = {0};

	if (!json_is_object(set)) {
		set = json_object();
		json_object_set_new(cfg, field, set);
	}
	if (!port && json_is_array(list)) {
		for (size_t i = 0; i < json_array_size(list); i++)
			if (json_string_value(json_array_get(list, i)))
				strlist_add(&w, json_string_value(json_array_get(list, i)));
	} else {
		change_words(args, &w);
	}
	for (size_t i = 0; i < w.n; i++) {
		char *k =
		    port && !strchr(w.v[i], '/') ? xasprintf("%s/tcp", w.v[i]) : xstrdup(w.v[i]);
		json_object_set_new(set, k, json_object());
		free(k);
	}
	json_decref(list);
	strlist_free(&w);
}

int change_apply(json_t *cfg, const char *line, struct error *e)
{
	size_t n = strcspn(line, " \t");
	char *instr = xstrndup(line, n);
	const char *args = line + n + strspn(line + n, " \t");
	int r = 0;

	for (char *p = instr; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strcmp(instr, "CMD") == 0 || strcmp(instr, "ENTRYPOINT") == 0)
		json_object_set_new(cfg, instr[0] == 'C' ? "Cmd" : "Entrypoint",
				    change_command(args));
	else if (strcmp(instr, "ENV") == 0 || strcmp(instr, "LABEL") == 0)
		r = change_pairs(cfg, instr, args, e);
	else if (strcmp(instr, "EXPOSE") == 0 || strcmp(instr, "VOLUME") == 0)
		change_set(cfg, instr[0] == 'E' ? "ExposedPorts" : "Volumes", args,
			   instr[0] == 'E');
	else if (strcmp(instr, "USER") == 0 || strcmp(instr, "WORKDIR") == 0 ||
		 strcmp(instr, "STOPSIGNAL") == 0)
		json_object_set_new(cfg,
				    instr[0] == 'U'   ? "User"
				    : instr[0] == 'W' ? "WorkingDir"
						      : "StopSignal",
				    json_string(args));
	else
		r = error_set(e, 0,
			      "--change \"%s\": %s is not one of CMD, ENTRYPOINT, ENV, EXPOSE, "
			      "LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR",
			      line, instr);
	free(instr);
	return r;
}
