/* graph: stages, their dependencies, reachability and dispatch order
 * (see graph.h). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "graph.h"
#include "ignore.h"
#include "instr.h"
#include "key.h"
#include "nctx.h"
#include "platform.h"
#include "ref.h"
#include "sha256.h"
#include "spec.h"
#include "step.h"
#include "store.h"
#include "suggest.h"

static int graph_is_number(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return 0;
	return 1;
}

struct stage *graph_stage_ref(const struct graph *g, const char *name)
{
	if (graph_is_number(name)) {
		long i = strtol(name, NULL, 10);
		return i >= 0 && (size_t)i < g->nstages ? &g->stages[i] : NULL;
	}
	/* the last stage of that name: BuildKit's statesByName keeps the last
	 * one added (a duplicate name is only a lint warning) */
	for (size_t i = g->nstages; i-- > 0;)
		if (g->stages[i].name && strcasecmp(g->stages[i].name, name) == 0)
			return &g->stages[i];
	return NULL;
}

static void graph_free_step(struct step *st);

/* The key's first 16 hex digits: well spread, as a key is a digest (or
 * a placeholder made so). By hand: strtoull showed in profiles. */
static uint64_t graph_key_hash(const char *key)
{
	uint64_t h = 0;

	for (int i = 0; i < 16; i++)
		h = h << 4 | (uint64_t)(key[i] <= '9' ? key[i] - '0' : (key[i] | 0x20) - 'a' + 10);
	return h;
}

/* The slot of key (hashed h) in tab, or the empty slot where it goes. */
static size_t graph_slot(const struct key_slot *tab, size_t cap, uint64_t h, const char *key)
{
	size_t i = (size_t)h & (cap - 1);

	for (; tab[i].st && (tab[i].h != h || strcmp(tab[i].st->key, key) != 0);
	     i = (i + 1) & (cap - 1))
		;
	return i;
}

/* Doubles the table, which is at most half full so probes stay short. */
static void graph_grow_keys(struct graph *g)
{
	size_t cap = g->keycap ? g->keycap * 2 : 256, n = 0;
	struct key_slot *tab = xcalloc(cap, sizeof(*tab));

	for (size_t i = 0; i < g->keycap; i++) {
		struct key_slot *k = &g->bykey[i];
		if (k->st) {
			tab[graph_slot(tab, cap, k->h, k->st->key)] = *k;
			n++;
		}
	}
	free(g->bykey);
	g->bykey = tab;
	g->keycap = cap;
	g->nkeys = n;
}

/* The step in the table with st's key, or NULL after adding st. */
static struct step *graph_table_add(struct graph *g, struct step *st)
{
	uint64_t h = graph_key_hash(st->key);
	size_t slot;

	if ((g->nkeys + 1) * 2 > g->keycap)
		graph_grow_keys(g);
	slot = graph_slot(g->bykey, g->keycap, h, st->key);
	if (g->bykey[slot].st)
		return g->bykey[slot].st;
	g->bykey[slot] = (struct key_slot){h, st};
	g->nkeys++;
	return NULL;
}

/* A parent with more children than this has them in the table. */
#define GRAPH_FEW_CHILDREN 16

/* The kept step with st's key, or NULL after recording st. A key hashes
 * its parent's key, so an identical step has the same parent: most are
 * found among the parent's few children, whose memory is warm, instead
 * of at a random slot of a table as big as the graph. */
static struct step *graph_find_or_add(struct graph *g, struct step *st)
{
	struct step *p = st->parent;

	if (!p || p->nchild > GRAPH_FEW_CHILDREN)
		return graph_table_add(g, st);
	for (struct step *c = p->child; c; c = c->sibling)
		if (memcmp(c->key, st->key, sizeof(st->key)) == 0)
			return c;
	st->sibling = p->child;
	p->child = st;
	if (++p->nchild > GRAPH_FEW_CHILDREN)
		for (struct step *c = p->child; c; c = c->sibling)
			graph_table_add(g, c); /* the list is too long: the table takes it */
	return NULL;
}

struct step *graph_add_step(struct graph *g, struct step *st)
{
	struct step *kept = graph_find_or_add(g, st);

	if (kept) {
		graph_free_step(st);
		return kept;
	}
	if (g->nsteps == g->stepcap) {
		g->stepcap = g->stepcap ? g->stepcap * 2 : 64;
		g->steps = xreallocarray(g->steps, g->stepcap, sizeof(*g->steps));
	}
	g->steps[g->nsteps++] = st;
	return st;
}

