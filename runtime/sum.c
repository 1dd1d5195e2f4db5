/* sum: the content digest of what a COPY/ADD reads from the build context
 * (BuildKit's content cache key: names, types, modes, 0:0 owners, sizes,
 * link targets and the SHA-256 of each file's bytes, never mtimes; a
 * digest per file, so a large context's unchanged files need not be read
 * again: their digests are kept in STATE/KEY.scan), plus a make dependency file of
 * every context file and directory read. The digest file is rewritten only
 * when it changes, so make's re-stat skips the COPY after a mere touch; the
 * dependency file too, so make does not read build.mk again after an edit
 * (it does after an included file's time changed). STATE/KEY.seen, the
 * recipe's target, gets the time of every run.
 *
 * A large context (more than SUM_BIG entries) is not listed in the
 * dependency file: make's parse of 100,000 prerequisites costs it seconds
 * on every run. Its dependency file makes make run the sum every time
 * instead, and the sum first compares the context's stat data with what it
 * saw last time (STATE/KEY.scan, runtime/ctxscan.h): nothing changed, it
 * returns without touching a file, so make has nothing more to do. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "buf.h"
#include "cleanup.h"
#include "context.h"
#include "copy.h"
#include "ctxscan.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "sha256.h"
#include "ignore.h"
#include "match.h"
#include "mkquote.h"
#include "rt.h"
#include "sum.h"
#include "util.h"

/* Context entries beyond which make no longer stats each one itself. */
#define SUM_BIG 4096

struct sumstate {
	struct sha256 h;
	struct ctxscan *old;   /* scan_only: the last run's stat data */
	struct ctxscan_w *rec; /* this run's, written for a large context */
	int scan_only;	       /* only compare with the last run's (no digest) */
	int all_same;	       /* scan_only: every entry as last time so far */
	struct strlist deps;   /* context-relative files and directories read */
	const struct copy_job *j;
	const char *top; /* the source being walked */
	int rootfd;
	struct error *e;
};

/* The digest of a file's bytes (the top source may be a symlink:
 * followed). */
static int sum_bytes(struct sumstate *s, const char *rel, uint8_t md[32])
{
	char buf[65536];
	struct sha256 h;
	ssize_t n;
	int fd = ctx_open(s->rootfd, rel, O_RDONLY | O_NOFOLLOW);

	if (fd < 0 && errno == ELOOP)
		fd = ctx_open(s->rootfd, rel, O_RDONLY);
	if (fd < 0)
		return error_set(s->e, errno, "open %s", rel);
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int saved = errno;
			close(fd);
			sha256_final(&h, md);
			return error_set(s->e, saved, "read %s", rel);
		}
		sha256_update(&h, buf, (size_t)n);
	}
	close(fd);
	sha256_final(&h, md);
	return 0;
}

/* Feeds a regular file's digest: the one recorded last time when its
 * stat data is the same (only changed files are read), else its bytes'. */
static int sum_file(struct sumstate *s, const char *rel, const struct stat *st)
{
	const uint8_t *old = ctxscan_digest(s->old, rel, st);
	uint8_t md[32];

	if (old)
		memcpy(md, old, sizeof(md));
	else if (sum_bytes(s, rel, md) < 0)
		return -1;
	sha256_update(&s->h, md, sizeof(md));
	if (s->rec)
		ctxscan_w_add(s->rec, rel, st, md);
	return 0;
}

static char sum_type(mode_t m)
{
	return S_ISDIR(m) ? 'd' : S_ISREG(m) ? 'f' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p' : 'c';
}

void sum_head(char *buf, size_t size, const struct stat *st, int owners)
{
	snprintf(buf, size, "%c %o %u %u %lld %u %u", sum_type(st->st_mode),
		 (unsigned)(st->st_mode & 07777), owners ? (unsigned)st->st_uid : 0U,
		 owners ? (unsigned)st->st_gid : 0U,
		 S_ISREG(st->st_mode) ? (long long)st->st_size : 0LL, major(st->st_rdev),
		 minor(st->st_rdev));
}

