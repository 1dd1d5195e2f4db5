/* Typed instructions from the reader's syntax tree, validated as BuildKit
 * validates them (frontend/dockerfile/instructions: bflag.go, parse.go;
 * RUN --mount values are mountflag.c's), plus the checks dockerfile2llb
 * makes before it runs anything: --from without variables, --chmod syntax, signal names).
 * Error texts are BuildKit's, so users can search for them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "instr.h"
#include "instr_ctx.h"
#include "netsrc.h"
#include "parse.h"
#include "strconv.h"
#include "suggest.h"
#include "util.h"

/* ---- names ---- */

static const char *const names[] = {
    [I_ADD] = "ADD",
    [I_ARG] = "ARG",
    [I_CMD] = "CMD",
    [I_COPY] = "COPY",
    [I_ENTRYPOINT] = "ENTRYPOINT",
    [I_ENV] = "ENV",
    [I_EXPOSE] = "EXPOSE",
    [I_FROM] = "FROM",
    [I_HEALTHCHECK] = "HEALTHCHECK",
    [I_LABEL] = "LABEL",
    [I_MAINTAINER] = "MAINTAINER",
    [I_ONBUILD] = "ONBUILD",
    [I_RUN] = "RUN",
    [I_SHELL] = "SHELL",
    [I_STOPSIGNAL] = "STOPSIGNAL",
    [I_USER] = "USER",
    [I_VOLUME] = "VOLUME",
    [I_WORKDIR] = "WORKDIR",
};

const char *instr_name(enum instr_kind k)
{
	return (size_t)k < LEN(names) ? names[k] : "?";
}

/* ---- errors as values ---- */

int instr_errat(struct instr_ctx *c, int line, int col, const char *fmt, ...)
{
	va_list ap;

	c->err->loc = (struct loc){c->path, line, col, c->node ? c->node->end_line : line};
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* An error at the instruction's keyword. */
#define errkw(c, ...) instr_errat((c), (c)->node->line, (c)->node->col, __VA_ARGS__)

/* ---- flags (BFlags) ---- */

enum ftype { F_BOOL, F_STRING, F_STRINGS };

struct flag {
	const char *name;
	enum ftype type;
	int used;
	const char *value; /* bool: "true"/"false"; else the default or the
			    * text after '=' in the flag's word (in the arena) */
	struct strlist values;
	int line, col; /* last use */
};

struct flags {
	struct flag v[8];
	size_t n;
};

/* Declares a flag; def is the default value. */
static void flag_add(struct flags *f, const char *name, enum ftype type, const char *def)
{
	struct flag *fl = &f->v[f->n++];

	memset(fl, 0, sizeof(*fl));
	fl->name = name;
	fl->type = type;
	fl->value = def;
}

/* The declared flag called name (name without "--"). */
static struct flag *flag_get(struct flags *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strcmp(f->v[i].name, name))
			return &f->v[i];
	return NULL;
}

static void flags_free(struct flags *f)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (f->v[i].values.v) /* most flags are not lists */
			strlist_free(&f->v[i].values);
	f->n = 0;
}

/* Stores one use of a flag (BFlags.Parse, per argument). */
static int flag_use(struct instr_ctx *c, struct flag *fl, const struct pword *w, const char *fname,
		    const char *eq)
{
	const char *value = eq ? eq + 1 : "";
	char *lower;

	if (fl->used && fl->type != F_STRINGS)
		return instr_errat(c, w->line, w->col, "duplicate flag specified: %s", fname);
	fl->used = 1;
	fl->line = w->line;
	fl->col = w->col;
	if (fl->type != F_BOOL) {
		if (!eq)
			return instr_errat(c, w->line, w->col, "missing a value on flag: %s",
					   fname);
		fl->value = value;
		if (fl->type == F_STRINGS)
			strlist_add(&fl->values, value);
		return 1;
	}
	if (eq && !*value)
		return instr_errat(c, w->line, w->col, "missing a value on flag: %s", fname);
	lower = parse_lower(value);
	if (*lower && strcmp(lower, "true") && strcmp(lower, "false")) {
		free(lower);
		return instr_errat(c, w->line, w->col,
				   "expecting boolean value for flag %s, not: %s", fname, value);
	}
	fl->value = strcmp(lower, "false") ? "true" : "false";
	free(lower);
	return 1;
}