/* The global scope: automatic ARGs, then the ARGs before the first FROM. */
static int graph_globals(struct graph *g, size_t *first)
{
	const struct dockerfile *df = g->df;
	char *target = g->cli->target ? strlower(xstrdup(g->cli->target)) : NULL;
	struct df_error err;
	size_t i;

	args_predefined(&g->globals, &g->tplat, target); /* stage names are lower case */
	free(target);
	for (i = 0; i < df->ninstrs && df->instrs[i]->kind != I_FROM; i++) {
		if (df->instrs[i]->kind != I_ARG)
			return diag_error(g->dg, &df->instrs[i]->loc,
					  "no build stage in current context");
		if (args_global(&g->globals, df->instrs[i], g->cli, df->escape, &err) < 0)
			return diag_error_value(g->dg, &err);
	}
	if (i == df->ninstrs)
		return diag_error(g->dg, NULL, "%s: no build stage in current context (no FROM)",
				  df->path);
	*first = i;
	return 0;
}

/* FROM --platform, expanded with the global ARGs, as BuildKit parses it. */
static int graph_from_platform(struct graph *g, struct stage *s, char **env)
{
	struct error e = {0};
	struct df_error err;

	s->platform = args_expand(s->from->platform, g->df->escape, env, s->from, &err);
	if (!s->platform)
		return diag_error_value(g->dg, &err);
	if (!*s->platform)
		return diag_error(g->dg, &s->from->loc, "empty platform value from expression %s",
				  s->from->platform);
	if (platform_parse(s->platform, &s->plat, &e) < 0)
		return diag_error(g->dg, &s->from->loc, "failed to parse platform %s: %s",
				  s->from->platform, e.msg);
	return 0;
}

/* --call outline: no build.mk follows, so no word of pulling. */
static int graph_outline(const struct graph *g)
{
	return g->hooks && g->hooks->no_grants;
}

/* --build-context NAME=docker-image://REF, as BuildKit's named contexts:
 * a stage named NAME is the image REF (its instructions are not run);
 * a FROM NAME that names no stage, REF. Returns 1 for the former. */
static int graph_named_context(struct graph *g, struct stage *s)
{
	const char *ref = s->name ? bflags_context_image(&g->cli->bf, s->name) : NULL;
	int own = ref != NULL;

	/* NAME=DIR: the stage is the directory, or FROM names it; either
	 * is refused if the target needs the stage (graph_reach) */
	if (!ref && s->name && (s->ctxdir = bflags_context_dir(&g->cli->bf, s->name, NULL)))
		return s->ninstrs = 0, 1;
	for (int i = 0; !ref && i < s->index; i++)
		if (g->stages[i].name && strcasecmp(g->stages[i].name, s->image) == 0)
			return 0;
	if (!ref && (s->ctxdir = bflags_context_dir(&g->cli->bf, s->image, NULL)))
		return 1;
	if (!ref && !(ref = bflags_context_image(&g->cli->bf, s->image)))
		return 0;
	free(s->image);
	s->image = xstrdup(ref);
	if (own)
		s->ninstrs = 0;
	if (!s->from->platform)
		s->plat = g->tplat;
	return 1;
}

/* FROM: expanded with the global ARGs only. */
static int graph_from(struct graph *g, struct stage *s)
{
	char **env = NULL;
	size_t n = 0;
	int r = 0;
	struct df_error err;

	args_to_vec(&g->globals, &env, &n);
	if (!env)
		env = xcalloc(1, sizeof(*env));
	if (!(s->image = args_expand(s->from->image, g->df->escape, env, s->from, &err)))
		r = diag_error_value(g->dg, &err);
	if (!r && s->from->platform)
		r = graph_from_platform(g, s, env);
	if (!r && !*s->image)
		r = diag_error(g->dg, &s->from->loc, "base name (%s) should not be blank",
			       s->from->image);
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	if (r)
		return r;
	if (graph_named_context(g, s))
		return 0;
	/* a name resolves to a stage only if that stage came earlier */
	for (int i = s->index - 1; i >= 0; i--) {
		if (g->stages[i].name && strcasecmp(g->stages[i].name, s->image) == 0) {
			s->base = &g->stages[i];
			free(s->image);
			s->image = NULL;
			break;
		}
	}
	/* a stage FROM a stage runs on that stage's platform (BuildKit's
	 * dispatchState.init) */
	if (s->base)
		s->plat = s->base->plat;
	else if (!s->from->platform)
		s->plat = g->tplat;
	return 0;
}

static void graph_add_dep(struct stage *s, struct stage *d, const struct instr *in,
			  const char *what)
{
	for (size_t i = 0; i < s->ndeps; i++)
		if (s->deps[i].stage == d)
			return;
	s->deps = xreallocarray(s->deps, s->ndeps + 1, sizeof(*s->deps));
	s->deps[s->ndeps++] = (struct dep){d, in, what};
}