static int sum_visit(const char *rel, const struct stat *st, void *arg)
{
	struct sumstate *s = arg;
	char head[512], target[4096];
	ssize_t len;

	if (copy_job_excluded_below(s->j, s->top, rel))
		return 0;
	if (s->scan_only) {
		/* the first difference decides: stop the walk (1) there */
		s->all_same = s->all_same && ctxscan_same(s->old, rel, st);
		return s->all_same ? 0 : 1;
	}
	if (s->rec && !S_ISREG(st->st_mode))
		ctxscan_w_add(s->rec, rel, st, NULL);
	sum_head(head, sizeof(head), st, 0);
	sha256_update(&s->h, rel, strlen(rel) + 1);
	sha256_update(&s->h, head, strlen(head) + 1);
	if (S_ISLNK(st->st_mode)) {
		len = readlinkat(s->rootfd, rel, target, sizeof(target));
		if (len < 0)
			return error_set(s->e, errno, "readlink %s", rel);
		sha256_update(&s->h, target, (size_t)len);
	}
	if (S_ISREG(st->st_mode) && sum_file(s, rel, st) < 0)
		return -1;
	/* make stats through symlinks, and a dangling one would stop it */
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		strlist_add(&s->deps, rel);
	return 0;
}

/* The directories a wildcard source searched: the context root and the
 * parents of each match, so a new match is noticed. */
static void glob_dirs(struct sumstate *s, const char *src, const struct strlist *matches)
{
	if (!pattern_has_meta(src))
		return;
	strlist_add(&s->deps, ".");
	for (size_t i = 0; i < matches->n; i++) {
		char *d = xstrdup(matches->v[i]);
		for (char *slash; (slash = strrchr(d, '/')) != NULL;) {
			*slash = '\0';
			strlist_add(&s->deps, d);
		}
		free(d);
	}
}

static int sum_sources(struct sumstate *s, const struct ignore *ig, struct error *e)
{
	const struct copy_job *j = s->j;
	int r = 0;

	for (size_t i = 0; r == 0 && i < j->srcs.n; i++) {
		struct strlist rels = {0};
		char *pivot = NULL;
		if (copy_job_fetch(j, i)) /* a URL or git source: its fetch step watches it */
			continue;
		r = copy_job_resolve(j, j->context, ig, i, &rels, &pivot, e);
		if (!s->scan_only)
			sha256_update(&s->h, j->srcs.v[i], strlen(j->srcs.v[i]) + 1);
		if (r == 0 && !s->scan_only)
			glob_dirs(s, j->srcs.v[i], &rels);
		for (size_t k = 0; r == 0 && k < rels.n; k++) {
			s->top = rels.v[k];
			r = ctx_walk(j->context, ig, rels.v[k], sum_visit, s, e);
		}
		strlist_free(&rels);
		free(pivot);
	}
	return r;
}

/* make cannot name some paths (a newline, `;`, `%`, ...: lib/mkquote.h).
 * Such a path is listed as STATE/KEY.in/HASH, a symlink to it: make stats
 * through the link, so an edit, a replacement or a deletion of the file is
 * noticed as if make could name it. Only the sum of KEY (under KEY's lock)
 * writes KEY.in, and a link already right is kept. */
static int dep_alias(const struct rt *rt, const char *key, const char *abs, char **out,
		     struct error *e)
{
	char hex[65], *dir = rt_path(rt, key, ".in"), *link, cur[PATH_MAX];
	ssize_t n;
	int r = 0;

	sha256_hex(abs, strlen(abs), hex);
	hex[32] = '\0';
	link = path_join(dir, hex);
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		r = error_set(e, errno, "mkdir %s", dir);
	n = r == 0 ? readlink(link, cur, sizeof(cur) - 1) : -1;
	if (r == 0 && (n < 0 || (size_t)n != strlen(abs) || memcmp(cur, abs, (size_t)n) != 0)) {
		if (unlink(link) < 0 && errno != ENOENT)
			r = error_set(e, errno, "unlink %s", link);
		else if (symlink(abs, link) < 0)
			r = error_set(e, errno, "symlink %s", link);
	}
	free(dir);
	if (r < 0)
		free(link);
	else
		*out = link;
	return r;
}

