/* diag: see diag.h. */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
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
