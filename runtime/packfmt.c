/* packfmt: media types and annotations of the packed image (packfmt.h). */
#include <stdlib.h>
#include <string.h>

#include "blob.h"
#include "packfmt.h"
#include "util.h"

const char *packfmt_mt(json_t *spec, const char *mt)
{
	/* docker's schema 2 names for the same documents and layers
	 * (zstd has none: the compiler refuses --format docker with it) */
	static const char *const map[][2] = {
	    {MT_OCI_MANIFEST, MT_DOCKER_MANIFEST},
	    {MT_OCI_INDEX, MT_DOCKER_LIST},
	    {MT_OCI_CONFIG, "application/vnd.docker.container.image.v1+json"},
	    {MT_OCI_LAYER, "application/vnd.docker.image.rootfs.diff.tar"},
	    {MT_OCI_LAYER_GZIP, "application/vnd.docker.image.rootfs.diff.tar.gzip"},
	};
	const char *fmt = json_string_value(json_object_get(spec, "format"));

	if (!fmt || strcmp(fmt, "docker") != 0 || !mt)
		return mt;
	for (size_t i = 0; i < LEN(map); i++)
		if (strcmp(mt, map[i][0]) == 0)
			return map[i][1];
	return mt;
}

static int packfmt_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void packfmt_annotate(json_t *doc, json_t *spec, const char *type)
{
	json_t *src = json_object_get(json_object_get(spec, "annotations"), type);
	json_t *dst = json_object_get(doc, "annotations"), *v;
	const char **keys, *k;
	size_t n = 0;

	if (!json_object_size(src))
		return;
	if (!json_is_object(dst))
		json_object_set_new(doc, "annotations", dst = json_object());
	keys = xcalloc(json_object_size(src), sizeof(*keys));
	json_object_foreach(src, k, v) keys[n++] = k;
	qsort(keys, n, sizeof(*keys), packfmt_cmp);
	for (size_t i = 0; i < n; i++)
		json_object_set(dst, keys[i], json_object_get(src, keys[i]));
	free(keys);
}

void packfmt_sort(json_t *obj)
{
	json_t *copy = json_copy(obj), *v;
	const char **keys, *k;
	size_t n = 0;

	keys = xcalloc(json_object_size(copy) + 1, sizeof(*keys));
	json_object_foreach(copy, k, v) keys[n++] = k;
	qsort(keys, n, sizeof(*keys), packfmt_cmp);
	json_object_clear(obj);
	for (size_t i = 0; i < n; i++)
		json_object_set(obj, keys[i], json_object_get(copy, keys[i]));
	free(keys);
	json_decref(copy);
}
