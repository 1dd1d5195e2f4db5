/* cli: df2make's command line (DESIGN.md usage contract). Paths that end
 * up in build.mk are made absolute here, so the Makefile works from any
 * directory and its remake rule can replay them. */
#ifndef DF_CLI_H
#define DF_CLI_H
#include <stddef.h>

#include "util.h"

enum cli_mode { MODE_MAKE, MODE_PLAN, MODE_GRAPH, MODE_DUMP };

/* --secret id=X,src=F */
struct cli_secret {
	char *id;
	char *src; /* absolute host path; never read by df2make */
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
	char *state;		       /* absolute, or NULL: .df2make beside build.mk */
	char *store;		       /* absolute */
	struct cli_secret *secrets;
	size_t nsecrets;
	char *platform;	 /* --platform or NULL (host) */
	char *templates; /* absolute --templates dir or NULL */
	char *compress;	 /* none|gzip|zstd */
	char *dump_path; /* --dump-ast FILE */
	int pull;	 /* --pull: every run of make re-resolves base image tags */
	int push;	 /* --push: make pushes the image to each -t */
	int argc;	 /* the original arguments, for build.mk's header */
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
