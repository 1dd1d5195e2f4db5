/* copy: the COPY/ADD op. Parses the spec, mounts the parent snapshot
 * read-write (and the --from step read-only) in a private mount namespace,
 * and runs the copy engine over every resolved source. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "add.h"
#include "chmod.h"
#include "cleanup.h"
#include "context.h"
#include "copy.h"
#include "copyfs.h"
#include "copyidx.h"
#include "error.h"
#include "fetch.h"
#include "fsutil.h"
#include "input.h"
#include "ignore.h"
#include "match.h"
#include "netsrc.h"
#include "rt.h"
#include "snapshot.h"
#include "user.h"
#include "util.h"

/* Absolute destination: relative ones join WORKDIR; a trailing '/' (or a
 * dest of "." / "") means "a directory" and is kept. */
static char *abs_dest(const char *dest, const char *workdir)
{
	int slash = !*dest || endswith(dest, "/") || strcmp(dest, ".") == 0 || endswith(dest, "/.");
	char *joined = *dest == '/' ? xstrdup(dest) : xasprintf("/%s/%s", workdir, dest);
	char *clean = path_clean(joined);
	char *out = slash && strcmp(clean, "/") != 0 ? xasprintf("%s/", clean) : xstrdup(clean);

	free(joined);
	free(clean);
	return out;
}

/* URL and git sources (BuildKit's ADD detection, lib/netsrc.c). */
static int is_remote(const char *s)
{
	return netsrc_kind(s) != NETSRC_LOCAL;
}

static const char *str_field(json_t *spec, const char *k)
{
	return json_string_value(json_object_get(spec, k));
}

/* --exclude patterns follow .dockerignore's rules, `!` exceptions
 * included (BuildKit's patternmatcher), without its comment lines. */
static int parse_excludes(json_t *spec, struct copy_job *j, struct error *e)
{
	json_t *ex = json_object_get(spec, "excludes"), *v;
	struct strlist pats = {0};
	size_t i;

	json_array_foreach(ex, i, v)
	{
		if (!json_is_string(v)) {
			strlist_free(&pats);
			return error_set(e, 0, "invalid --exclude pattern: not a string");
		}
		strlist_add(&pats, json_string_value(v));
	}
	if (pats.n)
		j->excludes = ignore_from_list(pats.v, pats.n, "--exclude", e);
	strlist_free(&pats);
	if (i && !j->excludes)
		return error_wrap(e, "invalid --exclude pattern");
	return 0;
}

/* Several sources need a directory dest, written with a trailing `/`. */
static int several_sources(const struct copy_job *j, struct error *e)
{
	return error_set(e, 0,
			 "When using %s with more than one source file, the destination "
			 "must be a directory and end with a /",
			 j->name);
}

/* BuildKit's checks that need no filesystem. */
static int validate(const struct copy_job *j, struct error *e)
{
	size_t n = j->srcs.n + json_array_size(j->heredocs);

	for (size_t i = 0; i < j->srcs.n; i++) {
		if (is_remote(j->srcs.v[i]) && !j->add)
			return error_set(e, 0, "source can't be a URL for COPY: %s", j->srcs.v[i]);
		if (is_remote(j->srcs.v[i]) && !copy_job_fetch(j, i))
			return error_set(e, 0,
					 "%s: a URL or git source needs its fetch step "
					 "(compile with df2make)",
					 j->srcs.v[i]);
	}
	if (n == 0)
		return error_set(e, 0, "no source files were specified");
	if (n > 1 && !endswith(j->dest, "/"))
		return several_sources(j, e);
	if (!j->from_step && !j->context && j->srcs.n)
		return error_set(e, 0, "no build context given");
	return 0;
}

