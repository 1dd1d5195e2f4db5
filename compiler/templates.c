/* templates: loading and filling Makefile fragments (see templates.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "input.h"
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
 * template is filled for every step). */
static unsigned templates_index(const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < templates_nbuiltin; i++)
		if (strncmp(templates_builtin[i].name, name, n) == 0 &&
		    strcmp(templates_builtin[i].name + n, ".mk") == 0)
			return i;
	fatal("no built-in template %s.mk", name);
}

/* The fragment's text: DIR/NAME.mk if the user's directory has it. */
static const char *templates_text(const char *name)
{
	unsigned i = templates_index(name);
	struct error e = {0};
	char *path, *text;
	size_t len;

	if (!templates_dir)
		return templates_builtin[i].text;
	if (templates_user[i])
		return templates_user[i];
	path = path_join(templates_dir, templates_builtin[i].name);
	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0) {
		if (e.code != ENOENT)
			fatal("template %s: %s", path, e.msg);
		text = xstrdup(templates_builtin[i].text);
	}
	free(path);
	templates_user[i] = text;
	return text;
}

static const char *templates_var(const char *name, const char *key, size_t n,
				 const char *const *vars)
{
	for (size_t i = 0; vars[i]; i += 2)
		if (vars[i][0] == key[0] && strncmp(vars[i], key, n) == 0 && !vars[i][n])
			return vars[i + 1];
	fatal("template %s.mk: unknown placeholder @%.*s@", name, (int)n, key);
}

/* Length of "NAME" in "@NAME@" at p (p points after the first '@'), or 0. */
static size_t templates_placeholder(const char *p)
{
	size_t n = 0;

	while (isupper((unsigned char)p[n]) || p[n] == '_')
		n++;
	return n && p[n] == '@' ? n : 0;
}

void templates_expand(struct buf *out, const char *name, const char *const *vars)
{
	templates_expand_cb(out, name, vars, NULL, NULL, NULL);
}

void templates_expand_cb(struct buf *out, const char *name, const char *const *vars,
			 const char *cb_name, void (*cb)(struct buf *out, void *arg), void *arg)
{
	const char *t = templates_text(name);

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
		if (cb_name && strncmp(cb_name, p + 1, n) == 0 && !cb_name[n])
			cb(out, arg);
		else
			buf_adds(out, templates_var(name, p + 1, n, vars));
		p += n + 1;
	}
}
