/* nctx: BuildKit's named contexts of a local directory (--build-context
 * NAME=DIR, docs/cli.md): which --from / mount from= value names one, its
 * own .dockerignore, and the fields a step reading it gets. A stage of
 * that NAME is replaced by the directory, as in BuildKit. */
#ifndef DF_NCTX_H
#define DF_NCTX_H

struct graph;
struct loc;
struct ignore;
struct spec;
struct sv;

struct nctx {
	char *name;	   /* NAME as given on the command line */
	char *dir;	   /* absolute DIR */
	char *ignore_path; /* DIR/.dockerignore when it is there, else NULL */
	struct ignore *ig; /* its patterns, then df2make's own files */
};

/* The DIR a --from value names (a stage of that name first, then the
 * value as an image reference), or NULL; no file is read. */
const char *nctx_dir_of(const struct graph *g, const char *from);
/* The directory context a --from value names, its ignore file loaded
 * once per graph, or NULL; dies at loc on an unreadable or bad ignore
 * file (dispatch still exits: docs/architecture.md). */
const struct nctx *nctx_get(struct graph *g, const char *from, const struct loc *loc);
/* Sets a spec object's reading fields: "context" (DIR), "ignore" (its
 * .dockerignore or null) and "named_context" (NAME, which keeps two
 * contexts apart in keys, as DIR is written "." there). */
void nctx_spec(struct spec *sp, struct sv *o, const struct nctx *c);
/* --build-context ARG=SRC with SRC oci-layout://DIR[:TAG][@sha256:HEX]:
 * the store name build.mk loads the layout's image under (one per
 * manifest digest), *dir the absolute DIR; dies naming ARG when the
 * layout cannot be read or resolved, as buildx. */
char *nctx_layout(const char *arg, const char *src, char **dir);
/* Frees the contexts a graph loaded. */
void nctx_free_all(struct graph *g);

#endif
