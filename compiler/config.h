/* config: the image config a stage builds up (Env, WorkingDir, User,
 * Cmd/Entrypoint, Labels, ExposedPorts, Volumes, StopSignal, Healthcheck,
 * OnBuild, Shell) and its history, as BuildKit computes them. Metadata
 * instructions only change this; pack writes it into the image. */
#ifndef DF_CONFIG_H
#define DF_CONFIG_H
#include <jansson.h>

#include "nameidx.h"
#include "util.h"

struct instr;
struct spec;
struct sv;

/* A history entry this build adds: compact, as a 100,000-line Dockerfile
 * has as many (a jansson object each was ~460 bytes). */
struct hist_rec {
	const char *created_by; /* in the config's arena, or an instruction's text */
	const char *step;	/* the step's key (the graph's), NULL: empty_layer */
};

struct config {
	json_t *cfg;	       /* the image config's "config" object; its "Env" only holds
				* the field's place (and the base image's entries): the
				* entries are env below (config_json puts them back) */
	json_t *base_history;  /* the base image's history entries or NULL */
	struct hist_rec *hist; /* then this build's, in order */
	size_t nhist, histcap;
	struct arena arena; /* the records' texts */
	char *author;	    /* MAINTAINER or NULL */
	int cmd_set;	    /* CMD given in this stage: ENTRYPOINT keeps it */
	int light;	    /* goes into no image: only what steps read is kept
			     * (WorkingDir, User, Shell, Env), no history or labels */
	/* Env in order, "K=V" each: this build's texts in the arena, the
	 * base image's borrowed from env_base; NULL for a base entry that
	 * is not a string (written as it is). A jansson string each was
	 * ~100 bytes per ENV line of a 50,000-line file. */
	const char **env;
	/* env_heap[i]: entry i is a malloc'd text of its own, freed when it
	 * is replaced again. A replaced value is malloc'd (not put in the
	 * arena) so that 20,000 `ENV PATH=$PATH:x` keep one PATH, not all. */
	unsigned char *env_heap;
	size_t nenv, envcap;
	json_t *env_base;	/* cfg's "Env" array (borrowed) or NULL */
	struct nameidx env_idx; /* Env names to positions, for ENV */
};

/* A fresh config for FROM scratch (PATH default, WorkingDir "/"). */
void config_scratch(struct config *c);
/* The config inherited from a base image's config JSON (the whole image
 * config: "config", "history", "author"). Adds the PATH default. */
void config_from_image(struct config *c, json_t *image);
/* A deep copy, for a stage built FROM another stage. */
void config_clone(struct config *dst, const struct config *src);
/* Frees the fields. */
void config_free(struct config *c);

/* The value of an Env variable, or NULL. */
const char *config_env_get(const struct config *c, const char *name);
/* Sets an Env variable, keeping its position when it exists. */
void config_env_set(struct config *c, const char *name, const char *value);
/* Env as "K=V" strings appended to a vector (see args_to_vec). */
void config_env_vec(const struct config *c, char ***vec, size_t *n);
/* The "config" object with its Env entries: a new reference. */
json_t *config_json(const struct config *c);
/* Env as a lazy array in sp (spec.h), for the place of the "Env" field
 * of the config's spec value: entries written one at a time. c must
 * outlive the writing. */
struct sv *config_env_sv(const struct config *c, struct spec *sp);
/* WorkingDir ("/" when unset). */
const char *config_workdir(const struct config *c);
/* User ("" when unset). */
const char *config_user(const struct config *c);
/* The shell for shell-form commands (default ["/bin/sh","-c"]); borrowed. */
json_t *config_shell(const struct config *c);
/* Shell form to argv: SHELL + [text]. New reference. */
json_t *config_shell_argv(const struct config *c, const char *text);

/* Sets a config field (steals the reference). */
void config_set(struct config *c, const char *field, json_t *v);
/* Applies CMD / ENTRYPOINT (with the BuildKit reset of an inherited CMD). */
void config_cmd(struct config *c, const struct instr *in);
/* Applies HEALTHCHECK. */
void config_healthcheck(struct config *c, const struct instr *in);
/* Appends a raw trigger to OnBuild. */
void config_onbuild(struct config *c, const char *text);
/* Appends a history entry; step is the step's key or NULL (empty_layer).
 * Does nothing for a light config. */
void config_history(struct config *c, const char *created_by, const char *step);
/* The same with created_by not copied: text that outlives c (an
 * instruction's source text, which most ENV lines' history repeats). */
void config_history_ref(struct config *c, const char *created_by, const char *step);
/* 1 unless the config is light (callers skip making history text). */
int config_keeps_history(const struct config *c);
/* The history as a lazy array in sp (spec.h): entries made one at a time
 * as the pack spec is written, in order. c must outlive the writing. */
struct sv *config_history_sv(const struct config *c, struct spec *sp);
/* The history as a new jansson array (the multi-platform index). */
json_t *config_history_json(const struct config *c);

#endif
