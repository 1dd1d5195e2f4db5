/* dot: the stage graph in Graphviz DOT: stages as nodes, FROM and --from
 * edges labelled, stages the target does not need greyed out. */
#ifndef DF_DOT_H
#define DF_DOT_H

struct buf;
struct graph;

/* Appends the DOT document to out. */
void dot_write(struct graph *g, struct buf *out);

#endif
