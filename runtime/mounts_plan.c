/* mounts_plan: RUN --mount specs (bind, cache, tmpfs, secret, ssh) turned
 * into sandbox ops, in the parent before anything is changed: the list
 * can be checked and printed without namespaces (see mounts.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "ignore.h"
#include "mounts.h"
#include "rt.h"
#include "sandbox.h"
#include "util.h"

/* ---- planning (no system changes) ---- */

static const char *jstr(json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* A number given as JSON integer or (octal for modes) string. */
static long jnum(json_t *o, const char *k, long def, int base)
{
	json_t *v = json_object_get(o, k);

	if (json_is_integer(v))
		return (long)json_integer_value(v);
	if (json_is_string(v))
		return strtol(json_string_value(v), NULL, base);
	return def;
}

/* A relative target is joined with WORKDIR (BuildKit); "/" is refused. */
static char *mount_target(json_t *m, const char *workdir, const char *def, struct error *e)
{
	const char *t = jstr(m, "target");
	char *joined, *clean;

	if (!t || !*t)
		t = def;
	if (!t)
		return error_set(e, 0, "mount: target is required"), NULL;
	joined = t[0] == '/' ? xstrdup(t) : path_join(workdir ? workdir : "/", t);
	clean = path_clean(joined);
	free(joined);
	if (strcmp(clean, "/") == 0) {
		free(clean);
		return error_set(e, 0, "mount: target cannot be /"), NULL;
	}
	return clean;
}

/* The build's ignore file for a context bind: from.ignore when the
 * compiler gives it (null = none), else CONTEXT/.dockerignore, plus
 * df2make's own state and output (rt_exclude_own). Only a matcher with
 * patterns is kept: an empty one changes nothing. */
static int plan_ignore(struct sandbox_op *op, json_t *from, const char *ctx, struct error *e)
{
	json_t *v = json_object_get(from, "ignore");
	char *path = json_is_string(v) ? xstrdup(json_string_value(v))
		     : v	       ? NULL
				       : path_join(ctx, ".dockerignore");
	char *text = NULL;
	size_t len = 0;
	struct error rd;

	if (path && read_file(path, &text, &len, &rd) < 0) {
		if (json_is_string(v)) {
			free(path);
			return error_set(e, 0, "%s", rd.msg);
		}
		free(path); /* no CONTEXT/.dockerignore: nothing of the user's */
		path = NULL;
	}
	op->ig = ignore_parse(text, len, path ? path : ".dockerignore", e);
	free(text);
	if (!op->ig) {
		free(path);
		return -1;
	}
	rt_exclude_own(op->ig, ctx);
	if (ignore_count(op->ig) == 0) {
		ignore_free(op->ig);
		op->ig = NULL;
	}
	op->ignore = path;
	return 0;
}

static int plan_bind(struct sandbox *sb, json_t *m, const char *target, struct error *e)
{
	json_t *from = json_object_get(m, "from");
	const char *ctx = jstr(from, "context"), *step = jstr(from, "step");
	unsigned flags = json_is_true(json_object_get(m, "rw")) ? SB_DISCARD : SB_RO;
	struct sandbox_op *op;

	if (!ctx && !step)
		return error_set(e, 0, "bind mount on %s: \"from\" needs a context or a step",
				 target);
	op = sandbox_add(sb, ctx ? SB_BIND : SB_VIEW, ctx ? ctx : step, target, flags);
	op->sub = xstrdup(jstr(m, "source") ? jstr(m, "source") : "/");
	if (ctx && plan_ignore(op, from, ctx, e) < 0)
		return error_wrap(e, "bind mount on %s: ignore file", target);
	return 0;
}

/* from/source: the cache's first content (BuildKit bases a new cache on
 * the source); the seed's own mode and owner then replace mode/uid/gid. */
static int plan_seed(struct sandbox_op *op, json_t *m, const char *target, struct error *e)
{
	json_t *from = json_object_get(m, "from");
	const char *ctx = jstr(from, "context"), *step = jstr(from, "step");

	if (!from)
		return 0;
	if (!ctx && !step)
		return error_set(e, 0, "cache mount on %s: \"from\" needs a context or a step",
				 target);
	op->seed = xstrdup(ctx ? ctx : step);
	op->seed_sub = xstrdup(jstr(m, "source") ? jstr(m, "source") : "/");
	if (step)
		op->flags |= SB_SEEDSTEP;
	/* BuildKit seeds from the context as sent: without ignored files. */
	if (ctx && plan_ignore(op, from, ctx, e) < 0)
		return error_wrap(e, "cache mount on %s: ignore file", target);
	return 0;
}

/* "context DIR:SOURCE" or "step KEY:SOURCE" for a seeded cache, else NULL. */
/* What a cache starts from, beyond its id: BuildKit keys a cache by id
 * and the ref of its source, and that source is the mount's from= (at
 * source=), or, for the root of it or of nothing, a directory made with the
 * mount's uid, gid and mode: other owner or mode, another cache. NULL for
 * a plain cache (the defaults: 0755, root). */
static char *cache_seed_name(json_t *m)
{
	json_t *from = json_object_get(m, "from");
	const char *ctx = jstr(from, "context"), *step = jstr(from, "step");
	const char *src = jstr(m, "source") ? jstr(m, "source") : "/";
	long mode = jnum(m, "mode", 0755, 8), uid = jnum(m, "uid", 0, 10),
	     gid = jnum(m, "gid", 0, 10);
	char *owner = NULL, *name;

	if (strcmp(src, "/") == 0 && (mode != 0755 || uid != 0 || gid != 0))
		owner = xasprintf(" owner %lo %ld:%ld", mode, uid, gid);
	if (!ctx && !step && !owner)
		return NULL;
	if (!ctx && !step)
		name = xasprintf("scratch%s", owner);
	else
		name = xasprintf("%s %s:%s%s", ctx ? "context" : "step", ctx ? ctx : step, src,
				 owner ? owner : "");
	free(owner);
	return name;
}

static int plan_cache(struct sandbox *sb, json_t *m, const char *target, struct error *e)
{
	const char *id = jstr(m, "id"), *sharing = jstr(m, "sharing");
	char hex[65], *dir, *seed, *key;
	struct sandbox_op *op;

	if (!id || !*id)
		id = target;
	if (sharing && strcmp(sharing, "shared") && strcmp(sharing, "private") &&
	    strcmp(sharing, "locked"))
		return error_set(e, 0, "cache mount on %s: unknown sharing mode %s", target,
				 sharing);
	/* The id may hold any characters: the directory is named by its hash.
	 * A seeded cache is another cache (BuildKit keys it by id and the
	 * base's ref): same id, other from/source, other directory. */
	seed = cache_seed_name(m);
	key = seed ? xasprintf("%s\n%s", id, seed) : xstrdup(id);
	sha256_hex(key, strlen(key), hex);
	hex[32] = '\0';
	dir = xasprintf("%s/cache/%s", sb->rt->store, hex);
	op = sandbox_add(sb, SB_BIND, dir, target,
			 json_is_true(json_object_get(m, "ro")) ? SB_RO : 0);
	free(dir);
	free(key);
	free(seed);
	op->sharing = sharing ? sharing[0] : 's';
	op->mode = (mode_t)jnum(m, "mode", 0755, 8);
	op->uid = (uid_t)jnum(m, "uid", 0, 10);
	op->gid = (gid_t)jnum(m, "gid", 0, 10);
	op->data = xstrdup(id);
	return plan_seed(op, m, target, e);
}

static int plan_tmpfs(struct sandbox *sb, json_t *m, const char *target)
{
	struct sandbox_op *op = sandbox_add(sb, SB_TMPFS, NULL, target, 0);
	long size = jnum(m, "size", 0, 10);

	op->data = size > 0 ? xasprintf("size=%ld", size) : NULL;
	return 0;
}

/* The secret's bytes: "src" is the host file, or {"env": NAME} the
 * variable of that name in the environment make gave us (--secret
 * id=X,env=NAME). 0, or -1 with why set when it is not there. */
static int secret_read(json_t *m, char **data, size_t *len, struct error *why)
{
	json_t *src = json_object_get(m, "src");
	const char *name = jstr(src, "env"), *v;

	if (json_is_string(src))
		return read_file(json_string_value(src), data, len, why);
	if (!name || !*name)
		return error_set(why, 0, "no source");
	v = getenv(name);
	if (!v)
		return error_set(why, 0, "$%s is not set", name);
	*len = strlen(v);
	*data = xstrndup(v, *len);
	return 0;
}

static int plan_secret(struct sandbox *sb, json_t *m, const char *workdir, struct error *e)
{
	const char *id = jstr(m, "id"), *env = jstr(m, "env");
	int required = json_is_true(json_object_get(m, "required"));
	char *data = NULL, *def, *target = NULL;
	size_t len = 0;
	struct sandbox_op *op;
	struct error ignored;

	if ((!id || !*id) && jstr(m, "target")) {
		const char *t = jstr(m, "target");
		id = strrchr(t, '/') ? strrchr(t, '/') + 1 : t;
	}
	if (!id || !*id)
		return error_set(e, 0, "secret mount: id or target is required");
	if (secret_read(m, &data, &len, &ignored) < 0) {
		if (required)
			return error_set(e, 0, "secret %s: required but not provided: %s", id,
					 ignored.msg);
		return 0;
	}
	if (env) {
		strlist_take(&sb->env, xasprintf("%s=%.*s", env, (int)len, data));
		if (!jstr(m, "target")) {
			free(data);
			return 0;
		}
	}
	def = xasprintf("/run/secrets/%s", id);
	target = mount_target(m, workdir, def, e);
	free(def);
	if (!target) {
		free(data);
		return -1;
	}
	op = sandbox_add(sb, SB_FILE, NULL, target, SB_RO);
	op->data = data;
	op->len = len;
	op->mode = (mode_t)jnum(m, "mode", 0400, 8);
	op->uid = (uid_t)jnum(m, "uid", 0, 10);
	op->gid = (gid_t)jnum(m, "gid", 0, 10);
	free(target);
	return 0;
}

static int env_has(const struct strlist *env, const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < env->n; i++)
		if (strncmp(env->v[i], name, n) == 0 && env->v[i][n] == '=')
			return 1;
	return 0;
}

