/* df2make-runtime: the helper build.mk recipes call. Option parsing and
 * dispatch only; each op lives in its own module. */
#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "idmap.h"
#include "imeta.h"
#include "lock.h"
#include "progress.h"
#include "rt.h"
#include "store.h"
#include "util.h"
#include "rtversion.h"
#include "snapshot.h"
#include "specarg.h"

/* Option values live for the whole process; kept file-level so early
 * exits (usage, --help) do not leak them. */
static char *state, *store;

typedef int (*step_fn)(const struct rt *, const char *, json_t *, struct error *);
typedef int (*cmd_fn)(const struct rt *, int, char **);

static const struct {
	const char *name;
	step_fn fn;
} steps[] = {
    {"add", op_copy},	     {"base", op_base},		{"cache-export", op_cache_export},
    {"copy", op_copy},	     {"fetch", op_fetch},	{"fsum", op_fsum},
    {"layer", op_layer},     {"metadata", op_metadata}, {"pack", op_pack},
    {"publish", op_publish}, {"resolve", op_resolve},	{"run", op_run},
    {"sum", op_sum},	     {"workdir", op_workdir},
};

static const struct {
	const char *name;
	cmd_fn fn;
} cmds[] = {
    {"clean", cmd_clean},   {"fsck", cmd_fsck},		{"gc", cmd_gc},
    {"images", cmd_images}, {"import", cmd_import},	{"load", cmd_load},
    {"login", cmd_login},   {"logout", cmd_logout},	{"pull", cmd_pull},
    {"push", cmd_push},	    {"transfer", cmd_transfer},
};

static void usage(FILE *f)
{
	fprintf(
	    f, "usage: df2make-runtime [--state DIR] [--store DIR] [--quiet]\n"
	       "                       [--progress auto|plain|tty|quiet|none|rawjson] COMMAND ...\n"
	       "       df2make-runtime --help | --version\n"
	       "\n"
	       "commands for users:\n"
	       "  load -i IMAGE.tar|DIR [-t NAME]  load a docker-archive or OCI archive/layout\n"
	       "  import ROOTFS.tar NAME           make an image from a root filesystem tarball\n"
	       "  images                           list the images in the store\n"
	       "  pull [--platform P] [--tls-verify=false] REF   pull an image from a registry\n"
	       "  push [--tls-verify=false] IMAGE.tar|DIR REF | NAME [REF]   push to a registry\n"
	       "  transfer oci:DIR docker://REF | docker://REF oci:DIR   layout <-> registry\n"
	       "  login -u USER -p PASS|--password-stdin [SERVER] / logout [SERVER]\n"
	       "  fsck [--repair]                  verify the store (and --state) against their\n"
	       "                                   digests; --repair removes what is damaged\n"
	       "  gc                               remove what no image (and no step of --state)\n"
	       "                                   references\n"
	       "  clean                            remove the --state directory (make clean)\n"
	       "\n"
	       "steps (called by build.mk; see docs/internals.md):\n"
	       "  "
	       "base|resolve|run|copy|add|fetch|sum|fsum|workdir|layer|pack|metadata|\n"
	       "  publish|cache-export KEY SPEC-JSON|@STATE/HASH.spec\n"
	       "\n"
	       "--progress (default $DF2MAKE_PROGRESS, else auto): how steps report; --quiet:\n"
	       "no progress at all, the command's output passed through as it is\n");
}

/* A done step's chain.json that this step reads (its parent's, for its
 * sandbox, its copy, its layer; a COPY --from's or a RUN --mount=from's
 * source stage): written without an fsync, it may be torn by a crash, and
 * then that step's stamp goes (rt_torn) so that the next make redoes it
 * and this step, with no fsck in between. A step without a stamp is left
 * to the op, which says what is missing. what names it in the message. */
static int done_chain_ok(const struct rt *rt, const char *what, const char *key, struct error *e)
{
	cleanup_free char *done = NULL;
	json_t *chain;

	if (!key || !rt_key_valid(key))
		return 0;
	if ((chain = chain_read(rt, key, e))) {
		json_decref(chain);
		return 0;
	}
	done = rt_path(rt, key, ".done");
	if (access(done, F_OK) < 0) {
		*e = (struct error){0};
		return 0;
	}
	error_wrap(e, "%s step %.8s", what, key);
	return rt_torn(rt, key, e);
}

/* The source step of a "from":{"step":KEY} object, or NULL. */
static const char *from_step(json_t *o)
{
	return json_string_value(json_object_get(json_object_get(o, "from"), "step"));
}

/* done_chain_ok for every step whose chain the spec's op reads. */
static int spec_chains_ok(const struct rt *rt, json_t *spec, struct error *e)
{
	json_t *m;
	size_t i;

	const char *parent = json_string_value(json_object_get(spec, "parent"));

	if (done_chain_ok(rt, "parent", parent, e) < 0 ||
	    done_chain_ok(rt, "COPY --from", from_step(spec), e) < 0)
		return -1;
	json_array_foreach(json_object_get(spec, "mounts"), i, m)
	{
		if (done_chain_ok(rt, "mount source", from_step(m), e) < 0)
			return -1;
	}
	return 0;
}

/* The op, then the step's layer when its spec asks for it (not for a
 * step restored from --cache-from: pack takes its layer). A step op
 * (one that writes KEY.done) rewrites STATE/KEY, so the layer made from
 * it goes first: build.mk orders KEY.layer after KEY.done without
 * comparing their times (the step's own process writes both), which is
 * right only while an existing KEY.layer is newer than the step's last
 * run. */
