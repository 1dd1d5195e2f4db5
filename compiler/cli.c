/* cli: option parsing (see cli.h). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "fsutil.h"
#include "store.h"
#include "util.h"

enum {
	OPT_TARGET = 256,
	OPT_BUILD_ARG,
	OPT_STATE,
	OPT_STORE,
	OPT_SECRET,
	OPT_PLATFORM,
	OPT_TEMPLATES,
	OPT_COMPRESS,
	OPT_PLAN,
	OPT_GRAPH,
	OPT_DUMP,
	OPT_VERSION,
	OPT_PULL,
	OPT_PUSH,
};

static const struct option cli_opts[] = {
    {"file", required_argument, NULL, 'f'},
    {"tag", required_argument, NULL, 't'},
    {"output", required_argument, NULL, 'o'},
    {"target", required_argument, NULL, OPT_TARGET},
    {"build-arg", required_argument, NULL, OPT_BUILD_ARG},
    {"state", required_argument, NULL, OPT_STATE},
    {"store", required_argument, NULL, OPT_STORE},
    {"secret", required_argument, NULL, OPT_SECRET},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"templates", required_argument, NULL, OPT_TEMPLATES},
    {"compress", required_argument, NULL, OPT_COMPRESS},
    {"plan", no_argument, NULL, OPT_PLAN},
    {"graph", no_argument, NULL, OPT_GRAPH},
    {"dump-ast", required_argument, NULL, OPT_DUMP},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"pull", no_argument, NULL, OPT_PULL},
    {"push", no_argument, NULL, OPT_PUSH},
    {NULL, 0, NULL, 0},
};

static void cli_usage(FILE *f)
{
	fputs("usage: df2make [-f Dockerfile] [-t NAME[:TAG]] [--target STAGE]\n"
	      "               [--build-arg K=V|K]... [-o OUTPUT] [--state DIR] [--store DIR]\n"
	      "               [--secret id=ID,src=FILE]... [--platform OS/ARCH[/VARIANT]]\n"
	      "               [--templates DIR] [--compress none|gzip|zstd] [--pull] [--push]\n"
	      "               [CONTEXT] > build.mk\n"
	      "       df2make --plan  [options] [CONTEXT] > plan.yaml\n"
	      "       df2make --graph [options] [CONTEXT] > stages.dot\n"
	      "       df2make --dump-ast FILE\n"
	      "\n"
	      "  -f FILE            Dockerfile (default CONTEXT/Dockerfile)\n"
	      "  -t NAME[:TAG]      tag of the image (repeatable)\n"
	      "  --target STAGE     build this stage (default: the last one)\n"
	      "  --build-arg K=V    set a build argument; K alone takes it from the environment\n"
	      "  -o OUTPUT          image.tar (default), or type=tar|oci|local,dest=PATH\n"
	      "  --state DIR        build state (default .df2make beside build.mk)\n"
	      "  --store DIR        image store (default $DF2MAKE_STORE or ~/.cache/df2make)\n"
	      "  --secret id=ID,src=FILE  a file for RUN --mount=type=secret\n"
	      "  --platform P       target platform (default: this machine)\n"
	      "  --templates DIR    Makefile fragments to use instead of the built-in ones\n"
	      "  --compress C       layer compression: none (default), gzip or zstd\n"
	      "  --push             make pushes the image to each -t NAME:TAG after writing it\n"
	      "  --pull             make re-resolves base image tags at every run (default:\n"
	      "                     only images missing from the store are pulled)\n"
	      "  --plan, --graph    print the build plan (YAML) or the stage graph (DOT)\n"
	      "  --dump-ast FILE    print the syntax tree of FILE\n",
	      f);
}

/* A repeated option: the last one wins (and the first is not leaked). */
static void cli_set(char **field, char *v)
{
	free(*field);
	*field = v;
}

/* -o: a path (tar), or buildx's type=...,dest=... */
static void cli_output(struct cli *c, const char *arg)
{
	char *s, *tok, *save = NULL;

	if (!strchr(arg, '=')) {
		cli_set(&c->output, xstrdup(arg));
		cli_set(&c->output_type, xstrdup("tar"));
		return;
	}
	s = xstrdup(arg);
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (startswith(tok, "type="))
			cli_set(&c->output_type, xstrdup(tok + 5));
		else if (startswith(tok, "dest="))
			cli_set(&c->output, xstrdup(tok + 5));
		else
			fatal("-o: unknown option '%s' (want type=tar|oci|local|docker,dest=PATH)",
			      tok);
	}
	free(s);
	if (c->output_type && strcmp(c->output_type, "docker") == 0) { /* a docker-archive tar */
		free(c->output_type);
		c->output_type = xstrdup("tar");
	}
	if (!c->output_type || (strcmp(c->output_type, "tar") && strcmp(c->output_type, "oci") &&
				strcmp(c->output_type, "local")))
		fatal("-o: type must be tar, oci or local");
	if (!c->output || !*c->output)
		fatal("-o: dest= is required");
}

