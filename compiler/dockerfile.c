/* dockerfile: a file read into typed instructions, each converted as the
 * reader hands it over; the file-wide checks (directives, stages). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "error.h"
#include "input.h"
#include "instr.h"
#include "instr_ctx.h"
#include "parse.h"
#include "strconv.h"
#include "util.h"

void dockerfile_free(struct dockerfile *df)
{
	size_t i;

	if (!df)
		return;
	for (i = 0; i < df->ninstrs; i++)
		instr_clear(df->instrs[i]);
	free(df->instrs);
	free(df->path);
	free(df->syntax);
	free(df->check);
	free(df->empty_cont);
	arena_free(&df->arena);
	free(df);
}

/* linter.ParseLintOptions: "skip=...;error=bool;experimental=..." */
static int check_directive(struct instr_ctx *c, const char *v, int line)
{
	char *copy = xstrdup(v), *p = copy, *part, *eq;
	size_t start, len;
	int n = 0, ok = 1;

	len = parse_trim_space(p, strlen(p), &start);
	p[start + len] = '\0';
	p += start;
	while (ok && *p && n++ < 3) {
		part = p;
		p += n < 3 ? strcspn(p, ";") : strlen(p);
		if (*p)
			*p++ = '\0';
		if (!(eq = strchr(part, '='))) {
			ok = instr_errat(c, line, 1, "invalid check option \"%s\"", part);
			break;
		}
		*eq = '\0';
		len = parse_trim_space(part, strlen(part), &start);
		part[start + len] = '\0';
		if (!strcmp(part + start, "error")) {
			char *val = eq + 1;
			len = parse_trim_space(val, strlen(val), &start);
			val[start + len] = '\0';
			if (strconv_bool(val + start) < 0)
				ok = instr_errat(
				    c, line, 1,
				    "failed to parse check option \"%s=%s\": strconv.ParseBool: "
				    "parsing \"%s\": invalid syntax",
				    part, eq + 1, val + start);
		} else if (strcmp(part + start, "skip") && strcmp(part + start, "experimental")) {
			ok = instr_errat(c, line, 1, "invalid check option \"%s\"", part + start);
		}
	}
	free(copy);
	return ok;
}

/* The conversion of a file, node by node as the reader hands them over. */
struct stream {
	struct instr_ctx c;
	struct dockerfile *df;
	struct df_error err; /* the first conversion error */
	int failed, checked, stages;
};

/* Converts one node; after an error the rest of the file is only read:
 * a syntax error further on is the one reported, as when the whole file
 * was read before anything was converted. */
static void convert_streamed(void *arg, const struct ptree *t, struct pnode *n)
{
	struct stream *s = arg;
	struct dockerfile *df = s->df;
	struct instr conv, *in;

	if (s->failed)
		return;
	/* directives come first: the check one is known by the first node */
	if (!s->checked++ && t->check && !check_directive(&s->c, t->check, t->check_line)) {
		s->failed = 1;
		return;
	}
	if (!instr_convert(&s->c, n, &conv)) {
		instr_clear(&conv);
		s->failed = 1;
		s->c.node = NULL;
		return;
	}
	/* only as much of it as its kind uses (no self-pointers in it) */
	in = arena_alloc(&df->arena, instr_size(conv.kind));
	memcpy(in, &conv, instr_size(conv.kind));
	in->pos = (uint32_t)df->ninstrs;
	df->instrs[df->ninstrs++] = in;
	if (in->kind == I_FROM) {
		s->stages = 1;
	} else if (!s->stages && in->kind != I_ARG) {
		instr_errat(&s->c, in->loc.line, in->loc.col, "no build stage in current context");
		s->failed = 1;
	}
	s->c.node = NULL; /* n goes away */
}

/* An upper bound of the number of instructions: each takes a line. */
static size_t count_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* Prints the reader's warnings (empty continuation lines). */
static void print_warnings(const struct ptree *t, const char *path)
{
	for (size_t i = 0; i < t->nwarnings; i++) {
		struct loc l = {path, t->warnings[i].line, 1, t->warnings[i].line};
		loc_print_line(&l, "warning", t->warnings[i].msg);
	}
}

/* After the whole file is read: the checks that need all of it. */
static int stream_end(struct stream *s, const struct ptree *t)
{
	struct dockerfile *df = s->df;

	df->escape = t->escape;
	df->syntax = t->syntax ? xstrdup(t->syntax) : NULL;
	df->check = t->check ? xstrdup(t->check) : NULL;
	df->empty_cont = t->nwarnings ? xcalloc(t->nwarnings, sizeof(int)) : NULL;
	for (size_t i = 0; i < t->nwarnings; i++)
		df->empty_cont[df->nempty_cont++] = t->warnings[i].line;
	if (!s->failed && !s->stages) {
		s->c.node = NULL;
		instr_errat(&s->c, 1, 1, "dockerfile contains no stages to build");
		s->failed = 1;
	}
	return !s->failed;
}

/* Reads and converts the text, each instruction as soon as it is read, so
 * the reader's temporaries reuse the same memory; with warn, a valid
 * file's warnings are printed. */
static struct dockerfile *df_parse(const char *path, const char *text, size_t len,
				   struct df_error *err, int warn)
{
	struct stream s = {0};
	struct ptree *t;
	struct dockerfile *df;
	size_t lines;

	memset(err, 0, sizeof(*err));
	if (!len) {
		err->loc = (struct loc){path, 1, 1, 1};
		snprintf(err->msg, sizeof(err->msg), "the Dockerfile cannot be empty");
		return NULL;
	}
	s.df = df = xcalloc(1, sizeof(*df));
	/* instructions point at our copy of the path; errors at the caller's */
	df->path = xstrdup(path);
	/* not zeroed: pointers set as the instructions are converted */
	lines = count_lines(text, len);
	df->instrs = xreallocarray(NULL, lines, sizeof(*df->instrs)); /* checks the product */
	s.c = (struct instr_ctx){df->path, &s.err, NULL, &df->arena};
	t = parse_stream(path, text, len, '\\', err, &df->arena, convert_streamed, &s);
	if (!t || !stream_end(&s, t)) {
		if (t) {
			*err = s.err;
			err->loc.file = path;
		}
		parse_free(t);
		dockerfile_free(df);
		return NULL;
	}
	if (warn)
		print_warnings(t, path);
	parse_free(t);
	return df;
}

struct dockerfile *dockerfile_parse_err(const char *path, const char *text, size_t len,
					struct df_error *err)
{
	return df_parse(path, text, len, err, 0);
}

struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len,
				    struct diags *dg)
{
	struct df_error err;
	struct dockerfile *df;

	loc_keep_source(path, text, len);
	df = df_parse(path, text, len, &err, 1);
	if (!df)
		diag_error_value(dg, &err);
	return df;
}

struct dockerfile *dockerfile_load(const char *path, struct diags *dg)
{
	struct error e = {0};
	struct df_error err;
	struct dockerfile *df;
	char *text;
	size_t len;

	/* a FIFO, /dev/zero or a huge file: an error, never a hang */
	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0) {
		diag_error(dg, NULL, "%s", e.msg);
		return NULL;
	}
	/* the kept text is the one read: a copy would be 1x the file more */
	loc_keep_source_take(path, text, len);
	df = df_parse(path, text, len, &err, 1);
	if (!df)
		diag_error_value(dg, &err);
	return df;
}
