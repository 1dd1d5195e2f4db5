/* imeta: the image's id and metadata after pack (see imeta.h). */
#include <string.h>

#include "buf.h"
#include "cleanup.h"
#include "error.h"
#include "fsutil.h"
#include "imeta.h"
#include "rt.h"
#include "util.h"

json_t *imeta_describe(json_t *cdesc, json_t *desc, json_t *tags)
{
	json_t *m = json_object(), *t;
	struct buf names = {0};
	size_t i;

	if (cdesc)
		json_object_set(m, "containerimage.config.digest",
				json_object_get(cdesc, "digest"));
	json_object_set_new(m, "containerimage.descriptor", json_deep_copy(desc));
	json_object_set(m, "containerimage.digest", json_object_get(desc, "digest"));
	/* buildx's exporter joins the names with commas */
	json_array_foreach(tags, i, t)
	{
		if (i)
			buf_addc(&names, ',');
		buf_adds(&names, json_string_value(t));
	}
	if (names.len)
		json_object_set_new(m, "image.name", json_string(names.s));
	buf_free(&names);
	return m;
}

int imeta_record(const struct rt *rt, const char *key, json_t *meta, struct error *e)
{
	cleanup_free char *path = rt_path(rt, key, ".image.json");
	cleanup_free char *text = json_dumps(meta, JSON_COMPACT | JSON_SORT_KEYS);

	if (!text)
		fatal("out of memory encoding JSON");
	/* no fsync (the pack's last, on the build's path): the image it
	 * describes has none either, and op_metadata refuses a torn record */
	if (write_checked(path, text, strlen(text), 0644, e) < 0)
		return error_wrap(e, "record of the image");
	return 0;
}

/* The id docker and buildx --iidfile give an image: its config digest
 * (one platform), else the digest of what was exported (an index). */
static const char *imeta_id(json_t *meta)
{
	const char *id = json_string_value(json_object_get(meta, "containerimage.config.digest"));

	return id ? id : json_string_value(json_object_get(meta, "containerimage.digest"));
}

/* Writes text to path (temp name + rename), as buildx writes it. */
static int imeta_write(const char *path, const char *text, struct error *e)
{
	if (write_atomic(path, text, strlen(text), 0644, e) < 0)
		return error_wrap(e, "write %s", path);
	return 0;
}

int op_metadata(const struct rt *rt, const char *key, json_t *spec, struct error *e)
{
	cleanup_free char *path = rt_path(rt, key, ".image.json");
	const char *iid = json_string_value(json_object_get(spec, "iidfile"));
	const char *md = json_string_value(json_object_get(spec, "metadata"));
	json_error_t jerr;
	json_t *meta = json_load_file(path, 0, &jerr);
	char *text;
	int r = 0;

	if (!json_is_object(meta) || !imeta_id(meta)) {
		json_decref(meta);
		return error_set(e, 0,
				 "%s: no record of the image (make it again: rm the image "
				 "and run make)",
				 path);
	}
	if (iid)
		r = imeta_write(iid, imeta_id(meta), e);
	if (r == 0 && md) {
		/* buildx: json.MarshalIndent of a decoded map, keys sorted */
		text = json_dumps(meta, JSON_INDENT(2) | JSON_SORT_KEYS);
		r = imeta_write(md, text, e);
		free(text);
	}
	json_decref(meta);
	return r;
}
