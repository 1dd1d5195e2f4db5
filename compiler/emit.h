/* emit: build.mk from the graph, through the templates (docs/makefile.md
 * describes the result, docs/internals.md the recipes' contract). */
#ifndef DF_EMIT_H
#define DF_EMIT_H

#include <stdio.h>

#include "graph.h"
#include "util.h"

struct buf;
struct diags;

/* Writer state: build.mk is written while the graph is built. */
struct emitter {
	struct buf *out;
	int direct;		 /* build.mk goes straight to stdout (outfile.h) */
	FILE *spill;		 /* else a big build.mk goes here as it grows (a temp
				  * file, copied to stdout once complete), or NULL */
	struct strlist inputs;	 /* context paths listed, for the empty rules */
	const struct stage *cur; /* stage of the last step written */
	int multi;		 /* several graphs (--platform a,b) into one build.mk */
	int ngraphs;		 /* graphs begun so far */
	json_t *seen;		 /* multi: keys of the rules written (steps shared
				  * by platforms are written once) */
	json_t *fetched;	 /* keys of the fetch rules written (fetch.h) */
	struct diags *flush_dg;	 /* where a write error while the pack spec is
				  * written goes (emit_flush_arg) */
	int flush_failed;	 /* that write failed */
	size_t flush_at;	 /* out goes to the file past this (emit_flush) */
	size_t written;		 /* bytes that went to the file so far */
};

/* Prepares em to write into out; fills the hooks to pass to graph_build. */
void emit_init(struct emitter *em, struct buf *out, struct graph_hooks *h);
/* Writes what follows the steps: stage targets, layers, pack, clean,
 * the .d includes. 0, or -1 with the error in g->dg (an option build.mk
 * cannot carry, a template's error). */
int emit_finish(struct emitter *em, struct graph *g);
/* emit_finish for several graphs, one per platform of --platform a,b:
 * their stage targets, layers, and one pack into one OCI index. */
int emit_finish_multi(struct emitter *em, struct graph **gs, size_t n);
/* Frees what em holds when the compile fails before emit_finish: main()
 * then writes nothing (outfile.c takes back what went to stdout). */
void emit_abandon(struct emitter *em);
/* Copies the finished Makefile (spilled part, then the buffer) to f, or
 * ends the direct write to stdout; 0, or -1 with a write error in dg. */
int emit_output(struct emitter *em, FILE *f, struct diags *dg);
/* The pack spec of the target. New reference, or NULL with the error in
 * g->dg (a bad -t or SOURCE_DATE_EPOCH). Its history is a jansson array,
 * or null without history (emit_pack puts a lazy one there). */
struct json_t *emit_pack_spec(struct graph *g, int history);

/* The runtime build.mk calls: $DF2MAKE_RUNTIME, else the one beside
 * df2make or in the build tree, else "df2make-runtime" (PATH). Malloc'd. */
char *emit_runtime_path(void);
/* The number of the next step that reports progress ("vertex" of its
 * spec, "#5" in plain progress): build.mk's rules are numbered in the
 * order they are written. */
int emit_vertex_next(void);

#endif