/* BFlags.Parse over the node's flags. */
static int flags_parse(struct instr_ctx *c, struct flags *f)
{
	const char *opts[LEN(f->v)];
	size_t i, k;
	int ok = 1;

	for (i = 0; ok && i < c->node->nflags; i++) {
		const struct pword *w = &c->node->flags[i];
		const char *eq = strchr(w->s, '=');
		size_t n = eq ? (size_t)(eq - w->s) : strlen(w->s);
		char small[32], *fname = n < sizeof(small) ? small : xmalloc(n + 1);
		struct flag *fl;

		memcpy(fname, w->s, n); /* the name on the stack: one per flag */
		fname[n] = '\0';

		if (strncmp(w->s, "--", 2)) {
			ok = instr_errat(c, w->line, w->col, "arg should start with -- : %s", w->s);
		} else if (!strcmp(w->s, "--")) {
			if (fname != small)
				free(fname);
			break;
		} else if (!(fl = flag_get(f, fname + 2))) {
			for (k = 0; k < f->n; k++)
				opts[k] = f->v[k].name;
			ok = instr_errat(c, w->line, w->col, "unknown flag: %s", fname);
			suggest_append(c->err->msg, sizeof(c->err->msg), fname + 2, opts, f->n, 1);
		} else {
			ok = flag_use(c, fl, w, fname, eq);
		}
		if (fname != small)
			free(fname);
	}
	return ok;
}

/* A copy of the flag's value, NULL when it was not given or is empty. */
static char *flag_str(struct instr_ctx *c, struct flags *f, const char *name)
{
	struct flag *fl = flag_get(f, name);

	return fl && fl->used && *fl->value ? arena_strdup(c->a, fl->value) : NULL;
}

/* 1 if the bool flag is true. */
static int flag_true(struct flags *f, const char *name)
{
	struct flag *fl = flag_get(f, name);

	return fl && !strcmp(fl->value, "true");
}

/* ---- instruction helpers ---- */

/* The node's words are in the dockerfile's arena (parse_tree_in), which
 * outlives the node: instructions point at them instead of copying. */

/* The node's argument words as in->args. */
static void args_copy(struct instr_ctx *c, struct instr *in, struct pnode *n, size_t from)
{
	size_t i;

	in->nargs = n->nargs > from ? n->nargs - from : 0;
	in->args = arena_calloc(c->a, in->nargs + 1, sizeof(*in->args));
	for (i = 0; i < in->nargs; i++)
		in->args[i] = n->args[from + i].s;
}

/* A copy of b's text in the arena; b is freed. */
static char *buf_to_arena(struct instr_ctx *c, struct buf *b)
{
	char *s = arena_strndup(c->a, b->s ? b->s : "", b->len);

	buf_free(b);
	return s;
}

/* Go's strings.ToLower(s), in the arena. */
static char *lower_in(struct instr_ctx *c, const char *s)
{
	const char *p;
	char *heap, *l;

	for (p = s; (unsigned char)*p < 0x80; p++)
		if (!*p) /* ASCII: lower-case a copy in place */
			return strlower(arena_strndup(c->a, s, (size_t)(p - s)));
	heap = parse_lower(s);
	l = arena_strdup(c->a, heap);
	free(heap);
	return l;
}

/* handleJSONArgs: shell form is one word, the arguments joined by blanks. */
static void args_cmdline(struct instr_ctx *c, struct instr *in, struct pnode *n, size_t from)
{
	struct buf b = {0};
	size_t i;

	in->json = n->json;
	if (n->json || n->nargs <= from + 1) {
		args_copy(c, in, n, from);
		return;
	}
	for (i = from; i < n->nargs; i++) {
		if (i > from)
			buf_addc(&b, ' ');
		buf_adds(&b, n->args[i].s);
	}
	in->nargs = 1;
	in->args = arena_calloc(c->a, 2, sizeof(*in->args));
	in->args[0] = buf_to_arena(c, &b);
}

/* "%s requires at least one argument" and friends. */
static int need_args(struct instr_ctx *c, size_t min, size_t max, const char *what)
{
	size_t n = c->node->nargs;

	if (min == 1 && max == 1 && n != 1)
		return errkw(c, "%s requires exactly one argument", what);
	if (min == 1 && n < 1)
		return errkw(c, "%s requires at least one argument", what);
	if (min == 2 && n < 2)
		return errkw(c,
			     "%s requires at least two arguments, but only one was provided. "
			     "Destination could not be determined",
			     what);
	return 1;
}

/* s with leading tabs removed from every line (ChompHeredocContent), in
 * the arena. */