static int run_op(const struct rt *rt, step_fn fn, const char *name, const char *key, json_t *spec,
		  struct error *e)
{
	const char *out = rt_op_output(name);
	int step = out && strcmp(out, ".done") == 0, r;
	char *meta = rt_path(rt, key, ".layer");

	if (step)
		unlink(meta);
	free(meta);
	if (step && spec_chains_ok(rt, spec, e) < 0)
		return -1;
	r = cache_step(rt, name, key, spec, e);
	if (r == 0 && (r = fn(rt, key, spec, e)) == 0) { /* not restored from --cache-from */
		rt_step_record(name);
		if (step && json_object_get(spec, "layer") &&
		    (r = layer_in_step(rt, key, spec, e)) == 0)
			rt_step_record("layer");
	} else if (r == 1) {
		/* restored: its layer (fetched lazily) is pack's to take, and
		 * a failure there is the layer's, not this step's */
		rt_step_record(name);
		r = 0;
	}
	return r;
}

static int run_step(const struct rt *rt, step_fn fn, const char *name, int argc, char **argv)
{
	struct error e = {0};
	json_t *spec;
	int r, done;
	long long t0 = progress_now();

	if (argc != 2 || !rt->state) {
		fprintf(stderr,
			"df2make-runtime: usage: --state DIR %s KEY SPEC-JSON|@STATE/HASH.spec\n",
			name);
		return 2;
	}
	spec = specarg_load(rt, argv[1], &e);
	if (!spec) {
		fprintf(stderr, "df2make-runtime: %s %s: %s\n", name, argv[0], e.msg);
		return 2;
	}
	progress_set_op(name);
	/* Concurrent makes on one state dir: one runs the step, the others
	 * wait and then take its result (runtime/lock.c). */
	r = rt_step_lock(rt, name, argv[0], &done, &e);
	if (r == 0 && done)
		rt_progress(rt, argv[0], spec, "(done by a concurrent build)");
	if (r == 0 && done)
		progress_cached();
	else if (r == 0)
		r = run_op(rt, fn, name, argv[0], spec, &e);
	rt_step_unlock();
	progress_step_end(rt, argv[0], t0, r < 0 ? (e.msg[0] ? e.msg : "step failed") : NULL);
	json_decref(spec);
	if (r < 0) {
		progress_failed("df2make-runtime: %s", e.msg[0] ? e.msg : "step failed");
		return 1;
	}
	return 0;
}

/* Runs the step or command named by argv[0]. */
static int dispatch(const struct rt *rt, int argc, char **argv)
{
	for (size_t i = 0; i < LEN(steps); i++)
		if (strcmp(argv[0], steps[i].name) == 0)
			return run_step(rt, steps[i].fn, steps[i].name, argc - 1, argv + 1);
	for (size_t i = 0; i < LEN(cmds); i++)
		if (strcmp(argv[0], cmds[i].name) == 0)
			return cmds[i].fn(rt, argc - 1, argv + 1);
	fprintf(stderr, "df2make-runtime: unknown command '%s'\n", argv[0]);
	usage(stderr);
	return 2;
}

/* Rootless with subordinate ids: the process runs in the user namespace
 * with the full map (runtime/idmap.h) before any op that touches layer
 * trees or the state. Those that read only the context or the refs skip
 * its cost (a fork and two setuid helpers, about 5 ms). */
static int enter_idmap(const char *cmd)
{
	/* not load/import: their blob writer sweeps the store's killed
	 * unpackers' temp dirs, which hold files of subordinate ids */
	static const char *const outside[] = {"sum", "images"};
	struct error e = {0};

	for (size_t i = 0; i < LEN(outside); i++)
		if (strcmp(cmd, outside[i]) == 0)
			return 0;
	if (idmap_enter(&e) >= 0)
		return 0;
	fprintf(stderr, "df2make-runtime: %s\n", e.msg);
	return -1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"state", required_argument, NULL, 's'},
	    {"store", required_argument, NULL, 'S'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {"progress", required_argument, NULL, 'P'},
	    {NULL, 0, NULL, 0},
	};
	struct rt rt = {0};
	const char *progress = getenv("DF2MAKE_PROGRESS");
	int c;

	argv0 = "df2make-runtime";
	/* libarchive converts entry names through the locale's charset: in the
	 * C locale a name like "unicode-\xc3\xa9" cannot be written to a pax
	 * header. File names are bytes; C.UTF-8 passes UTF-8 ones through. */
	if (!setlocale(LC_CTYPE, "C.UTF-8"))
		setlocale(LC_CTYPE, "");
	while ((c = getopt_long(argc, argv, "+hq", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			free(state);
			state = path_abs(optarg);
			break;
		case 'S':
			free(store);
			store = path_abs(optarg);
			break;
		case 'q':
			rt.quiet = 1;
			break;
		case 'P':
			progress = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			rtversion_print();
			return fflush(stdout) == 0 ? 0 : 1;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	rt.state = state;
	rt.store = store ? store : (store = store_default_dir());
	if (progress_init(progress, state) < 0) {
		fprintf(stderr,
			"df2make-runtime: --progress: unknown mode '%s' (want auto, plain, "
			"tty, quiet, none or rawjson)\n",
			progress);
		return 2;
	}
	rt_init(&rt);
	c = enter_idmap(argv[optind]) < 0 ? 1 : dispatch(&rt, argc - optind, argv + optind);
	free(state);
	free(store);
	return c;
}