/* Appends " \\\n  NAME" to the prerequisites and "NAME:\n" to the empty
 * rules for one context path (abs), through an alias if need be. */
static int add_dep(const struct rt *rt, const char *key, const char *abs, struct buf *pre,
		   struct buf *rules, struct error *e)
{
	char *alias = NULL;

	if (!mk_name_ok(abs) && dep_alias(rt, key, abs, &alias, e) < 0)
		return -1;
	buf_adds(pre, " \\\n  ");
	mk_name(pre, alias ? alias : abs);
	mk_name(rules, alias ? alias : abs);
	buf_adds(rules, ":\n");
	free(alias);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The targets of the dependency file: "STATE/KEY.sum STATE/KEY.seen". */
static void deps_targets(const struct rt *rt, const char *key, struct buf *b)
{
	cleanup_free char *sum = rt_path(rt, key, ".sum"), *seen = rt_path(rt, key, ".seen");

	mk_name(b, sum);
	buf_adds(b, " ");
	mk_name(b, seen);
}

/* A large context's STATE/KEY.d: the sum recipe runs at every make, made
 * stale by a phony prerequisite. */
static int write_deps_big(const struct rt *rt, const char *key, struct error *e)
{
	char *dfile = rt_path(rt, key, ".d"), *phony = rt_path(rt, key, ".rescan");
	struct buf b = {0};
	int changed, r = 0;

	deps_targets(rt, key, &b);
	buf_adds(&b, ": ");
	mk_name(&b, phony);
	buf_adds(&b, "\n.PHONY: ");
	mk_name(&b, phony);
	buf_adds(&b, "\n");
	mk_name(&b, phony);
	buf_adds(&b, ":\n");
	r = write_if_changed(dfile, b.s, b.len, &changed, e);
	buf_free(&b);
	free(dfile);
	free(phony);
	return r;
}

/* STATE/KEY.d: the prerequisites of KEY.seen (the sum recipe's target,
 * so an edit of any listed file reruns the sum) and of KEY.sum, plus an
 * empty rule for each (gcc -MP) so a deleted source reruns the sum instead
 * of stopping make with "No rule to make target". Rewritten only when it
 * changes: make reads build.mk again after an included file's time
 * changed, and an edit of a copied file leaves the list as it was. */
static int write_deps(const struct rt *rt, const char *key, struct sumstate *s, struct error *e)
{
	char *seen = rt_path(rt, key, ".seen"), *dfile = rt_path(rt, key, ".d");
	struct buf b = {0}, rules = {0};
	int changed, r = 0;

	if (!mk_name_ok(seen) || !mk_name_ok(dfile))
		r = error_set(e, 0, "state directory %s cannot be named in a make rule", rt->state);
	if (r == 0 && s->rec && s->deps.n > SUM_BIG) {
		free(seen);
		free(dfile);
		return write_deps_big(rt, key, e);
	}
	if (s->deps.n)
		qsort(s->deps.v, s->deps.n, sizeof(char *), cmp_str);
	if (r == 0) {
		deps_targets(rt, key, &b);
		buf_adds(&b, ":");
	}
	for (size_t i = 0; r == 0 && i < s->deps.n; i++) {
		if (i && strcmp(s->deps.v[i], s->deps.v[i - 1]) == 0)
			continue;
		char *abs = strcmp(s->deps.v[i], ".") == 0 ? xstrdup(s->j->context)
							   : path_join(s->j->context, s->deps.v[i]);
		r = add_dep(rt, key, abs, &b, &rules, e);
		free(abs);
	}
	buf_adds(&b, "\n");
	buf_addn(&b, rules.s ? rules.s : "", rules.len);
	if (r == 0)
		r = write_if_changed(dfile, b.s, b.len, &changed, e);
	buf_free(&b);
	buf_free(&rules);
	free(seen);
	free(dfile);
	return r;
}

/* STATE/KEY.seen, the recipe's make target, gets the time of this run,
 * after KEY.sum and KEY.d are in place (a kill before leaves it stale: the
 * sum runs again). Its content is empty by design, so neither a temp name
 * nor an fsync is needed: only its time says anything. */
static int touch_seen(const struct rt *rt, const char *key, struct error *e)
{
	cleanup_free char *seen = rt_path(rt, key, ".seen");
	cleanup_close int fd = open(seen, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);

	if (fd < 0)
		return error_set(e, errno, "open %s", seen);
	if (futimens(fd, NULL) < 0)
		return error_set(e, errno, "set the time of %s", seen);
	return 0;
}

static int write_sum(const struct rt *rt, const char *key, struct sumstate *s, struct error *e)
{
	char hex[65], *body, *path = rt_path(rt, key, ".sum");
	int changed, r;

	sha256_final_hex(&s->h, hex);
	body = xasprintf("df2make-sum 2\n%s\n", hex);
	r = write_if_changed(path, body, strlen(body), &changed, e);
	free(body);
	free(path);
	return r;
}

/* Walks the sources; *same = every entry as the index of the last run
 * says (then nothing is written). */
static int sum_walk(struct sumstate *s, const struct ignore *ig, struct error *e)
{
	int r;

	s->rootfd = open(s->j->context, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (s->rootfd < 0)
		return error_set(e, errno, "open build context %s", s->j->context);
	r = sum_sources(s, ig, e);
	close(s->rootfd);
	s->rootfd = -1;
	return r;
}

/* A large context whose stat data is all as last time: nothing to do.
 * Else s is ready for the whole sum (recording this run's stat data). */
static int sum_unchanged(const struct rt *rt, const char *key, struct sumstate *s,
			 const struct ignore *ig, const char *scan, struct error *e)
{
	cleanup_free char *sum = rt_path(rt, key, ".sum"), *dfile = rt_path(rt, key, ".d");
	int same = 0;

	s->old = ctxscan_open(scan);
	if (s->old && access(sum, F_OK) == 0 && access(dfile, F_OK) == 0) {
		s->scan_only = s->all_same = 1;
		same = sum_walk(s, ig, e) == 0 && s->all_same && ctxscan_complete(s->old);
		s->scan_only = 0;
		/* the whole sum takes the unchanged files' digests from it */
		ctxscan_rewind(s->old);
	}
	/* started after the comparison: the racy second counts from here */
	if (!same)
		s->rec = ctxscan_w_new();
	return same;
}

/* The whole sum: the digest, the dependency file and, for a large
 * context, the stat data the next run compares with. */
static int sum_all(const struct rt *rt, const char *key, struct sumstate *s,
		   const struct ignore *ig, const char *scan, struct error *e)
{
	int r;

	/* no libcrypto set-up: lib/hash.c's SHA256_* functions need none */
	sha256_init(&s->h);
	sha256_update(&s->h, "df2make-sum 2\n", 14);
	r = s->j->from_step ? 0 : sum_walk(s, ig, e);
	if (r == 0)
		r = write_deps(rt, key, s, e);
	if (r == 0)
		r = write_sum(rt, key, s, e);
	else
		sha256_final_hex(&s->h, (char[65]){0});
	if (r == 0)
		r = touch_seen(rt, key, e);
	/* the stat data serves large contexts only (write_deps_big) */
	if (r == 0 && s->rec && s->deps.n > SUM_BIG)
		r = ctxscan_w_save(s->rec, scan, e);
	else if (r == 0)
		unlink(scan);
	return r;
}

int op_sum(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	struct sumstate s = {0};
	struct copy_job j;
	struct ignore *ig = NULL;
	cleanup_free char *scan = rt_path(rt, key, ".scan");
	int r = copy_job_parse(spec, &j, e), same = 0;

	s.j = &j;
	s.e = e;
	s.rootfd = -1;
	if (r == 0 && !j.from_step)
		r = copy_job_ignore(&j, &ig, e);
	if (r == 0 && !j.from_step)
		same = sum_unchanged(rt, key, &s, ig, scan, e);
	if (r == 0 && !same)
		r = sum_all(rt, key, &s, ig, scan, e);
	if (r < 0)
		copy_job_fail(&j, e);
	ctxscan_w_free(s.rec);
	ctxscan_close(s.old);
	ignore_free(ig);
	strlist_free(&s.deps);
	copy_job_free(&j);
	return r;
}
