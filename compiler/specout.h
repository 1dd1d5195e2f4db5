/* specout: a step spec written into build.mk as a recipe word. The pack
 * spec holds the image's history, an entry per instruction, so for a big
 * Dockerfile it is megabytes that need never be whole in memory (not as
 * JSON text, nor quoted, nor as a tree: spec.h SV_LAZY): it is written in
 * pieces. A spec whose word would be longer than SPECOUT_INLINE_MAX cannot
 * be an argument (Linux takes 128 KiB in one, and make hands the whole
 * recipe to `sh -c` as one): it goes into a make variable (`define`) put
 * before the rule, which the recipe writes to STATE/HASH.spec with GNU
 * make's $(file) and names as `@PATH` (docs/makefile.md, "Big specs"). */
#ifndef DF_SPECOUT_H
#define DF_SPECOUT_H
#include <stddef.h>

struct buf;
struct sv;

/* The longest spec word build.mk holds inline, in bytes: half of Linux's
 * 128 KiB for one argument, the other half for the rest of the recipe
 * (the runtime, state and store paths, up to 4 KiB each). */
#define SPECOUT_INLINE_MAX 65536

/* What specout_word writes, and where the pieces go. */
struct specout {
	const struct sv *spec;
	int vertex; /* the spec's progress number, written first ("vertex") */
	/* called after each piece appended to out; may empty out */
	void (*flush)(void *arg);
	void *arg;
};

/* Sets where build.mk's recipes write big specs: the --state directory,
 * or NULL for build.mk's default $(STATE). Reads DF2MAKE_SPEC_INLINE_MAX
 * (bytes), which lowers the limit (tests: every spec through a file). */
void specout_set_state(const char *state);

/* Appends so->spec as compact JSON with "vertex" first (emit.c's titled
 * specs) as a recipe word to out; a template callback (templates.h). */
void specout_word(struct buf *out, void *so);

/* The JSON spec json[0..n) as a recipe word: shell-quoted, or the
 * reference to its file when too long, its definition kept for
 * specout_end. Valid until the next call. */
const char *specout_spec(const char *json, size_t n);

/* The recipe command cmd (make-escaped, without a newline; freed) as
 * it runs: itself, or when too long `sh STATE/HASH.sh`, a file the recipe
 * writes from a definition kept for specout_end. Malloc'd. */
char *specout_command(char *cmd);

/* A template's text starts at out's end (templates_expand_cb). */
void specout_begin(const struct buf *out);

/* The template begun at specout_begin is written: a big spec's definition
 * made for it goes in front of it. */
void specout_end(struct buf *out);

#endif