/* Stages an instruction needs: COPY/ADD --from, RUN --mount from=. */
static int graph_instr_deps(struct graph *g, struct stage *s, const struct instr *in)
{
	struct stage *d;

	if (in->kind == I_ONBUILD)
		return 0;
	if ((in->kind == I_COPY || in->kind == I_ADD) && in->from) {
		if (strchr(in->from, '$'))
			return diag_error(g->dg, &in->loc,
					  "--from does not support variables: \"%s\"", in->from);
		if ((d = graph_stage_ref(g, in->from)) && !nctx_dir_of(g, in->from))
			graph_add_dep(s, d, in, in->from);
	}
	if (in->kind == I_RUN && nctx_check_run(g, in) < 0)
		return -1;
	for (size_t i = 0; in->kind == I_RUN && i < in->nmounts; i++) {
		const char *from = in->mounts[i].from;
		if (!from)
			continue;
		if (strchr(from, '$'))
			return diag_error(g->dg, &in->mounts[i].loc,
					  "--mount from does not support variables: \"%s\"", from);
		if ((d = graph_stage_ref(g, from)) && !nctx_dir_of(g, from))
			graph_add_dep(s, d, in, from);
	}
	return 0;
}

/* Splits the instructions into stages: all names are known before any
 * --from is resolved, so a forward reference is found (and refused). */
static int graph_split(struct graph *g, size_t first)
{
	const struct dockerfile *df = g->df;
	struct stage *s = NULL;

	for (size_t i = first; i < df->ninstrs; i++)
		if (df->instrs[i]->kind == I_FROM)
			g->nstages++;
	g->stages = xcalloc(g->nstages, sizeof(*g->stages));
	for (size_t i = first; i < df->ninstrs; i++) {
		const struct instr *in = df->instrs[i];
		size_t n = 0;
		if (in->kind != I_FROM)
			continue;
		s = s ? s + 1 : g->stages;
		/* the stage's instructions are those up to the next FROM: the
		 * file's array, not a copy (8 bytes a line) */
		while (i + 1 + n < df->ninstrs && df->instrs[i + 1 + n]->kind != I_FROM)
			n++;
		s->instrs = (const struct instr **)&df->instrs[i + 1];
		s->ninstrs = n;
		s->index = (int)(s - g->stages);
		s->from = in;
		s->name = in->stage_name ? strlower(xstrdup(in->stage_name)) : NULL;
		s->label = s->name ? xstrdup(s->name) : xasprintf("stage-%d", s->index);
	}
	return 0;
}

/* Bases and the static deps of every stage. */
static int graph_stages(struct graph *g, size_t first)
{
	if (graph_split(g, first) < 0)
		return -1;
	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		if (graph_from(g, s) < 0)
			return -1;
		if (s->base)
			graph_add_dep(s, s->base, NULL, s->base->name);
		for (size_t j = 0; j < s->ninstrs; j++)
			if (graph_instr_deps(g, s, s->instrs[j]) < 0)
				return -1;
	}
	return 0;
}

/* Depth-first search for a cycle through the deps (BuildKit checks all
 * stages, used or not). */
static int graph_cycle_visit(struct graph *g, struct stage *s, const struct instr *via)
{
	if (s->flags & FLAG_DONE)
		return 0;
	if (s->flags & FLAG_CYCLE)
		return diag_error(g->dg, via ? &via->loc : &s->from->loc,
				  "circular dependency detected on stage: %s", s->label);
	s->flags |= FLAG_CYCLE;
	for (size_t i = 0; i < s->ndeps; i++)
		if (graph_cycle_visit(g, s->deps[i].stage, s->deps[i].in) < 0)
			return -1;
	s->flags &= ~FLAG_CYCLE;
	s->flags |= FLAG_DONE;
	return 0;
}

static int graph_check_cycles(struct graph *g)
{
	for (size_t i = 0; i < g->nstages; i++)
		if (graph_cycle_visit(g, &g->stages[i], NULL) < 0)
			return -1;
	for (size_t i = 0; i < g->nstages; i++)
		g->stages[i].flags &= ~FLAG_DONE;
	return 0;
}