/* The agent socket of a granted mount. The compiler grants one with
 * "agent": the name of the variable build.mk exports (DF2MAKE_SSH_ID),
 * holding the path given to --ssh or the $SSH_AUTH_SOCK that make runs
 * with. No "agent": not granted, *sock stays NULL; the runtime never
 * looks for an agent of its own. A grant that leads nowhere is an error,
 * as BuildKit's client fails on a bad --ssh. */
static int ssh_agent(json_t *m, const char *id, const char **sock, struct error *e)
{
	const char *var = jstr(m, "agent");
	struct stat st;

	*sock = NULL;
	if (!var)
		return 0;
	if (!startswith(var, "DF2MAKE_SSH_"))
		return error_set(e, 0, "ssh %s: agent variable %s is not a DF2MAKE_SSH_ one", id,
				 var);
	*sock = getenv(var);
	if (!*sock || !**sock)
		return error_set(e, 0,
				 "ssh %s: no agent socket: $%s is empty (df2make --ssh %s "
				 "without a path takes the SSH_AUTH_SOCK make runs with)",
				 id, var, id);
	if (stat(*sock, &st) < 0)
		return error_set(e, errno, "ssh %s: agent socket %s", id, *sock);
	if (!S_ISSOCK(st.st_mode))
		return error_set(e, 0,
				 "ssh %s: %s is not a socket (df2make relays an agent's socket, "
				 "it does not load key files)",
				 id, *sock);
	return 0;
}

