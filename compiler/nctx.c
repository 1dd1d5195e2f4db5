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
		static char text[1024]; /* everything freed before exiting */
		snprintf(text, sizeof(text), "%s", msg);
		free(msg);
		free(path);
		free(dg);
		fatal("%s", text);
	}
	*dir = path_abs(path);
	free(path);
	/* a name of its own per image: another image, another name */
	name = xasprintf("oci-layout.df2make.invalid/image:sha256-%s",
			 strchr(dg, ':') ? strchr(dg, ':') + 1 : dg);
	free(dg);
	return name;
}
