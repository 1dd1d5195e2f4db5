/* mkquote: make and shell escaping (see mkquote.h). */
#include <string.h>

#include "buf.h"
#include "util.h"
#include "mkquote.h"

/* Characters make treats specially in a rule line after expansion; a
 * backslash in front makes them literal. */
static int mk_special(char c)
{
	return c && strchr(" \t#:*?[]", c) != NULL;
}

int mk_prereq_ok(const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || strpbrk(path, "\n\r;|") != NULL)
		return 0;
	/* A backslash before an escaped character or at the end of the line
	 * would be read as an escape (or a line continuation) by make. */
	for (const char *p = path; *p; p++)
		if (*p == '\\' && (p[1] == '\0' || p[1] == '\\' || mk_special(p[1])))
			return 0;
	return path[0] != '~';
}

int mk_target_ok(const char *path)
{
	/* make reads `%` in a target as a pattern, keeps the backslash of an
	 * escaped glob character in the name, and `=` makes an assignment. */
	return mk_prereq_ok(path) && strpbrk(path, "%*?[]=") == NULL;
}

void mk_path(struct buf *b, const char *path)
{
	for (const char *p = path; *p; p++) {
		if (*p == '$')
			buf_addc(b, '$');
		else if (mk_special(*p))
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
}

void mk_shell(struct buf *b, const char *s)
{
	buf_addc(b, '\'');
	while (*s) {
		size_t n = strcspn(s, "'$\n"); /* copy plain runs at once */
		buf_addn(b, s, n);
		s += n;
		if (*s == '\'')
			buf_adds(b, "'\\''");
		else if (*s == '$')
			buf_adds(b, "$$");
		else if (*s == '\n')
			/* a raw newline would end the recipe line; JSON specs
			 * never contain one, paths were refused earlier */
			fatal("cannot put a newline into a make recipe: %s", s);
		if (*s)
			s++;
	}
	buf_addc(b, '\'');
}

void mk_shell_var(struct buf *b, const char *s)
{
	struct buf t = {0};

	mk_shell(&t, s);
	for (size_t i = 0; i < t.len; i++) {
		if (t.s[i] == '#')
			buf_addc(b, '\\');
		buf_addc(b, t.s[i]);
	}
	buf_free(&t);
}

void mk_value(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		if (*p == '$')
			buf_addc(b, '$');
		else if (*p == '#')
			buf_addc(b, '\\');
		buf_addc(b, *p);
	}
}

void mk_comment(struct buf *b, const char *s)
{
	for (const char *p = s; *p; p++) {
		/* runs without a newline at once: a title per step */
		size_t run = strcspn(p, "\n");
		if (run && p[run] == '\0' && p[run - 1] == '\\')
			run--;
		if (run) {
			buf_addn(b, p, run);
			p += run - 1;
		} else if (*p == '\n') {
			buf_adds(b, "\\n");
		} else {
			buf_adds(b, "\\\\"); /* a trailing backslash continues a comment */
		}
	}
}
