/* cli: option parsing (see cli.h). */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bflags.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "fsutil.h"
#include "ref.h"
#include "store.h"
#include "ulimit.h"
#include "util.h"
#include "version.h"

enum {
	OPT_TARGET = 256,
	OPT_BUILD_ARG,
	OPT_STATE,
	OPT_STORE,
	OPT_SECRET,
	OPT_ALLOW,
	OPT_SSH,
	OPT_PLATFORM,
	OPT_TEMPLATES,
	OPT_COMPRESS,
	OPT_CACHE_TO,
	OPT_CACHE_FROM,
	OPT_PLAN,
	OPT_GRAPH,
	OPT_DUMP,
	OPT_VERSION,
	OPT_PULL,
	OPT_PUSH,
	OPT_CHECK,
	OPT_ULIMIT,
	OPT_MEMORY,
	OPT_PIDS_LIMIT,
	OPT_PROGRESS,
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
    {"allow", required_argument, NULL, OPT_ALLOW},
    {"ssh", required_argument, NULL, OPT_SSH},
    {"platform", required_argument, NULL, OPT_PLATFORM},
    {"templates", required_argument, NULL, OPT_TEMPLATES},
    {"compress", required_argument, NULL, OPT_COMPRESS},
    {"cache-to", required_argument, NULL, OPT_CACHE_TO},
    {"cache-from", required_argument, NULL, OPT_CACHE_FROM},
    {"plan", no_argument, NULL, OPT_PLAN},
    {"graph", no_argument, NULL, OPT_GRAPH},
    {"dump-ast", required_argument, NULL, OPT_DUMP},
    {"check", no_argument, NULL, OPT_CHECK},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {"pull", no_argument, NULL, OPT_PULL},
    {"push", no_argument, NULL, OPT_PUSH},
    {"ulimit", required_argument, NULL, OPT_ULIMIT},
    {"memory", required_argument, NULL, OPT_MEMORY},
    {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
    {"progress", required_argument, NULL, OPT_PROGRESS},
    {"quiet", no_argument, NULL, 'q'},
    {NULL, 0, NULL, 0},
};

/* Grouped like docker build's flags, one line each; docs/cli.md has the
 * details and df2make(1) the same list. */
static void cli_usage(FILE *f)
{
	fputs("usage: df2make [OPTIONS] [CONTEXT] > build.mk\n"
	      "       df2make --plan|--graph|--check|--call targets|outline [OPTIONS] [CONTEXT]\n"
	      "       df2make --dump-ast FILE | --help | --version\n"
	      "\n"
	      "Compile a Dockerfile into a Makefile; make -f build.mk builds the image.\n"
	      "\n"
	      "Input:\n"
	      "  -f, --file FILE             the Dockerfile (default CONTEXT/Dockerfile)\n"
	      "      --target STAGE          build this stage (default: the last one)\n"
	      "      --build-arg K=V|K       a build argument (K alone: its environment value)\n"
	      "      --platform P[,P...]     target platform(s) OS/ARCH[/VARIANT]\n"
	      "      --build-context NAME=DIR|docker-image://REF|oci-layout://DIR[:TAG]\n"
	      "                              a directory or an image for stage or image NAME\n"
	      "\n"
	      "Output:\n"
	      "  -t, --tag NAME[:TAG]        name of the image (repeatable)\n"
	      "  -o, --output OUT            image.tar (default), or\n"
	      "                              type=tar|docker|oci|local,dest=PATH[,tar=false]\n"
	      "                              (type=docker alone: --load)\n"
	      "                              or type=image|registry,name=NAME[,NAME...]\n"
	      "                              [,push=true]: -t NAME... and --push\n"
	      "      --label K=V             set a label on the image (repeatable)\n"
	      "      --annotation [TYPE:]K=V annotation of the manifest (TYPE: manifest,\n"
	      "                              manifest-descriptor, index, index-descriptor)\n"
	      "      --format docker|oci     media types of the image (podman; default oci)\n"
	      "      --compress C            layer compression: none (default), gzip or zstd\n"
	      "      --iidfile FILE          make writes the image id to FILE\n"
	      "      --metadata-file FILE    make writes buildx's build metadata (JSON) to FILE\n"
	      "      --load                  make loads the image with docker (or podman)\n"
	      "      --push                  make pushes the image to each -t NAME:TAG\n"
	      "      --squash, --squash-all  the new layers as one; every layer as one\n"
	      "      --progress MODE         how make shows the steps: auto (tty on a terminal,\n"
	      "                              else plain), plain, tty, quiet (errors, and the\n"
	      "                              image id on stdout), none or rawjson; make\n"
	      "                              PROGRESS=MODE overrides it\n"
	      "  -q, --quiet                 --progress=quiet: make prints only the image id\n"
	      "\n"
	      "RUN:\n"
	      "      --network MODE          default network of RUN: default, none or host\n"
	      "      --add-host HOST:IP      add a line to /etc/hosts of each RUN (repeatable)\n"
	      "      --shm-size SIZE         size of /dev/shm of each RUN (default 64m)\n"
	      "      --memory SIZE           memory limit of each RUN (512m, 1g)\n"
	      "      --pids-limit N          process limit of each RUN (default 4096; -1: none)\n"
	      "      --ulimit NAME=SOFT[:HARD]  a resource limit of each RUN (repeatable)\n"
	      "      --secret id=ID[,src=FILE|,env=VAR]  a secret for RUN --mount=type=secret\n"
	      "                              (also ADD's HTTP_AUTH_TOKEN_HOST, GIT_AUTH_TOKEN...)\n"
	      "      --ssh default|ID[=SOCKET]  an ssh agent for RUN --mount=type=ssh\n"
	      "                              (default: also ADD's git@host:repo, ssh://)\n"
	      "      --allow ENTITLEMENT     network.host, security.insecure, device[=NAME]\n"
	      "\n"
	      "Cache:\n"
	      "      --no-cache              run every step again (no state, no --cache-from)\n"
	      "      --no-cache-filter STAGE run these stages' steps again (repeatable, A,B)\n"
	      "      --layers[=false]        podman: false is --no-cache\n"
	      "      --pull                  make re-resolves base image tags at every run\n"
	      "      --cache-from type=local,src=DIR|type=registry,ref=REF  take steps from an\n"
	      "                              exported cache (repeatable; REF alone: registry)\n"
	      "      --cache-to type=local,dest=DIR|type=registry,ref=REF[,mode=min|max]\n"
	      "                              export the step cache (min: the image's steps;\n"
	      "                              max: every stage's)\n"
	      "\n"
	      "Where:\n"
	      "      --state DIR             build state (default .df2make beside build.mk)\n"
	      "      --store DIR             image store ($DF2MAKE_STORE, ~/.cache/df2make)\n"
	      "      --templates DIR         Makefile fragments to use instead of the built-in\n"
	      "\n"
	      "Instead of build.mk:\n"
	      "      --plan                  the build plan (YAML)\n"
	      "      --graph                 the stage graph (Graphviz DOT)\n"
	      "      --check                 BuildKit's build checks only\n"
	      "      --call build|check|outline|targets  docker's --call: check is --check;\n"
	      "                              targets lists the stages, outline the args,\n"
	      "                              secrets and ssh ids of the target\n"
	      "      --dump-ast FILE         the syntax tree of FILE\n"
	      "  -h, --help                  this text\n"
	      "      --version               the versions of df2make, the runtime and libraries\n",
	      f);
}

/* A repeated option: the last one wins (and the first is not leaked). */
static void cli_set(char **field, char *v)
{
	free(*field);
	*field = v;
}

/* One name= of -o type=image: a name, or several separated by commas
 * (buildx's "name=a,b"), each a tag the image is pushed to. */
static void cli_output_name(struct cli *c, const char *tok, int *names)
{
	if (!*tok)
		fatal("-o: empty name");
	strlist_add(&c->tags, tok);
	*names = 1;
}

/* A key=value of -o; names: inside a name= list (a bare word is a name). */
static void cli_output_opt(struct cli *c, const char *tok, int *names, int *push)
{
	if (startswith(tok, "type=")) {
		cli_set(&c->output_type, xstrdup(tok + 5));
	} else if (startswith(tok, "dest=")) {
		cli_set(&c->output, xstrdup(tok + 5));
	} else if (strcmp(tok, "tar=true") == 0 || strcmp(tok, "tar=false") == 0) {
		c->output_tar = tok[4] == 't';
	} else if (startswith(tok, "name=")) {
		cli_output_name(c, tok + 5, names);
		return;
	} else if (strcmp(tok, "push=true") == 0 || strcmp(tok, "push=false") == 0) {
		*push = tok[5] == 't';
	} else if (*names && !strchr(tok, '=')) {
		cli_output_name(c, tok, names);
		return;
	} else {
		fatal("-o: unknown option '%s' (want type=tar|oci|local|docker,dest=PATH"
		      "[,tar=true|false] or type=image|registry,name=NAME[,push=true])",
		      tok);
	}
	*names = 0;
}

/* type=image|registry (buildx): the names are tags, push=true (always for
 * registry) pushes to them; the image is written as a tar (image.tar
 * unless dest= says) since it is what the push target sends. */
static void cli_output_image(struct cli *c, int names, int push)
{
	if (!names)
		fatal("-o type=%s: name= is required", c->output_type);
	if (push > 0 || strcmp(c->output_type, "registry") == 0)
		c->push = 1;
	cli_set(&c->output_type, xstrdup("tar"));
	if (!c->output)
		c->output = xstrdup("image.tar");
}

/* -o: a path (tar), or buildx's type=...,dest=... */
static void cli_output(struct cli *c, const char *arg)
{
	char *s, *tok, *save = NULL;
	int names = 0, named = 0, push = -1;

	c->output_tar = -1;
	if (!strchr(arg, '=')) {
		cli_set(&c->output, xstrdup(arg));
		cli_set(&c->output_type, xstrdup("tar"));
		return;
	}
	s = xstrdup(arg);
	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		/* buildx's CSV quoting: "name=a,b" */
		char *t = tok + (*tok == '"'), *q = strchr(t, '"');
		if (q && q[1] == '\0')
			*q = '\0';
		cli_output_opt(c, t, &names, &push);
		named |= names;
	}
	free(s);
	if (c->output_tar >= 0 && (!c->output_type || strcmp(c->output_type, "oci")))
		fatal("-o: tar= applies to type=oci only");
	if (c->output_type && strcmp(c->output_type, "docker") == 0) { /* a docker-archive tar */
		free(c->output_type);
		c->output_type = xstrdup("tar");
		/* buildx: without dest= the image goes into docker (--load is
		 * its shorthand); make needs a file to load it from */
		if (!c->output) {
			c->output = xstrdup("image.tar");
			if (!c->bf.load) /* recorded: build.mk's remake replays it */
				bflags_option(&c->bf, BF_LOAD, NULL);
		}
	}
	if (c->output_type &&
	    (!strcmp(c->output_type, "image") || !strcmp(c->output_type, "registry")))
		cli_output_image(c, named, push);
	else if (named || push >= 0)
		fatal("-o: name= and push= apply to type=image or type=registry only");
	if (!c->output_type || (strcmp(c->output_type, "tar") && strcmp(c->output_type, "oci") &&
				strcmp(c->output_type, "local")))
		fatal("-o: type must be tar, oci, local, image or registry");
	if (!c->output || !*c->output)
		fatal("-o: dest= is required");
}

