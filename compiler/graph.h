/* graph: the stage graph (BuildKit's rules: names, bases, --from edges,
 * reachability from the target) and the steps it becomes.
 * Stages know their base stage and the stages their COPY --from, RUN
 * --mount from= and ONBUILD triggers need; only the stages the target
 * reaches are resolved against the store and dispatched into steps. */
#ifndef DF_GRAPH_H
#define DF_GRAPH_H
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "args.h"
#include "config.h"
#include "platform.h"
#include "util.h"

struct diags;
struct error;

struct cli;
struct dockerfile;
struct instr;
struct ignore;

/* Traversal state as flag bits (samurai build.c style). */
enum {
	FLAG_REACH = 1 << 0, /* the target needs this stage */
	FLAG_CYCLE = 1 << 1, /* on the DFS stack */
	FLAG_DONE = 1 << 2,  /* visited / dispatched */
	FLAG_FINAL = 1 << 3, /* step in the final image's chain (gets a .layer) */
	FLAG_LIGHT = 1 << 4, /* stage whose config goes into no image */
};

enum step_kind { STEP_BASE, STEP_RUN, STEP_COPY, STEP_ADD, STEP_WORKDIR };

struct stage;
struct graph;
struct spec;

/* What only a step that reads sources has (COPY, ADD, a RUN binding the
 * context): allocated on first use (step_src), NULL for the others. */
struct step_src {
	struct spec *sum_spec; /* the sum spec when not the step's own (RUN bind) */
	struct strlist inputs; /* context-relative paths read (sum prerequisites) */
	struct fetch *fetch;   /* ADD: its URL and git sources' fetch steps (fetch.h) */
};

/* One make target $(STATE)/KEY.done: a filesystem step. */
struct step {
	/* the small fields first, around key, what reads sources apart and a
	 * base's last: 136 bytes a RUN's or COPY's step, not 200 (a step per
	 * RUN and COPY line is most of a big graph) */
	unsigned char kind; /* enum step_kind */
	signed char sum;    /* reads the context: has a KEY.sum step */
	signed char fsum;   /* COPY/ADD --from a stage: waits for a KEY.fsum step
			     * (the sources' digest) rather than the stage's stamp */
	unsigned flags;
	unsigned nchild; /* see child */
	uint32_t ndeps;	 /* see deps */
	uint32_t nfetch; /* see src->fetch */
	char key[33];
	struct step *parent;	/* the step below (NULL: base) */
	struct spec *spec;	/* the op's JSON spec, title and loc included;
				 * NULL once emitted when the graph keeps no specs */
	char *title, *loc;	/* the spec's title and loc (NULL after the step
				 * hook when graph_hook_only: the spec's text) */
	const struct instr *in; /* NULL for a base made for --from=IMAGE */
	struct stage *stage;	/* NULL for such a base */
	struct step **deps;	/* other steps whose .done this needs */
	struct step_src *src;	/* NULL: it reads no sources */
	/* The kept steps on top of this one (graph_add_step looks for an
	 * identical step among them): first, next, and how many (nchild). */
	struct step *child, *sibling;
	/* STEP_BASE only: the other kinds are allocated without these
	 * (STEP_SIZE); read them after checking kind */
	char *image;	/* normalised image name (NULL: scratch) */
	char *ref;	/* the store's ref file */
	char *manifest; /* manifest digest, NULL when not in the store */
};
/* The bytes of a step that is not a base: no image, ref or manifest. */
#define STEP_SIZE offsetof(struct step, image)

/* A stage's need of another stage, with the instruction that made it. */
struct dep {
	struct stage *stage;
	const struct instr *in; /* NULL for FROM */
	const char *what;	/* the --from value as written */
};

struct stage {
	char *name;  /* lower-cased AS name, or NULL */
	char *label; /* name, or "stage-N" */
	int index;
	const struct instr *from;
	const struct instr **instrs; /* after FROM: ONBUILD triggers run first
				      * (then malloc'd: ntriggers > 0; else in
				      * the Dockerfile's array) */
	size_t ninstrs;
	size_t ntriggers;
	int own_triggers;     /* the triggers were parsed from an image config */
	int dir_base;	      /* the first "trigger" is a directory context's COPY */
	char *image;	      /* expanded FROM image (NULL when the base is a stage) */
	char *platform;	      /* expanded FROM --platform or NULL */
	struct platform plat; /* the stage's platform: FROM --platform, its base
			       * stage's, else the build's target */
	char *ref;	      /* the store ref file the base image came from */
	const char *ctxdir;   /* --build-context NAME=DIR that is the stage's
			       * base or the stage itself, or NULL */
	struct stage *base;
	struct dep *deps;
	size_t ndeps;
	struct step *base_step; /* FROM image / scratch */
	struct step *last;	/* the stage's result */
	struct step **steps;	/* the stage's own steps, in order */
	size_t nsteps, stepcap;
	json_t *image_config; /* base image's config from the store, or NULL */
	char *manifest;	      /* base image's manifest digest, or NULL (missing) */
	struct config cfg;    /* the stage's image config at its end */
	struct vars args;     /* the stage's ARG scope at its end */
	struct vars env;      /* what RUN and expansion see: Env and ARG values in
			       * the order they were set, the later winning
			       * (BuildKit's state env) */
	int level;	      /* parallel level: 0 = needs no other stage */
	unsigned flags;
};

