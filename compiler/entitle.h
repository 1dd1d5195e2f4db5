/* entitle: what the person running df2make grants a build, BuildKit's
 * entitlements (`--allow network.host|security.insecure|device`) and ssh
 * agents (`--ssh ID[=SOCKET]`). A Dockerfile can ask for them, only the
 * command line grants them (docs/security.md, threat model). */
#ifndef DF_ENTITLE_H
#define DF_ENTITLE_H
#include <stddef.h>

#include "util.h"

struct buf;
struct df_error;
struct instr;
struct mount;

/* Entitlement bits, as BuildKit's util/entitlements names them. */
enum {
	ENT_NETWORK_HOST = 1,
	ENT_SECURITY_INSECURE = 2,
	ENT_DEVICE = 4,
};

/* One --ssh: an agent id and where its socket is. */
struct ent_ssh {
	char *id;
	char *socket; /* absolute path, or NULL: $SSH_AUTH_SOCK when make runs */
};

struct diags;

struct entitlements {
	unsigned allow;		/* ENT_* bits */
	struct strlist devices; /* device=... values of --allow, as given */
	struct ent_ssh *ssh;
	size_t nssh;
};

/* --allow VALUE; -1 with an error naming the flag in dg on a value
 * BuildKit does not know. */
int ent_parse_allow(struct entitlements *e, const char *arg, struct diags *dg);
/* --ssh ID[=SOCKET]; -1 with an error naming the flag in dg on a bad value. */
int ent_parse_ssh(struct entitlements *e, const char *arg, struct diags *dg);
/* Frees what the parsers allocated. */
void ent_free(struct entitlements *e);

/* The granted entitlement names, sorted ("device" values as given). */
void ent_names(const struct entitlements *e, struct strlist *out);
/* The --ssh grant of id, or NULL. */
const struct ent_ssh *ent_ssh_find(const struct entitlements *e, const char *id);
/* The make (and environment) variable that carries id's socket path from
 * make to the runtime: DF2MAKE_SSH_ and id with bytes other than letters
 * and digits as _XX. Malloc'd. */
char *ent_ssh_var(const char *id);

/* -1 with err at the flag when RUN in asks for --network=host or
 * --security=insecure and that was not granted; otherwise 0, with the
 * entitlements it uses added to used. */
int ent_check_run(const struct entitlements *e, const struct instr *in, struct strlist *used,
		  struct df_error *err);
/* -1 with err at the mount when a required ssh mount's id was not
 * granted, else 0. */
int ent_check_ssh(const struct entitlements *e, const struct mount *mt, const char *id,
		  struct df_error *err);

/* Appends build.mk's block that defines and exports the ssh variables
 * (nothing when no --ssh was given). */
void ent_emit_mk(const struct entitlements *e, struct buf *out);
/* Appends the options that grant e again ("--allow", "X", "--ssh", ...),
 * for the remake rule. */
void ent_args(const struct entitlements *e, struct strlist *out);

#endif
