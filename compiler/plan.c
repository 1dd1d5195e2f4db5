/* plan: the build plan as YAML through libyaml's emitter (see plan.h and
 * docs/plan.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "buf.h"
#include "instr.h"
#include "cli.h"
#include "diag.h"
#include "fetch.h"
#include "graph.h"
#include "parse.h"
#include "plan.h"
#include "utf8.h"

#define PLAN_VERSION 1

/* The emitter and its first error: once an event fails (or a value
 * cannot be written) the rest of the document is dropped, as a FILE's
 * error indicator drops writes, and plan_write returns -1. */
struct plan_w {
	yaml_emitter_t y;
	struct diags *dg;
	int failed;
};

static int plan_out(void *data, unsigned char *s, size_t n)
{
	buf_addn(data, (const char *)s, n);
	return 1;
}

static void plan_emit(struct plan_w *e, yaml_event_t *ev)
{
	if (e->failed) {
		yaml_event_delete(ev);
		return;
	}
	if (!yaml_emitter_emit(&e->y, ev)) { /* the emitter owns ev now */
		e->failed = 1;
		diag_error(e->dg, NULL, "plan: YAML emitter: %s",
			   e->y.problem ? e->y.problem : "error");
	}
}

/* 1 if a plain scalar s would be read back as something else than a
 * string (a number, a boolean, null). */
static int plan_looks_typed(const char *s)
{
	static const char *const words[] = {
	    "",	     "~",   "null", "Null", "NULL", "true", "True", "TRUE", "false", "False",
	    "FALSE", "yes", "no",   "on",   "off",  "Yes",  "No",   "On",   "Off"};

	/* the bytes of numbers: digits and ".+-eE_xXoO" (a table, as strspn
	 * with a set this long builds one on every call) */
	static const unsigned char num[256] = {
	    ['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1, ['5'] = 1, ['6'] = 1,
	    ['7'] = 1, ['8'] = 1, ['9'] = 1, ['.'] = 1, ['+'] = 1, ['-'] = 1, ['e'] = 1,
	    ['E'] = 1, ['_'] = 1, ['x'] = 1, ['X'] = 1, ['o'] = 1, ['O'] = 1};
	size_t n = 0;

	while (num[(unsigned char)s[n]])
		n++;
	/* all of it number-like, or a digit first */
	if (!s[n] || (*s >= '0' && *s <= '9'))
		return 1;
	/* the words are short: most scalars (keys, titles) are not compared */
	if (strnlen(s, 6) > 5)
		return 0;
	for (size_t i = 0; i < LEN(words); i++)
		if (*s == *words[i] && strcmp(s, words[i]) == 0)
			return 1;
	return 0;
}

/* libyaml's emitter loops forever on bytes that are not UTF-8, and YAML
 * strings cannot hold them: such a value (a build-arg, a file name in the
 * context, a path) stops the plan with the value Go-quoted. */
static int plan_check_utf8(struct plan_w *e, const char *s, size_t n)
{
	struct buf q = {0};

	if (utf8_valid_len(s, n) == n)
		return 0;
	parse_quote(&q, s, n);
	e->failed = 1;
	diag_error(e->dg, NULL, "plan: %s is not valid UTF-8, which a YAML plan cannot hold", q.s);
	buf_free(&q);
	return -1;
}

/* A string scalar, plain when that reads back as the same string; NULL
 * is written as null. */
static void plan_str(struct plan_w *e, const char *s)
{
	yaml_event_t ev;
	int quote = s && plan_looks_typed(s);
	size_t n;

	if (!s)
		s = "null";
	n = strlen(s);
	if (e->failed || plan_check_utf8(e, s, n) < 0)
		return;
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)n, !quote, 1,
				     quote ? YAML_SINGLE_QUOTED_SCALAR_STYLE
					   : YAML_ANY_SCALAR_STYLE);
	plan_emit(e, &ev);
}

static void plan_int(struct plan_w *e, long long v)
{
	char s[32];
	yaml_event_t ev;

	snprintf(s, sizeof(s), "%lld", v);
	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, -1, 1, 0,
				     YAML_PLAIN_SCALAR_STYLE);
	plan_emit(e, &ev);
}

static void plan_bool(struct plan_w *e, int v)
{
	yaml_event_t ev;

	yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)(v ? "true" : "false"), -1, 1,
				     0, YAML_PLAIN_SCALAR_STYLE);
	plan_emit(e, &ev);
}

static void plan_map(struct plan_w *e, int start)
{
	yaml_event_t ev;

	if (start)
		yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
	else
		yaml_mapping_end_event_initialize(&ev);
	plan_emit(e, &ev);
}