static int graph_target(struct graph *g)
{
	const char *want = g->cli->target;
	const char *best = NULL;
	size_t bestd = (size_t)-1;

	if (!want) {
		g->target = &g->stages[g->nstages - 1];
		return 0;
	}
	if ((g->target = graph_stage_ref(g, want)) && !graph_is_number(want))
		return 0;
	g->target = NULL;
	for (size_t i = 0; i < g->nstages; i++) {
		size_t d;
		if (!g->stages[i].name)
			continue;
		d = suggest_distance(g->stages[i].name, want, 1);
		if (d < bestd) {
			bestd = d;
			best = g->stages[i].name;
		}
	}
	if (best && bestd <= (strlen(want) + 2) / 3 + 1)
		return diag_error(g->dg, NULL,
				  "target stage \"%s\" could not be found (did you mean %s?)", want,
				  best);
	return diag_error(g->dg, NULL, "target stage \"%s\" could not be found", want);
}

static int graph_has(const struct strlist *l, const char *s);

/* An image the store lacks is pulled by build.mk (a make target per image,
 * run while make remakes build.mk, which is then regenerated with the
 * image's config); with --pull every image is, to re-resolve its tag. */
static void graph_want_pull(struct graph *g, const char *name, const struct platform *p,
			    int missing, const struct instr *in)
{
	const char *file = in->loc.file ? in->loc.file : "Dockerfile", *sl = strrchr(file, '/');
	char plat[PLATFORM_MAX], key[33];

	/* each stage pulls the platform it asks for (FROM --platform) */
	platform_format(p ? p : &g->tplat, plat);
	if (!(missing || g->cli->pull) || graph_pull_key(g, name, plat, key))
		return;
	strlist_add(&g->pulls, name);
	strlist_add(&g->pull_plats, plat);
	/* where the runtime's errors point: the first instruction naming it */
	strlist_take(&g->pull_locs, xasprintf("%s:%d", sl ? sl + 1 : file, in->loc.line));
}

int graph_pull_key(const struct graph *g, const char *image, const char *plat, char key[33])
{
	char hex[65], *text, tp[PLATFORM_MAX];
	size_t i;

	if (!plat) {
		platform_format(&g->tplat, tp);
		plat = tp;
	}
	for (i = 0; i < g->pulls.n; i++)
		if (!strcmp(g->pulls.v[i], image) && !strcmp(g->pull_plats.v[i], plat))
			break;
	if (i == g->pulls.n)
		return 0;
	/* Named by image and platform (the stage's, set before any step,
	 * unlike the config's): another platform is another pull. */
	text = xasprintf("df2make-pull 1\n%s\n%s\n", image, plat);
	sha256_hex(text, strlen(text), hex);
	free(text);
	memcpy(key, hex, 32);
	key[32] = '\0';
	return 1;
}

const char *graph_step_plat(const struct graph *g, const struct step *st, char buf[PLATFORM_MAX])
{
	platform_format(st->stage ? &st->stage->plat : &g->tplat, buf);
	return buf;
}

/* How build.mk gets a missing image: from an oci-layout:// context's
 * directory, else from its registry. */
static const char *graph_gets(const struct graph *g, const char *name)
{
	return bflags_context_layout(&g->cli->bf, name) ? "loads it from its OCI layout"
							: "pulls it";
}

/* Resolves a stage's base image in the store, like BuildKit's "load
 * metadata for", but only for stages the target needs. */
static int graph_resolve_image(struct graph *g, struct stage *s)
{
	struct error e = {0};
	struct store_image img = {0};
	char *name;

	if (strcmp(s->image, "scratch") == 0)
		return 0;
	name = ref_normalize(s->image, &e);
	if (!name)
		return diag_error(g->dg, &s->from->loc, "invalid base image reference \"%s\": %s",
				  s->image, e.msg);
	free(s->image);
	s->image = name;
	if (store_lookup(g->cli->store, name, &s->plat, &img, &e) < 0) {
		if (e.code != ENOENT)
			return diag_error(g->dg, &s->from->loc, "base image %s: %s", name, e.msg);
		if (!graph_outline(g))
			loc_warn(&s->from->loc, "image %s is not in the store %s: build.mk %s",
				 name, g->cli->store, graph_gets(g, name));
		graph_want_pull(g, name, &s->plat, 1, s->from);
		strlist_take(&g->missing, store_ref_path(g->cli->store, name));
		if (!platform_is_host(&s->plat))
			strlist_take(&g->missing,
				     store_platform_ref_path(g->cli->store, name, &s->plat));
		return 0;
	}
	graph_want_pull(g, name, &s->plat, 0, s->from);
	/* a single image of another platform is used: lint's
	 * InvalidBaseImagePlatform says so (compiler/lint.c) */
	s->image_config = json_incref(img.config);
	s->manifest = xstrdup(img.manifest);
	s->ref = xstrdup(img.ref);
	strlist_add(&g->refs, img.ref);
	store_image_free(&img);
	return 0;
}

