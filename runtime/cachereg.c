/* cachereg: the step cache through a registry (docs/cache.md). The cache
 * is the layout --cache-to type=local writes, pushed as an image-shaped
 * artifact (push_layout). An import fetches its manifest and config only,
 * at most once per make run, when the first step is looked up (a make
 * with nothing to do asks nothing); a step found there is restored from
 * its record and its layer fetched when needed (cachelazy.c). Credentials, certs.d and
 * registries.conf are the registry client's, as for pull and push. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "progress.h"
#include "pull.h"
#include "rt.h"
#include "util.h"

/* BuildKit warns and builds on when a cache import fails (a first build
 * has none yet): so do we, and the steps then find no index.json. */
static void cachereg_ignore(const char *ref, const char *idx, const struct error *w)
{
	progress_note("df2make-runtime: warning: --cache-from %s ignored: %s", ref, w->msg);
	unlink(idx);
}

/* This make run: $DF2MAKE_CACHE_RUN (make's pid) and that process's start
 * time, so that a later make reusing the pid is another run. NULL when
 * unset (the runtime called by hand): every lookup imports. */
static char *cachereg_run_id(void)
{
	const char *pid = getenv("DF2MAKE_CACHE_RUN");
	char *path, *text = NULL, *p;
	unsigned long long start = 0;
	size_t n = 0;

	if (!pid || !*pid || strspn(pid, "0123456789") != strlen(pid) || strlen(pid) > 10)
		return NULL;
	path = xasprintf("/proc/%s/stat", pid);
	/* field 22, starttime; the command name (field 2) may hold spaces */
	if (read_file(path, &text, &n, &(struct error){0}) == 0 && (p = strrchr(text, ')')))
		for (int f = 2; f < 22 && p; f++)
			if ((p = strchr(p + 1, ' ')) && f == 21)
				start = strtoull(p + 1, NULL, 10);
	free(text);
	free(path);
	return xasprintf("%s %llu\n", pid, start);
}

/* ref's manifest and cache config into STATE/KEY/ (blobs there already,
 * an unchanged config, are not fetched again); a failure is a warning. */
static void cachereg_fetch_meta(const struct rt *rt, const char *key, const char *ref,
				const char *dir)
{
	char *idx = path_join(dir, "index.json");
	struct error w = {0};
	json_t *cfg = NULL;

	if (pull_layout_meta(ref, dir, 1, &w) < 0)
		cachereg_ignore(ref, idx, &w);
	else if (!(cfg = cache_load_config(dir, &w)))
		cachereg_ignore(ref, idx, &w);
	else
		progress_line(rt, key,
			      "[internal] importing cache manifest %s: %zu steps in the cache", ref,
			      json_object_size(json_object_get(cfg, "records")));
	json_decref(cfg);
	free(idx);
}

void cache_reg_import(const struct rt *rt, const char *key, const char *ref)
{
	char *dir = rt_path(rt, key, NULL), *lock = rt_path(rt, key, ".importlock");
	char *mark = path_join(dir, "run"), *run = cachereg_run_id(), *had = NULL;
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	size_t n = 0;

	/* concurrent steps of one make (and other makes) import one at a time;
	 * the others then find this run's mark */
	if (fd >= 0 && flock(fd, LOCK_EX) == 0 &&
	    (!run || read_file(mark, &had, &n, &(struct error){0}) < 0 || n != strlen(run) ||
	     memcmp(had, run, n) != 0)) {
		cachereg_fetch_meta(rt, key, ref, dir);
		if (run && mkdir_p(dir, 0755, &(struct error){0}) == 0)
			write_atomic(mark, run, strlen(run), 0644, &(struct error){0});
	}
	if (fd >= 0)
		close(fd);
	free(had);
	free(run);
	free(mark);
	free(lock);
	free(dir);
}

int cache_reg_fetch(const struct rt *rt, const char *key, const char *ref,
		    const struct cache_layer *l, struct error *e)
{
	struct pull_opts o = {.tls_verify = 1, .rt = rt, .key = key, .store = rt->store};
	json_t *desc = json_pack("{s:s, s:I}", "digest", l->digest, "size", l->size);
	int r = pull_blob_from(ref, desc, &o, e);

	json_decref(desc);
	return r;
}