static void plan_seq(struct plan_w *e, int start, int flow)
{
	yaml_event_t ev;

	if (start)
		yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
						     flow ? YAML_FLOW_SEQUENCE_STYLE
							  : YAML_BLOCK_SEQUENCE_STYLE);
	else
		yaml_sequence_end_event_initialize(&ev);
	plan_emit(e, &ev);
}

static void plan_kv(struct plan_w *e, const char *k, const char *v)
{
	plan_str(e, k);
	plan_str(e, v);
}

static const char *plan_op(const struct step *st)
{
	static const char *const ops[] = {"base", "run", "copy", "add", "workdir"};

	return ops[st->kind];
}

/* ADD's fetch steps (fetch.h): the make target and what it asks for. */
static void plan_fetch(struct plan_w *e, const struct step *st)
{
	if (!st->nfetch)
		return;
	plan_str(e, "fetch");
	plan_seq(e, 1, 0);
	for (size_t i = 0; i < st->nfetch; i++) {
		plan_map(e, 1);
		plan_kv(e, "key", st->src->fetch[i].key); /* nfetch > 0: src is there */
		plan_kv(e, "title", st->src->fetch[i].title);
		plan_map(e, 0);
	}
	plan_seq(e, 0, 0);
}

static void plan_step(struct plan_w *e, const struct graph *g, const struct step *st)
{
	plan_map(e, 1);
	plan_kv(e, "key", st->key);
	plan_kv(e, "op", plan_op(st));
	plan_kv(e, "title", st->title);
	plan_kv(e, "loc", st->loc);
	plan_kv(e, "parent", st->parent ? st->parent->key : NULL);
	if (st->kind == STEP_BASE && st->image) {
		char key[33], plat[PLATFORM_MAX];
		plan_kv(e, "image", st->image);
		plan_kv(e, "manifest", st->manifest);
		/* the make target that pulls it, when build.mk does */
		if (graph_pull_key(g, st->image, graph_step_plat(g, st, plat), key))
			plan_kv(e, "pull", key);
	}
	plan_str(e, "deps");
	plan_seq(e, 1, 1);
	for (size_t i = 0; i < st->ndeps; i++)
		plan_str(e, st->deps[i]->key);
	plan_seq(e, 0, 1);
	if (st->sum) {
		plan_str(e, "inputs");
		plan_seq(e, 1, 0);
		for (size_t i = 0; i < step_inputs(st)->n; i++)
			plan_str(e, step_inputs(st)->v[i]);
		plan_seq(e, 0, 0);
	}
	plan_fetch(e, st);
	plan_str(e, "layer");
	plan_bool(e, (st->flags & FLAG_FINAL) != 0);
	plan_map(e, 0);
}

static void plan_base(struct plan_w *e, const struct stage *s)
{
	plan_str(e, "base");
	plan_map(e, 1);
	if (s->base)
		plan_kv(e, "stage", s->base->label);
	else if (s->image && strcmp(s->image, "scratch") == 0)
		plan_str(e, "scratch"), plan_bool(e, 1);
	else {
		plan_kv(e, "image", s->image);
		if (s->flags & FLAG_REACH)
			plan_kv(e, "manifest", s->manifest);
	}
	plan_map(e, 0);
}

static void plan_stage(struct plan_w *e, const struct graph *g, const struct stage *s)
{
	char *loc = xasprintf("Dockerfile:%d", s->from->loc.line);

	plan_map(e, 1);
	plan_kv(e, "name", s->label);
	plan_str(e, "index");
	plan_int(e, s->index);
	plan_kv(e, "loc", loc);
	free(loc);
	plan_base(e, s);
	plan_str(e, "needed");
	plan_bool(e, (s->flags & FLAG_REACH) != 0);
	plan_str(e, "deps");
	plan_seq(e, 1, 1);
	for (size_t i = 0; i < s->ndeps; i++)
		plan_str(e, s->deps[i].stage->label);
	plan_seq(e, 0, 1);
	if (s->flags & FLAG_REACH) {
		plan_str(e, "level");
		plan_int(e, s->level);
		plan_kv(e, "result", s->last->key);
		plan_str(e, "steps");
		plan_seq(e, 1, 0);
		if (s->base_step)
			plan_step(e, g, s->base_step);
		for (size_t i = 0; i < s->nsteps; i++)
			plan_step(e, g, s->steps[i]);
		plan_seq(e, 0, 0);
	}
	plan_map(e, 0);
}

