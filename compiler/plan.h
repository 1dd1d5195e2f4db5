/* plan: the build plan as YAML via libyaml (docs/plan.md): stages, bases,
 * steps with their keys, inputs and deps, what the target needs, and the
 * levels of stages that can run in parallel. */
#ifndef DF_PLAN_H
#define DF_PLAN_H

struct buf;
struct diags;
struct graph;

/* Appends the plan document to out; 0, or -1 with the error in dg (a
 * value that is not UTF-8, which YAML cannot hold). */
int plan_write(struct graph *g, struct buf *out, struct diags *dg);

#endif
