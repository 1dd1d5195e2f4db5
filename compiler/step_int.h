/* step_int: what the dispatch files share: step.c (state, FROM, WORKDIR,
 * the dispatcher), step_config.c (config instructions), step_run.c (RUN)
 * and step_copy.c (COPY/ADD). Internal to the dispatch. */
#ifndef DF_STEP_INT_H
#define DF_STEP_INT_H
#include <jansson.h>

#include "buf.h"
#include "graph.h"
#include "instr.h"
#include "spec.h"
#include "step.h"

/* Dispatch state of one stage. */
struct disp {
	struct graph *g;
	struct stage *s;
	struct step *cur; /* the stage's current filesystem state */
	int n, total;	  /* instruction number and count, for titles */
	int onbuild;	  /* dispatching an ONBUILD trigger ("ONBUILD " in titles) */
	char escape;
	/* The JSON text of RUN's env, made again only after ENV or ARG
	 * changed the variables (env_gen counts the changes). */
	struct buf env_json;
	unsigned env_gen, env_json_gen;
	size_t env_json_n; /* variables in env_json */
	int env_replaced;  /* a change since env_json replaced a value */
	/* The expansion environment, rebuilt only after ENV or ARG change
	 * it: building it for every instruction showed in profiles. The
	 * "K=V" strings live in one buffer, the vector points into it. */
	struct buf vars_text;
	char **vars;
	size_t vars_cap, vars_n; /* the vector's room and entries */
	size_t vars_from;	 /* env entries already in vars_text */
	int vars_redo;		 /* a value was replaced: rebuild it all */
	struct buf tmp;		 /* a title being written */
	const char *loc_file;	 /* the file of the last loc, and its base name */
	struct buf loc_base;
	int failed; /* an error is in g->dg: the stage stops after this instruction */
};

/* Records the dispatch's error at loc in g->dg (the first one only: the
 * stage stops at the end of the instruction); returns -1. */
int disp_error(struct disp *d, const struct loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The expansion environment: Env and ARG values, the later set winning
 * (an ENV shadows an earlier ARG, a later ARG shadows an ENV). */
char **disp_env(struct disp *d);
/* Sets a variable of the stage's state env (ENV, or an ARG shadowing it). */
void disp_env_set(struct disp *d, const char *name, const char *value);
/* A word expanded with env as BuildKit expands it; on an error (recorded
 * at in, disp_error) "", so the instruction can end before the stage stops. */
char *disp_expand(struct disp *d, const char *word, char **env, const struct instr *in);
/* A new step of the stage at instruction in, titled and located. */
struct step *disp_new(struct disp *d, enum step_kind kind, const struct instr *in);
/* --call outline: true when entitlements and secrets are listed, not checked. */
int step_no_grants(const struct graph *g);
/* Runs the graph's step hook once the kept step is new and final. */
struct step *disp_done(struct graph *g, struct step *st, struct step *kept);
/* Keys the step, records it and makes it the stage's current state;
 * returns the step kept (an identical earlier one replaces st). */
struct step *disp_commit(struct disp *d, struct step *st);
/* "platform" in a spec whose stage is not on the host's platform: the
 * runtime picks the base image by it and runs RUN through binfmt_misc.
 * Left out for the host's, so host builds keep their keys. */
void step_set_platform(struct graph *g, struct spec *sp, struct sv *o, const struct platform *p);
/* ENV or LABEL (env=1: ENV): pairs expanded into the config. */
void disp_kvs(struct disp *d, const struct instr *in, int env);
/* ARG: declares the names, with defaults or build-arg values. */
void disp_arg(struct disp *d, const struct instr *in);
/* One string field (USER, STOPSIGNAL): expanded, stored, in history. */
void disp_string(struct disp *d, const struct instr *in, const char *field);
/* STOPSIGNAL: the expanded signal checked (dispatchStopSignal), stored. */
void disp_stopsignal(struct disp *d, const struct instr *in);
/* EXPOSE: the expanded ports into ExposedPorts. */
void disp_expose(struct disp *d, const struct instr *in);
/* VOLUME: the expanded paths into Volumes. */
void disp_volume(struct disp *d, const struct instr *in);
/* CMD or ENTRYPOINT into the config, with its history line. */
void disp_cmd(struct disp *d, const struct instr *in);
/* SHELL into the config, with its history line. */
void disp_shell(struct disp *d, const struct instr *in);
/* HEALTHCHECK, ONBUILD, MAINTAINER: config and history only. */
void disp_meta(struct disp *d, const struct instr *in);
/* A path joined to WORKDIR when relative, cleaned (trailing '/' kept). */
char *disp_abs(const struct disp *d, const char *p);
/* The step a --from / mount from= names: a stage's result or an image. */
struct sv *disp_from_ref(struct disp *d, struct step *st, const char *from, const struct instr *in);
/* An optional value expanded (NULL stays NULL). */
char *disp_opt(struct disp *d, const char *v, char **vars, const struct instr *in);
/* RUN: one step with its spec (argv, env, mounts, grants, limits). */
void disp_run(struct disp *d, const struct instr *in);
struct nctx;
/* Records the files src names in the context (c NULL: the main one, else
 * a named directory context) as inputs of step st. */
void disp_inputs(struct disp *d, struct step *st, const char *src, const struct instr *in,
		 const struct nctx *c);
/* COPY or ADD: one step with its sources resolved in the context. */
void disp_copy(struct disp *d, const struct instr *in);

#endif
