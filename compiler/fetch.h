/* fetch: ADD's network sources in the compiler. Each URL or git source
 * becomes a fetch step (STATE/KEY.fetch, checked at every make run by
 * `df2make-runtime fetch`) that the ADD step depends on; the ADD spec names
 * it under "fetch". Credentials in a URL never reach build.mk: every URL
 * written is masked (lib/netsrc.h). See docs/copy.md. */
#ifndef DF_FETCH_H
#define DF_FETCH_H
#include <jansson.h>
#include <stddef.h>

struct buf;
struct diags;
struct cli;
struct instr;
struct spec;
struct step;
struct sv;

/* One fetch step of an ADD. */
struct fetch {
	char key[33];
	char *title;	   /* "[internal] fetch URL" (masked) */
	struct spec *spec; /* its spec (title first) */
	int pinned;	   /* content fixed by the Dockerfile: a URL's --checksum,
			    * a git commit id as the ref (BuildKit asks nothing) */
};

/* ADD's source src (expanded), number idx: for a URL or git source, adds
 * its fetch step to st, an entry to the ADD spec's "fetch" array fa, and
 * returns the masked source to write in "srcs" (malloc'd); NULL for a
 * context source, or NULL with *err (malloc'd) set on a bad git URL or
 * checksum, a network source COPY cannot take, or an ssh remote without
 * `--ssh default` (unless no_grants: --call). */
char *fetch_source(struct step *st, struct spec *sp, struct sv *fa, size_t idx, const char *src,
		   const char *checksum, const struct instr *in, const struct cli *cli,
		   int no_grants, char **err);
/* Appends " $(STATE)/KEY.fetch" for each fetch step of st. */
void fetch_prereqs(const struct step *st, struct buf *b);
/* Appends the rules of st's fetch steps not in seen (a JSON object of
 * keys written so far, updated), and the force rule with the first that
 * is not pinned (a pinned one runs only when its KEY.fetch is missing);
 * spec_word writes a spec as a recipe word (emit.c numbers the steps).
 * 0, or -1 with a template's error in dg. */
int fetch_rules(const struct step *st, struct buf *out, json_t *seen,
		const char *(*spec_word)(const struct sv *spec), struct diags *dg);
/* Frees st's fetch steps. */
void fetch_free(struct step *st);

#endif