static int plan_ssh(struct sandbox *sb, json_t *m, const char *workdir, int nth, struct error *e)
{
	const char *id = jstr(m, "id") && *jstr(m, "id") ? jstr(m, "id") : "default";
	const char *sock;
	char *def = xasprintf("/run/buildkit/ssh_agent.%d", nth);
	char *target = mount_target(m, workdir, def, e);
	struct sandbox_op *op;

	free(def);
	if (!target)
		return -1;
	if (ssh_agent(m, id, &sock, e) < 0) {
		free(target);
		return -1;
	}
	if (!sock) { /* not granted: no socket, no SSH_AUTH_SOCK, or an error */
		int r = json_is_true(json_object_get(m, "required"))
			    ? error_set(e, 0,
					"ssh %s: required, but no agent was granted (df2make --ssh "
					"%s[=SOCKET])",
					id, id)
			    : 0;
		free(target);
		return r;
	}
	/* The command talks to a relay socket of the step's own, made with
	 * the mount's mode and owner; the agent's socket stays untouched. */
	op = sandbox_add(sb, SB_BIND, sock, target, SB_PROXY);
	op->mode = (mode_t)jnum(m, "mode", 0600, 8);
	op->uid = (uid_t)jnum(m, "uid", 0, 10);
	op->gid = (gid_t)jnum(m, "gid", 0, 10);
	op->data = xstrdup(id);
	if (!env_has(&sb->env, "SSH_AUTH_SOCK"))
		strlist_take(&sb->env, xasprintf("SSH_AUTH_SOCK=%s", target));
	free(target);
	return 0;
}

static int plan_one(struct sandbox *sb, json_t *m, const char *workdir, int *nssh, struct error *e)
{
	const char *type = jstr(m, "type") ? jstr(m, "type") : "bind";
	char *target;
	int r;

	if (strcmp(type, "secret") == 0)
		return plan_secret(sb, m, workdir, e);
	if (strcmp(type, "ssh") == 0)
		return plan_ssh(sb, m, workdir, (*nssh)++, e);
	target = mount_target(m, workdir, NULL, e);
	if (!target)
		return -1;
	if (strcmp(type, "bind") == 0)
		r = plan_bind(sb, m, target, e);
	else if (strcmp(type, "cache") == 0)
		r = plan_cache(sb, m, target, e);
	else if (strcmp(type, "tmpfs") == 0)
		r = plan_tmpfs(sb, m, target);
	else
		r = error_set(e, 0, "mount on %s: unknown type %s", target, type);
	free(target);
	return r;
}

static size_t depth(const char *p)
{
	size_t n = 0;

	for (; *p; p++)
		n += *p == '/';
	return n;
}

int mounts_plan(struct sandbox *sb, json_t *mounts, const char *workdir, struct error *e)
{
	size_t first = sb->nops, i;
	json_t *m;
	int nssh = 0;

	json_array_foreach(mounts, i, m)
	{
		if (plan_one(sb, m, workdir, &nssh, e) < 0)
			return error_wrap(e, "mount %zu", i + 1);
	}
	/* Parents before children, as BuildKit sorts mounts (stable). */
	for (size_t a = first + 1; a < sb->nops; a++)
		for (size_t b = a; b > first && depth(sb->ops[b].dest) < depth(sb->ops[b - 1].dest);
		     b--) {
			struct sandbox_op t = sb->ops[b];
			sb->ops[b] = sb->ops[b - 1];
			sb->ops[b - 1] = t;
		}
	return 0;
}