/* --secret id=X,src=F (also source=, and type=file) */
static void cli_secret(struct cli *c, const char *arg)
{
	char *s = xstrdup(arg), *tok, *save = NULL, *id = NULL, *src = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (startswith(tok, "id="))
			id = tok + 3;
		else if (startswith(tok, "src="))
			src = tok + 4;
		else if (startswith(tok, "source="))
			src = tok + 7;
		else if (strcmp(tok, "type=file") != 0)
			fatal("--secret: unsupported option '%s' (want id=ID,src=FILE)", tok);
	}
	if (!id || !*id || !src || !*src)
		fatal("--secret: want id=ID,src=FILE");
	c->secrets = xreallocarray(c->secrets, c->nsecrets + 1, sizeof(*c->secrets));
	c->secrets[c->nsecrets].id = xstrdup(id);
	c->secrets[c->nsecrets].src = path_abs(src);
	c->nsecrets++;
	free(s);
}

static void cli_build_arg_add(struct cli *c, const char *arg)
{
	const char *v;

	strlist_add(&c->build_args_raw, arg);
	if (strchr(arg, '=')) {
		strlist_add(&c->build_args, arg);
		return;
	}
	v = getenv(arg);
	if (v) /* like buildx: K alone means K's value in the environment, if any */
		strlist_take(&c->build_args, xasprintf("%s=%s", arg, v));
}

static void cli_option(struct cli *c, int opt, const char *arg)
{
	switch (opt) {
	case 'f':
		cli_set(&c->dockerfile, path_abs(arg));
		break;
	case 't':
		strlist_add(&c->tags, arg);
		break;
	case 'o':
		cli_output(c, arg);
		break;
	case OPT_TARGET:
		cli_set(&c->target, xstrdup(arg));
		break;
	case OPT_BUILD_ARG:
		cli_build_arg_add(c, arg);
		break;
	case OPT_STATE:
		cli_set(&c->state, path_abs(arg));
		break;
	case OPT_STORE:
		cli_set(&c->store, path_abs(arg));
		break;
	case OPT_SECRET:
		cli_secret(c, arg);
		break;
	case OPT_PLATFORM:
		cli_set(&c->platform, xstrdup(arg));
		break;
	case OPT_TEMPLATES:
		cli_set(&c->templates, path_abs(arg));
		break;
	case OPT_COMPRESS:
		cli_set(&c->compress, xstrdup(arg));
		break;
	case OPT_PLAN:
		c->mode = MODE_PLAN;
		break;
	case OPT_GRAPH:
		c->mode = MODE_GRAPH;
		break;
	case OPT_DUMP:
		c->mode = MODE_DUMP;
		cli_set(&c->dump_path, xstrdup(arg));
		break;
	case 'h':
		cli_usage(stdout);
		exit(0);
	case OPT_PULL:
		c->pull = 1;
		break;
	case OPT_PUSH:
		c->push = 1;
		break;
	case OPT_VERSION:
		printf("df2make %s\n", PACKAGE_VERSION);
		exit(0);
	default:
		cli_usage(stderr);
		exit(1);
	}
}

/* Fills what the user did not give. */
static void cli_defaults(struct cli *c, const char *ctxarg)
{
	c->context = path_abs(ctxarg ? ctxarg : ".");
	if (!c->dockerfile)
		c->dockerfile = path_join(c->context, "Dockerfile");
	if (!c->output) {
		c->output = xstrdup("image.tar");
		c->output_type = xstrdup("tar");
	}
	if (!c->store)
		c->store = store_default_dir();
	if (!c->compress)
		c->compress = xstrdup("none"); /* as docker save: a local tar needs no gzip */
	if (strcmp(c->compress, "none") && strcmp(c->compress, "gzip") &&
	    strcmp(c->compress, "zstd"))
		fatal("--compress: want none, gzip or zstd, not '%s'", c->compress);
}

void cli_parse(struct cli *c, int argc, char **argv)
{
	int opt;

	memset(c, 0, sizeof(*c));
	c->argc = argc;
	c->argv = argv;
	while ((opt = getopt_long(argc, argv, "f:t:o:h", cli_opts, NULL)) != -1)
		cli_option(c, opt, optarg);
	if (c->mode == MODE_DUMP) {
		if (optind != argc)
			fatal("--dump-ast takes no other arguments");
		return;
	}
	if (argc - optind > 1) {
		cli_usage(stderr);
		fatal("too many arguments: only one CONTEXT");
	}
	cli_defaults(c, optind < argc ? argv[optind] : NULL);
}

void cli_free(struct cli *c)
{
	free(c->dockerfile);
	free(c->context);
	free(c->target);
	strlist_free(&c->tags);
	strlist_free(&c->build_args);
	strlist_free(&c->build_args_raw);
	free(c->output);
	free(c->output_type);
	free(c->state);
	free(c->store);
	for (size_t i = 0; i < c->nsecrets; i++) {
		free(c->secrets[i].id);
		free(c->secrets[i].src);
	}
	free(c->secrets);
	free(c->platform);
	free(c->templates);
	free(c->compress);
	free(c->dump_path);
}

const char *cli_build_arg(const struct cli *c, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;

	for (size_t i = 0; i < c->build_args.n; i++)
		if (strncmp(c->build_args.v[i], name, n) == 0 && c->build_args.v[i][n] == '=')
			found = c->build_args.v[i] + n + 1; /* the last one wins */
	return found;
}

char *cli_self_path(void)
{
	char buf[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", buf, sizeof(buf) - 1);

	if (n <= 0)
		return xstrdup("df2make");
	buf[n] = '\0';
	return xstrdup(buf);
}