int copy_job_parse(json_t *spec, struct copy_job *j, struct error *e)
{
	json_t *from = json_object_get(spec, "from"), *srcs = json_object_get(spec, "srcs"), *v;
	json_t *unpack = json_object_get(spec, "unpack");
	const char *op = str_field(spec, "op"), *dest = str_field(spec, "dest");
	const char *wd = str_field(spec, "workdir");
	size_t i;

	memset(j, 0, sizeof(*j));
	j->add = op && strcmp(op, "add") == 0;
	j->name = j->add ? "ADD" : "COPY";
	j->loc = str_field(spec, "loc");
	j->parent = str_field(spec, "parent");
	json_array_foreach(srcs, i, v)
	    strlist_add(&j->srcs, json_string_value(v) ? json_string_value(v) : "");
	j->dest = abs_dest(dest ? dest : "", wd ? wd : "/");
	j->context = str_field(spec, "context");
	j->ignore = str_field(spec, "ignore");
	j->from_step = str_field(from, "step");
	j->chown = str_field(spec, "chown");
	j->chmod = str_field(spec, "chmod");
	j->link = json_is_true(json_object_get(spec, "link"));
	j->parents = json_is_true(json_object_get(spec, "parents"));
	j->unpack = json_is_boolean(unpack) ? json_is_true(unpack) : -1;
	j->heredocs = json_object_get(spec, "heredocs");
	if (!dest)
		return error_set(e, 0, "spec has no \"dest\"");
	if (from && !j->from_step)
		return error_set(e, 0, "spec \"from\" has no \"step\"");
	j->fetch = json_object_get(spec, "fetch");
	if (json_is_string(json_object_get(spec, "checksum")) && !json_array_size(j->fetch))
		return error_set(e, 0, "--checksum: checksum requires HTTP(S) or Git sources");
	if (parse_excludes(spec, j, e) < 0)
		return -1;
	return validate(j, e);
}

json_t *copy_job_fetch(const struct copy_job *j, size_t i)
{
	json_t *ent;
	size_t k;

	json_array_foreach(j->fetch, k, ent)
	{
		json_t *src = json_object_get(ent, "src");
		if (json_is_integer(src) && json_integer_value(src) == (json_int_t)i)
			return ent;
	}
	return NULL;
}

void copy_job_free(struct copy_job *j)
{
	ignore_free(j->excludes);
	strlist_free(&j->srcs);
	free(j->dest);
}

int copy_job_fail(const struct copy_job *j, struct error *e)
{
	return error_wrap(e, "%s: %s step", j->loc ? j->loc : "Dockerfile", j->name);
}

int copy_job_ignore(const struct copy_job *j, struct ignore **out, struct error *e)
{
	char *text = NULL;
	size_t len = 0;

	*out = NULL;
	if (j->from_step || !j->context)
		return 0;
	if (j->ignore && input_read(j->ignore, INPUT_MAX, &text, &len, e) < 0)
		return -1;
	*out = ignore_parse(text, len, j->ignore ? j->ignore : ".dockerignore", e);
	free(text);
	rt_exclude_own(*out, j->context);
	return *out ? 0 : -1;
}

int copy_job_excluded(const struct copy_job *j, const char *rel)
{
	/* a path is excluded when it or a directory above it matches, and
	 * no later `!` exception brings it back */
	return ignore_excluded(j->excludes, rel);
}

int copy_job_excluded_below(const struct copy_job *j, const char *top, const char *rel)
{
	size_t n = strcmp(top, ".") == 0 ? 0 : strlen(top);
	const char *sub = n == 0 ? rel : rel[n] == '/' ? rel + n + 1 : "";

	/* the source itself was kept by copy_job_resolve; below it, both
	 * spellings count, as copyfs_excluded matches them */
	if (!*sub || strcmp(rel, ".") == 0)
		return 0;
	return copy_job_excluded(j, sub) || copy_job_excluded(j, rel);
}

struct star_walk {
	struct pattern *pat;
	struct strlist *out;
	char *last; /* last matched directory: its contents are not matches */
};

static int star_visit(const char *rel, const struct stat *st, void *arg)
{
	struct star_walk *w = arg;

	if (w->last && startswith(rel, w->last) && rel[strlen(w->last)] == '/')
		return 0;
	if (!pattern_match(w->pat, rel))
		return 0;
	strlist_add(w->out, rel);
	if (S_ISDIR(st->st_mode)) {
		free(w->last);
		w->last = xstrdup(rel);
	}
	return 0;
}

/* How the job's source symlinks resolve: a --from source inside that
 * stage's rootfs (as BuildKit does), a context source never out of it. */
