/* entitle: entitlements and ssh grants (see entitle.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "entitle.h"
#include "fsutil.h"
#include "instr.h"
#include "mkquote.h"
#include "util.h"

static const struct {
	const char *name;
	unsigned bit;
} ent_known[] = {
    {"network.host", ENT_NETWORK_HOST},
    {"security.insecure", ENT_SECURITY_INSECURE},
};

/* Every device grant as given ("device" alone grants them all). */
static void ent_add_device(struct entitlements *e, const char *arg)
{
	e->allow |= ENT_DEVICE;
	for (size_t i = 0; i < e->devices.n; i++)
		if (strcmp(e->devices.v[i], arg) == 0)
			return;
	strlist_add(&e->devices, arg);
}

/* device=NAME[,alias=X]: BuildKit's ParseDevicesConfig accepts only alias. */
static int ent_parse_device(struct entitlements *e, const char *arg, struct diags *dg)
{
	char *s = xstrdup(arg + strlen("device=")), *tok, *save = NULL;
	int r = 0;

	tok = strtok_r(s, ",", &save);
	if (!tok)
		r = diag_error(dg, NULL, "--allow: device=: a device name is required");
	while (!r && (tok = strtok_r(NULL, ",", &save))) {
		if (!strchr(tok, '='))
			r = diag_error(dg, NULL, "--allow: invalid device config \"%s\"", tok);
		else if (!startswith(tok, "alias="))
			r = diag_error(dg, NULL, "--allow: unknown device config key \"%.*s\"",
				       (int)(strchr(tok, '=') - tok), tok);
	}
	free(s);
	if (!r)
		ent_add_device(e, arg);
	return r;
}

int ent_parse_allow(struct entitlements *e, const char *arg, struct diags *dg)
{
	if (startswith(arg, "device="))
		return ent_parse_device(e, arg, dg);
	if (strcmp(arg, "device") == 0) {
		ent_add_device(e, arg);
		return 0;
	}
	for (size_t i = 0; i < LEN(ent_known); i++) {
		if (strcmp(arg, ent_known[i].name) == 0) {
			e->allow |= ent_known[i].bit;
			return 0;
		}
	}
	return diag_error(
	    dg, NULL,
	    "--allow: unknown entitlement \"%s\" (want network.host, security.insecure or "
	    "device[=NAME])",
	    arg);
}

/* A socket path goes into a make assignment (mk_value escapes `$` and
 * `#`; path_abs makes it start with `/`, so no leading blank is lost):
 * make cannot hold a newline there, and a trailing backslash would join
 * the next line. */
static int ent_socket_ok(const char *id, const char *path, struct diags *dg)
{
	size_t n = strlen(path);

	if (strchr(path, '\n') || path[n - 1] == '\\')
		return diag_error(
		    dg, NULL,
		    "--ssh %s: a socket path cannot contain a newline or end in a backslash", id);
	return 0;
}

/* The checks of one --ssh value; 0 when it may be added. */
static int ent_ssh_ok(const struct entitlements *e, const char *arg, const char *id, const char *eq,
		      struct diags *dg)
{
	if (!*id)
		return diag_error(dg, NULL, "--ssh: want default|ID[=SOCKET], not \"%s\"", arg);
	if (ent_ssh_find(e, id))
		return diag_error(dg, NULL, "--ssh: duplicate agent ID \"%s\"", id);
	/* BuildKit also takes private key files (ID=KEY[,KEY]) and serves
	 * them from an agent of its own; df2make relays a socket only. */
	if (eq && strchr(eq + 1, ','))
		return diag_error(
		    dg, NULL,
		    "--ssh %s: only a single socket is allowed (df2make does not load key files)",
		    id);
	return eq && eq[1] ? ent_socket_ok(id, eq + 1, dg) : 0;
}

int ent_parse_ssh(struct entitlements *e, const char *arg, struct diags *dg)
{
	const char *eq = strchr(arg, '=');
	char *id = eq ? xstrndup(arg, (size_t)(eq - arg)) : xstrdup(arg);

	if (ent_ssh_ok(e, arg, id, eq, dg) < 0) {
		free(id);
		return -1;
	}
	e->ssh = xreallocarray(e->ssh, e->nssh + 1, sizeof(*e->ssh));
	e->ssh[e->nssh].id = id;
	/* ID= as buildx: no path, the agent of $SSH_AUTH_SOCK */
	e->ssh[e->nssh].socket = eq && eq[1] ? path_abs(eq + 1) : NULL;
	e->nssh++;
	return 0;
}

