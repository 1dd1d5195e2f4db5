/* mkquote: the one place where text becomes GNU make syntax (build.mk from
 * the compiler, the .d dependency files from the runtime). A name in a rule
 * line is read by make; a recipe word is read by make (which expands `$`)
 * and then by /bin/sh; a `:=` value and a comment have rules of their own.
 * GNU make cannot name every path (a newline, `;`, `=`, `|`, `%`, a trailing
 * backslash, `x(y)`), so callers ask mk_name_ok() first and depend on
 * something else for the rest (docs/makefile.md, "Names make cannot read"). */
#ifndef DF_MKQUOTE_H
#define DF_MKQUOTE_H
#include <stddef.h>

struct buf;

/* 1 if make reads mk_name(path) back as exactly path, both as a target and
 * as a prerequisite, in a rule line of its own or beside other names. */
int mk_name_ok(const char *path);
/* 1 if path can also be an argument of $(wildcard): a name without blanks
 * or glob characters (wildcard splits at blanks and ignores `\ `). */
int mk_wildcard_ok(const char *path);
/* Appends path escaped for a rule line (`\ `, `\#`, `\:`, `\*`, `$$`, ...).
 * The caller checked mk_name_ok(). */
void mk_name(struct buf *b, const char *path);
/* Shortens path in place to its nearest ancestor that mk_name_ok() accepts
 * (an absolute path always has one: "/"); 0 if there is none. */
int mk_name_ancestor(char *path);
/* The variable mk_nl_define() defines as one newline and exports: no
 * recipe line can hold a raw newline, the shell's environment can. */
#define MK_NL_VAR "DF2MAKE_NL"

/* Appends the definition of MK_NL_VAR, for a Makefile whose recipes hold
 * words written by mk_shell() from text with a newline. */
void mk_nl_define(struct buf *b);

/* Appends s as one single-quoted shell word with `$` doubled for make; a
 * newline becomes "$$DF2MAKE_NL" outside the quotes. */
void mk_shell(struct buf *b, const char *s);
/* mk_shell() of n bytes (a JSON spec). */
void mk_shell_n(struct buf *b, const char *s, size_t n);
/* What mk_shell_n writes between its quotes: a word written in pieces is
 * a quote, each piece through this, and a quote. */
void mk_shell_part(struct buf *b, const char *s, size_t n);
/* Appends s single-quoted for the shell as the value of a make `:=`
 * assignment (a recipe word kept in a variable). */
void mk_shell_var(struct buf *b, const char *s);
/* Appends s as the value of a make `:=` assignment, read back exactly
 * (`$$`, `\#`, leading blanks and a trailing backslash kept). */
void mk_value(struct buf *b, const char *s);
/* Appends s as the text of a make comment line: newlines become "\n" and a
 * trailing backslash cannot continue the comment onto the next line. */
void mk_comment(struct buf *b, const char *s);

#endif