static enum ctx_scope job_scope(const struct copy_job *j)
{
	return j->from_step ? CTX_IN_ROOT : CTX_BENEATH;
}

/* --parents with "**": walks the literal prefix and matches whole paths. */
static int resolve_globstar(const char *root, enum ctx_scope scope, const struct ignore *ig,
			    const char *src, struct strlist *out, struct error *e)
{
	char *clean = ctx_clean_source(src), *base = xstrdup(clean), *cut = base;
	const char *msg = "bad pattern";
	struct star_walk w = {pattern_compile(clean, &msg), out, NULL};
	int r;

	/* the walk starts at the last '/' before the first wildcard */
	for (char *s = base; *s && !strchr("*?[", *s); s++)
		if (*s == '/')
			cut = s;
	*cut = '\0';
	if (!w.pat)
		r = error_set(e, 0, "source \"%s\": %s", src, msg);
	else
		r = ctx_walk_in(root, scope, ig, *base ? base : ".", star_visit, &w, e);
	pattern_free(w.pat);
	free(w.last);
	free(base);
	free(clean);
	return r;
}

int copy_job_resolve(const struct copy_job *j, const char *srcroot, const struct ignore *ig,
		     size_t i, struct strlist *out, char **pivot, struct error *e)
{
	const char *raw = j->srcs.v[i], *dot = j->parents ? strstr(raw, "/./") : NULL;
	struct strlist all = {0};
	int r;

	if (dot) {
		char *head = xstrndup(raw, (size_t)(dot - raw));
		*pivot = ctx_clean_source(head);
		free(head);
	} else {
		*pivot = xstrdup(".");
	}
	if (j->parents && strstr(raw, "**"))
		r = resolve_globstar(srcroot, job_scope(j), ig, raw, &all, e);
	else
		r = ctx_resolve_in(srcroot, job_scope(j), ig, raw, &all, e);
	for (size_t k = 0; r == 0 && k < all.n; k++)
		if (!copy_job_excluded(j, all.v[k]))
			strlist_add(out, all.v[k]);
	strlist_free(&all);
	return r;
}

/* Path of rel below the pivot ("." when rel is the pivot). */
static const char *below_pivot(const char *rel, const char *pivot)
{
	size_t n = strlen(pivot);

	if (strcmp(pivot, ".") == 0)
		return rel;
	if (strcmp(rel, pivot) == 0)
		return ".";
	return startswith(rel, pivot) && rel[n] == '/' ? rel + n + 1 : rel;
}

/* --parents: recreate the directories between the pivot and rel. */
static int make_parents(struct copyfs *c, int srcfd, const char *pivot, const char *sub,
			const char *destdir, struct error *e)
{
	char *p = xstrdup(sub);
	int r = 0;

	for (char *s = strchr(p, '/'); r == 0 && s; s = strchr(s + 1, '/')) {
		*s = '\0';
		char *src = strcmp(pivot, ".") == 0 ? xstrdup(p) : xasprintf("%s/%s", pivot, p);
		char *dst = xasprintf("%s/%s", destdir, p);
		r = copyfs_parent_dir(c, srcfd, src, dst, e);
		free(src);
		free(dst);
		*s = '/';
	}
	free(p);
	return r;
}

struct copy_env {
	const struct copy_job *j;
	struct copyfs *c;
	int rootfd, srcfd;
	const struct ignore *ig;
	const struct add_opts *add;
	const struct copyfs_opts *o;
};

/* ADD: a local archive (detected by content) is extracted into dest. */
static int try_extract(struct copy_env *x, const char *rel, int *done, struct error *e)
{
	struct stat st;
	int fd, r = 0;
	char *dir;

	*done = 0;
	if (!x->j->add || x->j->unpack == 0)
		return 0;
	fd = ctx_open_in(x->srcfd, rel, O_RDONLY | O_NONBLOCK, job_scope(x->j));
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !add_is_archive(fd)) {
		if (fd >= 0)
			close(fd);
		return 0;
	}
	dir = path_clean(x->j->dest);
	r = add_extract(x->rootfd, dir, fd, rel, x->add, e);
	*done = 1;
	free(dir);
	close(fd);
	return r;
}