/* Where a --secret comes from, as buildx: src= (or source=) a file,
 * env= a variable (type=env takes src= as the variable's name), neither:
 * the variable named like the id if it is set, else the file of that
 * name. Only the name or the path is kept: the value is read when make
 * runs, by the runtime, so build.mk never holds it. */
static void cli_secret_source(struct cli_secret *sec, const char *type, const char *src,
			      const char *env)
{
	if (type && strcmp(type, "env") == 0 && !env)
		env = src, src = NULL;
	if (!src && !env) {
		if (getenv(sec->id))
			env = sec->id;
		else
			src = sec->id;
	}
	if (src && env)
		fatal("--secret %s: src= and env= both given", sec->id);
	if (env && !*env)
		fatal("--secret %s: env= needs a variable name", sec->id);
	if (src && !*src)
		fatal("--secret %s: src= needs a file", sec->id);
	sec->src = src ? path_abs(src) : NULL;
	sec->env = env ? xstrdup(env) : NULL;
}

/* --secret id=X[,src=F|,env=VAR][,type=file|env] */
static void cli_secret(struct cli *c, const char *arg)
{
	char *s = xstrdup(arg), *tok, *save = NULL, *id = NULL, *src = NULL, *env = NULL;
	char *type = NULL;
	struct cli_secret *sec;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (startswith(tok, "id="))
			id = tok + 3;
		else if (startswith(tok, "src="))
			src = tok + 4;
		else if (startswith(tok, "source="))
			src = tok + 7;
		else if (startswith(tok, "env="))
			env = tok + 4;
		else if (strcmp(tok, "type=file") == 0 || strcmp(tok, "type=env") == 0)
			type = tok + 5;
		else
			fatal("--secret: unsupported option '%s' (want id=ID,src=FILE or "
			      "id=ID,env=VAR)",
			      tok);
	}
	if (!id || !*id)
		fatal("--secret: want id=ID,src=FILE or id=ID,env=VAR");
	c->secrets = xreallocarray(c->secrets, c->nsecrets + 1, sizeof(*c->secrets));
	sec = &c->secrets[c->nsecrets++];
	sec->id = xstrdup(id);
	cli_secret_source(sec, type, src, env);
	free(s);
}

