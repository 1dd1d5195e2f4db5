/* diag: compiler diagnostics as values. A check or a stage of the
 * compiler adds records (struct diag) to a list; one place prints them, so
 * errors, reader warnings and lint findings share one format:
 * "FILE:LINE:COL: SEVERITY: [RULE: ]MESSAGE", errors followed by the
 * source line and a caret. Functions that fail append an error and return
 * -1 or NULL; main() prints the list and decides to exit. */
#ifndef DF_DIAG_H
#define DF_DIAG_H
#include <stddef.h>
#include <stdio.h>

/* A place in a Dockerfile; line and col are 1-based. */
struct loc {
	const char *file;
	int line, col;
	int end_line;
};

/* A front-end error as a value (for fuzzing and tests). */
struct df_error {
	struct loc loc;
	char msg[512];
};

enum diag_sev { DIAG_WARNING, DIAG_ERROR };

/* One diagnostic. file is borrowed (the Dockerfile's path outlives it). */
struct diag {
	const char *file;
	int line, col;
	enum diag_sev sev;
	const char *rule; /* lint rule name, or NULL */
	const char *url;  /* the rule's documentation, or NULL */
	char *msg;	  /* owned */
	char *note;	  /* owned: a second line ("note: ..."), or NULL */
	size_t seq;	  /* order of arrival, the last sort key */
};

/* A growing list of diagnostics. */
struct diags {
	struct diag *v;
	size_t n, cap;
};

/* Adds a record; msg is taken (freed with the list). */
void diag_add(struct diags *d, const struct diag *rec);
/* Sorts by file, line, column, then message (BuildKit orders its check
 * results by line, then text), then arrival. */
void diag_sort(struct diags *d);
/* Prints one record per line; with urls, the rule's URL in brackets. */
void diag_print(const struct diags *d, FILE *f, int urls);
/* Number of records of severity sev. */
size_t diag_count(const struct diags *d, enum diag_sev sev);
/* Frees the records. */
void diag_free(struct diags *d);
/* Prints one record as compilers do: "FILE:LINE:COL: SEVERITY: MSG", then
 * (not for lint findings) the source line and a caret under the column
 * when the text is known, then the note. An error with no place prints as
 * "PROG: MSG", like the command line's errors. */
void diag_show(FILE *f, const struct diag *d);
/* diag_show of every record, in order. */
void diag_show_all(const struct diags *d, FILE *f);
/* Appends an error at loc (NULL: no place); returns -1, so that a failing
 * function can end with `return diag_error(...)`. */
int diag_error(struct diags *d, const struct loc *loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Appends a front-end error value as a record; returns -1. */
int diag_error_value(struct diags *d, const struct df_error *err);

/* Prints "FILE:LINE:COL: warning: MSG" at once (+ the source line and a
 * caret when the file can be read): a warning does not stop the compile. */
void loc_warn(const struct loc *loc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prints the "FILE:LINE:COL: KIND: MSG" line alone (no source line). */
void loc_print_line(const struct loc *loc, const char *kind, const char *msg);
/* Remembers text as the content of path (latest wins), so diagnostics can
 * show lines of a text parsed from memory. */
void loc_keep_source(const char *path, const char *text, size_t len);
/* Same, taking text (malloc'd, NUL at len) instead of a copy of it. */
void loc_keep_source_take(const char *path, char *text, size_t len);
/* The text kept for path (the latest), or NULL; its length in *len. */
const char *loc_source(const char *path, size_t *len);

#endif