static char *chomp(struct instr_ctx *c, const char *s)
{
	char *out = arena_alloc(c->a, strlen(s) + 1), *o = out;
	int bol = 1;

	for (; *s; s++) {
		if (bol && *s == '\t')
			continue;
		bol = *s == '\n';
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Appends a typed heredoc built from the parser's; 0 with the error
 * past 65535 of them (the count is 16 bits). */
static int heredoc_add(struct instr_ctx *c, struct instr *in, const struct pheredoc *h,
		       const char *content)
{
	struct heredoc *d;

	if (in->nheredocs == UINT16_MAX)
		return instr_errat(c, in->loc.line, in->loc.col,
				   "more than %u heredocs in one instruction", UINT16_MAX);
	/* heap, not the arena (instr_clear frees it); its room doubles at
	 * each power of two (one at a time was quadratic past thousands) */
	if (!(in->nheredocs & (in->nheredocs - 1)))
		in->heredocs = xreallocarray(in->heredocs, in->nheredocs ? 2u * in->nheredocs : 1,
					     sizeof(*in->heredocs));
	d = &in->heredocs[in->nheredocs++];
	d->name = arena_strdup(c->a, h->name);
	content = content ? content : "";
	d->raw = arena_strdup(c->a, content);
	d->content = h->chomp ? chomp(c, content) : d->raw;
	d->expand = h->expand;
	d->chomp = h->chomp;
	d->fd = h->fd;
	return 1;
}

/* All of the node's heredocs (RUN); 0 with the error. */
static int heredocs_all(struct instr_ctx *c, struct instr *in, const struct pnode *n)
{
	for (size_t i = 0; i < n->nheredocs; i++)
		if (!heredoc_add(c, in, &n->heredocs[i], n->heredocs[i].content))
			return 0;
	return 1;
}

/* parseKvps: ENV and LABEL triples. */
static int kvs_from(struct instr_ctx *c, struct instr *in, const char *what)
{
	struct pnode *n = c->node;
	size_t i;

	if (!n->nargs)
		return errkw(c, "%s requires at least one argument", what);
	if (n->nargs % 3)
		return errkw(c, "Bad input to %s, too many arguments", what);
	in->kvs = arena_calloc(c->a, n->nargs / 3, sizeof(*in->kvs));
	for (i = 0; i < n->nargs; i += 3) {
		struct kv *kv = &in->kvs[in->nkvs];
		if (!*n->args[i].s)
			return instr_errat(c, n->args[i].line, n->args[i].col,
					   "%s names can not be blank", what);
		kv->key = n->args[i].s;
		kv->value = n->args[i + 1].s;
		in->legacy_kv = !*n->args[i + 2].s;
		in->nkvs++;
	}
	return 1;
}

/* ---- the instructions ---- */

typedef int (*conv_fn)(struct instr_ctx *c, struct instr *in, struct flags *f);

static int conv_env(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	return flags_parse(c, f) && kvs_from(c, in, "ENV");
}

static int conv_label(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	return flags_parse(c, f) && kvs_from(c, in, "LABEL");
}

static int conv_maintainer(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "MAINTAINER") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int conv_workdir(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "WORKDIR") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int conv_user(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "USER") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int conv_stopsignal(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	(void)f; /* BuildKit parses no flags for STOPSIGNAL */
	if (!need_args(c, 1, 1, "STOPSIGNAL"))
		return 0;
	args_copy(c, in, c->node, 0);
	if (!strchr(in->args[0], '$') && !instr_valid_signal(in->args[0]))
		return instr_errat(c, c->node->args[0].line, c->node->args[0].col,
				   "invalid signal: %s", in->args[0]);
	return 1;
}

static int conv_cmd(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!flags_parse(c, f))
		return 0;
	args_cmdline(c, in, c->node, 0);
	return 1;
}

static int conv_shell(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!flags_parse(c, f))
		return 0;
	args_cmdline(c, in, c->node, 0);
	if (!in->nargs)
		return errkw(c, "SHELL requires at least one argument");
	if (!in->json)
		return instr_errat(c, c->node->rest_line, c->node->rest_col,
				   "SHELL requires the arguments to be in JSON form");
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conv_expose(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 0, "EXPOSE") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	qsort(in->args, in->nargs, sizeof(*in->args), cmp_str);
	return 1;
}

