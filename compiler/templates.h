/* templates: the Makefile fragments build.mk is made of (templates/NAME.mk),
 * built into the binary; --templates DIR replaces them file by file.
 * A fragment's @NAME@ placeholders are filled by the emitter. */
#ifndef DF_TEMPLATES_H
#define DF_TEMPLATES_H

struct buf;
struct diags;

/* A built-in fragment (generated from templates/ at build time). */
struct template_src {
	const char *name; /* "run.mk" */
	const char *text;
};
extern const struct template_src templates_builtin[];
extern const unsigned templates_nbuiltin;

/* Uses DIR/NAME.mk instead of the built-in fragments when it exists. */
void templates_set_dir(const char *dir);
/* Appends fragment name ("run") with @NAME@ replaced from vars, a
 * NULL-terminated list of name, value pairs; 0, or -1 with the error in
 * dg (an unknown placeholder, a user's fragment that cannot be read). */
int templates_expand(struct buf *out, const char *name, const char *const *vars, struct diags *dg);
/* The same, with placeholder cb_name written by cb(out, arg) wherever it
 * appears: a value of megabytes goes out in pieces, never whole. */
int templates_expand_cb(struct buf *out, const char *name, const char *const *vars,
			const char *cb_name, void (*cb)(struct buf *out, void *arg), void *arg,
			struct diags *dg);

#endif
