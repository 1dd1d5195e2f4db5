/* copy: the COPY/ADD spec (docs/internals.md) parsed once and shared by
 * the copy/add op and the sum op, so both read exactly the same sources. */
#ifndef DF_COPY_H
#define DF_COPY_H
#include <jansson.h>

#include "util.h"

struct error;
struct ignore;
struct pattern;
struct rt;

struct copy_job {
	int add;	       /* ADD rather than COPY */
	const char *name;      /* "COPY" / "ADD" for messages */
	const char *loc;       /* "Dockerfile:12" or NULL */
	const char *parent;    /* parent step key or NULL (scratch) */
	struct strlist srcs;   /* sources as written */
	char *dest;	       /* absolute, trailing '/' kept */
	const char *context;   /* context dir, NULL with --from */
	const char *ignore;    /* ignore file path or NULL */
	const char *from_step; /* --from step key or NULL */
	const char *chown, *chmod;
	int link, parents;
	int unpack;		 /* ADD: -1 auto, 0 no, 1 yes */
	struct ignore *excludes; /* --exclude, with `!` exceptions, or NULL */
	json_t *heredocs;	 /* borrowed from the spec */
	json_t *fetch;		 /* ADD: URL/git sources' fetch steps (borrowed) */
	const struct rt *rt;	 /* set by the op (fetched sources live in STATE) */
	const char *key;	 /* the step's key */
};

/* Parses and validates a copy/add spec (dest rules, URL sources). */
int copy_job_parse(json_t *spec, struct copy_job *j, struct error *e);
/* ADD: the fetch entry of source i, or NULL (a context source). */
json_t *copy_job_fetch(const struct copy_job *j, size_t i);
/* Frees what copy_job_parse allocated. */
void copy_job_free(struct copy_job *j);
/* Loads the job's ignore file (NULL when there is none or with --from). */
int copy_job_ignore(const struct copy_job *j, struct ignore **out, struct error *e);
/* Resolves source i below srcroot (a directory path) to root-relative
 * paths, with --parents' "**" and --exclude applied to the matches.
 * *pivot gets the --parents pivot ("." when none; malloc'd). */
int copy_job_resolve(const struct copy_job *j, const char *srcroot, const struct ignore *ig,
		     size_t i, struct strlist *out, char **pivot, struct error *e);
/* 1 if rel, relative to a source, or one of its parents is excluded. */
int copy_job_excluded(const struct copy_job *j, const char *rel);
/* 1 if rel, an entry a walk of the resolved source top reached (both
 * relative to the source root), is left out by --exclude as the copy
 * leaves it out: matched below top or from the root. The digests of what
 * a copy reads (sum.c, fsum.c) skip what this says. */
int copy_job_excluded_below(const struct copy_job *j, const char *top, const char *rel);
/* Wraps e with "Dockerfile:N: COPY step" and returns -1. */
int copy_job_fail(const struct copy_job *j, struct error *e);

#endif
