/* instr_ctx: what instr.c (the converters) shares with dockerfile.c (the
 * file reader that calls them node by node). Not for other modules. */
#ifndef DF_INSTR_CTX_H
#define DF_INSTR_CTX_H
#include "instr.h"
#include "parse.h"

/* Where a conversion is and where its error and strings go. */
struct instr_ctx {
	const char *path;
	struct df_error *err;
	struct pnode *node; /* its words' text (in a) is kept, not copied */
	struct arena *a;    /* the instructions' strings and arrays */
};

/* Fills c->err at line:col; returns 0 (the converters' "failed"). */
int instr_errat(struct instr_ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* ParseInstruction: one reader node to a typed instruction; 0 on error. */
int instr_convert(struct instr_ctx *c, struct pnode *n, struct instr *in);

#endif
