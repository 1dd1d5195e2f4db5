/* specout: a spec written into build.mk in pieces (see specout.h). */
#include <string.h>

#include "buf.h"
#include "mkquote.h"
#include "spec.h"
#include "specout.h"

/* The JSON writer's sink: each piece quoted into out, then flushed. */
struct specout_sink {
	struct spec_sink sk;
	struct buf *out;
	const struct specout *so;
	int started;
};

static void specout_take(struct spec_sink *sk, struct buf *b)
{
	static const char titled[] = "{\"title\":";
	struct specout_sink *s = (struct specout_sink *)sk;
	size_t skip = 0;

	if (!s->started) {
		s->started = 1;
		buf_addc(s->out, '\'');
		/* emit_spec_n's numbering: "vertex" goes before the title */
		if (b->len > sizeof(titled) && memcmp(b->s, titled, sizeof(titled) - 1) == 0) {
			buf_printf(s->out, "{\"vertex\":%d,", s->so->vertex); /* nothing to quote */
			skip = 1;
		}
	}
	mk_shell_part(s->out, b->s + skip, b->len - skip);
	buf_reset(b);
	s->so->flush(s->so->arg);
}

void specout_word(struct buf *out, void *arg)
{
	const struct specout *so = arg;
	struct specout_sink s = {.sk.take = specout_take, .out = out, .so = so};
	struct buf json = {0};

	spec_write_sink(&json, so->spec, &s.sk);
	specout_take(&s.sk, &json); /* the rest, or all of a short spec */
	buf_addc(out, '\'');
	buf_free(&json);
}