static int conv_volume(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	size_t i, start, len;

	if (!need_args(c, 1, 0, "VOLUME") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	in->json = c->node->json;
	for (i = 0; i < in->nargs; i++) {
		len = parse_trim_space(in->args[i], strlen(in->args[i]), &start);
		if (!len)
			return instr_errat(c, c->node->args[i].line, c->node->args[i].col,
					   "VOLUME specified can not be an empty string");
		if (start || in->args[i][len]) /* a copy: words are not written */
			in->args[i] = arena_strndup(c->a, in->args[i] + start, len);
	}
	return 1;
}

static int conv_arg(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	const struct pnode *n = c->node;
	size_t i;

	(void)f; /* BuildKit parses no flags for ARG */
	if (!need_args(c, 1, 0, "ARG"))
		return 0;
	in->kvs = arena_calloc(c->a, n->nargs, sizeof(*in->kvs));
	for (i = 0; i < n->nargs; i++) {
		const char *w = n->args[i].s, *eq = strchr(w, '=');
		struct kv *kv = &in->kvs[in->nkvs];
		if (eq == w)
			return instr_errat(c, n->args[i].line, n->args[i].col,
					   "ARG names can not be blank");
		kv->key = eq ? arena_strndup(c->a, w, (size_t)(eq - w)) : n->args[i].s;
		kv->value = eq ? n->args[i].s + (eq - w) + 1 : NULL;
		in->nkvs++;
	}
	return 1;
}

/* FROM's stage name rule: ^[a-z][a-z0-9-_.]*$ after lower-casing. */
static int valid_stage(const char *s)
{
	if (!(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '-' ||
		      *s == '_' || *s == '.'))
			return 0;
	return 1;
}

/* strings.EqualFold(s, "as"), where U+017F folds to 's'. */
static int is_as(const char *s)
{
	return (s[0] | 32) == 'a' && ((s[1] | 32) == 's' ? !s[2] : !strcmp(s + 1, "\xc5\xbf"));
}

static int conv_from(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct pnode *n = c->node;
	struct buf b = {0};
	char *name;

	if (n->nargs == 3 && is_as(n->args[1].s)) {
		name = lower_in(c, n->args[2].s);
		if (!valid_stage(name)) {
			instr_errat(
			    c, n->args[2].line, n->args[2].col,
			    "invalid name for build stage: %s, name can't start with a number or "
			    "contain symbols",
			    strconv_quote(&b, n->args[2].s));
			buf_free(&b);
			return 0;
		}
		in->stage_name = name;
	} else if (n->nargs != 1) {
		return errkw(c, "FROM requires either one or three arguments");
	}
	flag_add(f, "platform", F_STRING, "");
	if (!flags_parse(c, f))
		return 0;
	in->image = n->args[0].s; /* also args[0]: both are the arena's */
	in->platform = flag_str(c, f, "platform");
	args_copy(c, in, n, 0);
	return 1;
}

/* ---- COPY / ADD ---- */

/* parseSourcesAndDest: heredoc words become heredocs, the rest paths. */
static int sources(struct instr_ctx *c, struct instr *in, const char *what)
{
	struct pnode *n = c->node;
	struct pheredoc h;
	size_t i, k;
	int r;

	if (parse_heredoc_word(n->args[n->nargs - 1].s, &h)) {
		free(h.name);
		return instr_errat(c, n->args[n->nargs - 1].line, n->args[n->nargs - 1].col,
				   "%s cannot accept a heredoc as a destination", what);
	}
	in->args = arena_calloc(c->a, n->nargs + 1, sizeof(*in->args));
	for (i = 0; i < n->nargs; i++) {
		const char *content = NULL;
		if (i + 1 == n->nargs || !parse_heredoc_word(n->args[i].s, &h)) {
			in->args[in->nargs++] = n->args[i].s;
			continue;
		}
		for (k = n->nheredocs; k-- > 0;) {
			if (!strcmp(n->heredocs[k].name, h.name)) {
				content = n->heredocs[k].content;
				break;
			}
		}
		r = heredoc_add(c, in, &h, content);
		free(h.name);
		if (!r)
			return 0;
	}
	return 1;
}

static int valid_chmod(const char *s);

/* Checks dockerfile2llb makes on COPY/ADD before building anything. */
static int copy_checks(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct flag *fl;

	if (in->from && strchr(in->from, '$')) {
		fl = flag_get(f, "from");
		return instr_errat(
		    c, fl->line, fl->col,
		    "variable expansion is not supported for --from, define a new stage with "
		    "FROM using ARG from global scope as a workaround");
	}
	if (in->chmod && !strchr(in->chmod, '$') && !valid_chmod(in->chmod)) {
		fl = flag_get(f, "chmod");
		return instr_errat(
		    c, fl->line, fl->col,
		    "invalid chmod parameter: '%s'. it should be octal string and between 0 "
		    "and 07777",
		    in->chmod);
	}
	if (in->checksum && in->nargs != 2) {
		fl = flag_get(f, "checksum");
		return instr_errat(c, fl->line, fl->col,
				   "checksum can't be specified for multiple sources");
	}
	/* a local source has nothing to check against (BuildKit refuses it);
	 * a source with a variable is checked once expanded, by the runtime */
	if (in->checksum && in->nargs == 2 && !strchr(in->args[0], '$') &&
	    netsrc_kind(in->args[0]) == NETSRC_LOCAL) {
		fl = flag_get(f, "checksum");
		return instr_errat(c, fl->line, fl->col,
				   "checksum requires HTTP(S) or Git sources");
	}
	return 1;
}

/* The flag values COPY and ADD share. */
static void copy_fields(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct flag *ex = flag_get(f, "exclude");
	size_t i;

	in->chown = flag_str(c, f, "chown");
	in->chmod = flag_str(c, f, "chmod");
	in->link = flag_true(f, "link");
	in->excludes = arena_calloc(c->a, ex->values.n + 1, sizeof(*in->excludes));
	for (i = 0; i < ex->values.n; i++)
		in->excludes[i] = arena_strdup(c->a, ex->values.v[i]);
	in->nexcludes = ex->values.n;
}

static int conv_add(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct flag *fl;

	if (!need_args(c, 2, 0, "ADD"))
		return 0;
	flag_add(f, "chown", F_STRING, "");
	flag_add(f, "chmod", F_STRING, "");
	flag_add(f, "link", F_BOOL, "false");
	flag_add(f, "keep-git-dir", F_BOOL, "false");
	flag_add(f, "checksum", F_STRING, "");
	flag_add(f, "unpack", F_BOOL, "false");
	flag_add(f, "exclude", F_STRINGS, "");
	if (!flags_parse(c, f) || !sources(c, in, "ADD"))
		return 0;
	copy_fields(c, in, f);
	in->keep_git_dir = flag_true(f, "keep-git-dir");
	in->keep_git_dir_set = flag_get(f, "keep-git-dir")->used;
	in->checksum = flag_str(c, f, "checksum");
	fl = flag_get(f, "unpack");
	in->unpack = fl->used ? flag_true(f, "unpack") : -1;
	return copy_checks(c, in, f);
}

static int conv_copy(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 2, 0, "COPY"))
		return 0;
	flag_add(f, "chown", F_STRING, "");
	flag_add(f, "from", F_STRING, "");
	flag_add(f, "chmod", F_STRING, "");
	flag_add(f, "link", F_BOOL, "false");
	flag_add(f, "exclude", F_STRINGS, "");
	flag_add(f, "parents", F_BOOL, "false");
	if (!flags_parse(c, f) || !sources(c, in, "COPY"))
		return 0;
	copy_fields(c, in, f);
	in->from = flag_str(c, f, "from");
	in->parents = flag_true(f, "parents");
	in->unpack = -1;
	return copy_checks(c, in, f);
}

