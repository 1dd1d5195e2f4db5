/* context: resolving COPY/ADD sources against a build context directory
 * with BuildKit's rules (leading '/' and '..' stripped, globs per path
 * segment, a wildcard matching nothing is fine, a missing literal path is
 * an error, .dockerignore applied). Shared by the compiler (to list make
 * prerequisites) and the runtime (to copy and to digest). */
#ifndef DF_CONTEXT_H
#define DF_CONTEXT_H
#include <sys/stat.h>

#include "util.h"

struct ignore;
struct error;

/* Cleans a source as BuildKit does ("/a/../b/" -> "b", "." -> "."). */
char *ctx_clean_source(const char *src);

/* Expands one source pattern to the context-relative paths it names
 * (sorted). A literal path that does not exist (or is ignored) is an
 * error naming it; a wildcard with no match yields an empty list. */
int ctx_resolve(const char *ctxdir, const struct ignore *ig, const char *src, struct strlist *out,
		struct error *e);

/* Visits path and, for a directory, everything below it that is not
 * ignored, in sorted order, without following symlinks below path (path
 * itself is followed within the context, as COPY follows a source named
 * directly); cb returns > 0 to stop, < 0 (with e set) to fail.
 * Directories are visited before their contents. */
int ctx_walk(const char *ctxdir, const struct ignore *ig, const char *relpath,
	     int (*cb)(const char *rel, const struct stat *st, void *arg), void *arg,
	     struct error *e);

/* Opens rel below the directory rootfd, following symlinks only while they
 * stay inside it (openat2 RESOLVE_BENEATH; EXDEV when one leaves). */
int ctx_open(int rootfd, const char *rel, int flags);

#endif
