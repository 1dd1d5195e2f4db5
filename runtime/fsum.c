/* fsum: the content digest of what a `COPY --from=STAGE` takes from that
 * stage, BuildKit's cache key of a copy's sources (contenthash: names,
 * types, modes, owners, sizes, link targets, xattrs and bytes, never
 * mtimes). build.mk makes such a COPY wait for STATE/KEY.fsum rather than
 * for the stage's stamp, and STATE/KEY.fsum is rewritten only when the
 * digest changes: a stage that ran again with the same result (a comment
 * edited in a compiled source) stops the rebuild there, as BuildKit shows
 * the COPY CACHED. STATE/KEY.fchk, the recipe's own target, is written at
 * every run so that make has nothing to do next time.
 *
 * The digest never fails a build: when the sources cannot be read (a
 * missing path, a damaged state) it is a digest no run repeats, so the
 * COPY runs and reports the error itself, in its own words. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "cleanup.h"
#include "context.h"
#include "copy.h"
#include "error.h"
#include "fsutil.h"
#include "hash.h"
#include "rt.h"
#include "snapshot.h"
#include "sum.h"
#include "util.h"

#define FSUM_MAGIC "df2make-fsum 1\n"

struct fsum {
	struct sha256 h;
	const struct copy_job *j;
	const char *top; /* the source being walked */
	int rootfd;	 /* the stage's root filesystem, mounted */
	struct error *e;
};

/* BuildKit's choice (cache/contenthash/tarsum.go): every xattr but the
 * security.* and system.* ones, security.capability excepted. */
static int fsum_xattr_kept(const char *name)
{
	return strcmp(name, "security.capability") == 0 ||
	       (!startswith(name, "security.") && !startswith(name, "system."));
}

static int fsum_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Feeds the kept xattrs of fd, by name: the order the kernel lists them
 * in may differ between two files with the same ones. */
static int fsum_xattrs(struct fsum *s, int fd, const char *rel)
{
	char names[4096], val[4096], *v[256];
	ssize_t n = flistxattr(fd, names, sizeof(names) - 1);
	size_t k = 0;

	/* too many to digest here: never "unchanged" then */
	if (n < 0 && errno == ERANGE)
		return error_set(s->e, errno, "xattrs of %s", rel);

	for (ssize_t i = 0; n > 0 && i < n && k < LEN(v); i += (ssize_t)strlen(names + i) + 1)
		if (fsum_xattr_kept(names + i))
			v[k++] = names + i;
	qsort(v, k, sizeof(*v), fsum_cmp);
	for (size_t i = 0; i < k; i++) {
		ssize_t len = fgetxattr(fd, v[i], val, sizeof(val));
		sha256_update(&s->h, v[i], strlen(v[i]) + 1);
		if (len > 0)
			sha256_update(&s->h, val, (size_t)len);
	}
	return 0;
}

/* Feeds a file's xattrs and bytes (the top source may be a symlink,
 * followed inside the root as the copy follows it). */
