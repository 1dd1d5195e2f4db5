/* outline: docker build --call targets|outline (see outline.h). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "graph.h"
#include "input.h"
#include "instr.h"
#include "outline.h"
#include "util.h"

/* The Dockerfile's text split at its newlines (line n at lines[n - 1]). */
struct ol_text {
	char *text;
	struct strlist lines;
};

/* 0, or -1 with the read error in dg. */
static int ol_text_read(struct ol_text *t, const char *path, struct diags *dg)
{
	struct error e = {0};
	size_t len;
	char *p, *nl;

	memset(t, 0, sizeof(*t));
	if (input_read(path, INPUT_MAX, &t->text, &len, &e) < 0)
		return diag_error(dg, NULL, "%s", e.msg);
	for (p = t->text; *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl) {
			strlist_add(&t->lines, p);
			break;
		}
		strlist_take(&t->lines, xstrndup(p, (size_t)(nl - p)));
	}
	return 0;
}

static void ol_text_free(struct ol_text *t)
{
	free(t->text);
	strlist_free(&t->lines);
}

/* The comments right above instruction i, as BuildKit's parser keeps them
 * (PrevComment): text after '#', trimmed; a bare '#' starts them again. */
static void ol_comments(const struct ol_text *t, const struct dockerfile *df, size_t i,
			struct strlist *out)
{
	int from = i ? df->instrs[i - 1]->loc.end_line + 1 : 1;

	for (int ln = from; ln < df->instrs[i]->loc.line && (size_t)ln <= t->lines.n; ln++) {
		const char *s = t->lines.v[ln - 1];
		size_t n;
		while (isspace((unsigned char)*s))
			s++;
		if (*s++ != '#')
			continue;
		while (isspace((unsigned char)*s))
			s++;
		for (n = strlen(s); n && isspace((unsigned char)s[n - 1]); n--)
			;
		if (n == 0)
			strlist_free(out);
		else
			strlist_take(out, xstrndup(s, n));
	}
}

/* BuildKit's getDocComment: the first comment line "NAME text" gives
 * "text". Malloc'd, "" when there is none. */
static char *ol_doc(const struct ol_text *t, const struct dockerfile *df, size_t i,
		    const char *name)
{
	struct strlist c = {0};
	size_t n = name ? strlen(name) : 0;
	char *r = NULL;

	ol_comments(t, df, i, &c);
	for (size_t k = 0; n && !r && k < c.n; k++)
		if (strncmp(c.v[k], name, n) == 0 && c.v[k][n] == ' ')
			r = xstrdup(c.v[k] + n + 1);
	strlist_free(&c);
	return r ? r : xstrdup("");
}

/* Width of s in runes, as Go's tabwriter counts cells. */
static size_t ol_width(const char *s)
{
	size_t w = 0;

	for (; *s; s++)
		w += ((unsigned char)*s & 0xc0) != 0x80;
	return w;
}

/* Go's tabwriter (minwidth 0, tabwidth 0, padchar ' ', flags 0) over rows
 * of ncols cells: every cell but a row's last padded to its column's
 * widest plus pad. */
static void ol_table(FILE *f, char **cells, size_t nrows, size_t ncols, size_t pad)
{
	size_t *w = xcalloc(ncols, sizeof(*w));

	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c + 1 < ncols; c++)
			if (ol_width(cells[r * ncols + c]) + pad > w[c])
				w[c] = ol_width(cells[r * ncols + c]) + pad;
	for (size_t r = 0; r < nrows; r++) {
		for (size_t c = 0; c + 1 < ncols; c++)
			fprintf(f, "%s%*s", cells[r * ncols + c],
				(int)(w[c] - ol_width(cells[r * ncols + c])), "");
		fprintf(f, "%s\n", cells[r * ncols + ncols - 1]);
	}
	free(w);
}

static void ol_cells_free(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(cells[i]);
	free(cells);
}

int outline_targets(const struct dockerfile *df, FILE *f, struct diags *dg)
{
	struct ol_text t;
	size_t n = 1, last = 0;
	char **cells;

	if (ol_text_read(&t, df->path, dg) < 0)
		return -1;
	for (size_t i = 0; i < df->ninstrs; i++)
		if (df->instrs[i]->kind == I_FROM)
			n++, last = i;
	cells = xcalloc(2 * n, sizeof(*cells));
	cells[0] = xstrdup("TARGET");
	cells[1] = xstrdup("DESCRIPTION");
	n = 1;
	for (size_t i = 0; i < df->ninstrs; i++) {
		if (df->instrs[i]->kind != I_FROM)
			continue;
		const char *name = df->instrs[i]->stage_name;
		if (i == last) /* the default target, as buildx marks it */
			cells[2 * n] =
			    xasprintf("%s%s(default)", name ? name : "", name ? " " : "");
		else
			cells[2 * n] = xstrdup(name ? name : "");
		cells[2 * n + 1] = ol_doc(&t, df, i, name);
		n++;
	}
	ol_table(f, cells, n, 2, 1);
	ol_cells_free(cells, 2 * n);
	ol_text_free(&t);
	return 0;
}

