/* instr: typed, validated Dockerfile instructions. Built from the reader's
 * syntax tree (parse.h); flags are checked here (unknown flag, bad value,
 * missing value -> error at the flag's column). Words are kept as written
 * (NOT expanded): expansion needs the ARG/ENV scope, which the back end
 * (args.c/graph.c) owns. */
#ifndef DF_INSTR_H
#define DF_INSTR_H
#include <stddef.h>

#include "util.h"

enum instr_kind {
	I_ADD,
	I_ARG,
	I_CMD,
	I_COPY,
	I_ENTRYPOINT,
	I_ENV,
	I_EXPOSE,
	I_FROM,
	I_HEALTHCHECK,
	I_LABEL,
	I_MAINTAINER,
	I_ONBUILD,
	I_RUN,
	I_SHELL,
	I_STOPSIGNAL,
	I_USER,
	I_VOLUME,
	I_WORKDIR,
};

/* A place in a Dockerfile; line and col are 1-based. */
struct loc {
	const char *file;
	int line, col;
	int end_line;
};

/* NAME=value pair (ENV, LABEL, ARG). has_value is 0 for "ARG NAME". */
struct kv {
	char *key;
	char *value; /* as written, quotes included (expanded later) */
	int has_value;
	struct loc loc;
};

struct heredoc {
	char *name;    /* delimiter word, unquoted */
	char *content; /* body, with trailing newline, tabs stripped for <<- */
	int expand;    /* 0 when the delimiter was quoted */
	int chomp;     /* <<- */
	int fd;	       /* optional fd prefix (3<<EOF), else -1 */
};

enum mount_type { MOUNT_BIND, MOUNT_CACHE, MOUNT_TMPFS, MOUNT_SECRET, MOUNT_SSH };
enum mount_sharing { SHARING_SHARED, SHARING_PRIVATE, SHARING_LOCKED };

/* One RUN --mount, values as written (expanded later). Unset strings are
 * NULL; unset numbers are -1. Defaults that do not depend on the stage are
 * filled in: secret id (source, else basename of target) and target
 * (/run/secrets/<id> unless only env= is given), secret mode 0400, ssh id
 * "default" and mode 0600, cache mode 0755, uid/gid 0 for those three.
 * Left to the back end: cache id (the target joined with WORKDIR and
 * cleaned), ssh target (/run/buildkit/ssh_agent.N), relative targets
 * (joined with WORKDIR; the result "/" is "invalid mount target").
 * When a value holds a '$', that value is not validated and `deferred`
 * is set: expand and validate with mount_parse(spec, expander, ...). */
struct mount {
	enum mount_type type;
	char *target, *source, *from, *id, *env;
	int readonly; /* bind: default 1; rw/readwrite sets 0. cache: ro sets 1 */
	enum mount_sharing sharing;
	long mode, uid, gid; /* -1 = default */
	char *size;	     /* tmpfs size as written */
	int required;
	struct loc loc;
	char *spec;	      /* the --mount value as written (additive) */
	long long size_bytes; /* tmpfs size in bytes, -1 = unlimited (additive) */
	int deferred;	      /* some value needs expansion first (additive) */
};

/* The int fields are kept in pairs: the array of 9,900 instructions of a
 * big file is first touched page by page, so padding costs page faults. */
struct instr {
	enum instr_kind kind;
	int json; /* see args */
	struct loc loc;
	char *keyword;	/* as written, e.g. "run" lower-cased */
	char *original; /* the instruction's source text, continuations joined */

	/* Shell or exec form (RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK CMD):
	 * json=1: args are the exec words; json=0: args[0] is the command text.
	 * COPY/ADD: args are sources then the destination (last), as written;
	 * heredoc sources ("<<EOF") are not in args but in heredocs, in order.
	 * VOLUME: the paths. EXPOSE: the port words, sorted as BuildKit does.
	 * USER, WORKDIR, STOPSIGNAL, MAINTAINER: args[0]. ONBUILD: args[0] is
	 * the trigger text BuildKit stores in Config.OnBuild. */
	char **args;
	size_t nargs;