static int copy_one(struct copy_env *x, const char *rel, const char *pivot, struct error *e)
{
	const struct copy_job *j = x->j;
	char *destdir, *target;
	const char *sub;
	int done, r;

	if (try_extract(x, rel, &done, e) < 0)
		return -1;
	if (done)
		return 0;
	if (!j->parents)
		return copyfs_source(x->c, x->srcfd, rel, j->dest, e);
	destdir = path_clean(j->dest);
	sub = below_pivot(rel, pivot);
	target = strcmp(sub, ".") == 0
		     ? xstrdup(destdir)
		     : xasprintf("%s/%s", strcmp(destdir, "/") ? destdir : "", sub);
	r = make_parents(x->c, x->srcfd, pivot, sub, strcmp(destdir, "/") ? destdir : "", e);
	if (r == 0)
		r = copyfs_source(x->c, x->srcfd, rel, target, e);
	free(target);
	free(destdir);
	return r;
}

static int copy_heredocs(struct copy_env *x, struct error *e)
{
	json_t *h;
	size_t i;

	json_array_foreach(x->j->heredocs, i, h)
	{
		const char *name = str_field(h, "name"), *body = str_field(h, "content");
		if (!name || !body)
			return error_set(e, 0, "heredoc %zu has no name or content", i);
		if (copyfs_blob(x->c, name, body, strlen(body), 0644, x->j->dest, e) < 0)
			return error_wrap(e, "heredoc %s", name);
	}
	return 0;
}

/* ADD of a URL or git source: what its fetch step left, copied like a
 * context file (a URL) or directory (a git tree). A URL's archive is
 * extracted only with --unpack=true (BuildKit never guesses for URLs). */
