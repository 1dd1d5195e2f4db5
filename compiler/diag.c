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

void diag_print(const struct diags *d, FILE *f, int urls)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *r = &d->v[i];
		const char *sev = r->sev == DIAG_ERROR ? "error" : "warning";

		if (r->file)
			fprintf(f, "%s:%d:%d: %s: ", r->file, r->line, r->col, sev);
		else
			fprintf(f, "%s: %s: ", argv0, sev);
		if (r->rule)
			fprintf(f, "%s: ", r->rule);
		fputs(r->msg, f);
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
	for (size_t i = 0; i < d->n; i++)
		free(d->v[i].msg);
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

void loc_keep_source(const char *path, const char *text, size_t len)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->text = xmalloc(len + 1);
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->next = kept_sources;
	kept_sources = s;
}

/* The most of one source line an error shows. */
#define SOURCE_SHOW_MAX 1024

/* Prints line `line` of the text and a caret under column col. */
static void source_show(const char *text, size_t len, int line, int col)
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
	fprintf(stderr, "%.*s%s\n", (int)len, p, cut ? " ..." : "");
	for (i = 0; i < col - 1 && (size_t)i < len; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

/* Shows the source line of loc from the remembered text or the file. */
static void loc_show(const struct loc *loc)
{
	struct source *s;
	struct error e = {0};
	char *text = NULL;
	size_t len;

	if (!loc || !loc->file || loc->line < 1)
		return;
	for (s = kept_sources; s; s = s->next) {
		if (!strcmp(s->path, loc->file)) {
			source_show(s->text, s->len, loc->line, loc->col);
			return;
		}
	}
	/* a file not kept (say, an ignore file) is read again, as an input */
	if (input_read(loc->file, INPUT_MAX, &text, &len, &e) == 0)
		source_show(text, len, loc->line, loc->col);
	free(text);
}

/* The "FILE:LINE:COL: KIND: MSG" line. */
static void loc_vprint(const struct loc *loc, const char *kind, const char *fmt, va_list ap)
{
	if (loc && loc->file)
		fprintf(stderr, "%s:%d:%d: %s: ", loc->file, loc->line, loc->col, kind);
	else
		fprintf(stderr, "%s: %s: ", argv0, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void loc_fatal(const struct loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loc_vprint(loc, "error", fmt, ap);
	va_end(ap);
	loc_show(loc);
	exit(1);
}

void loc_warn(const struct loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loc_vprint(loc, "warning", fmt, ap);
	va_end(ap);
	loc_show(loc);
}

void loc_print_line(const struct loc *loc, const char *kind, const char *msg)
{
	if (loc && loc->file)
		fprintf(stderr, "%s:%d:%d: %s: %s\n", loc->file, loc->line, loc->col, kind, msg);
	else
		fprintf(stderr, "%s: %s: %s\n", argv0, kind, msg);
}

void df_error_print(const struct df_error *err)
{
	loc_print_line(&err->loc, "error", err->msg);
	loc_show(&err->loc);
}
