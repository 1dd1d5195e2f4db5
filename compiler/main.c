/* df2make: compiles a Dockerfile into a GNU Makefile (or a plan, or a
 * stage graph). Parsing options is cli.c's job; main only sequences. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "dot.h"
#include "dump.h"
#include "emit.h"
#include "graph.h"
#include "instr.h"
#include "lint.h"
#include "outline.h"
#include "plan.h"
#include "util.h"

/* With DF2MAKE_RSS_PROBE set: the process's resident anonymous and
 * file-backed KB (/proc/self/status, summed exactly) on stderr after a
 * phase. ru_maxrss reads a small process's peak low (the kernel folds
 * its per-CPU counters in batches) and counts the binary's mapped pages;
 * the anonymous pages are what the compile allocates, to the page
 * (tests/sh/backend/compile-memory.sh, bench/compile-scale.sh). */
static void rss_probe(const char *phase)
{
	char line[128];
	long anon = -1, file = -1;
	FILE *f;

	if (!getenv("DF2MAKE_RSS_PROBE") || !(f = fopen("/proc/self/status", "re")))
		return;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "RssAnon:", 8) == 0)
			anon = atol(line + 8);
		else if (strncmp(line, "RssFile:", 8) == 0)
			file = atol(line + 8);
	fclose(f);
	fprintf(stderr, "df2make: rss after %s: anon %ld KB, file %ld KB\n", phase, anon, file);
}

/* Writes the finished output: nothing reaches stdout on error (build.mk
 * written into a regular file as it is made is taken back, outfile.h).
 * 0, or -1 with the error in dg. */
static int write_all(struct emitter *em, struct diags *dg)
{
	if (emit_output(em, stdout, dg) < 0)
		return -1;
	if (fflush(stdout) != 0 || ferror(stdout))
		return diag_error(dg, NULL, "write error on standard output");
	return 0;
}

/* Prints the errors a step of the compile collected; the exit status. */
static int failed(struct diags *dg)
{
	diag_show_all(dg, stderr);
	diag_free(dg);
	return 1;
}

/* --dump-ast: BuildKit's syntax tree on stdout; the exit status. */
static int dump(const char *path)
{
	struct diags dg = {0};

	if (dump_dockerfile(stdout, path, &dg) < 0 ||
	    (fflush(stdout) != 0 && diag_error(&dg, NULL, "write error on standard output")))
		return failed(&dg);
	return 0;
}

/* The output of one graph (build.mk, the plan or the DOT graph), then
 * stdout; 0, or -1 with the error in dg. */
static int write_one(const struct cli *c, struct graph *g, struct emitter *em, struct diags *dg)
{
	int r = 0;

	if (c->mode == MODE_PLAN)
		r = plan_write(g, em->out, dg);
	else if (c->mode == MODE_GRAPH)
		dot_write(g, em->out);
	else
		r = emit_finish(em, g);
	return r < 0 ? -1 : write_all(em, dg);
}

/* docker build --check: the findings on stdout, nothing built. */
static int check(struct cli *c)
{
	struct diags dg = {0};
	struct dockerfile *df = dockerfile_load(c->dockerfile, &dg);
	int r;

	if (!df) {
		r = failed(&dg); /* before cli_free: the records point at its path */
		cli_free(c);
		return r;
	}
	if ((r = lint_check(df, c, &dg)) < 0)
		r = failed(&dg); /* before cli_free: the records point at its path */
	dockerfile_free(df);
	cli_free(c);
	return r;
}

/* docker build --call targets|outline: what the Dockerfile offers and
 * asks for, nothing built. */
static int call(struct cli *c)
{
	struct diags dg = {0};
	struct dockerfile *df = dockerfile_load(c->dockerfile, &dg);
	struct graph_hooks hooks = {.drop_specs = 1, .no_image = 1, .no_keys = 1, .no_grants = 1};
	struct graph *g = NULL;
	int r;

	if (df && strcmp(c->bf.call, "targets") == 0) {
		r = outline_targets(df, stdout, &dg);
	} else if (df && (g = graph_build(df, c, &hooks, &dg))) {
		r = outline_print(g, stdout, &dg);
		graph_free(g);
	} else {
		r = -1;
	}
	if (!r && fflush(stdout) != 0)
		r = diag_error(&dg, NULL, "write error on standard output");
	if (r)
		r = failed(&dg); /* before cli_free: the records point at its path */
	dockerfile_free(df);
	cli_free(c);
	return r;
}