/* Puts the triggers before the stage's own instructions. */
static void graph_prepend(struct stage *s, const struct instr **tr, size_t n)
{
	const struct instr **all = xcalloc(n + s->ninstrs + 1, sizeof(*all));

	memcpy(all, tr, n * sizeof(*tr));
	if (s->ninstrs) /* s->instrs was the file's array */
		memcpy(all + n, s->instrs, s->ninstrs * sizeof(*all));
	s->instrs = all;
	s->ninstrs += n;
	s->ntriggers = n;
}

/* ONBUILD triggers fire right after FROM: those of a base stage in this
 * file, or the base image config's OnBuild. */
static int graph_triggers(struct graph *g, struct stage *s)
{
	const struct instr **tr = NULL;
	size_t n = 0;
	json_t *ob, *v;
	size_t i;
	int r = 0;

	if (s->base) {
		for (i = s->base->ntriggers; i < s->base->ninstrs; i++)
			if (s->base->instrs[i]->kind == I_ONBUILD && s->base->instrs[i]->inner) {
				tr = xreallocarray(tr, n + 1, sizeof(*tr));
				tr[n++] = s->base->instrs[i]->inner;
			}
	} else if (s->image_config) {
		ob = json_object_get(json_object_get(s->image_config, "config"), "OnBuild");
		json_array_foreach(ob, i, v)
		{
			struct instr *in;
			if (!json_is_string(v))
				continue;
			/* in the graph's arena: it lives as long as the compile */
			in = instr_parse_trigger(json_string_value(v), &s->from->loc, g->df->escape,
						 &g->arena, g->dg);
			if (!in) {
				r = -1;
				break;
			}
			tr = xreallocarray(tr, n + 1, sizeof(*tr));
			tr[n++] = in;
		}
	}
	s->own_triggers = !s->base;
	if (n) /* kept even on an error: graph_free clears them */
		graph_prepend(s, tr, n);
	for (i = 0; !r && i < n; i++)
		r = graph_instr_deps(g, s, tr[i]);
	free(tr);
	return r;
}

static int graph_has(const struct strlist *l, const char *s)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i], s) == 0)
			return 1;
	return 0;
}

/* Looks an image used by --from up in the store (for build.mk's remake
 * rule, written before any step); 0, or -1 with an invalid reference's
 * error in g->dg. */
static int graph_note_image(struct graph *g, const char *ref, const struct instr *in)
{
	struct error e = {0};
	struct store_image img = {0};
	const char *ctx = bflags_context_image(&g->cli->bf, ref);
	char *name = ref_normalize(ctx ? ctx : ref, &e), *path;
	int r = 0;

	if (!name)
		return diag_error(g->dg, &in->loc, "invalid image reference \"%s\": %s", ref,
				  e.msg);
	path = store_ref_path(g->cli->store, name);
	if (graph_has(&g->refs, path) || graph_has(&g->missing, path)) {
		free(path);
	} else if (store_lookup(g->cli->store, name, &g->tplat, &img, &e) == 0) {
		/* the target's platform, as BuildKit resolves a --from image */
		free(path);
		if (!graph_has(&g->refs, img.ref))
			strlist_add(&g->refs, img.ref);
		store_image_free(&img);
		graph_want_pull(g, name, NULL, 0, in);
	} else if (e.code == ENXIO) {
		free(path);
		r = diag_error(g->dg, &in->loc, "image %s: %s", name, e.msg);
	} else {
		if (!graph_outline(g))
			loc_warn(&in->loc, "image %s is not in the store %s: build.mk %s", name,
				 g->cli->store, graph_gets(g, name));
		graph_want_pull(g, name, NULL, 1, in);
		strlist_take(&g->missing, path);
	}
	free(name);
	return r;
}

/* Images a needed stage reads with COPY --from / RUN --mount from=. */
static int graph_reach_images(struct graph *g, struct stage *s)
{
	for (size_t i = 0; i < s->ninstrs; i++) {
		const struct instr *in = s->instrs[i];
		if ((in->kind == I_COPY || in->kind == I_ADD) && in->from &&
		    !graph_stage_ref(g, in->from) && !nctx_dir_of(g, in->from) &&
		    graph_note_image(g, in->from, in) < 0)
			return -1;
		for (size_t j = 0; in->kind == I_RUN && j < in->nmounts; j++)
			if (in->mounts[j].from && !graph_stage_ref(g, in->mounts[j].from) &&
			    !nctx_dir_of(g, in->mounts[j].from) &&
			    graph_note_image(g, in->mounts[j].from, in) < 0)
				return -1;
	}
	return 0;
}

