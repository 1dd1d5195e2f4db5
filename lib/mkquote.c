/* mkquote: make and shell escaping (see mkquote.h). What GNU make 4.3 does
 * with each byte of a name was measured, not guessed: tests/unit/
 * test_mkquote.c runs make over every byte 1..255 in every position. */
#include <stdint.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "mkquote.h"

/* Characters make splits or matches a rule line on; a backslash in front
 * makes them part of the name (and make drops the backslash). */
static int mk_special(char c)
{
	return c && strchr(" #:*?[", c) != NULL;
}

/* Bytes make strips at either end of a name (isspace in the C locale and
 * in Latin-1 ones, where 0x85 and 0xa0 are spaces too). */
static int mk_trimmed(unsigned char c)
{
	return strchr(" \t\v\f\r", c) != NULL || c == 0x85 || c == 0xa0;
}

/* A run of backslashes is taken literally only when what follows is an
 * ordinary byte: before a special one make halves the run, at the end of
 * a name it would escape the separator or continue the line, and glob
 * (which make runs on names with `*?[`) reads every backslash. */
static int mk_backslashes_ok(const char *path)
{
	int glob = strpbrk(path, "*?[") != NULL;

	for (const char *p = path; *p; p++) {
		if (*p != '\\')
			continue;
		if (glob)
			return 0;
		while (p[1] == '\\')
			p++;
		if (p[1] == '\0' || mk_special(p[1]))
			return 0;
	}
	return 1;
}

int mk_name_ok(const char *path)
{
	size_t n = strlen(path);

	/* `;` starts a recipe, `=` an assignment, `|` the order-only list;
	 * `%` is a pattern in a target and `\%` is not unescaped in a
	 * prerequisite, `|` the other way round: no one spelling works for
	 * both. A tab, even escaped, becomes a space in a target. `x(y)` is
	 * an archive member, `x&:` a grouped target, `~` at the start a home
	 * directory. */
	if (n == 0 || strpbrk(path, "\n\t;=|%") != NULL)
		return 0;
	if (path[0] == '~' || path[n - 1] == ')' || path[n - 1] == '&')
		return 0;
	if (mk_trimmed((unsigned char)path[0]) || mk_trimmed((unsigned char)path[n - 1]))
		return 0;
	return mk_backslashes_ok(path);
}

int mk_wildcard_ok(const char *path)
{
	return mk_name_ok(path) && strpbrk(path, " *?[\\") == NULL;
}

void mk_name(struct buf *b, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '$')
			buf_addc(b, '$');
		else if (mk_special(*p))
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
}

int mk_name_ancestor(char *path)
{
	while (!mk_name_ok(path)) {
		char *slash = strrchr(path, '/');
		if (!slash)
			return 0;
		/* "/x" becomes "/", which make can always name */
		slash[slash == path] = '\0';
	}
	return 1;
}

void mk_nl_define(struct buf *b)
{
	buf_adds(b, "\n# One newline, for recipe words that hold one.\n"
		    "define " MK_NL_VAR "\n\n\nendef\nexport " MK_NL_VAR "\n");
}

/* The escape of one byte of a shell word, or NULL for a plain byte. */
static const char *mk_shell_escape(char c)
{
	/* a raw newline would end the recipe line: the shell takes it from
	 * the environment instead (mk_nl_define) */
	return c == '\'' ? "'\\''" : c == '$' ? "$$" : c == '\n' ? "'\"$$" MK_NL_VAR "\"'" : NULL;
}

void mk_shell_part(struct buf *b, const char *s, size_t n)
{
	/* the bytes that need more than themselves between single quotes */
	static const unsigned char special[256] = {['\''] = 1, ['$'] = 1, ['\n'] = 1};
	size_t i = 0;

	while (i < n) {
		size_t run = i;
		while (run < n && !special[(unsigned char)s[run]])
			run++;
		buf_addn(b, s + i, run - i);
		if (run == n)
			break;
		buf_adds(b, mk_shell_escape(s[run]));
		i = run + 1;
	}
}

void mk_shell_n(struct buf *b, const char *s, size_t n)
{
	buf_addc(b, '\'');
	mk_shell_part(b, s, n);
	buf_addc(b, '\'');
}

void mk_shell(struct buf *b, const char *s)
{
	mk_shell_n(b, s, strlen(s));
}

/* Appends s for a `:=` line, whose reader only strips comments: a `#`
 * after n backslashes needs 2n+1 of them (make halves the run and keeps
 * the `#`). `$` is the caller's business. */
static void mk_uncomment(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '\n')
			fatal("cannot put a newline into a make variable: %s", s);
		if (*p != '\\' && *p != '#') {
			buf_addc(b, *p);
			continue;
		}
		size_t run = strspn(p, "\\");
		int hash = p[run] == '#';
		for (size_t i = 0; i < (hash ? 2 * run + 1 : run); i++)
			buf_addc(b, '\\');
		if (hash)
			buf_addc(b, '#');
		p += run - !hash;
	}
}

void mk_shell_var(struct buf *b, const char *s)
{
	struct buf t = {0};

	mk_shell(&t, s);
	mk_uncomment(b, t.s);
	buf_free(&t);
}

void mk_value(struct buf *b, const char *s)
{
	struct buf t = {0};
	size_t n = strlen(s);

	for (const char *p = s; *p; p++) {
		if (*p == '$')
			buf_addc(&t, '$');
		buf_addc(&t, *p);
	}
	/* make strips blanks after `:=` and reads a final backslash as a line
	 * continuation: an empty $() in front or behind keeps them */
	if (n && mk_trimmed((unsigned char)s[0]))
		buf_adds(b, "$()");
	mk_uncomment(b, t.s ? t.s : "");
	if (n && (s[n - 1] == '\\' || mk_trimmed((unsigned char)s[n - 1])))
		buf_adds(b, "$()");
	buf_free(&t);
}

void mk_comment(struct buf *b, const char *s)
{
	size_t run = 0;

	for (const char *p = s; *p; p++) {
		if (*p == '\n') {
			buf_adds(b, "\\n");
			run = 0;
			continue;
		}
		buf_addc(b, *p);
		run = *p == '\\' ? run + 1 : 0;
	}
	/* an odd number of backslashes at the end continues a comment, and
	 * would swallow the rule line after it */
	if (run % 2)
		buf_addc(b, '\\');
}
