/* outline: `docker build --call targets` and `--call outline` (BuildKit's
 * frontend subrequests frontend.targets and frontend.outline), printed as
 * buildx prints their result.txt: the stages with their doc comments; the
 * build args, secrets and ssh ids a build of the target uses. */
#ifndef DF_OUTLINE_H
#define DF_OUTLINE_H
#include <stdio.h>

struct dockerfile;
struct graph;

/* TARGET/DESCRIPTION of every stage (the last one marked "(default)"). */
int outline_targets(const struct dockerfile *df, FILE *f);
/* The target's name and doc comment, then BUILD ARG/VALUE/DESCRIPTION,
 * SECRET/REQUIRED and SSH/REQUIRED of the stages it needs. */
int outline_print(const struct graph *g, FILE *f);

#endif