static void graph_prepend(struct stage *s, const struct instr **tr, size_t n);

/* A needed stage that is a directory context, or FROM one: as BuildKit,
 * the directory is its root filesystem under an empty config (FROM
 * scratch's). Made as a first instruction `COPY --from=NAME / /`, owned
 * by the stage like an image's ONBUILD triggers. */
static int graph_dir_base(struct graph *g, struct stage *s)
{
	const char *n =
	    s->name && bflags_context_dir(&g->cli->bf, s->name, NULL) ? s->name : s->image;
	char *text = xasprintf("COPY --from=%s / /", n);
	const struct instr *in =
	    instr_parse_trigger(text, &s->from->loc, g->df->escape, &g->arena, g->dg);

	free(text);
	if (!in)
		return -1;
	free(s->image);
	s->image = xstrdup("scratch");
	graph_prepend(s, &in, 1);
	s->dir_base = 1;
	return 0;
}

/* Marks what the target needs; resolves base images on the way. */
static int graph_reach(struct graph *g, struct stage *s)
{
	if (s->flags & FLAG_REACH)
		return 0;
	s->flags |= FLAG_REACH;
	if (s->ctxdir && graph_dir_base(g, s) < 0)
		return -1;
	if (s->base ? graph_reach(g, s->base) : graph_resolve_image(g, s))
		return -1;
	if (graph_triggers(g, s) < 0 || graph_reach_images(g, s) < 0)
		return -1;
	for (size_t i = 0; i < s->ndeps; i++)
		if (graph_reach(g, s->deps[i].stage) < 0)
			return -1;
	return 0;
}

/* BuildKit dispatches in file order; a dep defined later is an error. */
static int graph_check_order(struct graph *g)
{
	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		for (size_t j = 0; (s->flags & FLAG_REACH) && j < s->ndeps; j++) {
			const struct dep *d = &s->deps[j];
			if (d->stage->index < s->index)
				continue;
			return diag_error(g->dg, d->in ? &d->in->loc : &s->from->loc,
					  "cannot copy from stage \"%s\", it needs to be defined "
					  "before current stage \"%s\"",
					  d->what, s->label);
		}
	}
	return 0;
}

static void graph_levels(struct graph *g)
{
	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		for (size_t j = 0; j < s->ndeps; j++)
			if (s->deps[j].stage->level + 1 > s->level)
				s->level = s->deps[j].stage->level + 1;
	}
}

/* The state dir and the output never count as context (the runtime
 * excludes them too, rt_exclude_own). The default state dir sits beside
 * build.mk, which is usually written in the current directory. */
static void graph_exclude_own(struct graph *g)
{
	char *state = path_abs(g->cli->state ? g->cli->state : ".df2make");
	char *out = path_abs(g->cli->output);

	ignore_exclude_path(g->ignore, g->cli->context, state);
	if (strcmp(g->cli->output_type, "tar") == 0)
		ignore_exclude_path(g->ignore, g->cli->context, out);
	free(state);
	free(out);
}

static int graph_ignore(struct graph *g)
{
	struct error e = {0};

	g->ignore = ignore_load(g->cli->context, g->cli->dockerfile, &g->ignore_path, &e);
	if (!g->ignore)
		return diag_error(g->dg, NULL, "%s", e.msg);
	graph_exclude_own(g);
	return 0;
}

struct step_src *step_src(struct step *st)
{
	if (!st->src) /* heap: few steps have one */
		st->src = xcalloc(1, sizeof(*st->src));
	return st->src;
}

struct spec *step_sum_spec(const struct step *st)
{
	return st->src && st->src->sum_spec ? st->src->sum_spec : st->spec;
}

const struct strlist *step_inputs(const struct step *st)
{
	static const struct strlist none = {0};

	return st->src ? &st->src->inputs : &none;
}

int graph_hook_only(const struct graph *g)
{
	return g->hooks && g->hooks->step && g->hooks->drop_specs;
}

void graph_step_done(struct graph *g, struct step *st)
{
	if (!g->hooks || g->hook_failed)
		return;
	if (g->hooks->step && g->hooks->step(g->hooks->arg, g, st) < 0)
		g->hook_failed = 1;
	if (g->hooks->drop_specs) {
		/* a RUN's or COPY's title and loc may be the spec's text */
		if (graph_hook_only(g) && st->kind != STEP_BASE)
			st->title = st->loc = NULL;
		spec_free(st->spec);
		st->spec = NULL;
		if (st->src) {
			spec_free(st->src->sum_spec);
			st->src->sum_spec = NULL;
		}
	}
}