/* One row of the outline's tables, with the line it sorts by. */
struct ol_row {
	int line;
	size_t seq; /* order found: ties keep it */
	char *cells[3];
};

struct ol {
	const struct graph *g;
	struct ol_text text;
	struct ol_row *args, *secrets, *ssh;
	size_t nargs, nsecrets, nssh;
	struct strlist seen_args, seen_secrets, seen_ssh, seen_stages;
};

static int ol_seen(struct strlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], name) == 0)
			return 1;
	strlist_add(l, name);
	return 0;
}

static void ol_add(struct ol_row **rows, size_t *n, int line, char *a, char *b, char *c)
{
	*rows = xreallocarray(*rows, *n + 1, sizeof(**rows));
	(*rows)[*n] = (struct ol_row){line, *n, {a, b, c}};
	(*n)++;
}

/* The index of in in the Dockerfile, or -1 (an ONBUILD trigger). */
static long ol_index(const struct ol *o, const struct instr *in)
{
	const struct dockerfile *df = o->g->df;

	return in->pos < df->ninstrs && df->instrs[in->pos] == in ? (long)in->pos : -1;
}

/* The global ARG declaring name (the last one), or NULL. */
static const struct instr *ol_global(const struct ol *o, const char *name, const struct kv **kv)
{
	const struct dockerfile *df = o->g->df;
	const struct instr *found = NULL;

	for (size_t i = 0; i < df->ninstrs && df->instrs[i]->kind != I_FROM; i++)
		for (size_t k = 0; df->instrs[i]->kind == I_ARG && k < df->instrs[i]->nkvs; k++)
			if (strcmp(df->instrs[i]->kvs[k].key, name) == 0)
				found = df->instrs[i], *kv = &df->instrs[i]->kvs[k];
	return found;
}

/* A global ARG as BuildKit's outline lists it: its value after the
 * build-args, its place and its doc comment. */
static void ol_add_global(struct ol *o, const char *name)
{
	const struct kv *kv = NULL;
	const struct instr *in = ol_global(o, name, &kv);
	const struct var *v;

	if (!in || ol_seen(&o->seen_args, name))
		return;
	v = args_find(&o->g->globals, name);
	ol_add(&o->args, &o->nargs, in->loc.line, xstrdup(name),
	       xstrdup(v && v->value ? v->value : ""),
	       ol_doc(&o->text, o->g->df, ol_index(o, in), name));
}

/* The global ARGs a FROM line names ($NAME, ${NAME...}). */
static void ol_from_globals(struct ol *o, const char *word)
{
	for (const char *p = word ? strchr(word, '$') : NULL; p; p = strchr(p + 1, '$')) {
		const char *s = p + 1 + (p[1] == '{');
		size_t n = 0;
		while (isalnum((unsigned char)s[n]) || s[n] == '_')
			n++;
		if (n) {
			char *name = xstrndup(s, n);
			ol_add_global(o, name);
			free(name);
		}
	}
}

/* A stage's ARG: its own value, a build-arg's, or (declared without a
 * value) the global one it inherits, listed as the global. */
static void ol_stage_arg(struct ol *o, const struct stage *s, const struct instr *in,
			 const struct kv *kv)
{
	const char *ba = cli_build_arg(o->g->cli, kv->key);
	const struct kv *gkv;
	const struct var *v;

	if (!kv->value && !ba && ol_global(o, kv->key, &gkv)) {
		ol_add_global(o, kv->key);
		return;
	}
	if (ol_seen(&o->seen_args, kv->key))
		return;
	v = args_find(&s->args, kv->key);
	ol_add(&o->args, &o->nargs, in->loc.line, xstrdup(kv->key),
	       xstrdup(ba			    ? ba
		       : v && v->value && kv->value ? v->value
						    : ""),
	       ol_index(o, in) < 0 ? xstrdup("")
				   : ol_doc(&o->text, o->g->df, ol_index(o, in), kv->key));
}