static int copy_fetched(struct copy_env *x, json_t *ent, struct error *e)
{
	cleanup_free char *dir = NULL, *rel = NULL;
	cleanup_close int fd = -1;
	int r = fetch_prepare(x->j->rt, x->j->key, ent, &dir, &rel, e);
	const char *kind = json_string_value(json_object_get(ent, "kind"));
	struct copy_job unpack = *x->j;
	struct copy_env y = *x;

	if (r == 0 && (fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		r = error_set(e, errno, "open %s (fetched source; run make again)", dir);
	if (r < 0)
		return -1;
	struct copyfs_opts o = *x->o;

	o.ig = NULL; /* .dockerignore is the context's, not the server's */
	unpack.unpack = x->j->unpack == 1 && strcmp(kind, "http") == 0;
	unpack.parents = 0;
	y.j = &unpack;
	y.srcfd = fd;
	y.ig = NULL;
	y.c = copyfs_new(x->rootfd, &o);
	r = copy_one(&y, rel, ".", e);
	copyfs_free(y.c);
	if (strcmp(kind, "http") == 0) {
		struct error ignored = {0};
		remove_tree(dir, &ignored);
	}
	return r;
}

static int copy_all(struct copy_env *x, const char *srcroot, struct error *e)
{
	const struct copy_job *j = x->j;
	int r = 0;

	for (size_t i = 0; r == 0 && i < j->srcs.n; i++) {
		struct strlist rels = {0};
		char *pivot = NULL;
		json_t *net = copy_job_fetch(j, i);
		if (net) {
			r = copy_fetched(x, net, e);
			continue;
		}
		r = copy_job_resolve(j, srcroot, x->ig, i, &rels, &pivot, e);
		/* A wildcard counts as several sources only once it matched
		 * several: `COPY f?.txt /single` with one match writes /single. */
		if (r == 0 && rels.n > 1 && pattern_has_meta(j->srcs.v[i]) &&
		    !endswith(j->dest, "/"))
			r = several_sources(j, e);
		for (size_t k = 0; r == 0 && k < rels.n; k++)
			r = copy_one(x, rels.v[k], pivot, e);
		strlist_free(&rels);
		free(pivot);
	}
	return r < 0 ? -1 : copy_heredocs(x, e);
}

/* The copy engine's options: --chown resolved in the destination rootfs. */
static int make_opts(const struct copy_job *j, const char *mnt, struct copyfs_opts *o,
		     struct add_opts *ao, struct error *e)
{
	struct user_ids ids = {0};

	o->keep_owner = j->from_step != NULL;
	o->in_root = job_scope(j) == CTX_IN_ROOT;
	o->link = j->link;
	o->excludes = j->excludes;
	if (j->chmod && !(o->chmod = chmod_parse(j->chmod, e)))
		return -1;
	if (j->chown && *j->chown) {
		if (user_resolve(mnt, j->chown, &ids, e) < 0)
			return error_wrap(e, "--chown=%s", j->chown);
		o->chown = ao->chown = 1;
		o->uid = ao->uid = ids.uid;
		o->gid = ao->gid = ids.gid;
		user_ids_free(&ids);
	}
	return 0;
}

static int copy_into(const struct copy_job *j, const char *mnt, const char *srcroot,
		     struct copyidx *idx, struct error *e)
{
	struct copyfs_opts o = {.idx = idx};
	struct add_opts ao = {0};
	struct ignore *ig = NULL;
	struct copy_env x = {j, NULL, -1, -1, NULL, &ao, &o};
	int r = make_opts(j, mnt, &o, &ao, e);

	if (r == 0)
		r = copy_job_ignore(j, &ig, e);
	o.ig = x.ig = ig;
	x.rootfd = open(mnt, O_PATH | O_DIRECTORY | O_CLOEXEC);
	x.srcfd = srcroot ? open(srcroot, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
	if (r == 0 && (x.rootfd < 0 || (srcroot && x.srcfd < 0)))
		r = error_set(e, errno, "open %s", x.rootfd < 0 ? mnt : srcroot);
	if (r == 0) {
		x.c = copyfs_new(x.rootfd, &o);
		r = copy_all(&x, srcroot, e);
		if (r == 0 && j->link)
			r = copyfs_link_dirs(x.c, j->dest, e);
		copyfs_free(x.c);
	}
	if (x.rootfd >= 0)
		close(x.rootfd);
	if (x.srcfd >= 0)
		close(x.srcfd);
	ignore_free(ig);
	chmod_free((struct chmod_spec *)o.chmod);
	return r;
}

/* Removes the overlay's work dir once the mount is gone: it is scratch,
 * not part of the step's result, and would otherwise stay in the state dir
 * for good (RUN removes its own the same way). The kernel leaves work/work
 * mode 0; opening it up lets remove_tree descend without relying on
 * CAP_DAC_OVERRIDE. */
static void remove_workdir(const struct rt *rt, const char *key)
{
	char *work = rt_path(rt, key, "/work"), *inner = rt_path(rt, key, "/work/work");
	struct error ignored;

	chmod(inner, 0700);
	remove_tree(work, &ignored);
	free(work);
	free(inner);
}

/* Mounts, copies, unmounts. Runs in a private mount namespace. */
static int copy_mounted(const struct rt *rt, const char *key, const struct copy_job *j,
			struct copyidx *idx, struct error *e)
{
	char *mnt = rt_path(rt, key, "/mnt"), *from = rt_path(rt, key, "/from");
	int rw = 0, ro = 0, r;

	r = mkdir(mnt, 0755) < 0 ? error_set(e, errno, "mkdir %s", mnt) : 0;
	if (r == 0)
		r = snapshot_mount_rw(rt, j->parent, key, mnt, NULL, e);
	rw = r == 0;
	if (r == 0 && j->from_step) {
		r = mkdir(from, 0755) < 0 ? error_set(e, errno, "mkdir %s", from) : 0;
		if (r == 0)
			r = snapshot_mount_ro(rt, j->from_step, from, e);
		ro = r == 0;
	}
	if (r == 0)
		r = copy_into(j, mnt, j->from_step ? from : j->context, idx, e);
	if (ro && umount2(from, MNT_DETACH) < 0 && r == 0)
		r = error_set(e, errno, "unmount %s", from);
	if (rw && umount2(mnt, MNT_DETACH) < 0) {
		if (r == 0)
			r = error_set(e, errno, "unmount %s", mnt);
	} else {
		remove_workdir(rt, key);
	}
	rmdir(from);
	rmdir(mnt);
	free(mnt);
	free(from);
	return r;
}

/* The title alone is the progress line (BuildKit prints nothing more). */
static void progress(const struct rt *rt, const char *key, json_t *spec)
{
	rt_progress(rt, key, spec, "%s", "");
}

/* A COPY whose every write comes from walking directory sources of the
 * context can update last run's upper directory (copyidx.h): no --from,
 * ADD, --parents, heredoc or wildcard, whose matches could change. */
static int copy_reusable(const struct copy_job *j)
{
	if (j->add || j->from_step || !j->context || j->parents || json_array_size(j->heredocs))
		return 0;
	for (size_t i = 0; i < j->srcs.n; i++)
		if (pattern_has_meta(j->srcs.v[i]))
			return 0;
	return 1;
}

/* Empties the step's directory but for its upper dir (kept for an update
 * in place), the stamp first: a step interrupted from here on is not done
 * and has no index, so its next run starts from an empty upper. */
static int copy_keep_upper(const struct rt *rt, const char *key, struct error *e)
{
	cleanup_free char *done = rt_path(rt, key, ".done");
	cleanup_free char *dir = rt_path(rt, key, NULL);
	DIR *d;
	struct dirent *de;
	int r = 0;

	if (unlink(done) < 0 && errno != ENOENT)
		return error_set(e, errno, "remove %s", done);
	if (!(d = opendir(dir)))
		return error_set(e, errno, "open %s", dir);
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "upper"))
			r = rm_at(dirfd(d), de->d_name, e);
	closedir(d);
	return r;
}

/* The step's index of the last run when it can be trusted (same parent
 * stamp, the upper dir still there): the step dir is emptied but for the
 * upper; else the step is reset. *reuse says which. */
static int copy_prepare(const struct rt *rt, const char *key, const char *parent_id,
			struct copyidx *idx, int *reuse, struct error *e)
{
	cleanup_free char *path = rt_path(rt, key, "/copy.idx");
	cleanup_free char *upper = rt_path(rt, key, "/upper");
	struct stat st;

	*reuse = idx && stat(upper, &st) == 0 && S_ISDIR(st.st_mode) &&
		 copyidx_load(idx, path, parent_id) == 0;
	return *reuse ? copy_keep_upper(rt, key, e) : rt_reset_step(rt, key, e);
}

/* The copy, into last run's upper dir when it can be (see copyidx.h):
 * when a source entry of the last run is gone, again from an empty one. */
static int copy_run(const struct rt *rt, const char *key, const struct copy_job *j, struct error *e)
{
	cleanup_free char *parent_done = j->parent ? rt_path(rt, j->parent, ".done") : NULL;
	cleanup_free char *parent_id = copyidx_stamp_id(parent_done);
	cleanup_free char *path = rt_path(rt, key, "/copy.idx");
	struct copyidx *idx = copy_reusable(j) && parent_id ? copyidx_new() : NULL;
	int reuse, r = copy_prepare(rt, key, parent_id, idx, &reuse, e);

	if (r == 0)
		r = snapshot_private_ns(e);
	if (r == 0)
		r = copy_mounted(rt, key, j, idx, e);
	if (r == 0 && reuse && !copyidx_complete(idx)) {
		copyidx_free(idx);
		idx = copyidx_new();
		r = rt_reset_step(rt, key, e);
		if (r == 0)
			r = copy_mounted(rt, key, j, idx, e);
	}
	if (r == 0 && idx)
		r = copyidx_save(idx, path, parent_id, e);
	copyidx_free(idx);
	return r;
}

int op_copy(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	struct copy_job j;
	int r = copy_job_parse(spec, &j, e);

	j.rt = rt;
	j.key = key;
	if (r == 0) {
		progress(rt, key, spec);
		/* exact modes: nothing the copy creates may be masked */
		umask(0);
		r = copy_run(rt, key, &j, e);
	}
	if (r == 0)
		r = chain_commit(rt, key, j.parent, e);
	if (r == 0)
		r = rt_stamp(rt, key, e);
	if (r < 0)
		copy_job_fail(&j, e);
	copy_job_free(&j);
	return r;
}
