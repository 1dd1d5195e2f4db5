/* templates: loading and filling Makefile fragments (see templates.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "error.h"
#include "fsutil.h"
#include "input.h"
#include "specout.h"
#include "templates.h"
#include "util.h"

static const char *templates_dir;
/* --templates DIR: each fragment's text, read from DIR (or the built-in
 * one) the first time it is filled; indexed as templates_builtin. */
static char **templates_user;

void templates_set_dir(const char *dir)
{
	templates_dir = dir;
	if (dir && !templates_user)
		templates_user = xcalloc(templates_nbuiltin, sizeof(*templates_user));
}

/* The index of built-in "NAME.mk", without building the file name (a
 * template is filled for every step); -1 for a name the emitter got wrong. */
static int templates_index(const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < templates_nbuiltin; i++)
		if (strncmp(templates_builtin[i].name, name, n) == 0 &&
		    strcmp(templates_builtin[i].name + n, ".mk") == 0)
			return (int)i;
	return -1;
}

/* The fragment's text: DIR/NAME.mk if the user's directory has it; NULL
 * with the error in dg. */
static const char *templates_text(const char *name, struct diags *dg)
{
	int i = templates_index(name);
	struct error e = {0};
	char *path, *text;
	size_t len;

	if (i < 0) {
		diag_error(dg, NULL, "no built-in template %s.mk", name);
		return NULL;
	}
	if (!templates_dir)
		return templates_builtin[i].text;
	if (templates_user[i])
		return templates_user[i];
	path = path_join(templates_dir, templates_builtin[i].name);
	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0) {
		if (e.code != ENOENT) {
			diag_error(dg, NULL, "template %s: %s", path, e.msg);
			free(path);
			return NULL;
		}
		text = xstrdup(templates_builtin[i].text);
	}
	free(path);
	templates_user[i] = text;
	return text;
}

/* The value of placeholder key[0..n) in vars, or NULL. */
static const char *templates_var(const char *key, size_t n, const char *const *vars)
{
	for (size_t i = 0; vars[i]; i += 2)
		if (vars[i][0] == key[0] && strncmp(vars[i], key, n) == 0 && !vars[i][n])
			return vars[i + 1];
	return NULL;
}

/* Length of "NAME" in "@NAME@" at p (p points after the first '@'), or 0. */
static size_t templates_placeholder(const char *p)
{
	size_t n = 0;

	while (isupper((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n && p[n] == '@' ? n : 0;
}

int templates_expand(struct buf *out, const char *name, const char *const *vars, struct diags *dg)
{
	return templates_expand_cb(out, name, vars, NULL, NULL, NULL, dg);
}

int templates_expand_cb(struct buf *out, const char *name, const char *const *vars,
			const char *cb_name, void (*cb)(struct buf *out, void *arg), void *arg,
			struct diags *dg)
{
	const char *t = templates_text(name, dg), *v;

	if (!t)
		return -1;
	specout_begin(out);
	for (const char *p = t; *p; p++) {
		size_t run = strcspn(p, "@"), n;
		buf_addn(out, p, run); /* the text up to the next '@' at once */
		p += run;
		if (!*p)
			break;
		n = templates_placeholder(p + 1);
		if (!n) {
			buf_addc(out, *p);
			continue;
		}
		if (cb_name && strncmp(cb_name, p + 1, n) == 0 && !cb_name[n]) {
			cb(out, arg);
			p += n + 1;
			continue;
		}
		if (!(v = templates_var(p + 1, n, vars)))
			return diag_error(dg, NULL, "template %s.mk: unknown placeholder @%.*s@",
					  name, (int)n, p + 1);
		buf_adds(out, v);
		p += n + 1;
	}
	specout_end(out); /* a big spec's definition goes before its rule */
	return 0;
}
