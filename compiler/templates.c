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

/* Loaded --templates files, kept for the run (few, small). */
static struct {
	char *name, *text;
} templates_cache[32];
static unsigned templates_ncache;

/* templates_text's answers by name (names are literals: compared by
 * address), see templates_text_cached. */
static struct {
	const char *name, *text;
} templates_memo[8];
static unsigned templates_nmemo;

/* Forgets the remembered texts (templates_text_cached). */
static void templates_forget(void)
{
	memset(templates_memo, 0, sizeof(templates_memo));
}

void templates_set_dir(const char *dir)
{
	templates_dir = dir;
	templates_forget();
}

static const char *templates_builtin_text(const char *file)
{
	for (unsigned i = 0; i < templates_nbuiltin; i++)
		if (strcmp(templates_builtin[i].name, file) == 0)
			return templates_builtin[i].text;
	fatal("no built-in template %s", file);
}

/* The built-in "NAME.mk" without building the file name (a template is
 * filled for every step). */
static const char *templates_builtin_name(const char *name)
{
	size_t n = strlen(name);

	for (unsigned i = 0; i < templates_nbuiltin; i++)
		if (strncmp(templates_builtin[i].name, name, n) == 0 &&
		    strcmp(templates_builtin[i].name + n, ".mk") == 0)
			return templates_builtin[i].text;
	return NULL;
}

/* The fragment's text: DIR/FILE if the user's directory has it. */
static const char *templates_text(const char *name)
{
	const char *builtin = templates_dir ? NULL : templates_builtin_name(name);
	char *file, *path, *text;
	struct error e = {0};
	size_t len;

	if (builtin)
		return builtin;
	file = xasprintf("%s.mk", name);

	for (unsigned i = 0; i < templates_ncache; i++)
		if (strcmp(templates_cache[i].name, file) == 0) {
			free(file);
			return templates_cache[i].text;
		}
	if (!templates_dir || templates_ncache == LEN(templates_cache)) {
		const char *t = templates_builtin_text(file);
		free(file);
		return t;
	}
	path = path_join(templates_dir, file);
	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0) {
		if (e.code != ENOENT)
			fatal("template %s: %s", path, e.msg);
		text = xstrdup(templates_builtin_text(file));
	}
	free(path);
	templates_cache[templates_ncache].name = file;
	templates_cache[templates_ncache++].text = text;
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

/* templates_text, remembered: a fragment is filled for every step. */
static const char *templates_text_cached(const char *name)
{
	unsigned k;

	for (unsigned i = 0; i < LEN(templates_memo); i++)
		if (templates_memo[i].name == name)
			return templates_memo[i].text;
	k = templates_nmemo++ % LEN(templates_memo);
	templates_memo[k].name = name;
	templates_memo[k].text = templates_text(name);
	return templates_memo[k].text;
}

void templates_expand(struct buf *out, const char *name, const char *const *vars)
{
	const char *t = templates_text_cached(name);

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
		buf_adds(out, templates_var(name, p + 1, n, vars));
		p += n + 1;
	}
}
