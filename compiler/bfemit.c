/* bfemit: what the docker build flags of bflags.h add to build.mk and to
 * the pack spec (see bfemit.h). */
#include <string.h>

#include "bfemit.h"
#include "diag.h"
#include "buf.h"
#include "cli.h"
#include "mkquote.h"
#include "templates.h"
#include "util.h"

json_t *bfemit_config(const struct bflags *b, json_t *cfg)
{
	json_t *out, *labels;

	if (!b->labels.n) /* shared: the spec only reads it (an Env of 100,000) */
		return json_incref(cfg);
	out = json_deep_copy(cfg);
	labels = json_object_get(out, "Labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(out, "Labels", labels);
	}
	/* docker build --label: set on the target's config, over its LABELs */
	for (size_t i = 0; i < b->labels.n; i++) {
		const char *kv = b->labels.v[i], *eq = strchr(kv, '=');
		char *k = xstrndup(kv, (size_t)(eq - kv));
		json_object_set_new(labels, k, json_string(eq + 1));
		free(k);
	}
	return out;
}

/* "manifest" for a plain K=V, else the TYPE before the ':'. */
static char *bfemit_annotation_type(const char *a, const char **kv)
{
	const char *eq = strchr(a, '='), *colon = strchr(a, ':');

	if (colon && colon < eq) {
		*kv = colon + 1;
		return xstrndup(a, (size_t)(colon - a));
	}
	*kv = a;
	return xstrdup("manifest");
}

void bfemit_pack_spec(const struct cli *c, json_t *spec)
{
	const struct bflags *b = &c->bf;
	json_t *ann = json_object();

	for (size_t i = 0; i < b->annotations.n; i++) {
		const char *kv;
		char *type = bfemit_annotation_type(b->annotations.v[i], &kv);
		const char *eq = strchr(kv, '=');
		char *k = xstrndup(kv, (size_t)(eq - kv));
		json_t *o = json_object_get(ann, type);
		if (!o)
			json_object_set_new(ann, type, o = json_object());
		json_object_set_new(o, k, json_string(eq + 1));
		free(k);
		free(type);
	}
	if (json_object_size(ann))
		json_object_set_new(spec, "annotations", ann);
	else
		json_decref(ann);
	if (b->format && strcmp(b->format, "docker") == 0)
		json_object_set_new(spec, "format", json_string("docker"));
	if (b->squash) /* the merged layer is compressed as the others */
		json_object_set_new(spec, "squash",
				    json_pack("{s:s, s:s}", "mode", b->squash == 1 ? "new" : "all",
					      "compress", c->compress));
}

/* One --iidfile or --metadata-file rule; 0, or -1 with the error in dg. */
static int bfemit_file(struct buf *out, const char *flag, const char *field, const char *file,
		       const char *key, struct diags *dg)
{
	struct buf name = {0}, sh = {0}, title = {0};
	json_t *j;
	char *text, *opt = xasprintf("--%s", flag);
	int r;

	if (!mk_name_ok(file)) {
		r = diag_error(dg, NULL,
			       "%s '%s' cannot be named in a Makefile (make reads a newline, tab, "
			       "; = | %%, a trailing \\ & ) or blank as syntax): rename it",
			       opt, file);
		free(opt);
		return r;
	}
	j = json_pack("{s:s+, s:s, s:s}", "title", "writing ", file, "loc", "", field, file);
	text = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	mk_name(&name, file);
	mk_shell(&sh, text); /* a recipe word, as every spec */
	mk_comment(&title, json_string_value(json_object_get(j, "title")));
	r = templates_expand(out, "metadata",
			     (const char *const[]){"TITLE", title.s, "FLAG", opt, "FILE", name.s,
						   "KEY", key, "SPEC", sh.s, NULL},
			     dg);
	free(opt);
	free(text);
	json_decref(j);
	buf_free(&name);
	buf_free(&sh);
	buf_free(&title);
	return r;
}

/* The flags of the output refused with it: 0, or -1 with the error in dg. */
static int bfemit_check(const struct cli *c, struct diags *dg)
{
	const struct bflags *b = &c->bf;

	if ((b->iidfile || b->metadata_file || b->load) && strcmp(c->output_type, "local") == 0)
		return diag_error(
		    dg, NULL, "--%s needs an image output (-o a tar or type=oci), not type=local",
		    b->load	 ? "load"
		    : b->iidfile ? "iidfile"
				 : "metadata-file");
	for (size_t i = 0; i < b->annotations.n; i++)
		if (strncmp(b->annotations.v[i], "index-descriptor:", 17) == 0 &&
		    !(c->platform && strchr(c->platform, ',')))
			return diag_error(dg, NULL,
					  "--annotation %s: an index descriptor exists only for a "
					  "--platform list",
					  b->annotations.v[i]);
	if (b->format && strcmp(b->format, "docker") == 0 && strcmp(c->compress, "zstd") == 0)
		return diag_error(dg, NULL,
				  "--format docker: docker's media types have no zstd layers "
				  "(--compress gzip or none)");
	return 0;
}

int bfemit_results(const struct cli *c, const char *key, const char *packkey, struct buf *out,
		   struct diags *dg)
{
	const struct bflags *b = &c->bf;

	if (bfemit_check(c, dg) < 0)
		return -1;
	if (b->iidfile && bfemit_file(out, "iidfile", "iidfile", b->iidfile, key, dg) < 0)
		return -1;
	if (b->metadata_file &&
	    bfemit_file(out, "metadata-file", "metadata", b->metadata_file, key, dg) < 0)
		return -1;
	if (b->load)
		return templates_expand(out, "load",
					(const char *const[]){"PACKKEY", packkey, NULL}, dg);
	return 0;
}