/* ---- RUN ---- */

/* The word of the i-th use of flag name (for error positions). */
static const struct pword *flag_word(const struct pnode *n, const char *name, size_t i)
{
	size_t k, len = strlen(name);

	for (k = 0; k < n->nflags; k++) {
		const char *s = n->flags[k].s;
		if (!strncmp(s, "--", 2) && !strncmp(s + 2, name, len) &&
		    (s[2 + len] == '=' || !s[2 + len]) && !i--)
			return &n->flags[k];
	}
	return &n->flags[0];
}

/* The RUN's options, made zeroed on the first use. */
static struct run_opts *run_opts(struct instr_ctx *c, struct instr *in)
{
	if (!in->opts)
		in->opts = arena_calloc(c->a, 1, sizeof(*in->opts));
	return in->opts;
}

static int conv_run(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct flag *mounts, *fl;
	char msg[sizeof(c->err->msg)];
	struct buf b = {0};
	size_t i;

	flag_add(f, "mount", F_STRINGS, "");
	flag_add(f, "network", F_STRING, "default");
	flag_add(f, "security", F_STRING, "sandbox");
	if (!flags_parse(c, f))
		return 0;
	args_cmdline(c, in, c->node, 0);
	if (!heredocs_all(c, in, c->node))
		return 0;
	mounts = flag_get(f, "mount");
	/* none for most RUNs: a zeroed spare mount each was a megabyte of
	 * pages for a big file; mount_parse fills each one */
	if (mounts->values.n)
		in->mounts = arena_alloc(c->a, mounts->values.n * sizeof(*in->mounts));
	for (i = 0; i < mounts->values.n; i++) {
		const struct pword *w = flag_word(c->node, "mount", i);
		if (mount_parse(mounts->values.v[i], NULL, NULL, &in->mounts[i], msg, sizeof(msg)))
			return instr_errat(c, w->line, w->col, "%s", msg);
		mount_keep(&in->mounts[i], c->a);
		in->mounts[i].loc = (struct loc){c->path, w->line, w->col, c->node->end_line};
		in->nmounts++;
	}
	fl = flag_get(f, "network");
	if (strcmp(fl->value, "default") && strcmp(fl->value, "none") &&
	    strcmp(fl->value, "host")) {
		instr_errat(c, fl->line, fl->col, "invalid network mode %s",
			    strconv_quote(&b, fl->value));
		buf_free(&b);
		return 0;
	}
	if (fl->used)
		*run_opts(c, in) = (struct run_opts){.network = arena_strdup(c->a, fl->value),
						     .network_line = fl->line,
						     .network_col = fl->col};
	fl = flag_get(f, "security");
	if (strcmp(fl->value, "sandbox") && strcmp(fl->value, "insecure")) {
		instr_errat(c, fl->line, fl->col, "security %s is not valid",
			    strconv_quote(&b, fl->value));
		buf_free(&b);
		return 0;
	}
	if (fl->used) {
		struct run_opts *o = run_opts(c, in);
		o->security = arena_strdup(c->a, fl->value);
		o->security_line = fl->line, o->security_col = fl->col;
	}
	return 1;
}

