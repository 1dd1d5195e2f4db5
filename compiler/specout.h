/* specout: a step spec written into build.mk as one shell word, in pieces:
 * the pack spec holds the image's history, an entry per instruction, so
 * for a big Dockerfile it is megabytes that need never be whole in
 * memory (not as JSON text, nor quoted, nor as a tree: spec.h SV_LAZY). */
#ifndef DF_SPECOUT_H
#define DF_SPECOUT_H

struct buf;
struct sv;

/* What specout_word writes, and where the pieces go. */
struct specout {
	const struct sv *spec;
	int vertex; /* the spec's progress number, written first ("vertex") */
	/* called after each piece appended to out; may empty out */
	void (*flush)(void *arg);
	void *arg;
};

/* Appends so->spec as compact JSON with "vertex" first (emit.c's titled
 * specs), shell-quoted, to out; a template callback (templates.h). */
void specout_word(struct buf *out, void *so);

#endif