/* --platform a,b: one graph per platform into one build.mk (steps the
 * platforms share written once), one pack into one OCI index. */
static int main_multi(struct cli *c, struct emitter *em, struct graph_hooks *hooks)
{
	struct diags dg = {0};
	int r = 0;
	char *list = c->platform, *save = NULL, *p, *copy = xstrdup(list);
	struct strlist plats = {0};
	struct graph **gs;
	struct dockerfile **dfs;

	if (c->mode != MODE_MAKE || c->cache_to || strcmp(c->output_type, "local") == 0)
		fatal("--platform %s: several platforms build an image archive only (not with "
		      "--plan, --graph, --cache-to or -o type=local)",
		      list);
	for (p = strtok_r(copy, ",", &save); p; p = strtok_r(NULL, ",", &save)) {
		for (size_t i = 0; i < plats.n; i++)
			if (strcmp(plats.v[i], p) == 0)
				fatal("--platform %s: %s is listed twice", list, p);
		strlist_add(&plats, p);
	}
	free(copy);
	gs = xcalloc(plats.n, sizeof(*gs));
	dfs = xcalloc(plats.n, sizeof(*dfs));
	em->multi = 1;
	for (size_t i = 0; i < plats.n && !r; i++) {
		c->platform = plats.v[i];
		if (!(dfs[i] = dockerfile_load(c->dockerfile, &dg)) ||
		    !(gs[i] = graph_build(dfs[i], c, hooks, &dg))) {
			r = failed(&dg);
			emit_abandon(em);
		}
	}
	c->platform = list; /* build.mk regenerates itself with the list */
	if (!r && (emit_finish_multi(em, gs, plats.n) < 0 || write_all(em, &dg) < 0)) {
		r = failed(&dg);
		emit_abandon(em);
	}
	for (size_t i = 0; i < plats.n; i++) {
		graph_free(gs[i]);
		dockerfile_free(dfs[i]);
	}
	free(gs);
	free(dfs);
	strlist_free(&plats);
	return r;
}

int main(int argc, char **argv)
{
	struct cli c;
	struct graph *g;
	struct dockerfile *df;
	struct buf out = {0};
	struct emitter em;
	struct graph_hooks hooks;
	struct diags dg = {0};
	int r = 0;

	argv0 = "df2make";
#ifdef M_MMAP_THRESHOLD
	/* glibc raises its mmap threshold as big blocks are freed: the growing
	 * arrays (Env, scopes, indexes) then move within the heap and leave
	 * their old pages touched (1.6 MB of 20 at 50,000 ENV lines). Fixed,
	 * big blocks stay mmap'd and grow by mremap. */
	mallopt(M_MMAP_THRESHOLD, 128 << 10);
#endif
	cli_parse(&c, argc, argv);
	if (c.mode == MODE_DUMP) {
		r = dump(c.dump_path);
		cli_free(&c);
		return r;
	}
	if (c.check)
		return check(&c);
	if (c.bf.call && strcmp(c.bf.call, "build") != 0)
		return call(&c);
	emit_init(&em, &out, &hooks);
	if (c.mode != MODE_MAKE) /* the plan needs titles and keys, not specs */
		hooks = (struct graph_hooks){.drop_specs = 1, .no_image = 1};
	if (c.mode == MODE_GRAPH) /* the graph needs neither: only the errors */
		hooks.no_keys = 1;
	if (c.platform && strchr(c.platform, ',')) {
		r = main_multi(&c, &em, &hooks);
		buf_free(&out);
		cli_free(&c);
		return r;
	}
	if (!(df = dockerfile_load(c.dockerfile, &dg))) {
		failed(&dg); /* before cli_free: the records point at its path */
		buf_free(&out);
		cli_free(&c);
		return 1;
	}
	rss_probe("read");
	if (!(g = graph_build(df, &c, &hooks, &dg))) {
		failed(&dg); /* before cli_free: the records point at its path */
		emit_abandon(&em);
		buf_free(&out);
		dockerfile_free(df);
		cli_free(&c);
		return 1;
	}
	rss_probe("graph");
	/* lint: warnings on stderr; build.mk is not changed */
	if (lint_build(df, &c, g, &dg) || (rss_probe("lint"), write_one(&c, g, &em, &dg)) < 0) {
		r = failed(&dg);   /* before cli_free: the records point at its path */
		emit_abandon(&em); /* exit: outfile.c takes back what build.mk got */
	}
	rss_probe("output");
	buf_free(&out);
	graph_free(g);
	dockerfile_free(df);
	cli_free(&c);
	return r;
}
