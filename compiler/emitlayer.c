/* emitlayer: a step of the image makes its layer in its own process (its
 * spec carries the layer parameters), which saves make a runtime exec and
 * a hand-off per step. build.mk then has no layer target for it: a layer
 * target made as a side effect of its step's recipe would be stat'ed by
 * make -j before the step ran and made again. pack makes a layer that is
 * missing or was made with other parameters (runtime layer_ensure). */
#include <stdlib.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "emitlayer.h"
#include "key.h"
#include "util.h"

json_t *emitlayer_epoch(const struct cli *c, struct diags *dg)
{
	const char *e = cli_build_arg(c, "SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!e)
		e = getenv("SOURCE_DATE_EPOCH");
	if (!e || !*e)
		return json_null();
	v = strtoll(e, &end, 10);
	if (*end || v < 0) {
		diag_error(dg, NULL, "SOURCE_DATE_EPOCH must be a number of seconds, not '%s'", e);
		return NULL;
	}
	return json_integer(v);
}

/* A layer target (kept for steps made apart from the image) depends on a
 * stamp named by pk, so changing SOURCE_DATE_EPOCH or --compress makes
 * every layer again (the layer is named by its step's key, which they are
 * not part of: they change the layer, not the step). */
json_t *emitlayer_params(const struct cli *c, char pk[33], struct diags *dg)
{
	json_t *epoch = emitlayer_epoch(c, dg), *p;

	if (!epoch)
		return NULL;
	p = json_pack("{so ss so}", "epoch", epoch, "compress", c->compress, "level", json_null());
	key_compute(NULL, p, NULL, pk);
	return p;
}

/* A step of the target stage or of a stage it is built FROM. A step
 * shared with another stage (graph_add_step reuses it) may be missed
 * here: its layer target then makes the layer in a process of its own. */
int emitlayer_in_image(const struct graph *g, const struct step *st)
{
	if (st->kind == STEP_BASE || !st->stage)
		return 0;
	for (const struct stage *s = g->target; s; s = s->base)
		if (s == st->stage)
			return 1;
	return 0;
}

/* Only the step's recipe gets the field, not its sum's spec (the context
 * digest would then change with the compression). */
int emitlayer_field(struct graph *g, const struct step *st, char **field)
{
	char pk[33], *text;
	json_t *params;

	*field = NULL;
	if (!emitlayer_in_image(g, st))
		return 0;
	params = emitlayer_params(g->cli, pk, g->dg);
	if (!params)
		return -1;
	text = json_dumps(params, JSON_PRESERVE_ORDER | JSON_COMPACT);
	*field = xasprintf("\"layer\":%s", text);
	free(text);
	json_decref(params);
	return 0;
}

void emitlayer_prereq(struct buf *b, const struct graph *g, const struct step *st)
{
	buf_printf(b, " $(STATE)/%s.%s", st->key, emitlayer_in_image(g, st) ? "done" : "layer");
}