static int plan_max_level(const struct graph *g)
{
	int max = 0;

	for (size_t i = 0; i < g->nstages; i++)
		if ((g->stages[i].flags & FLAG_REACH) && g->stages[i].level > max)
			max = g->stages[i].level;
	return max;
}

/* Stages that can run at the same time: level N needs only levels < N. */
static void plan_levels(struct plan_w *e, const struct graph *g)
{
	int max = plan_max_level(g);

	plan_str(e, "levels");
	plan_seq(e, 1, 0);
	for (int l = 0; l <= max; l++) {
		plan_seq(e, 1, 1);
		for (size_t i = 0; i < g->nstages; i++)
			if ((g->stages[i].flags & FLAG_REACH) && g->stages[i].level == l)
				plan_str(e, g->stages[i].label);
		plan_seq(e, 0, 1);
	}
	plan_seq(e, 0, 0);
}

/* What the command line granted: entitlements and ssh agents (a socket
 * null: the $SSH_AUTH_SOCK make runs with, never the one seen now). */
static void plan_grants(struct plan_w *e, const struct entitlements *ent)
{
	struct strlist names = {0};

	ent_names(ent, &names);
	plan_str(e, "entitlements");
	plan_seq(e, 1, 1);
	for (size_t i = 0; i < names.n; i++)
		plan_str(e, names.v[i]);
	plan_seq(e, 0, 1);
	strlist_free(&names);
	plan_str(e, "ssh");
	plan_seq(e, 1, 0);
	for (size_t i = 0; i < ent->nssh; i++) {
		char *var = ent_ssh_var(ent->ssh[i].id);
		plan_map(e, 1);
		plan_kv(e, "id", ent->ssh[i].id);
		plan_kv(e, "socket", ent->ssh[i].socket);
		plan_kv(e, "variable", var);
		plan_map(e, 0);
		free(var);
	}
	plan_seq(e, 0, 0);
}

static void plan_header(struct plan_w *e, const struct graph *g)
{
	char *platform = *g->variant ? xasprintf("%s/%s/%s", g->os, g->arch, g->variant)
				     : xasprintf("%s/%s", g->os, g->arch);

	plan_str(e, "version");
	plan_int(e, PLAN_VERSION);
	plan_kv(e, "dockerfile", g->cli->dockerfile);
	plan_kv(e, "context", g->cli->context);
	plan_kv(e, "ignore", g->ignore_path);
	plan_kv(e, "target", g->target->label);
	plan_kv(e, "platform", platform);
	plan_str(e, "output");
	plan_map(e, 1);
	plan_kv(e, "type", g->cli->output_type);
	plan_kv(e, "dest", g->cli->output);
	plan_map(e, 0);
	plan_grants(e, &g->cli->ent);
	free(platform);
}

static void plan_body(struct plan_w *e, struct graph *g)
{
	struct step **chain;
	size_t n = graph_final_chain(g, &chain);

	plan_header(e, g);
	plan_str(e, "needs");
	plan_seq(e, 1, 1);
	for (size_t i = 0; i < g->nstages; i++)
		if (g->stages[i].flags & FLAG_REACH)
			plan_str(e, g->stages[i].label);
	plan_seq(e, 0, 1);
	plan_levels(e, g);
	plan_str(e, "layers");
	plan_seq(e, 1, 0);
	for (size_t i = 0; i < n; i++)
		plan_str(e, chain[i]->key);
	plan_seq(e, 0, 0);
	free(chain);
	plan_str(e, "stages");
	plan_seq(e, 1, 0);
	for (size_t i = 0; i < g->nstages; i++)
		plan_stage(e, g, &g->stages[i]);
	plan_seq(e, 0, 0);
}

int plan_write(struct graph *g, struct buf *out, struct diags *dg)
{
	struct plan_w e = {.dg = dg};
	yaml_event_t ev;

	if (!yaml_emitter_initialize(&e.y)) /* it fails only to allocate */
		out_of_memory();
	yaml_emitter_set_output(&e.y, plan_out, out);
	yaml_emitter_set_unicode(&e.y, 1);
	yaml_emitter_set_width(&e.y, -1);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	plan_emit(&e, &ev);
	yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0);
	plan_emit(&e, &ev);
	plan_map(&e, 1);
	plan_body(&e, g);
	plan_map(&e, 0);
	yaml_document_end_event_initialize(&ev, 1);
	plan_emit(&e, &ev);
	yaml_stream_end_event_initialize(&ev);
	plan_emit(&e, &ev);
	yaml_emitter_delete(&e.y);
	return e.failed ? -1 : 0;
}
