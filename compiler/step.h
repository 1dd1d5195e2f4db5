/* step: dispatching one stage's instructions (BuildKit's dispatch): ARG
 * and ENV scoping, expansion of exactly the instructions BuildKit expands,
 * the image config, and one step (make target) per filesystem
 * instruction with the JSON spec docs/internals.md defines. */
#ifndef DF_STEP_H
#define DF_STEP_H

struct graph;
struct stage;
struct step;
struct instr;

/* Turns a reachable stage into steps; its deps were dispatched before.
 * 0, or -1 with the error in g->dg (the stage stops at that instruction). */
int step_dispatch_stage(struct graph *g, struct stage *s);
/* Frees what dispatching kept for the whole graph. */
void step_free_graph(struct graph *g);
/* A base step (FROM image, or scratch when image is NULL); stage is NULL
 * for an image used by --from. Keyed and added to the graph. */
struct step *step_base(struct graph *g, struct stage *s, const char *image, const char *manifest,
		       const struct instr *in);

#endif