static int fsum_file(struct fsum *s, const char *rel, int is_dir)
{
	char buf[65536];
	ssize_t n;
	/* the walk follows the source named (a link to a directory is
	 * walked as one), nothing below it */
	int follow = strcmp(rel, s->top) == 0;
	int flags = (is_dir ? O_DIRECTORY : 0) | O_RDONLY | (follow ? 0 : O_NOFOLLOW);
	cleanup_close int fd = ctx_open_in(s->rootfd, rel, flags, CTX_IN_ROOT);

	if (fd < 0)
		return error_set(s->e, errno, "open %s", rel);
	if (fsum_xattrs(s, fd, rel) < 0)
		return -1;
	while (!is_dir && (n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return error_set(s->e, errno, "read %s", rel);
		sha256_update(&s->h, buf, (size_t)n);
	}
	return 0;
}

static int fsum_visit(const char *rel, const struct stat *st, void *arg)
{
	struct fsum *s = arg;
	char head[512], target[4096];
	ssize_t len;

	/* the copy's --exclude, as the copy applies it */
	if (copy_job_excluded_below(s->j, s->top, rel))
		return 0;
	sum_head(head, sizeof(head), st, 1);
	sha256_update(&s->h, rel, strlen(rel) + 1);
	sha256_update(&s->h, head, strlen(head) + 1);
	if (S_ISLNK(st->st_mode)) {
		/* the link itself, its parents resolved inside the root (a
		 * source named through an absolute link: never the host's) */
		cleanup_close int fd =
		    ctx_open_in(s->rootfd, rel, O_PATH | O_NOFOLLOW, CTX_IN_ROOT);
		len = fd < 0 ? -1 : readlinkat(fd, "", target, sizeof(target));
		if (len < 0)
			return error_set(s->e, errno, "readlink %s", rel);
		sha256_update(&s->h, target, (size_t)len);
		return 0;
	}
	if (S_ISREG(st->st_mode) || S_ISDIR(st->st_mode))
		return fsum_file(s, rel, S_ISDIR(st->st_mode));
	return 0;
}

/* Every source as the copy resolves it in the stage's root. */
static int fsum_sources(struct fsum *s, const char *root)
{
	const struct copy_job *j = s->j;
	int r = 0;

	for (size_t i = 0; r == 0 && i < j->srcs.n; i++) {
		struct strlist rels = {0};
		char *pivot = NULL;
		r = copy_job_resolve(j, root, NULL, i, &rels, &pivot, s->e);
		sha256_update(&s->h, j->srcs.v[i], strlen(j->srcs.v[i]) + 1);
		for (size_t k = 0; r == 0 && k < rels.n; k++) {
			s->top = rels.v[k];
			r = ctx_walk_in(root, CTX_IN_ROOT, NULL, rels.v[k], fsum_visit, s, s->e);
		}
		strlist_free(&rels);
		free(pivot);
	}
	return r;
}

/* Mounts the stage's result read-only on STATE/.root (in this process's
 * own mount namespace, as the copy mounts it) and digests the sources. */
static int fsum_mounted(const struct rt *rt, struct fsum *s)
{
	cleanup_free char *root = xasprintf("%s/.root", rt->state);
	int r = snapshot_private_ns(s->e);

	if (r == 0)
		r = snapshot_mkdir(root, 0755, s->e);
	if (r == 0)
		r = snapshot_mount_ro(rt, s->j->from_step, root, s->e);
	if (r < 0)
		return -1;
	s->rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	r = s->rootfd < 0 ? error_set(s->e, errno, "open %s", root) : fsum_sources(s, root);
	if (s->rootfd >= 0)
		close(s->rootfd);
	s->rootfd = -1;
	umount2(root, MNT_DETACH);
	return r;
}

/* A stage restored from a --cache-from registry whose layers were not all
 * fetched: they are fetched only when something runs over them (lazy,
 * cachelazy.c), and reading the sources would fetch them all. Its content
 * key names what the cache restored, so it stands for the content; when
 * the stage runs for real later, the digest changes and the COPY runs. */
static char *fsum_lazy_text(const struct rt *rt, const char *from)
{
	json_t *chain = chain_read(rt, from, &(struct error){0}), *ent;
	char ck[65];
	int lazy = 0;
	size_t i;

	json_array_foreach(chain, i, ent)
	{
		if (json_is_string(json_object_get(ent, "lazy")))
			lazy = 1;
	}
	json_decref(chain);
	if (!lazy || cache_read_ck(rt, from, ck) < 0)
		return NULL;
	return xasprintf(FSUM_MAGIC "restored %s\n", ck);
}

/* The digest text: the sources' digest, or when they could not be read a
 * line no other run writes (the COPY then runs and says what is wrong). */
static char *fsum_text(const struct rt *rt, const struct copy_job *j, struct error *e)
{
	struct fsum s = {.j = j, .rootfd = -1, .e = e};
	struct timespec now;
	char hex[65], *lazy = fsum_lazy_text(rt, j->from_step);

	if (lazy)
		return lazy;

	sha256_init(&s.h);
	sha256_update(&s.h, FSUM_MAGIC, strlen(FSUM_MAGIC));
	if (fsum_mounted(rt, &s) == 0) {
		sha256_final_hex(&s.h, hex);
		return xasprintf(FSUM_MAGIC "%s\n", hex);
	}
	sha256_final_hex(&s.h, hex);
	clock_gettime(CLOCK_REALTIME, &now);
	return xasprintf(FSUM_MAGIC "unreadable %ld %lld.%09ld\n", (long)getpid(),
			 (long long)now.tv_sec, now.tv_nsec);
}

/* A new digest gets the check's time: KEY.fsum must not look older
 * than KEY.fchk, or `make -q` would call the build out of date. (An
 * unchanged one keeps its time, older than the COPY's stamp: that is the
 * point; its recipe, a bare `+` in build.mk, lets make and `make -q` see
 * that time again.) Written in this order, a kill between the two files
 * leaves a digest newer than the COPY: the COPY runs. */
static int fsum_align(const char *sum, const char *chk, struct error *e)
{
	struct stat st;
	struct timespec t[2];

	if (stat(chk, &st) < 0)
		return error_set(e, errno, "stat %s", chk);
	t[0] = st.st_atim;
	t[1] = st.st_mtim;
	if (utimensat(AT_FDCWD, sum, t, 0) < 0)
		return error_set(e, errno, "set the time of %s", sum);
	return 0;
}

int op_fsum(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	struct copy_job j;
	struct error ignored = {0};
	cleanup_free char *sum = rt_path(rt, key, ".fsum");
	cleanup_free char *chk = rt_path(rt, key, ".fchk");
	cleanup_free char *text = NULL;
	int changed, r = copy_job_parse(spec, &j, e);

	if (r == 0 && !j.from_step)
		r = error_set(e, 0, "fsum: the spec has no \"from\" step");
	if (r == 0) {
		text = fsum_text(rt, &j, &ignored);
		r = write_if_changed(sum, text, strlen(text), &changed, e);
	}
	/* then the recipe's target: the digest is current */
	if (r == 0)
		r = write_atomic(chk, text, strlen(text), 0644, e);
	if (r == 0 && changed)
		r = fsum_align(sum, chk, e);
	if (r < 0)
		copy_job_fail(&j, e);
	copy_job_free(&j);
	return r;
}
