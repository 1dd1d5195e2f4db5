/* ignore: .dockerignore semantics (moby/patternmatcher): comments, BOM,
 * cleaning, leading '/' dropped, `!` exceptions, last match wins, a
 * matched directory excludes its subtree unless an exception may
 * re-include something below it. */
#ifndef DF_IGNORE_H
#define DF_IGNORE_H
#include <stddef.h>

struct ignore;
struct error;

/* Parses ignore-file text; fname is used in error messages. */
struct ignore *ignore_parse(const char *text, size_t len, const char *fname, struct error *e);
/* A matcher from a list of patterns with the same rules but no comment
 * lines (COPY --exclude, patternmatcher.New); what names them in errors. */
struct ignore *ignore_from_list(char *const *pats, size_t n, const char *what, struct error *e);
/* Picks and loads the ignore file for a build, as BuildKit does:
 * <dockerfile>.dockerignore beside the Dockerfile wins, else
 * CONTEXT/.dockerignore, else CONTEXT/.containerignore. Sets *used to the
 * chosen path (malloc'd) or NULL when there is none (then returns an
 * empty matcher). NULL + e on a read or pattern error. */
struct ignore *ignore_load(const char *context, const char *dockerfile, char **used,
			   struct error *e);
/* 1 if the context-relative path (no leading "./" or "/") is excluded. */
int ignore_excluded(const struct ignore *ig, const char *relpath);
/* 1 if an excluded directory may still contain re-included paths, so a
 * walker must descend into it. */
int ignore_may_include_below(const struct ignore *ig, const char *reldir);
/* Number of patterns (0 for an empty matcher). */
size_t ignore_count(const struct ignore *ig);
/* Excludes abspath (a file or a directory with its subtree) when it lies
 * inside the absolute context directory, after every other pattern so no
 * `!` exception brings it back. Used for df2make's own state directory
 * and output file, which must never be read as build context. */
void ignore_exclude_path(struct ignore *ig, const char *context, const char *abspath);
/* Frees the matcher. */
void ignore_free(struct ignore *ig);

#endif