/* A registry cache ref, normalised (docker's rules); dies on a bad one.
 * An export is pushed under a tag: a digest names no place to push to. */
static char *cli_cache_ref(const char *opt, const char *ref, int to)
{
	struct error e = {0};
	char *n = ref && *ref ? ref_normalize(ref, &e) : NULL;

	if (!ref || !*ref)
		fatal("%s: type=registry needs ref=REG/NAME:TAG", opt);
	if (!n)
		fatal("%s: bad ref '%s': %s", opt, ref, e.msg);
	if (to && strchr(n, '@'))
		fatal("%s: ref '%s' must name a tag, not a digest (the cache is pushed under it)",
		      opt, ref);
	return n;
}

/* --cache-to type=local,dest=DIR|type=registry,ref=REF[,mode=min|max],
 * --cache-from type=local,src=DIR|type=registry,ref=REF (buildx's syntax;
 * a value without '=' is buildx's short form of a registry ref). Kept as
 * an absolute DIR or a normalised ref, which never starts with '/'. */
static void cli_cache(struct cli *c, const char *arg, int to)
{
	const char *opt = to ? "--cache-to" : "--cache-from", *dkey = to ? "dest=" : "src=";
	char *s = xstrdup(arg), *tok, *save = NULL, *type = NULL, *dir = NULL, *mode = NULL;
	char *ref = NULL, *loc, *unknown = NULL;
	int bare = !strchr(arg, '=');

	if (bare)
		type = "registry", ref = s;
	for (tok = strtok_r(s, ",", &save); tok && !bare; tok = strtok_r(NULL, ",", &save)) {
		if (startswith(tok, "type="))
			type = tok + 5;
		else if (startswith(tok, dkey))
			dir = tok + strlen(dkey);
		else if (to && startswith(tok, "mode="))
			mode = tok + 5;
		else if (startswith(tok, "ref="))
			ref = tok + 4;
		else if (!unknown)
			unknown = tok;
	}
	if (!type || (strcmp(type, "local") != 0 && strcmp(type, "registry") != 0))
		fatal("%s: type must be local or registry, not '%s'", opt, type ? type : "");
	if (unknown)
		fatal("%s: unknown option '%s' (want type=local,%sDIR or type=registry,ref=REF%s)",
		      opt, unknown, dkey, to ? "[,mode=min|max]" : "");
	if (mode && strcmp(mode, "min") != 0 && strcmp(mode, "max") != 0)
		fatal("%s: mode must be min or max, not '%s'", opt, mode);
	if (strcmp(type, "registry") == 0) {
		loc = cli_cache_ref(opt, ref, to);
	} else {
		if (!dir || !*dir || strchr(dir, '\n'))
			fatal("%s: %sDIR is required (a directory name without newlines)", opt,
			      dkey);
		loc = path_abs(dir);
	}
	for (size_t i = 0; !to && loc && i < c->cache_from.n; i++)
		if (strcmp(c->cache_from.v[i], loc) == 0) /* one import target per source */
			free(loc), loc = NULL;
	if (to)
		cli_set(&c->cache_to, loc);
	else if (loc)
		strlist_take(&c->cache_from, loc);
	if (to)
		cli_set(&c->cache_mode, xstrdup(mode ? mode : "min"));
	free(s);
}