/* RUN --mount=type=secret|ssh: the ids a build of the target needs. */
static void ol_mounts(struct ol *o, const struct instr *in)
{
	for (size_t i = 0; i < in->nmounts; i++) {
		const struct mount *m = &in->mounts[i];
		const char *id = m->id, *slash;
		if (m->type == MOUNT_SECRET && !id && m->target) /* BuildKit: the target's name */
			id = (slash = strrchr(m->target, '/')) ? slash + 1 : m->target;
		if (m->type == MOUNT_SSH && !id)
			id = "default";
		if (m->type == MOUNT_SECRET && id && !ol_seen(&o->seen_secrets, id))
			ol_add(&o->secrets, &o->nsecrets, in->loc.line, xstrdup(id),
			       xstrdup(m->required ? "true" : ""), NULL);
		if (m->type == MOUNT_SSH && !ol_seen(&o->seen_ssh, id))
			ol_add(&o->ssh, &o->nssh, in->loc.line, xstrdup(id),
			       xstrdup(m->required ? "true" : ""), NULL);
	}
}

/* The stage, then its base, then the stages it copies from (BuildKit's
 * order: the first stage that declares a name gives its row). */
static void ol_stage(struct ol *o, const struct stage *s)
{
	if (ol_seen(&o->seen_stages, s->label))
		return;
	ol_from_globals(o, s->from->image);
	ol_from_globals(o, s->from->platform);
	for (size_t i = 0; i < s->ninstrs; i++) {
		const struct instr *in = s->instrs[i];
		for (size_t k = 0; in->kind == I_ARG && k < in->nkvs; k++)
			ol_stage_arg(o, s, in, &in->kvs[k]);
		if (in->kind == I_RUN)
			ol_mounts(o, in);
	}
	if (s->base)
		ol_stage(o, s->base);
	for (size_t i = 0; i < s->ndeps; i++)
		ol_stage(o, s->deps[i].stage);
}

static int ol_cmp(const void *a, const void *b)
{
	const struct ol_row *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One table (a header row over the rows sorted by line) and a blank line. */
static void ol_block(FILE *f, const char *const *head, struct ol_row *rows, size_t n, size_t ncols)
{
	char **cells;

	if (!n)
		return;
	qsort(rows, n, sizeof(*rows), ol_cmp);
	cells = xcalloc((n + 1) * ncols, sizeof(*cells));
	for (size_t c = 0; c < ncols; c++)
		cells[c] = xstrdup(head[c]);
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++)
			cells[(r + 1) * ncols + c] = rows[r].cells[c];
	ol_table(f, cells, n + 1, ncols, 3);
	fputc('\n', f);
	for (size_t c = 0; c < ncols; c++)
		free(cells[c]);
	free(cells);
	for (size_t r = 0; r < n; r++)
		for (size_t c = ncols; c < 3; c++)
			free(rows[r].cells[c]);
	for (size_t r = 0; r < n; r++)
		for (size_t c = 0; c < ncols; c++)
			free(rows[r].cells[c]);
	free(rows);
}

/* TARGET: and DESCRIPTION: of the target, when it has a name or a doc. */
static void ol_head(FILE *f, struct ol *o)
{
	const struct stage *t = o->g->target;
	char *desc = ol_doc(&o->text, o->g->df, ol_index(o, t->from), t->name);
	char *cells[4] = {"TARGET:", t->name ? t->name : "(default)", "DESCRIPTION:", desc};

	if (t->name || *desc) {
		ol_table(f, cells, *desc ? 2 : 1, 2, 1);
		fputc('\n', f);
	}
	free(desc);
}

int outline_print(const struct graph *g, FILE *f, struct diags *dg)
{
	static const char *const ahead[] = {"BUILD ARG", "VALUE", "DESCRIPTION"};
	static const char *const shead[] = {"SECRET", "REQUIRED"};
	static const char *const hhead[] = {"SSH", "REQUIRED"};
	struct ol o = {.g = g};

	if (ol_text_read(&o.text, g->df->path, dg) < 0)
		return -1;
	ol_stage(&o, g->target);
	ol_head(f, &o);
	ol_block(f, ahead, o.args, o.nargs, 3);
	ol_block(f, shead, o.secrets, o.nsecrets, 2);
	ol_block(f, hhead, o.ssh, o.nssh, 2);
	strlist_free(&o.seen_args);
	strlist_free(&o.seen_secrets);
	strlist_free(&o.seen_ssh);
	strlist_free(&o.seen_stages);
	ol_text_free(&o.text);
	return 0;
}
