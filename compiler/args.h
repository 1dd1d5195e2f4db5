/* args: ARG scoping as BuildKit's dockerfile2llb does it. A scope is an ordered list of
 * variables; the global scope holds the ARGs before the first FROM plus
 * the automatic platform ARGs, each stage has its own scope (a copy of
 * its base stage's when built FROM one). */
#ifndef DF_ARGS_H
#define DF_ARGS_H
#include <stddef.h>

#include "nameidx.h"

struct cli;
struct df_error;
struct instr;
struct platform;

struct var {
	char *name;  /* malloc'd with the value after it */
	char *value; /* NULL: declared without a value */
};

struct vars {
	struct var *v;
	size_t n;
	struct nameidx idx; /* names to positions in v */
};

/* Sets name (adding it at the end, or replacing the value in place). */
void args_set(struct vars *vs, const char *name, const char *value);
/* The variable named name, or NULL. */
const struct var *args_find(const struct vars *vs, const char *name);
/* Replaces dst with a deep copy of src. */
void args_copy(struct vars *dst, const struct vars *src);
/* Frees the variables. */
void args_free(struct vars *vs);
/* "name=value", malloc'd. */
char *args_kv(const char *name, const char *value);
/* Appends "NAME=value" for every variable with a value to a NULL-free
 * vector under construction (see args_vec_*). */
void args_to_vec(const struct vars *vs, char ***vec, size_t *n);

/* Fills the automatic global ARGs: BUILD* from the host, TARGET* from
 * the build's target platform, TARGETSTAGE. */
void args_predefined(struct vars *g, const struct platform *target, const char *target_stage);
/* Processes one global ARG instruction (before the first FROM); 0, or -1
 * with err filled when a default does not expand (the ARGs before it set). */
int args_global(struct vars *g, const struct instr *in, const struct cli *c, char escape,
		struct df_error *err);
/* Processes a stage ARG: build-arg, else the expanded default (env is the
 * stage's expansion environment), else the global; 0, or -1 as args_global. */
int args_stage(struct vars *s, const struct vars *g, const struct instr *in, const struct cli *c,
	       char escape, char *const *env, struct df_error *err);
/* The predefined proxy variables: http, https, ftp, no, all. */
#define ARGS_NPROXY 5
/* 1 for the predefined proxy variables (HTTP_PROXY ... in either case). */
int args_is_proxy(const char *name);
/* Proxy variable nth (0 .. ARGS_NPROXY-1) spelt in upper or lower case. */
const char *args_proxy_name(int nth, int upper);
/* Expands word with the NULL-terminated K=V env (malloc'd), or NULL with
 * err filled: the expansion's message at in's place. */
char *args_expand(const char *word, char escape, char *const *env, const struct instr *in,
		  struct df_error *err);

#endif