/* --memory: docker's size syntax (go-units RAMInBytes): a number, an
 * optional k/m/g/t/p (powers of 1024), an optional "b"; at least 6m. */
static long long cli_memory(const char *arg)
{
	static const char units[] = "kmgtp";
	char *end;
	double v = strtod(arg, &end);
	const char *u = *end == ' ' ? end + 1 : end;
	const char *p = *u ? strchr(units, *u | 0x20) : NULL;

	if (p)
		v *= (double)(1LL << (10 * (p - units + 1)));
	u += p != NULL;
	u += (*u | 0x20) == 'i' && p;
	u += (*u | 0x20) == 'b';
	if (end == arg || *u || !(v >= 0) || v > 9e18)
		fatal("--memory: invalid size '%s' (want e.g. 512m, 1g)", arg);
	if (v < 6 * 1024 * 1024)
		fatal("--memory: %s is below the minimum of 6m", arg);
	return (long long)v;
}

/* --pids-limit: a positive count, or 0/-1 for none (docker). */
static long long cli_pids(const char *arg)
{
	char *end;
	long long n = strtoll(arg, &end, 10);

	if (end == arg || *end || n < -1)
		fatal("--pids-limit: want a number of processes (-1: no limit), not '%s'", arg);
	return n <= 0 ? -1 : n;
}

