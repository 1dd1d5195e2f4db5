/* instr: typed, validated Dockerfile instructions. Built from the reader's
 * syntax tree (parse.h); flags are checked here (unknown flag, bad value,
 * missing value -> error at the flag's column). Words are kept as written
 * (NOT expanded): expansion needs the ARG/ENV scope, which the back end
 * (args.c/graph.c) owns. */
#ifndef DF_INSTR_H
#define DF_INSTR_H
#include <stddef.h>
#include <stdint.h>

#include "diag.h"
#include "mountflag.h"
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

/* NAME=value pair (ENV, LABEL, ARG). Errors point at the instruction: no
 * place of its own, and no flag for "ARG NAME" but a NULL value (16 bytes,
 * one per line of an ENV file). */
struct kv {
	char *key;
	char *value; /* as written, quotes included (expanded later); NULL
		      * for "ARG NAME" (no value) */
};

struct heredoc {
	char *name;    /* delimiter word, unquoted */
	char *content; /* body, with trailing newline, tabs stripped for <<- */
	char *raw;     /* <<-: the body as written (RUN hands it to the shell), else content */
	int expand;    /* 0 when the delimiter was quoted */
	int chomp;     /* <<- */
	int fd;	       /* optional fd prefix (3<<EOF), else -1 */
};

/* HEALTHCHECK CMD's options: durations in nanoseconds, 0 = inherit. */
struct instr_hc {
	long long interval, timeout, start_period, start_interval;
	int retries; /* 0 = inherit */
};

/* RUN --network and --security as written, and where (for the
 * entitlement errors): most RUNs have neither, so the instruction holds a
 * pointer, NULL when neither was written. */
struct run_opts {
	char *network;	/* "default", "none", "host" or NULL */
	char *security; /* "sandbox", "insecure" or NULL */
	int network_line, network_col, security_line, security_col;
};

/* Every instruction of a file is in one array (its size per line is most
 * of the compiler's memory for a big file): the flags are bytes next to
 * kind, the counts 32 bits (heredocs 16), and what only one kind has
 * shares a union (FROM, COPY/ADD, RUN, ONBUILD, HEALTHCHECK): read a
 * union field only after checking kind. Each is allocated as long as its
 * kind needs (instr_size): 72 bytes without the union, 96 for a RUN. */
struct instr {
	unsigned char kind;	      /* enum instr_kind */
	signed char json;	      /* see args */
	signed char legacy_kv;	      /* ENV k v / LABEL k v form */
	signed char hc_none;	      /* HEALTHCHECK NONE */
	signed char link, parents;    /* COPY / ADD flags */
	signed char keep_git_dir;     /* ADD */
	signed char keep_git_dir_set; /* --keep-git-dir was written (ADD) */
	signed char unpack;	      /* -1 unset, 0 false, 1 true */
	uint16_t nheredocs;	      /* see heredocs (at most 65535: an error past it) */
	uint32_t nargs;		      /* here: in the flags' padding */
	uint32_t pos;		      /* its index in struct dockerfile.instrs (padding too) */
	uint32_t nkvs;		      /* see kvs */
	struct loc loc;
	char *original; /* the instruction's source text, continuations joined */

	/* Shell or exec form (RUN, CMD, ENTRYPOINT, SHELL, HEALTHCHECK CMD):
	 * json=1: args are the exec words; json=0: args[0] is the command text.
	 * COPY/ADD: args are sources then the destination (last), as written;
	 * heredoc sources ("<<EOF") are not in args but in heredocs, in order.
	 * VOLUME: the paths. EXPOSE: the port words, sorted as BuildKit does.
	 * USER, WORKDIR, STOPSIGNAL, MAINTAINER: args[0]. ONBUILD: args[0] is
	 * the trigger text BuildKit stores in Config.OnBuild. */
	char **args;
	/* No kind has both: read kvs up to nkvs (0 but for ENV, LABEL and
	 * ARG) and heredocs up to nheredocs (0 but for RUN, COPY and ADD). */
	union {
		struct kv *kvs;		  /* ENV, LABEL, ARG */
		struct heredoc *heredocs; /* RUN, COPY, ADD: malloc'd */
	};

	union {
		struct {		  /* FROM */
			char *image;	  /* as written ("golang", "${BASE}", "scratch") */
			char *stage_name; /* lower-cased AS name or NULL */
			char *platform;	  /* --platform as written or NULL */
		};
		struct { /* COPY / ADD */
			char *from, *chown, *chmod, *checksum;
			char **excludes;
			uint32_t nexcludes;
		};
		struct { /* RUN */
			struct mount *mounts;
			struct run_opts *opts; /* --network, --security; NULL: neither */
			uint32_t nmounts;
		};
		/* ONBUILD: the inner instruction, or NULL when it does not parse
		 * (BuildKit reports that only when the trigger runs). */
		struct instr *inner;
		/* HEALTHCHECK CMD (and hc_none above); NULL: all inherited */
		struct instr_hc *hc;
	};
};

struct dockerfile {
	char *path;
	char escape;  /* '\\' or '`' */
	char *syntax; /* # syntax= directive or NULL */
	char *check;  /* # check= directive or NULL */
	/* Each in the arena, as long as its kind needs (instr_size): an ENV
	 * line has no use for the union's 48 bytes, a 50,000-line file of
	 * them spent 2.4 MB on it; a RUN none for COPY's. */
	struct instr **instrs;
	size_t ninstrs;
	int *empty_cont; /* lines of the reader's empty-continuation warnings
			  * (lint's NoEmptyContinuation) */
	size_t nempty_cont;
	/* Every string and array of the instructions but the heredoc
	 * arrays, and the reader's words they point at: freed at once. */
	struct arena arena;
};

/* Reads and validates a Dockerfile. On an error appends it to dg (the
 * caller prints it: "FILE:LINE:COL: error: MSG", the line and a caret)
 * and returns NULL; nothing is left allocated. */
struct dockerfile *dockerfile_load(const char *path, struct diags *dg);
/* Same, from memory (tests, ONBUILD triggers from image configs). */
struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len,
				    struct diags *dg);
/* Non-fatal variant of dockerfile_parse: NULL with err filled on any error. */
struct dockerfile *dockerfile_parse_err(const char *path, const char *text, size_t len,
					struct df_error *err);
/* Converts one instruction line (an ONBUILD trigger stored in an image
 * config) into an instruction located at loc. The instruction and its
 * strings and mounts are allocated in a (the caller's compile-long
 * arena); its heredoc array is freed by instr_clear. NULL with an
 * error in dg when the line is not a valid instruction. */
struct instr *instr_parse_trigger(const char *text, const struct loc *loc, char escape,
				  struct arena *a, struct diags *dg);
/* The bytes an instruction of kind needs: of the union only its kind's
 * fields. */
size_t instr_size(int kind);
/* Frees what an instruction holds outside its arena: the heredoc array
 * (RUN, COPY, ADD). */
void instr_clear(struct instr *in);
/* Frees a dockerfile and everything in it. */
void dockerfile_free(struct dockerfile *df);
/* The instruction's keyword in upper case ("RUN"). */
const char *instr_name(enum instr_kind k);
/* Whether s names a signal as moby's signal.ParseSignal takes it (a
 * non-zero number, a name with or without SIG, RTMIN+n, RTMAX-n). */
int instr_valid_signal(const char *s);

#endif
