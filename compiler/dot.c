/* dot: the stage graph as Graphviz DOT (see dot.h). */
#include <string.h>

#include "buf.h"
#include "graph.h"
#include "dot.h"
#include "instr.h"

/* A DOT double-quoted string. */
static void dot_str(struct buf *b, const char *s)
{
	buf_addc(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_addc(b, '\\');
		if (*s == '\n') {
			buf_adds(b, "\\n");
			continue;
		}
		buf_addc(b, *s);
	}
	buf_addc(b, '"');
}

static void dot_node(struct buf *b, const struct graph *g, const struct stage *s)
{
	int used = (s->flags & FLAG_REACH) != 0;

	buf_printf(b, "\ts%d [label=", s->index);
	dot_str(b, s->label);
	if (s == g->target)
		buf_adds(b, ", peripheries=2");
	if (!used)
		buf_adds(b, ", color=gray, fontcolor=gray, style=dashed");
	buf_adds(b, "];\n");
	if (!s->base && s->image) {
		buf_printf(b, "\ti%d [shape=box, label=", s->index);
		dot_str(b, s->image);
		buf_adds(b, used ? "" : ", color=gray, fontcolor=gray, style=dashed");
		buf_printf(b, "];\n\ti%d -> s%d [label=\"FROM\"%s];\n", s->index, s->index,
			   used ? "" : ", color=gray, fontcolor=gray");
	}
}

/* The label of an edge: FROM, or the instruction and line that need it. */
static void dot_edge(struct buf *b, const struct stage *s, const struct dep *d)
{
	int used = (s->flags & FLAG_REACH) != 0;

	buf_printf(b, "\ts%d -> s%d [label=", d->stage->index, s->index);
	if (!d->in) {
		dot_str(b, "FROM");
	} else {
		char *l = xasprintf("%s --from=%s (line %d)", instr_name(d->in->kind), d->what,
				    d->in->loc.line);
		dot_str(b, l);
		free(l);
		buf_adds(b, ", style=dashed");
	}
	buf_adds(b, used ? "" : ", color=gray, fontcolor=gray");
	buf_adds(b, "];\n");
}

void dot_write(struct graph *g, struct buf *out)
{
	buf_adds(out, "digraph stages {\n\trankdir=LR;\n\tnode [shape=ellipse];\n");
	for (size_t i = 0; i < g->nstages; i++)
		dot_node(out, g, &g->stages[i]);
	for (size_t i = 0; i < g->nstages; i++)
		for (size_t j = 0; j < g->stages[i].ndeps; j++)
			dot_edge(out, &g->stages[i], &g->stages[i].deps[j]);
	buf_adds(out, "}\n");
}
