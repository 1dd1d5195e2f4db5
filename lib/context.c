/* context: BuildKit's source resolution (tonistiigi/fsutil copy.go
 * ResolveWildcards) over a plain directory: the part of a source before its
 * first wildcard segment is a literal path (symlinks followed, never out of
 * the context), the rest is matched one segment at a time without following
 * symlinks, and a matched directory is not descended. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "context.h"
#include "error.h"
#include "fsutil.h"
#include "ignore.h"
#include "match.h"
#include "safeopen.h"
#include "util.h"

char *ctx_clean_source(const char *src)
{
	/* Joining with "/" first makes ".." stop at the root, as path.Join does. */
	char *rooted = xasprintf("/%s", src);
	char *clean = path_clean(rooted);
	char *out = xstrdup(clean[1] ? clean + 1 : ".");

	free(rooted);
	free(clean);
	return out;
}

int ctx_open_in(int rootfd, const char *rel, int flags, enum ctx_scope scope)
{
	/* The context: BENEATH, not IN_ROOT, so a link that leaves it is an
	 * error (EXDEV) rather than silently re-rooted to a missing path. A
	 * stage's rootfs: IN_ROOT, as BuildKit resolves --from sources. */
	return safe_open(rootfd, rel, flags, scope == CTX_IN_ROOT ? SAFE_IN_ROOT : SAFE_BENEATH);
}

int ctx_open(int rootfd, const char *rel, int flags)
{
	return ctx_open_in(rootfd, rel, flags, CTX_BENEATH);
}

/* The path an open fd names, from /proc (the kernel's own answer, so no
 * second resolution can race with the open); malloc'd or NULL. */
static char *fd_path(int fd)
{
	char proc[64], buf[4096];
	ssize_t n;

	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	if ((size_t)n == sizeof(buf) - 1) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	buf[n] = '\0';
	return xstrdup(buf);
}

char *ctx_real_path(int rootfd, const char *rel, enum ctx_scope scope)
{
	int fd = ctx_open_in(rootfd, rel, O_PATH, scope);
	char *root = fd_path(rootfd), *p = fd < 0 ? NULL : fd_path(fd), *out = NULL;
	size_t n = root ? strlen(root) : 0;

	if (root && p && strcmp(root, p) == 0)
		out = xstrdup(".");
	else if (root && p && strcmp(root, "/") == 0 && p[0] == '/')
		out = xstrdup(p + 1);
	else if (root && p && strncmp(root, p, n) == 0 && p[n] == '/')
		out = xstrdup(p + n + 1);
	else if (root && p)
		errno = EXDEV; /* cannot happen after BENEATH/IN_ROOT */
	if (fd >= 0) {
		int saved = errno;
		close(fd);
		errno = saved;
	}
	free(root);
	free(p);
	return out;
}

/* Sets a "not found" / "outside" error for a literal source. */
static int missing(struct error *e, const char *rel, int err, enum ctx_scope scope)
{
	if (scope == CTX_BENEATH && (err == EXDEV || err == ELOOP))
		return error_set(e, 0, "source \"%s\" points outside the build context", rel);
	if (err == ENOENT || err == ENOTDIR)
		return error_set(e, 0, "source \"%s\": not found%s", rel,
				 scope == CTX_BENEATH ? " in the build context" : "");
	return error_set(e, err, "source \"%s\"", rel);
}

/* 1 if rel is hidden by the ignore file (a directory that may hold
 * re-included paths stays visible as their parent). */
static int hidden(const struct ignore *ig, const char *rel, int isdir)
{
	if (!ig || strcmp(rel, ".") == 0 || !ignore_excluded(ig, rel))
		return 0;
	return !(isdir && ignore_may_include_below(ig, rel));
}

/* rel/name, or name at the top. */
static char *child_rel(const char *rel, const char *name)
{
	if (strcmp(rel, ".") == 0)
		return xstrdup(name);
	return xasprintf("%s/%s", rel, name);
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Entry names of an open directory (fd stays open), sorted bytewise. */
static int list_dir(int fd, struct strlist *names, struct error *e, const char *what)
{
	int dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	DIR *d = dup < 0 ? NULL : fdopendir(dup);
	struct dirent *de;

	if (!d) {
		if (dup >= 0)
			close(dup);
		return error_set(e, errno, "open directory %s", what);
	}
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			strlist_add(names, de->d_name);
		errno = 0;
	}
	if (errno) {
		int saved = errno;
		closedir(d);
		return error_set(e, saved, "read directory %s", what);
	}
	closedir(d);
	if (names->n)
		qsort(names->v, names->n, sizeof(char *), cmp_names);
	return 0;
}

