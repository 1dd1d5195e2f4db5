/* lint: BuildKit's build checks (frontend/dockerfile/linter): the same
 * rule names, messages, `# check=skip=...;error=...;experimental=...`
 * directive and per-instruction `# check=` comments. The checks run as
 * one pass over the typed instructions after they are read (and, in a
 * compile, after the graph is built, to know which stages are built):
 * the pass replays the ARG/ENV scoping BuildKit's dispatch does, with
 * expand.c, so that it sees exactly the variables BuildKit's does.
 * Findings are struct diag records printed in one place (diag.h). */
#ifndef DF_LINT_H
#define DF_LINT_H

struct cli;
struct diags;
struct dockerfile;
struct graph;

/* Runs the checks. reach[i] != 0 for the stages (FROM order) the build
 * dispatches, or reach NULL for every stage (--check). Appends the
 * findings to out, sorted. Returns 1 when the check directive says
 * error=true and a rule fired, else 0; -1 on an error (a bad
 * BUILDKIT_DOCKERFILE_CHECK, an unknown --target), which is then the last
 * record of out. */
int lint_run(const struct dockerfile *df, const struct cli *c, const unsigned char *reach,
	     struct diags *out);
/* df2make --check: prints the findings on stdout with a summary line, and
 * BuildKit's "lint violation found for rules" on stderr when error=true.
 * Returns 1 for that, 0 for a clean check, -1 on an error (in dg, nothing
 * printed). */
int lint_check(const struct dockerfile *df, const struct cli *c, struct diags *dg);
/* A compile: prints the warnings of the stages g builds on stderr. Returns
 * 1 on error=true with findings (main() then exits 1 and build.mk is taken
 * back, as a build fails), -1 on an error (in dg), else 0. */
int lint_build(const struct dockerfile *df, const struct cli *c, const struct graph *g,
	       struct diags *dg);

#endif
