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
 * Directories are visited before their contents. rel is valid only
 * during the call (one buffer serves the whole walk). */
int ctx_walk(const char *ctxdir, const struct ignore *ig, const char *relpath,
	     int (*cb)(const char *rel, const struct stat *st, void *arg), void *arg,
	     struct error *e);

/* Opens rel below the directory rootfd, following symlinks only while they
 * stay inside it (openat2 RESOLVE_BENEATH; EXDEV when one leaves). */
int ctx_open(int rootfd, const char *rel, int flags);

/* How symlinks in a source root resolve. CTX_BENEATH: the build context,
 * where a link leaving it is an error. CTX_IN_ROOT: a stage's rootfs
 * (COPY --from), where an absolute target or ".." stays inside it, as in a
 * chroot. The functions above are the CTX_BENEATH case of these. */
enum ctx_scope { CTX_BENEATH, CTX_IN_ROOT };

int ctx_open_in(int rootfd, const char *rel, int flags, enum ctx_scope scope);
int ctx_resolve_in(const char *root, enum ctx_scope scope, const struct ignore *ig, const char *src,
		   struct strlist *out, struct error *e);
int ctx_walk_in(const char *root, enum ctx_scope scope, const struct ignore *ig,
		const char *relpath, int (*cb)(const char *rel, const struct stat *st, void *arg),
		void *arg, struct error *e);

/* The root-relative path that rel names once its symlinks are followed as
 * ctx_open_in follows them ("." for the root itself); malloc'd, or NULL
 * with errno set. .dockerignore rules apply to this path: a link to an
 * ignored file names something the client never sends. */
char *ctx_real_path(int rootfd, const char *rel, enum ctx_scope scope);

#endif
