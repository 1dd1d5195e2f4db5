/* nctx: named directory contexts (see nctx.h). */
#include <ctype.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
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
#include "instr.h"
#include "mountflag.h"
#include "key.h"
#include "mkquote.h"
#include "buf.h"
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
static int nctx_load_ignore(struct graph *g, struct nctx *c)
{
	struct error e = {0};
	char *path = path_join(c->dir, ".dockerignore"), *text = NULL;
	char *state, *out;
	size_t len = 0;
	int r = input_read(path, INPUT_MAX, &text, &len, &e);

	if (r < 0 && e.code == ENOENT)
		free(path); /* no .dockerignore: nothing ignored */
	else
		c->ignore_path = path;
	if (r < 0 && c->ignore_path)
		return diag_error(g->dg, NULL, "--build-context %s: %s", c->name, e.msg);
	c->ig = ignore_parse(text, len, c->ignore_path ? c->ignore_path : ".dockerignore", &e);
	free(text);
	if (!c->ig)
		return diag_error(g->dg, NULL, "--build-context %s: %s", c->name, e.msg);
	state = path_abs(g->cli->state ? g->cli->state : ".df2make");
	out = path_abs(g->cli->output);
	ignore_exclude_path(c->ig, c->dir, state);
	if (strcmp(g->cli->output_type, "tar") == 0)
		ignore_exclude_path(c->ig, c->dir, out);
	free(state);
	free(out);
	return 0;
}

int nctx_load_all(struct graph *g)
{
	const struct bflags *b = &g->cli->bf;

	for (size_t i = 0; i < b->ctx_dirs.n; i++) {
		/* the last of a name wins, and some names are never looked up:
		 * what bflags_context_dir says */
		const char *dir = bflags_context_dir(b, b->ctx_names.v[i], NULL);
		int seen = !dir;
		for (size_t k = 0; k < g->nnctx && !seen; k++)
			seen = strcmp(g->nctx[k].name, b->ctx_names.v[i]) == 0;
		if (seen)
			continue;
		g->nctx = xreallocarray(g->nctx, g->nnctx + 1, sizeof(*g->nctx));
		g->nctx[g->nnctx] =
		    (struct nctx){xstrdup(b->ctx_names.v[i]), xstrdup(dir), NULL, NULL};
		if (nctx_load_ignore(g, &g->nctx[g->nnctx++]) < 0)
			return -1;
	}
	return 0;
}

void nctx_key_paths(const struct graph *g)
{
	/* where the inputs live is not what they are (key.c) */
	for (size_t i = 0; i < g->nnctx; i++) {
		key_add_path(g->nctx[i].dir);
		if (g->nctx[i].ignore_path)
			key_add_path(g->nctx[i].ignore_path);
	}
}

const struct nctx *nctx_get(const struct graph *g, const char *from)
{
	const struct stage *s = graph_stage_ref(g, from);
	const char *name = NULL;

	if ((s && !s->name) || !bflags_context_dir(&g->cli->bf, s ? s->name : from, &name))
		return NULL;
	for (size_t i = 0; i < g->nnctx; i++)
		if (strcmp(g->nctx[i].name, name) == 0)
			return &g->nctx[i];
	return NULL;
}

int nctx_check_run(struct graph *g, const struct instr *in)
{
	const char *first = NULL, *name;
	const struct mount *mf = NULL;

	for (size_t i = 0; i < in->nmounts; i++) {
		const struct mount *mt = &in->mounts[i];
		if (mt->type != MOUNT_BIND || (mt->from && !nctx_dir_of(g, mt->from)))
			continue;
		name = mt->from ? mt->from : "";
		if (!mf) {
			mf = mt;
			first = name;
		} else if (strcmp(first, name) != 0) {
			/* one sum step per RUN: it reads one context */
			return diag_error(g->dg, &mt->loc,
					  "a RUN can bind-mount from one build context only (here "
					  "%s%s and %s%s)",
					  *first ? "--build-context " : "the main context", first,
					  *name ? "--build-context " : "the main context", name);
		}
	}
	return 0;
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

/* ---- oci-layout://DIR[:TAG][@sha256:HEX] (buildx's parseOCILayoutPath
 * and resolveDigest) ---- */

static int nctx_is_digest(const char *s)
{
	if (!startswith(s, "sha256:") || strlen(s) != 7 + 64)
		return 0;
	for (s += 7; *s; s++)
		if (!isxdigit((unsigned char)*s) || isupper((unsigned char)*s))
			return 0;
	return 1;
}

/* A tag as distribution/reference's TagRegexp: [\w][\w.-]{0,127}. */
static int nctx_is_tag(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 128 || !(isalnum((unsigned char)*s) || *s == '_'))
		return 0;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == '-'))
			return 0;
	return 1;
}