struct globber {
	const struct ignore *ig;
	const char *realbase; /* the literal prefix with its symlinks followed */
	struct pattern **segs;
	size_t nsegs;
	struct strlist *out;
	struct error *e;
};

/* Matches segment i against the entries of directory dirrel (open as fd;
 * dirreal is where it really is, for the ignore file). */
static int glob_level(struct globber *g, int fd, const char *dirrel, const char *dirreal, size_t i)
{
	struct strlist names = {0};
	int r = list_dir(fd, &names, g->e, dirrel);

	for (size_t k = 0; r == 0 && k < names.n; k++) {
		struct stat st;
		char *rel, *real;

		if (!pattern_match(g->segs[i], names.v[k]))
			continue;
		rel = child_rel(dirrel, names.v[k]);
		real = child_rel(dirreal, names.v[k]);
		if (fstatat(fd, names.v[k], &st, AT_SYMLINK_NOFOLLOW) < 0) {
			r = error_set(g->e, errno, "stat %s", rel);
		} else if (hidden(g->ig, rel, S_ISDIR(st.st_mode)) ||
			   hidden(g->ig, real, S_ISDIR(st.st_mode))) {
			/* invisible, as if never sent */
		} else if (i + 1 == g->nsegs) {
			strlist_add(g->out, rel);
		} else if (S_ISDIR(st.st_mode)) {
			int sub =
			    openat(fd, names.v[k], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			r = sub < 0 ? error_set(g->e, errno, "open %s", rel)
				    : glob_level(g, sub, rel, real, i + 1);
			if (sub >= 0)
				close(sub);
		}
		free(rel);
		free(real);
	}
	strlist_free(&names);
	return r;
}

/* Splits a cleaned source into the literal prefix and wildcard segments. */
static char *split_wild(const char *clean, struct strlist *wild)
{
	char *copy = xstrdup(clean), *save = NULL, *lit = NULL;

	for (char *seg = strtok_r(copy, "/", &save); seg; seg = strtok_r(NULL, "/", &save)) {
		if (wild->n || pattern_has_meta(seg)) {
			strlist_add(wild, seg);
			continue;
		}
		char *next = lit ? xasprintf("%s/%s", lit, seg) : xstrdup(seg);
		free(lit);
		lit = next;
	}
	free(copy);
	return lit ? lit : xstrdup(".");
}

/* Compiles each wildcard segment; NULL entries never occur on success. */
static int compile_segs(struct strlist *wild, struct pattern ***segs, const char *src,
			struct error *e)
{
	*segs = xcalloc(wild->n, sizeof(**segs));
	for (size_t i = 0; i < wild->n; i++) {
		const char *msg = "bad pattern";
		(*segs)[i] = pattern_compile(wild->v[i], &msg);
		if (!(*segs)[i])
			return error_set(e, 0, "source \"%s\": %s", src, msg);
	}
	return 0;
}

/* The real path of rel when an ignore file needs it (*real); else a copy
 * of rel, since nothing else depends on where a link leads. */
static int real_for_ignore(int rootfd, const struct ignore *ig, const char *rel,
			   enum ctx_scope scope, char **real, struct error *e)
{
	*real = ig ? ctx_real_path(rootfd, rel, scope) : xstrdup(rel);
	return *real ? 0 : missing(e, rel, errno, scope);
}

/* Checks that a literal path exists, is visible and stays in the context.
 * Visible means both the name and, through its symlinks, the path it leads
 * to: BuildKit's client never sends an ignored file, so a link to one
 * dangles on the daemon's side. *real gets the latter (malloc'd). */
static int check_literal(int rootfd, const struct ignore *ig, const char *rel, enum ctx_scope scope,
			 int *isdir, char **real, struct error *e)
{
	struct stat st;
	int fd = ctx_open_in(rootfd, rel, O_PATH, scope);

	*real = NULL;
	if (fd < 0)
		return missing(e, rel, errno, scope);
	if (fstat(fd, &st) < 0) {
		close(fd);
		return error_set(e, errno, "stat %s", rel);
	}
	close(fd);
	if (real_for_ignore(rootfd, ig, rel, scope, real, e) < 0)
		return -1;
	if (hidden(ig, rel, S_ISDIR(st.st_mode)) || hidden(ig, *real, S_ISDIR(st.st_mode))) {
		free(*real);
		*real = NULL;
		return missing(e, rel, ENOENT, scope);
	}
	*isdir = S_ISDIR(st.st_mode);
	return 0;
}

static int resolve_wild(int rootfd, enum ctx_scope scope, const struct ignore *ig, const char *base,
			struct strlist *wild, struct strlist *out, struct error *e)
{
	struct globber g = {ig, NULL, NULL, wild->n, out, e};
	int isdir = 0, r, fd;
	char *real = NULL;

	r = compile_segs(wild, &g.segs, base, e);
	if (r == 0)
		r = check_literal(rootfd, ig, base, scope, &isdir, &real, e);
	if (r == 0 && isdir) {
		fd = ctx_open_in(rootfd, base, O_PATH | O_DIRECTORY, scope);
		r = fd < 0 ? missing(e, base, errno, scope) : glob_level(&g, fd, base, real, 0);
		if (fd >= 0)
			close(fd);
	}
	for (size_t i = 0; i < wild->n; i++)
		pattern_free(g.segs[i]);
	free(g.segs);
	free(real);
	return r;
}

int ctx_resolve(const char *ctxdir, const struct ignore *ig, const char *src, struct strlist *out,
		struct error *e)
{
	return ctx_resolve_in(ctxdir, CTX_BENEATH, ig, src, out, e);
}

int ctx_resolve_in(const char *ctxdir, enum ctx_scope scope, const struct ignore *ig,
		   const char *src, struct strlist *out, struct error *e)
{
	char *clean = ctx_clean_source(src);
	struct strlist wild = {0};
	char *base = split_wild(clean, &wild), *real = NULL;
	int isdir, r;
	int rootfd = open(ctxdir, O_PATH | O_DIRECTORY | O_CLOEXEC);

	if (rootfd < 0) {
		r = error_set(e, errno, "open build context %s", ctxdir);
	} else if (wild.n == 0) {
		r = check_literal(rootfd, ig, base, scope, &isdir, &real, e);
		if (r == 0)
			strlist_add(out, base);
		free(real);
	} else {
		r = resolve_wild(rootfd, scope, ig, base, &wild, out, e);
	}
	if (rootfd >= 0)
		close(rootfd);
	strlist_free(&wild);
	free(base);
	free(clean);
	return r;
}

struct walker {
	const struct ignore *ig;
	enum ctx_scope scope;
	int (*cb)(const char *rel, const struct stat *st, void *arg);
	void *arg;
	struct error *e;
	/* One path buffer each for the entry's name and its real path, cut
	 * back after each child: no allocation per entry of a big tree. */
	struct buf rel, real;
	char *dents;	/* getdents64's buffer, one per walk */
	size_t rootlen; /* the build context's absolute path length (CTX_BENEATH) */
};

#define WALK_DENTS 32768

/* The directory path b holds, for messages. */
static const char *dir_path(const struct buf *b)
{
	return b->len ? b->s : ".";
}

/* The entry names of a directory (fd may be O_PATH), sorted bytewise, in
 * one block: *text holds them back to back and *v points into it. */
static int walk_names(struct walker *w, int fd, char **text, char ***v, size_t *n)
{
	cleanup_close int dfd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct buf t = {0};
	size_t *offs = NULL, cap = 0;
	ssize_t got = 0;

	*n = 0;
	if (dfd < 0)
		return error_set(w->e, errno, "open directory %s", dir_path(&w->rel));
	while ((got = getdents64(dfd, w->dents, WALK_DENTS)) > 0) {
		for (ssize_t p = 0; p < got;) {
			struct dirent64 *de = (struct dirent64 *)(void *)(w->dents + p);
			p += de->d_reclen;
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (*n == cap)
				offs = xreallocarray(offs, cap = cap ? 2 * cap : 64, sizeof(*offs));
			offs[(*n)++] = t.len;
			buf_addn(&t, de->d_name, strlen(de->d_name) + 1);
		}
	}
	if (got < 0) {
		free(offs);
		buf_free(&t);
		return error_set(w->e, errno, "read directory %s", dir_path(&w->rel));
	}
	*v = xreallocarray(NULL, *n ? *n : 1, sizeof(**v));
	*text = buf_steal(&t);
	for (size_t i = 0; i < *n; i++)
		(*v)[i] = *text + offs[i];
	free(offs);
	if (*n)
		qsort(*v, *n, sizeof(**v), cmp_names);
	return 0;
}

/* Sets b to the child name of its directory path (len long): "dir/name",
 * or "name" below the top "." (kept as the empty path). */
static void child_path(struct buf *b, size_t len, const char *name)
{
	b->len = len;
	if (len)
		buf_addc(b, '/');
	buf_adds(b, name);
}

static int walk_dir(struct walker *w, int fd);

/* Visits one child (its names are in w->rel and w->real), then descends. */
static int walk_child(struct walker *w, int fd, const char *name)
{
	struct stat st;
	int r = 0;

	if (fstatat(fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return error_set(w->e, errno, "stat %s", w->rel.s);
	if (hidden(w->ig, w->real.s, S_ISDIR(st.st_mode)))
		return 0; /* neither visited nor descended */
	/* BuildKit's client lstats CTX/REL: past PATH_MAX it fails there
	 * ("file name too long"), so no such path is ever sent (one the
	 * ignore file leaves out is not looked at) */
	if (w->rootlen && w->rootlen + 1 + w->rel.len >= PATH_MAX)
		return error_set(w->e, ENAMETOOLONG,
				 "stat %.200s... (%zu bytes with the context's directory)",
				 w->rel.s, w->rootlen + 1 + w->rel.len);
	r = w->cb(w->rel.s, &st, w->arg);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		cleanup_close int sub =
		    openat(fd, name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		r = sub < 0 ? error_set(w->e, errno, "open %s", w->rel.s) : walk_dir(w, sub);
	}
	return r;
}

/* Visits the children of the directory w->rel (open as fd; w->real is
 * where it really is, which the ignore file is matched against), depth
 * first; 1 = stopped by the callback. */
static int walk_dir(struct walker *w, int fd)
{
	size_t rlen = w->rel.len, qlen = w->real.len, n = 0;
	cleanup_free char *text = NULL;
	cleanup_free char **names = NULL;
	int r = walk_names(w, fd, &text, &names, &n);

	for (size_t k = 0; r == 0 && k < n; k++) {
		child_path(&w->rel, rlen, names[k]);
		child_path(&w->real, qlen, names[k]);
		r = walk_child(w, fd, names[k]);
	}
	if (n) {
		w->rel.len = rlen;
		w->rel.s[rlen] = '\0';
		w->real.len = qlen;
		w->real.s[qlen] = '\0';
	}
	return r;
}

/* Visits the top path, following it when it is a symlink (COPY follows a
 * source named directly, never out of the context), then its contents. */
static int walk_top(struct walker *w, int rootfd, const char *rel)
{
	struct stat st;
	int fd = ctx_open_in(rootfd, rel, O_PATH, w->scope);
	char *real = NULL;
	int r;

	if (fd < 0)
		return missing(w->e, rel, errno, w->scope);
	if (fstat(fd, &st) < 0)
		r = error_set(w->e, errno, "stat %s", rel);
	else if (real_for_ignore(rootfd, w->ig, rel, w->scope, &real, w->e) < 0)
		r = -1;
	else if (hidden(w->ig, rel, S_ISDIR(st.st_mode)) ||
		 hidden(w->ig, real, S_ISDIR(st.st_mode)))
		r = missing(w->e, rel, ENOENT, w->scope);
	else
		r = w->cb(rel, &st, w->arg);
	if (r == 0 && S_ISDIR(st.st_mode)) {
		/* the top "." as the empty path: its children are bare names */
		buf_adds(&w->rel, strcmp(rel, ".") == 0 ? "" : rel);
		buf_adds(&w->real, strcmp(real, ".") == 0 ? "" : real);
		w->dents = xmalloc(WALK_DENTS);
		r = walk_dir(w, fd);
	}
	free(real);
	close(fd);
	return r;
}

int ctx_walk(const char *ctxdir, const struct ignore *ig, const char *relpath,
	     int (*cb)(const char *rel, const struct stat *st, void *arg), void *arg,
	     struct error *e)
{
	return ctx_walk_in(ctxdir, CTX_BENEATH, ig, relpath, cb, arg, e);
}

int ctx_walk_in(const char *ctxdir, enum ctx_scope scope, const struct ignore *ig,
		const char *relpath, int (*cb)(const char *rel, const struct stat *st, void *arg),
		void *arg, struct error *e)
{
	struct walker w = {.ig = ig, .scope = scope, .cb = cb, .arg = arg, .e = e};
	char *rel = ctx_clean_source(relpath);
	int rootfd = open(ctxdir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int r;

	if (rootfd < 0) {
		r = error_set(e, errno, "open build context %s", ctxdir);
	} else {
		char *abs = scope == CTX_BENEATH ? fd_path(rootfd) : NULL;
		w.rootlen = abs ? strlen(abs) : 0;
		free(abs);
		r = walk_top(&w, rootfd, rel);
	}
	if (rootfd >= 0)
		close(rootfd);
	free(rel);
	buf_free(&w.rel);
	buf_free(&w.real);
	free(w.dents);
	return r < 0 ? -1 : 0;
}