static void cli_ulimit(struct cli *c, const char *arg)
{
	struct ulimit u;
	char err[256];

	if (ulimit_parse(arg, &u, err, sizeof(err)) < 0)
		fatal("--ulimit: %s", err);
	strlist_add(&c->ulimits, arg);
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

/* The command-line parser decides to exit: on r < 0, prints what dg
 * collected ("df2make: MSG") and exits 1. */
static void cli_check(int r, struct diags *dg)
{
	if (r < 0) {
		diag_show_all(dg, stderr);
		diag_free(dg);
		exit(1);
	}
}

static void cli_option(struct cli *c, int opt, const char *arg)
{
	struct diags dg = {0};

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
	case OPT_ALLOW:
		cli_check(ent_parse_allow(&c->ent, arg, &dg), &dg);
		break;
	case OPT_SSH:
		cli_check(ent_parse_ssh(&c->ent, arg, &dg), &dg);
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
	case OPT_CACHE_TO:
	case OPT_CACHE_FROM:
		cli_cache(c, arg, opt == OPT_CACHE_TO);
		break;
	case OPT_ULIMIT:
		cli_ulimit(c, arg);
		break;
	case OPT_MEMORY:
		c->memory = cli_memory(arg);
		break;
	case OPT_PIDS_LIMIT:
		c->pids_limit = cli_pids(arg);
		break;
	case OPT_PLAN:
		c->mode = MODE_PLAN;
		break;
	case OPT_GRAPH:
		c->mode = MODE_GRAPH;
		break;
	case OPT_CHECK:
		c->check = 1;
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
	case OPT_PROGRESS:
		cli_set(&c->progress, xstrdup(arg));
		break;
	case 'q':
		c->quiet = 1;
		break;
	case OPT_VERSION:
		exit(version_print());
	default:
		if (opt >= BF_NO_CACHE) {
			bflags_option(&c->bf, opt, arg);
			break;
		}
		/* getopt named the flag; exit 2 as getopt-based tools do */
		fputs("Try 'df2make --help' for more information.\n", stderr);
		exit(2);
	}
}

/* --progress and -q, as buildx: -q is --progress=quiet, and with any
 * other mode than auto an error. */
static void cli_progress(struct cli *c)
{
	static const char *const modes[] = {"auto", "plain", "tty", "quiet", "none", "rawjson"};
	size_t i = 0;

	if (!c->progress)
		c->progress = xstrdup("auto");
	while (i < LEN(modes) && strcmp(c->progress, modes[i]) != 0)
		i++;
	if (i == LEN(modes))
		fatal(
		    "--progress: unknown mode '%s' (want auto, plain, tty, quiet, none or rawjson)",
		    c->progress);
	if (c->quiet && strcmp(c->progress, "auto") && strcmp(c->progress, "quiet"))
		fatal("progress=%s and quiet cannot be used together", c->progress);
	if (c->quiet)
		cli_set(&c->progress, xstrdup("quiet"));
}

/* cli_opts followed by bflags_options, for one getopt_long table. */
static struct option *cli_all_opts(void)
{
	size_t n = LEN(cli_opts) - 1, m = 0;
	struct option *all;

	while (bflags_options[m].name)
		m++;
	all = xcalloc(n + m + 1, sizeof(*all));
	memcpy(all, cli_opts, n * sizeof(*all));
	memcpy(all + n, bflags_options, (m + 1) * sizeof(*all));
	return all;
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
	struct option *opts = cli_all_opts();

	memset(c, 0, sizeof(*c));
	c->output_tar = -1;
	c->argc = argc;
	c->argv = argv;
	while ((opt = getopt_long(argc, argv, "f:t:o:hq", opts, NULL)) != -1)
		cli_option(c, opt, optarg);
	free(opts);
	bflags_finish(&c->bf, &c->ent);
	if (c->bf.call && strcmp(c->bf.call, "check") == 0)
		c->check = 1; /* docker's --call check is --check */
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
	cli_progress(c);
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
		free(c->secrets[i].env);
	}
	free(c->secrets);
	ent_free(&c->ent);
	free(c->platform);
	free(c->templates);
	free(c->compress);
	free(c->cache_to);
	free(c->cache_mode);
	strlist_free(&c->cache_from);
	free(c->dump_path);
	strlist_free(&c->ulimits);
	bflags_free(&c->bf);
	free(c->progress);
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
