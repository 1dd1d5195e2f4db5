/* outline: `docker build --call targets` and `--call outline` (BuildKit's
 * frontend subrequests frontend.targets and frontend.outline), printed as
 * buildx prints their result.txt: the stages with their doc comments; the
 * build args, secrets and ssh ids a build of the target uses. */
#ifndef DF_OUTLINE_H
#define DF_OUTLINE_H
#include <stdio.h>

struct diags;
struct dockerfile;
struct graph;

/* TARGET/DESCRIPTION of every stage (the last one marked "(default)");
 * 0, or -1 with the error in dg (the Dockerfile cannot be read again). */
int outline_targets(const struct dockerfile *df, FILE *f, struct diags *dg);
/* The target's name and doc comment, then BUILD ARG/VALUE/DESCRIPTION,
 * SECRET/REQUIRED and SSH/REQUIRED of the stages it needs; 0, or -1 as
 * outline_targets. */
int outline_print(const struct graph *g, FILE *f, struct diags *dg);

#endif