/* 1 if a build-arg named name was declared where the build reads it. */
static int graph_arg_used(const struct graph *g, const char *name)
{
	if (args_is_proxy(name) || startswith(name, "BUILDKIT_") ||
	    strcmp(name, "SOURCE_DATE_EPOCH") == 0 || args_find(&g->globals, name))
		return 1;
	for (size_t i = 0; i < g->nstages; i++)
		if ((g->stages[i].flags & FLAG_REACH) && args_find(&g->stages[i].args, name))
			return 1;
	return 0;
}

/* buildx warns about build-args nothing declared: often a typo. */
static void graph_warn_unused_args(const struct graph *g)
{
	const struct strlist *ba = &g->cli->build_args;

	for (size_t i = 0; i < ba->n; i++) {
		char *name = xstrndup(ba->v[i], strcspn(ba->v[i], "="));
		if (!graph_arg_used(g, name))
			warn("build-arg %s was not consumed (no ARG %s in the stages built)", name,
			     name);
		free(name);
	}
}

/* Frees a dispatched stage's image config once nothing reads it: only
 * the target's goes into the image, and a stage built FROM another copies
 * its base's at its start. Histories are most of the memory of a big
 * Dockerfile (an entry per instruction). */
static void graph_drop_config(struct graph *g, struct stage *s, const size_t *last_use, size_t now)
{
	if (last_use[(size_t)s->index] > now)
		return;
	/* the state env (a copy of Env and the ARG values) is read only by
	 * the dispatch: gone before lint makes its own scope of them */
	args_free(&s->env);
	if (s != g->target)
		config_free(&s->cfg);
}

/* A stage whose config no image gets (no later stage is built FROM it,
 * or no image is written at all) keeps no history or labels: making them
 * was a tenth of the compile time of big files. */
static int graph_light(const struct graph *g, const struct stage *s, const size_t *last_use)
{
	if (g->hooks && g->hooks->no_image)
		return 1;
	return s != g->target && last_use[(size_t)s->index] == (size_t)s->index;
}

/* Dispatches the reachable stages in order (bases come first). */
static int graph_dispatch(struct graph *g)
{
	int r = 0;
	/* the last stage built FROM each stage (or the stage itself) */
	size_t *last_use = xcalloc(g->nstages + 1, sizeof(*last_use));

	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		last_use[i] = i;
		if ((s->flags & FLAG_REACH) && s->base)
			last_use[(size_t)s->base->index] = i;
	}
	for (size_t i = 0; i < g->nstages; i++) {
		struct stage *s = &g->stages[i];
		if (!(s->flags & FLAG_REACH))
			continue;
		if (graph_light(g, s, last_use))
			s->flags |= FLAG_LIGHT;
		if ((r = step_dispatch_stage(g, s)) < 0)
			break;
		if (s->base)
			graph_drop_config(g, s->base, last_use, i);
		graph_drop_config(g, s, last_use, i);
	}
	free(last_use);
	return r;
}

/* --platform, else the host's. A list is split by main (one graph per
 * platform); it reaches a graph only through a mode that takes one. */
static int graph_target_platform(struct graph *g)
{
	struct error e = {0};
	const char *p = g->cli->platform;

	if (!p) {
		platform_host(&g->tplat);
		return 0;
	}
	if (strchr(p, ','))
		return diag_error(g->dg, NULL, "--platform %s: this mode takes one platform", p);
	if (platform_parse(p, &g->tplat, &e) < 0)
		return diag_error(g->dg, NULL, "--platform: %s", e.msg);
	return 0;
}

/* The image is labelled with --platform when given (even when the target
 * stage runs on $BUILDPLATFORM), else with its target stage's platform,
 * normalised (arm64/v8 is arm64, arm is arm/v7), as BuildKit's dispatch
 * of the final image does. */
static void graph_config_platform(struct graph *g)
{
	struct platform p = g->cli->platform ? g->tplat : g->target->plat;

	platform_normalize(&p);
	g->os = xstrdup(p.os);
	g->arch = xstrdup(p.arch);
	g->variant = xstrdup(p.variant);
}

/* The checks and look-ups before any step: stages, their deps, the
 * target, base images, order; 0, or -1 with the error in g->dg. */
static int graph_prepare(struct graph *g)
{
	size_t first = 0;

	if (graph_target_platform(g) < 0 || graph_globals(g, &first) < 0 ||
	    graph_stages(g, first) < 0 || graph_check_cycles(g) < 0 || graph_target(g) < 0 ||
	    graph_reach(g, g->target) < 0 || graph_check_cycles(g) < 0 || graph_check_order(g) < 0)
		return -1;
	graph_levels(g);
	return graph_ignore(g) < 0 ? -1 : nctx_load_all(g);
}