/* ---- HEALTHCHECK ---- */

/* parseOptInterval: a duration flag, 0 or at least 1ms. */
static int hc_duration(struct instr_ctx *c, struct flags *f, const char *name, long long *out)
{
	struct flag *fl = flag_get(f, name);
	struct buf msg = {0};

	*out = 0;
	if (!*fl->value)
		return 1;
	if (!strconv_duration(fl->value, out, &msg)) {
		instr_errat(c, fl->line, fl->col, "%s", msg.s);
		buf_free(&msg);
		return 0;
	}
	if (*out != 0 && *out < 1000000)
		return instr_errat(c, fl->line, fl->col, "Interval \"%s\" cannot be less than 1ms",
				   name);
	return 1;
}

static int conv_healthcheck(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	struct pnode *n = c->node;
	struct buf b = {0};
	struct flag *fl;
	long long r;
	char *typ;

	if (!need_args(c, 1, 0, "HEALTHCHECK"))
		return 0;
	typ = parse_upper(n->args[0].s);
	if (!strcmp(typ, "NONE")) {
		free(typ);
		if (n->nargs > 1)
			return errkw(c, "HEALTHCHECK NONE takes no arguments");
		in->hc_none = 1;
		return 1;
	}
	flag_add(f, "interval", F_STRING, "");
	flag_add(f, "timeout", F_STRING, "");
	flag_add(f, "start-period", F_STRING, "");
	flag_add(f, "start-interval", F_STRING, "");
	flag_add(f, "retries", F_STRING, "");
	if (!flags_parse(c, f)) {
		free(typ);
		return 0;
	}
	if (strcmp(typ, "CMD")) {
		instr_errat(c, n->args[0].line, n->args[0].col,
			    "Unknown type %s in HEALTHCHECK (try CMD)", strconv_quote(&b, typ));
		free(typ);
		buf_free(&b);
		return 0;
	}
	free(typ);
	args_cmdline(c, in, n, 1);
	if (!in->nargs)
		return errkw(c, "Missing command after HEALTHCHECK CMD");
	in->hc = arena_calloc(c->a, 1, sizeof(*in->hc));
	if (!hc_duration(c, f, "interval", &in->hc->interval) ||
	    !hc_duration(c, f, "timeout", &in->hc->timeout) ||
	    !hc_duration(c, f, "start-period", &in->hc->start_period) ||
	    !hc_duration(c, f, "start-interval", &in->hc->start_interval))
		return 0;
	fl = flag_get(f, "retries");
	if (*fl->value) {
		if (!strconv_int(fl->value, 32, &r, &b)) {
			instr_errat(c, fl->line, fl->col, "%s", b.s);
			buf_free(&b);
			return 0;
		}
		if (r < 0)
			return instr_errat(c, fl->line, fl->col,
					   "--retries cannot be negative (%lld)", r);
		in->hc->retries = (int)r;
	}
	return 1;
}

/* ---- ONBUILD ---- */

/* The trigger as BuildKit parses it when it fires (a one-line Dockerfile),
 * located at the ONBUILD; NULL when it does not parse. */
/* A trigger was parsed from its own text, so the places of its flags
 * are in that text: errors about them point at the trigger instead. */
static void trigger_relocate(struct instr *in)
{
	if (in->kind != I_RUN)
		return;
	if (in->opts) {
		in->opts->network_line = in->opts->security_line = in->loc.line;
		in->opts->network_col = in->opts->security_col = in->loc.col;
	}
	for (size_t i = 0; i < in->nmounts; i++)
		in->mounts[i].loc = in->loc;
}

