/* emitlayer: the layers' parameters in build.mk, and which steps make
 * their layer in their own process (docs/makefile.md "Layers"). */
#ifndef DF_EMITLAYER_H
#define DF_EMITLAYER_H

#include <jansson.h>

#include "graph.h"

struct buf;
struct cli;
struct diags;

/* SOURCE_DATE_EPOCH (build-arg, else environment) as a JSON integer, or
 * null; NULL with the error in dg when it is not a number of seconds. */
json_t *emitlayer_epoch(const struct cli *c, struct diags *dg);
/* {epoch, compress, level} of every layer, pk its hash; NULL with the
 * error in dg. */
json_t *emitlayer_params(const struct cli *c, char pk[33], struct diags *dg);
/* 1 when st is a filesystem step of g's image that makes its layer. */
int emitlayer_in_image(const struct graph *g, const struct step *st);
/* *field = `"layer":{...}` for such a step's spec, else NULL (free it);
 * -1 with the error in g->dg. */
int emitlayer_field(struct graph *g, const struct step *st, char **field);
/* Appends what pack needs of chain step st: " $(STATE)/KEY.done" when
 * the step makes its layer, else " $(STATE)/KEY.layer". */
void emitlayer_prereq(struct buf *b, const struct graph *g, const struct step *st);

#endif