/* Called while the graph is built, so build.mk can be written as steps
 * are made and their specs dropped (memory stays flat for big files).
 * A hook returns 0, or -1 with its error in g->dg: graph_build stops. */
struct graph_hooks {
	int (*begin)(void *arg, struct graph *g);		  /* after reach, before steps */
	int (*step)(void *arg, struct graph *g, struct step *st); /* a new, finished step */
	void *arg;
	int drop_specs; /* free each spec after the step hook */
	int no_image;	/* no image config is written (--plan, --graph) */
	int no_keys;	/* nothing reads keys (--graph): steps get unique
			 * placeholders instead of hashes */
	int no_grants;	/* --call outline lists secrets, ssh ids and
			 * entitlements: none is checked, no missing
			 * image warned about */
};

/* A slot of graph's key table: the key's first 16 hex digits as a number
 * beside the step, so a probe compares them without loading the step. */
struct key_slot {
	uint64_t h;
	struct step *st;
};

struct graph {
	const struct cli *cli;
	const struct graph_hooks *hooks;
	struct dockerfile *df;
	struct stage *stages;
	size_t nstages;
	struct stage *target;
	struct vars globals;
	struct step **steps; /* every step to emit, dependencies first */
	size_t nsteps, stepcap;
	struct key_slot *bykey; /* table by key of the steps without a parent
				 * and of those of a parent with many */
	size_t keycap, nkeys;
	char *ignore_path; /* the ignore file in effect, or NULL */
	struct ignore *ignore;
	struct strlist refs;	   /* store ref files of resolved images */
	struct strlist missing;	   /* ref files of images not in the store */
	struct strlist pulls;	   /* images build.mk pulls: missing ones, all with --pull */
	struct strlist pull_locs;  /* "Dockerfile:LINE" of each pull's first use */
	struct strlist pull_plats; /* the platform each pull asks for ("os/arch[/variant]") */
	struct platform tplat;	   /* --platform, else the host's */
	char *os, *arch, *variant; /* the image config's platform */
	struct nctx *nctx;	   /* nctx.c: the named directory contexts read */
	size_t nnctx;
	struct input_memo *memo; /* step.c: context sources resolved so far */
	size_t nmemo, memocap;
	struct arena arena; /* steps with their titles and locs, triggers from
			     * image configs: freed at once */
	struct diags *dg;   /* where graph_build's errors go (the caller's) */
	int hook_failed;    /* a hook's error is in dg: no more hooks, dispatch stops */
};

/* Builds the graph for the Dockerfile and options. On an error (duplicate
 * stage, cycle, forward --from, unknown target, bad base image, a
 * dispatch error, a hook's) appends it to dg and returns NULL. */
struct graph *graph_build(struct dockerfile *df, const struct cli *c,
			  const struct graph_hooks *hooks, struct diags *dg);
/* Frees the graph (not the dockerfile it was built from). */
void graph_free(struct graph *g);
/* st's sources, made (zeroed) on the first call. */
struct step_src *step_src(struct step *st);
/* The spec of st's sum step: a RUN bind's own, else st's. */
struct spec *step_sum_spec(const struct step *st);
/* The context paths st reads (none without sources). */
const struct strlist *step_inputs(const struct step *st);
/* 1 when the step hook is the only reader of a step's title and loc
 * (build.mk): they may then be its spec's text, gone after the hook. */
int graph_hook_only(const struct graph *g);
/* A step is final (spec complete, keyed): runs the step hook (not after
 * one failed: then g->hook_failed is set). */
void graph_step_done(struct graph *g, struct step *st);
/* A stage by name (case-insensitive) or index ("0"), or NULL. */
struct stage *graph_stage_ref(const struct graph *g, const char *name);
/* Adds a keyed step to the graph's emission list and returns it, or
 * returns the step already there with the same key (identical work is
 * done once, as BuildKit deduplicates vertices); st is then freed. */
struct step *graph_add_step(struct graph *g, struct step *st);
/* When build.mk pulls the normalised image for plat ("os/arch[/variant]",
 * NULL: the build's target platform): 1, and key[33] gets the pull step's
 * key (STATE/KEY.pull); else 0. */
int graph_pull_key(const struct graph *g, const char *image, const char *plat, char key[33]);
/* The platform a base step's image is pulled for (its stage's: FROM
 * --platform, else the target's), formatted into buf. */
const char *graph_step_plat(const struct graph *g, const struct step *st, char buf[PLATFORM_MAX]);
/* The base step for an image used by --from / mount from (one per name),
 * or NULL with e filled when ref is not a valid image reference. */
struct step *graph_image_step(struct graph *g, const char *ref, const struct instr *in,
			      struct error *e);
/* The steps of the final image's chain, bottom first (base excluded);
 * sets FLAG_FINAL on them. Returns the count; *out is malloc'd. */
size_t graph_final_chain(struct graph *g, struct step ***out);

#endif