void ent_free(struct entitlements *e)
{
	strlist_free(&e->devices);
	for (size_t i = 0; i < e->nssh; i++) {
		free(e->ssh[i].id);
		free(e->ssh[i].socket);
	}
	free(e->ssh);
	memset(e, 0, sizeof(*e));
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void ent_names(const struct entitlements *e, struct strlist *out)
{
	size_t first = out->n;

	for (size_t i = 0; i < LEN(ent_known); i++)
		if (e->allow & ent_known[i].bit)
			strlist_add(out, ent_known[i].name);
	for (size_t i = 0; i < e->devices.n; i++)
		strlist_add(out, e->devices.v[i]);
	if (out->n > first) /* qsort's base must not be NULL, even for 0 items */
		qsort(out->v + first, out->n - first, sizeof(*out->v), ent_cmp);
}

const struct ent_ssh *ent_ssh_find(const struct entitlements *e, const char *id)
{
	for (size_t i = 0; i < e->nssh; i++)
		if (strcmp(e->ssh[i].id, id) == 0)
			return &e->ssh[i];
	return NULL;
}

char *ent_ssh_var(const char *id)
{
	struct buf b = {0};

	buf_adds(&b, "DF2MAKE_SSH_");
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		/* make exports only names of letters, digits and _ */
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9'))
			buf_addc(&b, (char)*p);
		else
			buf_printf(&b, "_%02x", *p);
	}
	return buf_steal(&b);
}

/* -1 with err at line:col of in's flag for the entitlement name. */
static int ent_refuse(const struct instr *in, int line, int col, const char *name, const char *flag,
		      struct df_error *err)
{
	err->loc = in->loc;
	err->loc.line = line;
	err->loc.col = col;
	snprintf(err->msg, sizeof(err->msg), "%s is not allowed: RUN %s needs df2make --allow %s",
		 name, flag, name);
	return -1;
}

int ent_check_run(const struct entitlements *e, const struct instr *in, struct strlist *used,
		  struct df_error *err)
{
	const struct run_opts *o = in->opts;

	if (o && o->network && strcmp(o->network, "host") == 0) {
		if (!(e->allow & ENT_NETWORK_HOST))
			return ent_refuse(in, o->network_line, o->network_col, "network.host",
					  "--network=host", err);
		strlist_add(used, "network.host");
	}
	if (o && o->security && strcmp(o->security, "insecure") == 0) {
		if (!(e->allow & ENT_SECURITY_INSECURE))
			return ent_refuse(in, o->security_line, o->security_col,
					  "security.insecure", "--security=insecure", err);
		strlist_add(used, "security.insecure");
	}
	return 0;
}

int ent_check_ssh(const struct entitlements *e, const struct mount *mt, const char *id,
		  struct df_error *err)
{
	/* BuildKit's words, at build time there; here the grant is known now */
	if (!mt->required || ent_ssh_find(e, id))
		return 0;
	err->loc = mt->loc;
	snprintf(
	    err->msg, sizeof(err->msg),
	    "no SSH key \"%s\" forwarded from the client (df2make --ssh %s[=SOCKET] grants it)", id,
	    id);
	return -1;
}

void ent_emit_mk(const struct entitlements *e, struct buf *out)
{
	if (!e->nssh)
		return;
	buf_adds(out, "\n# ssh agents granted with --ssh: the path is taken when make runs, and\n"
		      "# only the RUN steps that mount that id see it (make DF2MAKE_SSH_ID=...\n"
		      "# overrides one). No path given: the $SSH_AUTH_SOCK make runs with.\n");
	for (size_t i = 0; i < e->nssh; i++) {
		char *var = ent_ssh_var(e->ssh[i].id);
		buf_printf(out, "%s ?= ", var);
		if (e->ssh[i].socket)
			mk_value(out, e->ssh[i].socket);
		else /* $(value): the text as it is, a `$` in it is not expanded again */
			buf_adds(out, "$(value SSH_AUTH_SOCK)");
		buf_printf(out, "\nexport %s\n", var);
		free(var);
	}
}

void ent_args(const struct entitlements *e, struct strlist *out)
{
	struct strlist names = {0};

	ent_names(e, &names);
	for (size_t i = 0; i < names.n; i++) {
		strlist_add(out, "--allow");
		strlist_add(out, names.v[i]);
	}
	strlist_free(&names);
	for (size_t i = 0; i < e->nssh; i++) {
		strlist_add(out, "--ssh");
		if (e->ssh[i].socket)
			strlist_take(out, xasprintf("%s=%s", e->ssh[i].id, e->ssh[i].socket));
		else
			strlist_add(out, e->ssh[i].id);
	}
}
