/* nctx: BuildKit's named contexts of a local directory (--build-context
 * NAME=DIR, docs/cli.md): which --from / mount from= value names one, its
 * own .dockerignore, and the fields a step reading it gets. A stage of
 * that NAME is replaced by the directory, as in BuildKit. */
#ifndef DF_NCTX_H
#define DF_NCTX_H

struct bflags;
struct buf;
struct graph;
struct instr;
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
/* Reads the ignore file of every directory context; 0, or -1 with the
 * error in g->dg. */
int nctx_load_all(struct graph *g);
/* Tells key.c the contexts' paths (after key_set_paths). */
void nctx_key_paths(const struct graph *g);
/* The directory context a --from value names (loaded), or NULL. */
const struct nctx *nctx_get(const struct graph *g, const char *from);
/* A RUN's bind mounts read one context (the main one or one NAME=DIR):
 * its sum step reads one; 0, or -1 with the error in g->dg. */
int nctx_check_run(struct graph *g, const struct instr *in);
/* Sets a spec object's reading fields: "context" (DIR), "ignore" (its
 * .dockerignore or null) and "named_context" (NAME, which keeps two
 * contexts apart in keys, as DIR is written "." there). */
void nctx_spec(struct spec *sp, struct sv *o, const struct nctx *c);
/* --build-context ARG=SRC with SRC oci-layout://DIR[:TAG][@sha256:HEX]:
 * the store name build.mk loads the layout's image under (one per
 * manifest digest), *dir the absolute DIR; NULL when the layout cannot be
 * read or resolved, *dir then the message naming ARG, as buildx's. */
char *nctx_layout(const char *arg, const char *src, char **dir);
/* A named context's input path (absolute) as a make prerequisite, or
 * its nearest directory make can name; malloc'd. */
char *nctx_input(const char *abs);
/* Adds each oci-layout:// context's index.json to a build.mk rule
 * through prereq (emit.c's). */
void nctx_layout_prereqs(const struct bflags *b, struct buf *out,
			 void (*prereq)(struct buf *, const char *));
/* The title of the step getting a missing image (malloc'd): loading it
 * from an oci-layout:// context's directory (then "layout" is set in the
 * spec sp), else pulling it. */
char *nctx_pull(const struct bflags *b, struct spec *sp, const char *image);
/* Frees the contexts a graph loaded. */
void nctx_free_all(struct graph *g);

#endif