/* The manifest the layout's index.json gives tag (by its ref.name
 * annotation), else its only one; NULL with a message in *why. */
static char *nctx_layout_digest(json_t *idx, const char *tag, const char **why)
{
	json_t *ms = json_object_get(idx, "manifests"), *m;
	const char *d;
	size_t i;

	json_array_foreach(ms, i, m)
	{
		json_t *a = json_object_get(json_object_get(m, "annotations"),
					    "org.opencontainers.image.ref.name");
		if (json_is_string(a) && strcmp(json_string_value(a), tag) == 0 &&
		    (d = json_string_value(json_object_get(m, "digest"))))
			return xstrdup(d);
	}
	if (json_array_size(ms) == 1 &&
	    (d = json_string_value(json_object_get(json_array_get(ms, 0), "digest"))))
		return xstrdup(d);
	*why = "failed to resolve digest";
	return NULL;
}

/* Why the layout gives no single image (malloc'd), or NULL with *dg set. */
static char *nctx_layout_check(const char *arg, const char *src, const char *path, const char *tag,
			       char **dg)
{
	char *idxp = path_join(path, "index.json"), *msg = NULL;
	const char *why = NULL;
	json_error_t je;
	json_t *idx = json_load_file(idxp, 0, &je);
	size_t n;

	free(idxp);
	if (!idx)
		return xasprintf("--build-context %s: invalid store at %s: %s", arg, path, je.text);
	n = json_array_size(json_object_get(idx, "manifests"));
	if (!*dg && !(*dg = nctx_layout_digest(idx, tag, &why)))
		msg = xasprintf("--build-context %s: oci-layout reference \"%s\" could not be "
				"resolved: %s",
				arg, src, why);
	/* the loader registers a name for a layout of one image: picking one
	 * of several by tag or digest is not done yet */
	else if (n != 1)
		msg = xasprintf("--build-context %s: the layout holds %zu images; df2make loads a "
				"layout of one image only",
				arg, n);
	json_decref(idx);
	return msg;
}

char *nctx_layout(const char *arg, const char *src, char **dir)
{
	char *path = xstrdup(src + strlen("oci-layout://")), *at, *colon, *dg = NULL, *msg, *name;
	const char *tag = "latest";

	if ((at = strrchr(path, '@')) && nctx_is_digest(at + 1)) {
		dg = xstrdup(at + 1);
		*at = '\0';
	}
	if ((colon = strrchr(path, ':')) && nctx_is_tag(colon + 1)) {
		tag = colon + 1;
		*colon = '\0';
	}
	if ((msg = nctx_layout_check(arg, src, path, tag, &dg))) {
		free(path);
		free(dg);
		*dir = msg;
		return NULL;
	}
	*dir = path_abs(path);
	free(path);
	/* a name of its own per image: another image, another name */
	name = xasprintf("oci-layout.df2make.invalid/image:sha256-%s",
			 strchr(dg, ':') ? strchr(dg, ':') + 1 : dg);
	free(dg);
	return name;
}

char *nctx_input(const char *abs)
{
	struct buf b = {0};
	char *p = xstrdup(abs);

	mk_name_ancestor(p);
	mk_name(&b, p);
	free(p);
	return buf_steal(&b);
}

void nctx_layout_prereqs(const struct bflags *b, struct buf *out,
			 void (*prereq)(struct buf *, const char *))
{
	/* a new image there is a new name: build.mk is made again */
	for (size_t i = 0; i < b->ctx_layouts.n; i++)
		if (*b->ctx_layouts.v[i]) {
			char *ix = path_join(b->ctx_layouts.v[i], "index.json");
			prereq(out, ix);
			free(ix);
		}
}

char *nctx_pull(const struct bflags *b, struct spec *sp, const char *image)
{
	const char *layout = bflags_context_layout(b, image);

	if (!layout)
		return xasprintf("[internal] pull %s", image);
	sv_set_str(sp, spec_root(sp), "layout", layout);
	return xasprintf("[internal] load oci-layout://%s", layout);
}
