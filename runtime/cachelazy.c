/* cachelazy: layers of steps restored from a registry cache, fetched when
 * something needs their content (docs/cache.md, "Lazy layers"). A step
 * taken from a registry cache is marked done from its record: its chain
 * entry names the layer's blob and diff_id and says where to fetch it
 * ("lazy": REF). A step that runs over it, the layer op that gives the
 * image its blob, a type=local output fetch it then (digest checked while
 * it streams, then the record's size, media type and diff_id), so a
 * machine downloads only the layers its result needs, as BuildKit's lazy
 * blobs do. A layer that fails is never used: its step loses its stamp and
 * its record (STATE/KEY.nolazy names the blob), so the next make runs it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "blob.h"
#include "cache.h"
#include "error.h"
#include "fsutil.h"
#include "lock.h"
#include "rt.h"
#include "snapshot.h"
#include "store.h"
#include "unpack.h"
#include "util.h"

/* The step loses its stamp (make runs it again) and its record: the next
 * lookup of STEP refuses a record whose layer is this blob. */
static void lazy_drop(const struct rt *rt, const char *step, const char *digest)
{
	char *done = rt_path(rt, step, ".done"), *mark = rt_path(rt, step, ".nolazy");
	char *line = xasprintf("%s\n", digest);
	struct error ignored = {0};

	unlink(done);
	write_atomic(mark, line, strlen(line), 0644, &ignored);
	free(line);
	free(mark);
	free(done);
}

int cache_lazy_failed(const struct rt *rt, const char *key, json_t *rec)
{
	const char *digest =
	    json_string_value(json_object_get(json_object_get(rec, "layer"), "digest"));
	char *mark = rt_path(rt, key, ".nolazy"), *text = NULL;
	size_t n = 0;
	int r = digest && read_file(mark, &text, &n, &(struct error){0}) == 0 &&
		n == strlen(digest) + 1 && strncmp(text, digest, n - 1) == 0;

	free(text);
	free(mark);
	return r;
}

/* Fetches and checks the blob of STEP's layer, once: under make -j, two
 * steps over it (the layer op, a RUN) wait for each other on
 * STATE/STEP.lazylock instead of downloading it twice. */
static int lazy_fetch(const struct rt *rt, const char *step, const char *ref,
		      const struct cache_layer *l, const char *blob, struct error *e)
{
	char *path = rt_path(rt, step, ".lazylock");
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644), r = 0;

	if (fd < 0 || flock(fd, LOCK_EX) < 0)
		r = error_set(e, errno, "lock %s", path);
	if (r == 0 && access(blob, F_OK) < 0) {
		r = cache_reg_fetch(rt, step, ref, l, e);
		if (r == 0 && (r = cache_check_blob(blob, l, e)) < 0)
			unlink(blob);
	}
	if (fd >= 0)
		close(fd);
	free(path);
	return r;
}

/* One chain entry: when lazy, its blob into the store (fetched and
 * checked unless there) and, when unpack, the layer directory. */
static int lazy_entry(const struct rt *rt, json_t *ent, int unpack, struct error *e)
{
	const char *ref = json_string_value(json_object_get(ent, "lazy"));
	const char *step = json_string_value(json_object_get(ent, "step"));
	json_t *b = json_object_get(ent, "blob");
	struct cache_layer l = {.digest = json_string_value(json_object_get(b, "digest")),
				.diff_id = json_string_value(json_object_get(ent, "diff_id")),
				.media_type = json_string_value(json_object_get(b, "mediaType")),
				.size = json_integer_value(json_object_get(b, "size"))};
	char *blob, msg[sizeof(e->msg)];
	int r = 0;

	if (!step || !rt_key_valid(step) || !l.digest || !startswith(l.digest, "sha256:") ||
	    !blob_is_hex(l.digest + 7) || !l.diff_id || !l.media_type)
		return error_set(e, 0, "a lazy chain entry without its step or blob");
	blob = store_blob_path(rt->store, l.digest);
	/* a blob in the store was checked by whoever fetched it */
	if (access(blob, F_OK) < 0)
		r = lazy_fetch(rt, step, ref, &l, blob, e);
	if (r == 0 && unpack)
		r = unpack_layer(rt->store, l.digest, l.diff_id, e);
	free(blob);
	if (r == 0)
		return 0;
	lazy_drop(rt, step, l.digest);
	snprintf(msg, sizeof(msg), "%s", e->msg);
	return error_set(e, 0,
			 "step %.8s, restored from --cache-from %s: its layer %s: %s; "
			 "the next make runs the step again",
			 step, ref, l.digest, msg);
}

int cache_lazy_chain(const struct rt *rt, const char *key, const char *only, int unpack,
		     struct error *e)
{
	json_t *chain = chain_read(rt, key, &(struct error){0}), *ent;
	int lock = -2, r = 0, swept = 0;
	size_t i;

	/* no chain: the op that needs it says so */
	json_array_foreach(chain, i, ent)
	{
		const char *step = json_string_value(json_object_get(ent, "step"));
		if (r < 0 || !json_is_string(json_object_get(ent, "lazy")) ||
		    (only && (!step || strcmp(step, only) != 0)))
			continue;
		/* as a restore: gc waits while the blob and layer appear, and
		 * a killed fetcher's temps go first */
		if (lock == -2 && (lock = store_lock(rt->store, 0, e)) == -1)
			r = -1;
		else if (lock >= 0 && !swept++)
			store_sweep(rt->store);
		if (r == 0)
			r = lazy_entry(rt, ent, unpack, e);
	}
	if (lock >= 0)
		close(lock);
	json_decref(chain);
	return r;
}
