/* plan: the build plan as YAML via libyaml (docs/plan.md): stages, bases,
 * steps with their keys, inputs and deps, what the target needs, and the
 * levels of stages that can run in parallel. */
#ifndef DF_PLAN_H
#define DF_PLAN_H

struct buf;
struct graph;

/* Appends the plan document to out. */
void plan_write(struct graph *g, struct buf *out);

#endif