	struct kv *kvs; /* ENV, LABEL, ARG */
	size_t nkvs;
	int legacy_kv; /* ENV k v / LABEL k v form */
	int hc_none;   /* HEALTHCHECK NONE */

	struct heredoc *heredocs;
	size_t nheredocs;

	/* FROM */
	char *image;	  /* as written ("golang", "${BASE}", "scratch") */
	char *stage_name; /* lower-cased AS name or NULL */
	char *platform;	  /* --platform as written or NULL */

	/* COPY / ADD */
	char *from, *chown, *chmod, *checksum;
	int link, parents, keep_git_dir;
	int unpack; /* -1 unset, 0 false, 1 true */
	char **excludes;
	size_t nexcludes;

	/* RUN */
	struct mount *mounts;
	size_t nmounts;
	char *network;	/* "default", "none", "host" or NULL */
	char *security; /* "sandbox", "insecure" or NULL */
	/* where those flags are, for the entitlement errors (additive) */
	int network_line, network_col, security_line, security_col;

	/* ONBUILD: the inner instruction, or NULL when it does not parse
	 * (BuildKit reports that only when the trigger runs). */
	struct instr *inner;

	/* HEALTHCHECK (and hc_none above): durations in nanoseconds,
	 * 0 = inherit */
	long long hc_interval, hc_timeout, hc_start_period, hc_start_interval;
	int hc_retries; /* 0 = inherit */
};

struct dockerfile {
	char *path;
	char escape;  /* '\\' or '`' */
	char *syntax; /* # syntax= directive or NULL */
	char *check;  /* # check= directive or NULL */
	struct instr *instrs;
	size_t ninstrs;
	int *empty_cont;    /* lines of the reader's empty-continuation warnings
			     * (lint's NoEmptyContinuation) (additive) */
	size_t nempty_cont;
	/* Every string and array of the instructions but mounts and the
	 * heredoc arrays, and the reader's words they point at: freed at once. */
	struct arena arena;
};

/* Reads and validates a Dockerfile. On any error prints
 * "FILE:LINE:COL: error: MSG", the line and a caret to stderr, and exits 1. */
struct dockerfile *dockerfile_load(const char *path);
/* Same, from memory (tests, ONBUILD triggers from image configs). */
struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len);
/* A front-end error as a value (for fuzzing and tests). */
struct df_error {
	struct loc loc;
	char msg[512];
};
/* Non-fatal variant of dockerfile_parse: NULL with err filled on any error. */
struct dockerfile *dockerfile_parse_err(const char *path, const char *text, size_t len,
					struct df_error *err);
/* Converts one instruction line (an ONBUILD trigger stored in an image
 * config) into an instruction located at loc; exits on error. */
struct instr *instr_parse_trigger(const char *text, const struct loc *loc, char escape);
/* Frees an instruction from instr_parse_trigger (additive). */
void instr_free(struct instr *in);
/* Frees a dockerfile and everything in it. */
void dockerfile_free(struct dockerfile *df);
/* The instruction's keyword in upper case ("RUN"). */
const char *instr_name(enum instr_kind k);
/* Prints an error value like loc_fatal, without exiting (additive). */
void df_error_print(const struct df_error *err);

/* Expands one --mount option value (BuildKit's SingleWordExpander):
 * malloc'd result, or NULL with msg filled (additive). */
typedef char *(*mount_expander)(void *ctx, const char *value, char *msg, size_t msglen);
/* Parses a RUN --mount value as BuildKit does: CSV fields, keys
 * case-insensitive, each value expanded by expand; with expand NULL values
 * are literal except those holding '$' (left unvalidated, m->deferred).
 * 0 on success; -1 with msg filled (m is then cleared) (additive). */
int mount_parse(const char *spec, mount_expander expand, void *ctx, struct mount *m, char *msg,
		size_t msglen);
/* Frees the strings of a mount (additive). */
void mount_clear(struct mount *m);

/* Prints "FILE:LINE:COL: error: MSG" (+ source line and caret when the
 * file can be read) and exits 1. Shared by every compiler stage. */
_Noreturn void loc_fatal(const struct loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Same format, "warning:", does not exit. */
void loc_warn(const struct loc *loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