static struct instr *trigger_parse(struct instr_ctx *oc, const char *text, const struct pnode *at)
{
	struct df_error err;
	struct ptree *t = parse_tree_in(oc->path, text, strlen(text), '\\', &err, oc->a);
	struct instr_ctx c = {oc->path, &err, NULL, oc->a};
	struct instr *in = NULL;

	if (t && t->nnodes == 1) {
		in = arena_alloc(c.a, sizeof(*in));
		if (instr_convert(&c, &t->nodes[0], in)) {
			in->loc =
			    (struct loc){c.path, at->child->line, at->child->col, at->end_line};
			trigger_relocate(in);
		} else {
			instr_clear(in); /* its strings stay in the arena */
			in = NULL;
		}
	}
	parse_free(t);
	return in;
}

/* The trigger text: the line without "ONBUILD", heredocs appended. */
static char *onbuild_expr(struct instr_ctx *c, const struct pnode *n)
{
	const char *s = n->original;
	struct buf b = {0};
	size_t i;

	while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\f' || *s == '\r')
		s++;
	if (!strncasecmp(s, "onbuild", 7)) {
		s += 7;
		while (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\f' || *s == '\r')
			s++;
	} else {
		s = n->original;
	}
	buf_adds(&b, s);
	for (i = 0; i < n->nheredocs; i++) {
		buf_addc(&b, '\n');
		buf_adds(&b, n->heredocs[i].content ? n->heredocs[i].content : "");
		buf_adds(&b, n->heredocs[i].name);
	}
	return buf_to_arena(c, &b);
}

static int conv_onbuild(struct instr_ctx *c, struct instr *in, struct flags *f)
{
	const struct pnode *n = c->node;
	size_t start, len;
	char *trig, *kw;

	if (!n->child)
		return errkw(c, "ONBUILD requires at least one argument");
	if (!flags_parse(c, f))
		return 0;
	len = parse_trim_space(n->child->keyword, strlen(n->child->keyword), &start);
	kw = xstrndup(n->child->keyword + start, len);
	trig = parse_upper(kw);
	free(kw);
	if (!strcmp(trig, "ONBUILD")) {
		free(trig);
		return instr_errat(c, n->child->line, n->child->col,
				   "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	}
	if (!strcmp(trig, "MAINTAINER") || !strcmp(trig, "FROM")) {
		instr_errat(c, n->child->line, n->child->col,
			    "%s isn't allowed as an ONBUILD trigger", trig);
		free(trig);
		return 0;
	}
	free(trig);
	in->nargs = 1;
	in->args = arena_calloc(c->a, 2, sizeof(*in->args));
	in->args[0] = onbuild_expr(c, n);
	in->inner = trigger_parse(c, in->args[0], n);
	return 1;
}

/* ---- dispatch ---- */

/* By kind, as parse_keyword gives it. */
static const struct conv {
	const char *name; /* lower case */
	conv_fn fn;
} convs[] = {
    [I_ADD] = {"add", conv_add},
    [I_ARG] = {"arg", conv_arg},
    [I_CMD] = {"cmd", conv_cmd},
    [I_COPY] = {"copy", conv_copy},
    [I_ENTRYPOINT] = {"entrypoint", conv_cmd},
    [I_ENV] = {"env", conv_env},
    [I_EXPOSE] = {"expose", conv_expose},
    [I_FROM] = {"from", conv_from},
    [I_HEALTHCHECK] = {"healthcheck", conv_healthcheck},
    [I_LABEL] = {"label", conv_label},
    [I_MAINTAINER] = {"maintainer", conv_maintainer},
    [I_ONBUILD] = {"onbuild", conv_onbuild},
    [I_RUN] = {"run", conv_run},
    [I_SHELL] = {"shell", conv_shell},
    [I_STOPSIGNAL] = {"stopsignal", conv_stopsignal},
    [I_USER] = {"user", conv_user},
    [I_VOLUME] = {"volume", conv_volume},
    [I_WORKDIR] = {"workdir", conv_workdir},
};

/* ParseInstruction: one node to a typed instruction. The reader has
 * looked the keyword up (n->kind). */
int instr_convert(struct instr_ctx *c, struct pnode *n, struct instr *in)
{
	struct flags f = {0};
	int ok;

	memset(in, 0, sizeof(*in));
	in->unpack = -1;
	in->loc = (struct loc){c->path, n->line, n->col, n->end_line};
	c->node = n;
	if (n->kind < 0) {
		const char *opts[LEN(names)];
		size_t i;
		for (i = 0; i < LEN(names); i++)
			opts[i] = names[i];
		errkw(c, "unknown instruction: %s", n->keyword);
		suggest_append(c->err->msg, sizeof(c->err->msg), n->keyword, opts, LEN(opts), 0);
		return 0;
	}
	in->kind = (unsigned char)n->kind;
	ok = convs[in->kind].fn(c, in, &f);
	in->original = n->original;
	flags_free(&f);
	return ok;
}

/* ---- sizes and freeing ---- */

/* The end of field f of struct instr. */
#define INSTR_END(f) (offsetof(struct instr, f) + sizeof(((struct instr *)NULL)->f))

size_t instr_size(int kind)
{
	switch (kind) {
	case I_FROM:
		return INSTR_END(platform);
	case I_COPY:
	case I_ADD:
		return INSTR_END(nexcludes);
	case I_RUN:
		return INSTR_END(nmounts);
	case I_ONBUILD:
		return INSTR_END(inner);
	case I_HEALTHCHECK:
		return INSTR_END(hc);
	default:
		return offsetof(struct instr, image); /* the union is the last field */
	}
}

/* The heredoc array is malloc'd (grown by doubling); the mounts and
 * their strings are the arena's (mount_keep). */
void instr_clear(struct instr *in)
{
	size_t size = instr_size(in->kind);

	if (in->kind == I_RUN || in->kind == I_COPY || in->kind == I_ADD)
		free(in->heredocs); /* else the union's kvs, in the arena */
	if (in->kind == I_ONBUILD && in->inner)
		instr_clear(in->inner);
	memset(in, 0, size);
}

struct instr *instr_parse_trigger(const char *text, const struct loc *loc, char escape,
				  struct arena *a, struct diags *dg)
{
	struct df_error err;
	struct instr *in = arena_calloc(a, 1, sizeof(*in));
	struct ptree *t = parse_tree_in(loc->file, text, strlen(text), escape, &err, a);
	struct instr_ctx c = {loc->file, &err, NULL, a};

	if (t && t->nnodes != 1) {
		parse_free(t);
		t = NULL;
		snprintf(err.msg, sizeof(err.msg), "invalid ONBUILD trigger: %s", text);
	}
	if (!t || !instr_convert(&c, &t->nodes[0], in)) {
		parse_free(t);
		instr_clear(in); /* what convert made outside the arena */
		diag_error(dg, loc, "%s", err.msg);
		return NULL;
	}
	parse_free(t);
	in->loc = *loc;
	trigger_relocate(in);
	return in;
}

/* ---- --chmod and STOPSIGNAL syntax ---- */

/* Octal up to 07777, or chmod(1)-style symbolic modes: [ugoa]*([-+=]([rwxXst]*|[ugo]))+
 * clauses separated by commas. */
static int valid_chmod(const char *s)
{
	long n = strconv_uint32(s, 8);
	const char *p = s;

	if (n >= 0)
		return n <= 07777;
	if (!*p)
		return 0;
	for (;;) {
		while (*p && strchr("ugoa", *p))
			p++;
		if (!*p || !strchr("+-=", *p))
			return 0;
		while (*p && strchr("+-=", *p)) {
			p++;
			if (*p && strchr("ugo", *p))
				p++;
			else
				while (*p && strchr("rwxXst", *p))
					p++;
		}
		if (!*p)
			return 1;
		if (*p++ != ',')
			return 0;
	}
}

/* moby/sys/signal.ParseSignal for Linux: a non-zero number or a name. */
int instr_valid_signal(const char *s)
{
	static const char *const sigs[] = {
	    "ABRT", "ALRM",   "BUS",  "CHLD",	"CLD",	 "CONT", "FPE",	 "HUP",	  "ILL",
	    "INT",  "IO",     "IOT",  "KILL",	"PIPE",	 "POLL", "PROF", "PWR",	  "QUIT",
	    "SEGV", "STKFLT", "STOP", "SYS",	"TERM",	 "TRAP", "TSTP", "TTIN",  "TTOU",
	    "URG",  "USR1",   "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN", "RTMAX"};
	struct buf msg = {0};
	long long n;
	char *up;
	const char *name;
	size_t i;
	int ok = 0;

	if (strconv_int(s, 64, &n, &msg)) {
		buf_free(&msg);
		return n != 0;
	}
	buf_free(&msg);
	up = parse_upper(s);
	name = !strncmp(up, "SIG", 3) ? up + 3 : up;
	for (i = 0; i < LEN(sigs); i++)
		ok |= !strcmp(name, sigs[i]);
	if (!strncmp(name, "RTMIN+", 6) || !strncmp(name, "RTMAX-", 6)) {
		long k = strconv_uint32(name + 6, 10);
		ok = k >= 1 && k <= (name[3] == 'I' ? 15 : 14) && name[6] != '0';
	}
	free(up);
	return ok;
}
