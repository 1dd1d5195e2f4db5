/* cachereg: the step cache through a registry (docs/cache.md). The cache
 * is the layout --cache-to type=local writes, pushed as an image-shaped
 * artifact (push_layout). An import fetches its manifest and config only,
 * once per make run (the cache-import step, which every filesystem step
 * waits for); a step found there then fetches its own layer blob, so a
 * machine downloads only the layers it takes. Credentials, certs.d and
 * registries.conf are the registry client's, as for pull and push. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "pull.h"
#include "rt.h"
#include "util.h"

/* BuildKit warns and builds on when a cache import fails (a first build
 * has none yet): so do we, and the steps then find no index.json. */
static void cachereg_ignore(const char *ref, const char *idx, const struct error *w)
{
	fprintf(stderr, "df2make-runtime: warning: --cache-from %s ignored: %s\n", ref, w->msg);
	unlink(idx);
}

int op_cache_import(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	const char *ref = json_string_value(json_object_get(spec, "ref"));
	char *dir, *idx;
	struct error w = {0};
	json_t *cfg = NULL;

	if (!ref)
		return error_set(e, 0, "cache-import: the spec needs \"ref\"");
	dir = rt_path(rt, key, NULL);
	idx = path_join(dir, "index.json");
	rt_progress(rt, key, spec, "%s", "");
	/* blobs already there (an unchanged config) are not fetched again */
	if (pull_layout_meta(ref, dir, 1, &w) < 0)
		cachereg_ignore(ref, idx, &w);
	else if (!(cfg = cache_load_config(dir, &w)))
		cachereg_ignore(ref, idx, &w);
	else
		rt_progress(rt, key, spec, "%zu steps in the cache",
			    json_object_size(json_object_get(cfg, "records")));
	json_decref(cfg);
	free(idx);
	free(dir);
	return 0;
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
