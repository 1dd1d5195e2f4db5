/* diag: see diag.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "error.h"
#include "input.h"
#include "util.h"

void diag_add(struct diags *d, const struct diag *rec)
{
	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 8;
		d->v = xreallocarray(d->v, d->cap, sizeof(*d->v));
	}
	d->v[d->n] = *rec;
	d->v[d->n].seq = d->n;
	d->n++;
}

static int diag_cmp(const void *pa, const void *pb)
{
	const struct diag *a = pa, *b = pb;
	int r = strcmp(a->file ? a->file : "", b->file ? b->file : "");

	if (r)
		return r;
	if (a->line != b->line)
		return a->line < b->line ? -1 : 1;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if ((r = strcmp(a->msg, b->msg)))
		return r;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

void diag_sort(struct diags *d)
{
	if (d->n > 1)
		qsort(d->v, d->n, sizeof(*d->v), diag_cmp);
}

/* The "FILE:LINE:COL: SEVERITY: [RULE: ]MSG" part, without the newline. */
static void diag_head(FILE *f, const struct diag *r)
{
	const char *sev = r->sev == DIAG_ERROR ? "error" : "warning";

	if (r->file)
		fprintf(f, "%s:%d:%d: %s: ", r->file, r->line, r->col, sev);
	else
		fprintf(f, "%s: %s: ", argv0, sev);
	if (r->rule)
		fprintf(f, "%s: ", r->rule);
	fputs(r->msg, f);
}

void diag_print(const struct diags *d, FILE *f, int urls)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *r = &d->v[i];

		diag_head(f, r);
		if (urls && r->url)
			fprintf(f, " [%s]", r->url);
		fputc('\n', f);
	}
}

size_t diag_count(const struct diags *d, enum diag_sev sev)
{
	size_t n = 0;

	for (size_t i = 0; i < d->n; i++)
		n += d->v[i].sev == sev;
	return n;
}

void diag_free(struct diags *d)
{
	for (size_t i = 0; i < d->n; i++) {
		free(d->v[i].msg);
		free(d->v[i].note);
	}
	free(d->v);
	memset(d, 0, sizeof(*d));
}

/* ---- located messages on stderr ---- */

/* Texts parsed from memory, kept so diagnostics can show their lines. */
struct source {
	char *path;
	char *text;
	size_t len;
	struct source *next;
};
static struct source *kept_sources;

void loc_keep_source_take(const char *path, char *text, size_t len)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->text = text;
	s->len = len;
	s->next = kept_sources;
	kept_sources = s;
}

void loc_keep_source(const char *path, const char *text, size_t len)
{
	char *copy = xmalloc(len + 1);

	memcpy(copy, text, len);
	copy[len] = '\0';
	loc_keep_source_take(path, copy, len);
}

const char *loc_source(const char *path, size_t *len)
{
	for (const struct source *s = kept_sources; s; s = s->next)
		if (strcmp(s->path, path) == 0) {
			*len = s->len;
			return s->text;
		}
	return NULL;
}

/* The most of one source line an error shows. */
#define SOURCE_SHOW_MAX 1024

/* Prints line `line` of the text and, under it, a caret at column col
 * (tabs kept so the caret lines up as the terminal shows the line). */
static void source_show(FILE *f, const char *text, size_t len, int line, int col)
{
	const char *p = text, *end = text + len, *nl;
	int i;

	for (i = 1; i < line && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return;
	nl = memchr(p, '\n', (size_t)(end - p));
	len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (len && p[len - 1] == '\r')
		len--;
	/* a binary file given as the Dockerfile has "lines" of megabytes:
	 * show the start of the offending line only */
	int cut = len > SOURCE_SHOW_MAX;
	if (cut)
		len = SOURCE_SHOW_MAX;
	fprintf(f, "%.*s%s\n", (int)len, p, cut ? " ..." : "");
	for (i = 0; i < col - 1 && (size_t)i < len; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', f);
	fputs("^\n", f);
}

/* Shows the source line of the record from the remembered text or the file. */
static void diag_source(FILE *f, const struct diag *d)
{
	struct source *s;
	struct error e = {0};
	char *text = NULL;
	size_t len;

	if (!d->file || d->line < 1)
		return;
	for (s = kept_sources; s; s = s->next) {
		if (!strcmp(s->path, d->file)) {
			source_show(f, s->text, s->len, d->line, d->col);
			return;
		}
	}
	/* a file not kept (say, an ignore file) is read again, as an input */
	if (input_read(d->file, INPUT_MAX, &text, &len, &e) == 0)
		source_show(f, text, len, d->line, d->col);
	free(text);
}

void diag_show(FILE *f, const struct diag *d)
{
	/* a message with no place reads as the command line's do
	 * ("df2make: MSG"), the form scripts already match */
	if (!d->file && !d->rule) {
		fprintf(f, "%s: %s\n", argv0, d->msg);
	} else {
		diag_head(f, d);
		fputc('\n', f);
	}
	if (!d->rule) /* lint findings are one line each, as BuildKit prints them */
		diag_source(f, d);
	if (d->note) {
		if (d->file)
			fprintf(f, "%s:%d:%d: note: %s\n", d->file, d->line, d->col, d->note);
		else
			fprintf(f, "%s: note: %s\n", argv0, d->note);
	}
}

void diag_show_all(const struct diags *d, FILE *f)
{
	for (size_t i = 0; i < d->n; i++)
		diag_show(f, &d->v[i]);
}

/* A record at loc (no place when loc or its file is NULL). */
static struct diag diag_at(const struct loc *loc, enum diag_sev sev, char *msg)
{
	struct diag d = {.sev = sev, .msg = msg};

	if (loc && loc->file) {
		d.file = loc->file;
		d.line = loc->line;
		d.col = loc->col;
	}
	return d;
}

int diag_error(struct diags *d, const struct loc *loc, const char *fmt, ...)
{
	struct diag r;
	va_list ap;

	va_start(ap, fmt);
	r = diag_at(loc, DIAG_ERROR, xvasprintf(fmt, ap));
	va_end(ap);
	diag_add(d, &r);
	return -1;
}

int diag_error_value(struct diags *d, const struct df_error *err)
{
	struct diag r = diag_at(&err->loc, DIAG_ERROR, xstrdup(err->msg));

	diag_add(d, &r);
	return -1;
}

void loc_warn(const struct loc *loc, const char *fmt, ...)
{
	va_list ap;
	struct diag d;

	va_start(ap, fmt);
	d = diag_at(loc, DIAG_WARNING, xvasprintf(fmt, ap));
	va_end(ap);
	if (!d.file) /* kept as it was: "PROG: warning: MSG" */
		fprintf(stderr, "%s: warning: %s\n", argv0, d.msg);
	else
		diag_show(stderr, &d);
	free(d.msg);
}

void loc_print_line(const struct loc *loc, const char *kind, const char *msg)
{
	if (loc && loc->file)
		fprintf(stderr, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col, kind, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", argv0, kind, msg);
}
