/* mkquote: escaping for the two languages build.mk is written in. A path
 * in a rule line is read by make; a recipe word is read by make (which
 * expands `$`) and then by /bin/sh. GNU make cannot express every byte in
 * a target name (`;`, newline, a trailing backslash), so callers ask first. */
#ifndef DF_MKQUOTE_H
#define DF_MKQUOTE_H

struct buf;

/* 1 if path can appear in a rule's prerequisite list at all. */
int mk_prereq_ok(const char *path);
/* 1 if path can also be a target name (no `%`: it would make a pattern rule). */
int mk_target_ok(const char *path);
/* Appends path escaped for a target or prerequisite list (`\ `, `\#`,
 * `\:`, `\*`, `$$`, ...). The caller checked mk_prereq_ok(). */
void mk_path(struct buf *b, const char *path);
/* Appends s as one single-quoted shell word with `$` doubled for make. */
void mk_shell(struct buf *b, const char *s);
/* Appends s single-quoted for the shell as the value of a make variable
 * (`$$`, and `\#` so it does not start a comment). */
void mk_shell_var(struct buf *b, const char *s);
/* Appends s as the value of a make `:=` assignment (`$$`, `\#`). */
void mk_value(struct buf *b, const char *s);
/* Appends s as the text of a make comment line (newlines become "\n"). */
void mk_comment(struct buf *b, const char *s);

#endif
