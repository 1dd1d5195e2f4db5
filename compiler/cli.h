/* cli: df2make's command line (docs/cli.md). Paths that end
 * up in build.mk are made absolute here, so the Makefile works from any
 * directory and its remake rule can replay them. */
#ifndef DF_CLI_H
#define DF_CLI_H
#include <stddef.h>

#include "bflags.h"
#include "entitle.h"
#include "util.h"

enum cli_mode { MODE_MAKE, MODE_PLAN, MODE_GRAPH, MODE_DUMP };

/* --secret id=X,src=F or id=X,env=VAR: one of src and env is set */
struct cli_secret {
	char *id;
	char *src; /* absolute host path; never read by df2make */
	char *env; /* environment variable read when make runs; never by df2make */
};

struct cli {
	enum cli_mode mode;
	char *dockerfile; /* absolute */
	char *context;	  /* absolute */
	char *target;	  /* --target as given, or NULL */
	struct strlist tags;
	struct strlist build_args;     /* "K=V" resolved (K alone: from the environment) */
	struct strlist build_args_raw; /* as given, for the remake rule */
	char *output;		       /* -o destination as given (relative to make's cwd) */
	char *output_type;	       /* "tar", "oci" or "local" */
	int output_tar;		       /* type=oci: tar=true 1, tar=false 0, unset -1 */
	char *state;		       /* absolute, or NULL: .df2make beside build.mk */
	char *store;		       /* absolute */
	struct cli_secret *secrets;
	size_t nsecrets;
	struct entitlements ent; /* --allow, --ssh */
	char *platform;		 /* --platform or NULL (host) */
	char *templates;	 /* absolute --templates dir or NULL */
	char *compress;		 /* none|gzip|zstd */
	/* --cache-to/--cache-from: an absolute DIR (type=local) or a normalised
	 * ref (type=registry), which never starts with '/' */
	char *cache_to;		   /* --cache-to DIR or ref, or NULL */
	char *cache_mode;	   /* its mode=: "min" (default) or "max" */
	struct strlist cache_from; /* --cache-from DIRs and refs, in order */
	char *dump_path;	   /* --dump-ast FILE */
	int pull;		   /* --pull: every run of make re-resolves base image tags */
	int push;		   /* --push: make pushes the image to each -t */
	int check;		   /* --check: run the build checks only (lint.h) */
	int quiet;		   /* -q: --progress=quiet */
	char *progress;		   /* --progress mode, "auto" by default */
	/* RUN resource limits, carried into every RUN's spec: */
	long long memory;	/* --memory in bytes, 0: not given */
	long long pids_limit;	/* --pids-limit, 0: not given (the runtime's default) */
	struct strlist ulimits; /* --ulimit, checked, as given */
	struct bflags bf;	/* docker/podman build's other flags (bflags.h) */
	int argc;		/* the original arguments, for build.mk's header */
	char **argv;
};

/* Parses argv into c; prints usage/version and exits for --help/--version,
 * dies with a message on a usage error. */
void cli_parse(struct cli *c, int argc, char **argv);
/* Frees what cli_parse allocated. */
void cli_free(struct cli *c);
/* The value of build-arg name, or NULL when not given. */
const char *cli_build_arg(const struct cli *c, const char *name);
/* Absolute path of the running df2make binary (for the remake rule). */
char *cli_self_path(void);

#endif
