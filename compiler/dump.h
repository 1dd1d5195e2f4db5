/* dump: BuildKit's syntax-tree dump of a Dockerfile (what `buildkit
 * parser dumper` prints and the conformance `result` files hold). */
#ifndef DF_DUMP_H
#define DF_DUMP_H
#include <stddef.h>
#include <stdio.h>

struct buf;
struct df_error;

struct diags;
/* Reads path and prints one "(instruction ...)" line per instruction to
 * out; 0, or -1 with the read or parse error in dg (nothing printed). */
int dump_dockerfile(FILE *out, const char *path, struct diags *dg);
/* The dump of text as a string into b; 0, or -1 with err filled. */
int dump_text(struct buf *b, const char *path, const char *text, size_t len, struct df_error *err);

struct dockerfile;
/* A one-line-per-instruction summary of the typed instructions ("LINE:COL
 * KIND field=value ..."), for golden tests and debugging. */
void dump_instrs(struct buf *b, const struct dockerfile *df);

#endif
