/* nctx: named directory contexts (see nctx.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bflags.h"
#include "cli.h"
#include "diag.h"
#include "error.h"
#include "fsutil.h"
#include "graph.h"
#include "ignore.h"
#include "input.h"
#include "key.h"
#include "nctx.h"
#include "spec.h"
#include "util.h"

const char *nctx_dir_of(const struct graph *g, const char *from)
{
	const struct stage *s = graph_stage_ref(g, from);

	/* --from=0 or a stage name: that stage is the context when its
	 * name is one (BuildKit replaces the stage) */
	if (s)
		return s->name ? bflags_context_dir(&g->cli->bf, s->name, NULL) : NULL;
	return bflags_context_dir(&g->cli->bf, from, NULL);
}

/* DIR/.dockerignore only, as BuildKit's local named context reads it
 * (not <Dockerfile>.dockerignore, not .containerignore); then the state
 * dir and output when they lie in DIR, as for the main context. */
static void nctx_load_ignore(struct graph *g, struct nctx *c, const struct loc *loc)
{
	struct error e = {0};
	char *path = path_join(c->dir, ".dockerignore"), *text = NULL;
	char *state = path_abs(g->cli->state ? g->cli->state : ".df2make");
	char *out = path_abs(g->cli->output);
	size_t len = 0;

	int r = input_read(path, INPUT_MAX, &text, &len, &e);

	if (r < 0 && e.code == ENOENT)
		free(path); /* no .dockerignore: nothing ignored */
	else
		c->ignore_path = path;
	if (r < 0 && c->ignore_path)
		loc_fatal(loc, "--build-context %s: %s", c->name, e.msg);
	c->ig = ignore_parse(text, len, c->ignore_path ? c->ignore_path : ".dockerignore", &e);
	free(text);
	if (!c->ig)
		loc_fatal(loc, "--build-context %s: %s", c->name, e.msg);
	ignore_exclude_path(c->ig, c->dir, state);
	if (strcmp(g->cli->output_type, "tar") == 0)
		ignore_exclude_path(c->ig, c->dir, out);
	free(state);
	free(out);
}

const struct nctx *nctx_get(struct graph *g, const char *from, const struct loc *loc)
{
	const struct stage *s = graph_stage_ref(g, from);
	const char *name = NULL, *dir;
	struct nctx *c;

	if (s && !s->name)
		return NULL;
	dir = bflags_context_dir(&g->cli->bf, s ? s->name : from, &name);
	if (!dir)
		return NULL;
	for (size_t i = 0; i < g->nnctx; i++)
		if (strcmp(g->nctx[i].name, name) == 0)
			return &g->nctx[i];
	g->nctx = xreallocarray(g->nctx, g->nnctx + 1, sizeof(*g->nctx));
	c = &g->nctx[g->nnctx++];
	*c = (struct nctx){xstrdup(name), xstrdup(dir), NULL, NULL};
	nctx_load_ignore(g, c, loc);
	/* where the inputs live is not what they are (key.c) */
	key_add_path(c->dir);
	if (c->ignore_path)
		key_add_path(c->ignore_path);
	return c;
}

void nctx_spec(struct spec *sp, struct sv *o, const struct nctx *c)
{
	sv_set_str(sp, o, "context", c->dir);
	sv_set_str(sp, o, "ignore", c->ignore_path);
	sv_set_str(sp, o, "named_context", c->name);
}

void nctx_free_all(struct graph *g)
{
	for (size_t i = 0; i < g->nnctx; i++) {
		free(g->nctx[i].name);
		free(g->nctx[i].dir);
		free(g->nctx[i].ignore_path);
		ignore_free(g->nctx[i].ig);
	}
	free(g->nctx);
}