struct graph *graph_build(struct dockerfile *df, const struct cli *c,
			  const struct graph_hooks *hooks, struct diags *dg)
{
	struct graph *g = xcalloc(1, sizeof(*g));

	g->cli = c;
	g->hooks = hooks;
	g->df = df;
	g->dg = dg;
	if (graph_prepare(g) < 0) {
		graph_free(g);
		return NULL;
	}
	key_set_paths(c->context, g->ignore_path);
	nctx_key_paths(g);
	if (hooks && hooks->begin && hooks->begin(hooks->arg, g) < 0) {
		graph_free(g);
		return NULL;
	}
	graph_config_platform(g);
	if (graph_dispatch(g) < 0 || g->hook_failed) {
		graph_free(g);
		return NULL;
	}
	graph_warn_unused_args(g);
	return g;
}

/* Frees what a step holds outside the graph's arena (which holds the step,
 * its title and loc). */
static void graph_free_step(struct step *st)
{
	spec_free(st->spec);
	free(st->deps);
	if (st->kind == STEP_BASE) {
		free(st->image);
		free(st->ref);
		free(st->manifest);
	}
	fetch_free(st);
	if (st->src) {
		spec_free(st->src->sum_spec);
		strlist_free(&st->src->inputs);
		free(st->src);
	}
}

static void graph_free_stage(struct stage *s)
{
	/* triggers parsed from an image config belong to the stage (those of
	 * a base stage in the file belong to that stage's Dockerfile) */
	if (s->own_triggers) /* they are in the graph's arena; what they hold outside */
		for (size_t i = 0; i < s->ntriggers; i++)
			instr_clear((struct instr *)s->instrs[i]);
	free(s->name);
	free(s->label);
	if (s->ntriggers) /* else the Dockerfile's array */
		free(s->instrs);
	free(s->image);
	free(s->platform);
	free(s->ref);
	free(s->deps);
	free(s->steps);
	json_decref(s->image_config);
	free(s->manifest);
	if (s->cfg.cfg)
		config_free(&s->cfg);
	args_free(&s->args);
	args_free(&s->env);
}

void graph_free(struct graph *g)
{
	if (!g)
		return;
	for (size_t i = 0; i < g->nsteps; i++)
		graph_free_step(g->steps[i]);
	for (size_t i = 0; i < g->nstages; i++)
		graph_free_stage(&g->stages[i]);
	free(g->stages);
	free(g->steps);
	free(g->bykey);
	args_free(&g->globals);
	ignore_free(g->ignore);
	free(g->ignore_path);
	step_free_graph(g);
	nctx_free_all(g);
	strlist_free(&g->refs);
	strlist_free(&g->missing);
	strlist_free(&g->pulls);
	strlist_free(&g->pull_locs);
	strlist_free(&g->pull_plats);
	free(g->os);
	free(g->arch);
	free(g->variant);
	arena_free(&g->arena);
	free(g);
}

struct step *graph_image_step(struct graph *g, const char *ref, const struct instr *in,
			      struct error *e)
{
	struct store_image img = {0};
	const char *ctx = bflags_context_image(&g->cli->bf, ref); /* --build-context */
	char *name = ref_normalize(ctx ? ctx : ref, e), *manifest = NULL;
	struct step *st;

	if (!name)
		return NULL;
	for (size_t i = 0; i < g->nsteps; i++)
		if (g->steps[i]->kind == STEP_BASE && !g->steps[i]->stage && g->steps[i]->image &&
		    strcmp(g->steps[i]->image, name) == 0) {
			free(name);
			return g->steps[i];
		}
	/* graph_note_image warned already when it is missing */
	if (store_lookup(g->cli->store, name, &g->tplat, &img, &(struct error){0}) == 0) {
		manifest = xstrdup(img.manifest);
		store_image_free(&img);
	}
	st = step_base(g, NULL, name, manifest, in);
	free(name);
	free(manifest);
	return st;
}

size_t graph_final_chain(struct graph *g, struct step ***out)
{
	size_t n = 0;
	struct step *st;

	for (st = g->target->last; st && st->kind != STEP_BASE; st = st->parent)
		n++;
	*out = xcalloc(n + 1, sizeof(**out));
	size_t i = n;
	for (st = g->target->last; st && st->kind != STEP_BASE; st = st->parent) {
		st->flags |= FLAG_FINAL;
		(*out)[--i] = st;
	}
	return n;
}
