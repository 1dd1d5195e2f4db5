/* specout: a spec written into build.mk as a recipe word (see specout.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "hash.h"
#include "mkquote.h"
#include "spec.h"
#include "specout.h"
#include "util.h"

/* One build.mk's big specs: the compiler writes one build.mk a run. */
static struct {
	char *dir;	    /* DF2MAKE_SPEC_DIR's value; NULL: $(STATE) */
	size_t max;	    /* the longest word written inline */
	int helped;	    /* the helper variables are written */
	unsigned n;	    /* DF2MAKE_SPEC_N variables defined */
	size_t at;	    /* where the current template starts in its buffer */
	struct buf pending; /* specout_spec's definition, for specout_end */
} so_st = {.max = SPECOUT_INLINE_MAX};

void specout_set_state(const char *state)
{
	const char *env = getenv("DF2MAKE_SPEC_INLINE_MAX");
	char *end;
	struct buf v = {0};

	free(so_st.dir);
	so_st.dir = NULL;
	so_st.helped = 0; /* a new build.mk */
	so_st.n = 0;
	if (state) {
		mk_value(&v, state);
		so_st.dir = buf_steal(&v);
	}
	if (env && *env) {
		unsigned long long m = strtoull(env, &end, 10);
		if (!*end && m < SPECOUT_INLINE_MAX)
			so_st.max = (size_t)m;
	}
}

/* The variables every big spec's recipe uses, before the first one. The
 * spec is written when the recipe is expanded, just before it runs; make
 * -n and -q expand recipes too but must write nothing, hence the test of
 * MAKEFLAGS' first word (its one-letter flags). */
static void specout_helper(struct buf *b)
{
	if (so_st.helped)
		return;
	so_st.helped = 1;
	buf_printf(b,
		   "\n# Specs over %zu bytes: too long for a command line, each is a\n"
		   "# variable DF2MAKE_SPEC_N that its recipe writes to a file as it starts\n"
		   "# and names as @FILE (docs/makefile.md, \"Big specs\").\n",
		   so_st.max);
	buf_printf(b, "DF2MAKE_SPEC_DIR := %s\n", so_st.dir ? so_st.dir : "$(STATE)");
	buf_adds(b, "DF2MAKE_SPEC_FILE = $(if $(findstring n,$(firstword -$(MAKEFLAGS)))"
		    "$(findstring q,$(firstword -$(MAKEFLAGS))),,"
		    "$(shell mkdir -p -m 700 $(STATE_SH))"
		    "$(file >$(DF2MAKE_SPEC_DIR)/$1,$($2)))\n");
}

/* Opens the next variable's definition, of what; returns its number. */
static unsigned specout_define(struct buf *b, const char *what)
{
	specout_helper(b);
	buf_printf(b, "\n# The %s of the rule below.\ndefine DF2MAKE_SPEC_%u\n", what, ++so_st.n);
	return so_st.n;
}

/* JSON text as a define body reads it back: `$` doubled. A body line
 * that starts with `define` or `endef` would nest or end it, a line
 * ending in a backslash continues: compact JSON is one line that starts
 * with `{` and ends with `}`, without a raw newline. */
static void specout_body(struct buf *b, const char *s, size_t n)
{
	for (const char *end = s + n, *d; s < end; s = d + 1) {
		d = memchr(s, '$', (size_t)(end - s));
		if (!d) {
			buf_addn(b, s, (size_t)(end - s));
			break;
		}
		buf_addn(b, s, (size_t)(d - s) + 1);
		buf_addc(b, '$');
	}
}

/* Closes definition n and appends the recipe word that writes it to
 * HASH.spec (HASH: 32 hex digits of the SHA-256 of the JSON, which the
 * runtime checks) and names that file. */
static void specout_ref(struct buf *def, struct buf *word, unsigned n, const char hex[65])
{
	buf_adds(def, "\nendef\n");
	buf_printf(word,
		   "$(call DF2MAKE_SPEC_FILE,%.32s.spec,DF2MAKE_SPEC_%u)@$(STATE_SH)/%.32s.spec",
		   hex, n, hex);
}

/* The length of p[0..n) of JSON (no raw newline) in a quoted word. */
static size_t specout_qlen(const char *p, size_t n)
{
	size_t q = n;

	for (size_t i = 0; i < n; i++)
		q += p[i] == '\'' ? 3 : p[i] == '$';
	return q;
}

const char *specout_spec(const char *json, size_t n)
{
	static struct buf quoted;
	char hex[65];

	buf_reset(&quoted);
	if (specout_qlen(json, n) + 2 <= so_st.max) { /* with its quotes */
		mk_shell_n(&quoted, json, n);
		return quoted.s;
	}
	buf_reset(&so_st.pending);
	unsigned v = specout_define(&so_st.pending, "spec");
	specout_body(&so_st.pending, json, n);
	sha256_hex(json, n, hex);
	buf_reset(&quoted);
	specout_ref(&so_st.pending, &quoted, v, hex);
	return quoted.s;
}

char *specout_command(char *cmd)
{
	struct buf word = {0};
	char hex[65];

	if (strlen(cmd) <= so_st.max)
		return cmd;
	buf_reset(&so_st.pending);
	unsigned v = specout_define(&so_st.pending, "command");
	/* a file cut short by a concurrent writer lacks the "}": sh then
	 * runs nothing of it, rather than a shorter command */
	buf_printf(&so_st.pending, "{ %s\n}", cmd);
	sha256_hex(cmd, strlen(cmd), hex);
	buf_adds(&so_st.pending, "\nendef\n");
	buf_printf(&word,
		   "$(shell mkdir -p -m 700 $(STATE_SH))$(file >$(DF2MAKE_SPEC_DIR)/%.32s.sh,"
		   "$(DF2MAKE_SPEC_%u))sh $(STATE_SH)/%.32s.sh",
		   hex, v, hex);
	free(cmd);
	return buf_steal(&word);
}

void specout_begin(const struct buf *out)
{
	so_st.at = out->len;
}

/* Moves out's text from so_st.at on to tail, leaving out shorter. */
static void specout_cut(struct buf *out, struct buf *tail)
{
	buf_addn(tail, out->s + so_st.at, out->len - so_st.at);
	out->len = so_st.at;
	out->s[out->len] = '\0';
}

void specout_end(struct buf *out)
{
	struct buf tail = {0};

	if (!so_st.pending.len)
		return;
	specout_cut(out, &tail);
	buf_addn(out, so_st.pending.s, so_st.pending.len);
	buf_addn(out, tail.s, tail.len);
	buf_free(&so_st.pending); /* megabytes, maybe: not kept */
	buf_free(&tail);
}

/* The JSON writer's sink: the pieces kept until the word is known to
 * fit (then quoted into out) or not (then written into a definition). */
struct specout_sink {
	struct spec_sink sk;
	struct buf *out;
	const struct specout *so;
	int started;
	size_t qlen;	 /* the quoted word's length so far */
	struct buf raw;	 /* the JSON so far, while the word may stay inline */
	struct buf pre;	 /* the template's text before the word, once big */
	struct sha256 h; /* of the JSON */
	unsigned big;	 /* the definition's number, once big */
};

/* The word got too long: the template's text so far moves after the
 * definition, which starts with the JSON so far; the pieces to come are
 * written into it and flushed as they come. */
static void specout_go_big(struct specout_sink *s)
{
	specout_cut(s->out, &s->pre);
	s->big = specout_define(s->out, "spec");
	/* in pieces: out stays as short as the flushes keep it */
	for (size_t i = 0; i < s->raw.len; i += SPEC_SINK_CHUNK) {
		size_t n = s->raw.len - i < SPEC_SINK_CHUNK ? s->raw.len - i : SPEC_SINK_CHUNK;
		specout_body(s->out, s->raw.s + i, n);
		s->so->flush(s->so->arg);
	}
	buf_free(&s->raw);
}

/* Appends piece p[0..n) of the JSON. */
static void specout_piece(struct specout_sink *s, const char *p, size_t n)
{
	sha256_update(&s->h, p, n);
	if (s->big) {
		specout_body(s->out, p, n);
		return;
	}
	buf_addn(&s->raw, p, n);
	s->qlen += specout_qlen(p, n);
	if (s->qlen + 2 > so_st.max) /* with its quotes: too long */
		specout_go_big(s);
}

static void specout_take(struct spec_sink *sk, struct buf *b)
{
	static const char titled[] = "{\"title\":";
	struct specout_sink *s = (struct specout_sink *)sk;
	size_t skip = 0;

	if (!s->started) {
		s->started = 1;
		sha256_init(&s->h);
		/* once: doubling to 64 KB left 64 KB of freed blocks in the heap */
		buf_grow(&s->raw, so_st.max + 2 * SPEC_SINK_CHUNK);
		/* emit_spec_n's numbering: "vertex" goes before the title */
		if (b->len > sizeof(titled) && memcmp(b->s, titled, sizeof(titled) - 1) == 0) {
			char v[32];
			int n = snprintf(v, sizeof(v), "{\"vertex\":%d,", s->so->vertex);
			specout_piece(s, v, (size_t)n);
			skip = 1;
		}
	}
	specout_piece(s, b->s + skip, b->len - skip);
	buf_reset(b);
	/* inline, the template's text stays until the word is whole */
	if (s->big)
		s->so->flush(s->so->arg);
}

void specout_word(struct buf *out, void *arg)
{
	const struct specout *so = arg;
	struct specout_sink s = {.sk.take = specout_take, .out = out, .so = so};
	struct buf json = {0};
	char hex[65];

	spec_write_sink(&json, so->spec, &s.sk);
	specout_take(&s.sk, &json); /* the rest, or all of a short spec */
	buf_free(&json);
	sha256_final_hex(&s.h, hex);
	if (!s.big) {
		mk_shell_n(out, s.raw.s, s.raw.len);
		buf_free(&s.raw);
		return;
	}
	specout_ref(out, &s.pre, s.big, hex);
	buf_addn(out, s.pre.s, s.pre.len);
	buf_free(&s.pre);
}
