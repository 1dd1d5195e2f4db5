/* Typed instructions from the reader's syntax tree, validated as BuildKit
 * validates them (frontend/dockerfile/instructions: bflag.go, parse.go,
 * commands_runmount.go, plus the checks dockerfile2llb makes before it
 * runs anything: --from without variables, --chmod syntax, signal names).
 * Error texts are BuildKit's, so users can search for them. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "fsutil.h"
#include "input.h"
#include "instr.h"
#include "parse.h"
#include "util.h"

/* ---- diagnostics ---- */

/* Texts parsed from memory, kept so diagnostics can show their lines. */
struct source {
	char *path;
	char *text;
	size_t len;
	struct source *next;
};
static struct source *kept_sources;

/* Remembers text as the content of path (latest wins). */
static void source_keep(const char *path, const char *text, size_t len)
{
	struct source *s = xcalloc(1, sizeof(*s));

	s->path = xstrdup(path);
	s->text = xmalloc(len + 1);
	memcpy(s->text, text, len);
	s->text[len] = '\0';
	s->len = len;
	s->next = kept_sources;
	kept_sources = s;
}

/* The most of one source line an error shows. */
#define SOURCE_SHOW_MAX 1024

/* Prints line `line` of the text and a caret under column col. */
static void source_show(const char *text, size_t len, int line, int col)
{
	const char *p = text, *end = text + len, *nl;
	int i;

	for (i = 1; i < line && p < end; i++) {
		nl = memchr(p, '\n', (size_t)(end - p));
		p = nl ? nl + 1 : end;
	}
	if (p >= end)
		return;
	nl = memchr(p, '\n', (size_t)(end - p));
	len = nl ? (size_t)(nl - p) : (size_t)(end - p);
	if (len && p[len - 1] == '\r')
		len--;
	/* a binary file given as the Dockerfile has "lines" of megabytes:
	 * show the start of the offending line only */
	int cut = len > SOURCE_SHOW_MAX;
	if (cut)
		len = SOURCE_SHOW_MAX;
	fprintf(stderr, "%.*s%s\n", (int)len, p, cut ? " ..." : "");
	for (i = 0; i < col - 1 && (size_t)i < len; i++)
		fputc(p[i] == '\t' ? '\t' : ' ', stderr);
	fputs("^\n", stderr);
}

/* Shows the source line of loc from the remembered text or the file. */
static void loc_show(const struct loc *loc)
{
	struct source *s;
	struct error e = {0};
	char *text = NULL;
	size_t len;

	if (!loc || !loc->file || loc->line < 1)
		return;
	for (s = kept_sources; s; s = s->next) {
		if (!strcmp(s->path, loc->file)) {
			source_show(s->text, s->len, loc->line, loc->col);
			return;
		}
	}
	/* a file not kept (say, an ignore file) is read again, as an input */
	if (input_read(loc->file, INPUT_MAX, &text, &len, &e) == 0)
		source_show(text, len, loc->line, loc->col);
	free(text);
}

/* The "FILE:LINE:COL: KIND: MSG" line. */
static void loc_vprint(const struct loc *loc, const char *kind, const char *fmt, va_list ap)
{
	if (loc && loc->file)
		fprintf(stderr, "%s:%d:%d: %s: ", loc->file, loc->line, loc->col, kind);
	else
		fprintf(stderr, "%s: %s: ", argv0, kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void loc_fatal(const struct loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loc_vprint(loc, "error", fmt, ap);
	va_end(ap);
	loc_show(loc);
	exit(1);
}

void loc_warn(const struct loc *loc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loc_vprint(loc, "warning", fmt, ap);
	va_end(ap);
	loc_show(loc);
}

/* Prints through a va_list-taking helper so the message is not a format. */
static void loc_print_msg(const struct loc *loc, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void loc_print_msg(const struct loc *loc, const char *kind, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	loc_vprint(loc, kind, fmt, ap);
	va_end(ap);
}

void df_error_print(const struct df_error *err)
{
	loc_print_msg(&err->loc, "error", "%s", err->msg);
	loc_show(&err->loc);
}

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

struct ctx {
	const char *path;
	struct df_error *err;
	struct pnode *node; /* its words' text (in a) is kept, not copied */
	struct arena *a;    /* the instructions' strings and arrays */
};

/* Fills the error at line:col; returns 0. */
static int errat(struct ctx *c, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int errat(struct ctx *c, int line, int col, const char *fmt, ...)
{
	va_list ap;

	c->err->loc = (struct loc){c->path, line, col, c->node ? c->node->end_line : line};
	va_start(ap, fmt);
	vsnprintf(c->err->msg, sizeof(c->err->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* An error at the instruction's keyword. */
#define errkw(c, ...) errat((c), (c)->node->line, (c)->node->col, __VA_ARGS__)

/* Go's strconv.Quote of s into a static-lifetime buffer owned by b. */
static const char *q(struct buf *b, const char *s)
{
	buf_reset(b);
	parse_quote(b, s, strlen(s));
	return b->s;
}

/* Levenshtein distance (agext/levenshtein with unit costs), over bytes. */
static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), i, j, *row, prev, tmp, best;

	row = xcalloc(lb + 1, sizeof(*row));
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	best = row[lb];
	free(row);
	return best;
}

/* suggest.WrapError: appends " (did you mean X?)" to msg when an option is
 * within edit distance 2 and none matches exactly. Ties go to the first
 * option in the (sorted) list, where BuildKit's map order is random. */
static void suggest(char *msg, size_t size, const char *val, const char *const *opts, size_t n,
		    int case_sensitive)
{
	char *v = case_sensitive ? xstrdup(val) : parse_lower(val), *o, *match = NULL;
	size_t i, d, best = 3, len;

	for (i = 0; i < n; i++) {
		o = case_sensitive ? xstrdup(opts[i]) : parse_lower(opts[i]);
		if (!strcmp(v, o)) {
			free(o);
			free(match);
			free(v);
			return;
		}
		d = levenshtein(v, o);
		if (d < best) {
			best = d;
			free(match);
			match = o;
		} else {
			free(o);
		}
	}
	if (match && !case_sensitive) {
		/* matchCase: follow the case of what the user wrote */
		char *low = parse_lower(val), *up = parse_upper(val);
		if (strcmp(val, low) && !strcmp(val, up)) {
			o = parse_upper(match);
			free(match);
			match = o;
		}
		free(low);
		free(up);
	}
	if (match) {
		len = strlen(msg);
		snprintf(msg + len, size - len, " (did you mean %s?)", match);
	}
	free(match);
	free(v);
}

/* ---- Go's number parsers ---- */

/* strconv.ParseUint(s, base, 32) for base 8 or 10; -1 on error. */
static long parse_uint32(const char *s, int base)
{
	unsigned long long n = 0;

	if (!*s)
		return -1;
	for (; *s; s++) {
		int d = *s - '0';
		if (*s < '0' || d >= base)
			return -1;
		n = n * (unsigned)base + (unsigned)d;
		if (n > UINT32_MAX)
			return -1;
	}
	return (long)n;
}

/* strconv.ParseBool; -1 on error. */
static int parse_bool(const char *s)
{
	static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
	static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
	size_t i;

	for (i = 0; i < LEN(t); i++) {
		if (!strcmp(s, t[i]))
			return 1;
		if (!strcmp(s, f[i]))
			return 0;
	}
	return -1;
}

/* strconv.ParseInt(s, 10, bits); returns 0 and msg on error. */
static int parse_int(const char *s, int bits, long long *out, struct buf *msg)
{
	const char *p = s;
	unsigned long long n = 0, lim = 1ULL << (bits - 1);
	int neg = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		goto syntax;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			goto syntax;
		if (n <= lim)
			n = n * 10 + (unsigned)(*p - '0');
	}
	if (n > lim || (!neg && n == lim)) {
		buf_printf(msg, "strconv.ParseInt: parsing ");
		parse_quote(msg, s, strlen(s));
		buf_adds(msg, ": value out of range");
		return 0;
	}
	*out = neg ? -(long long)n : (long long)n;
	return 1;
syntax:
	buf_printf(msg, "strconv.ParseInt: parsing ");
	parse_quote(msg, s, strlen(s));
	buf_adds(msg, ": invalid syntax");
	return 0;
}

/* time.ParseDuration's "time: invalid duration" family. */
static int dur_err(struct buf *msg, const char *what, const char *unit, const char *orig)
{
	buf_printf(msg, "time: %s ", what);
	if (unit) {
		parse_quote(msg, unit, strlen(unit));
		buf_adds(msg, " in duration ");
	}
	parse_quote(msg, orig, strlen(orig));
	return 0;
}

/* One unit of a duration; 0 if unknown. */
static unsigned long long dur_unit(const char *u, size_t n)
{
	static const struct {
		const char *name;
		unsigned long long ns;
	} units[] = {
	    {"ns", 1ULL},	    {"us", 1000ULL},	     {"\xc2\xb5s", 1000ULL},
	    {"\xce\xbcs", 1000ULL}, {"ms", 1000000ULL},	     {"s", 1000000000ULL},
	    {"m", 60000000000ULL},  {"h", 3600000000000ULL},
	};
	size_t i;

	for (i = 0; i < LEN(units); i++)
		if (strlen(units[i].name) == n && !memcmp(units[i].name, u, n))
			return units[i].ns;
	return 0;
}

/* time.ParseDuration into nanoseconds; 0 with msg on error. */
static int parse_duration(const char *orig, long long *out, struct buf *msg)
{
	const unsigned long long max = 1ULL << 63;
	const char *s = orig;
	unsigned long long d = 0, v, f, unit;
	double scale;
	int neg = 0, pre, post, overflow;
	size_t i;

	if (*s == '-' || *s == '+')
		neg = *s++ == '-';
	if (!strcmp(s, "0")) {
		*out = 0;
		return 1;
	}
	if (!*s)
		return dur_err(msg, "invalid duration", NULL, orig);
	while (*s) {
		if (!(*s == '.' || (*s >= '0' && *s <= '9')))
			return dur_err(msg, "invalid duration", NULL, orig);
		for (v = 0, pre = 0; *s >= '0' && *s <= '9'; s++, pre = 1) {
			if (v > max / 10)
				return dur_err(msg, "invalid duration", NULL, orig);
			v = v * 10 + (unsigned)(*s - '0');
			if (v > max)
				return dur_err(msg, "invalid duration", NULL, orig);
		}
		f = 0;
		scale = 1;
		post = 0;
		if (*s == '.') {
			for (s++, overflow = 0; *s >= '0' && *s <= '9'; s++, post = 1) {
				if (overflow || f > (max - 1) / 10) {
					overflow = 1;
					continue;
				}
				f = f * 10 + (unsigned)(*s - '0');
				scale *= 10;
			}
		}
		if (!pre && !post)
			return dur_err(msg, "invalid duration", NULL, orig);
		for (i = 0; s[i] && s[i] != '.' && !(s[i] >= '0' && s[i] <= '9'); i++)
			;
		if (!i)
			return dur_err(msg, "missing unit in duration", NULL, orig);
		unit = dur_unit(s, i);
		if (!unit) {
			char *u = xstrndup(s, i);
			dur_err(msg, "unknown unit", u, orig);
			free(u);
			return 0;
		}
		s += i;
		if (v > max / unit)
			return dur_err(msg, "invalid duration", NULL, orig);
		v *= unit;
		if (f > 0) {
			v += (unsigned long long)((double)f * ((double)unit / scale));
			if (v > max)
				return dur_err(msg, "invalid duration", NULL, orig);
		}
		d += v;
		if (d > max)
			return dur_err(msg, "invalid duration", NULL, orig);
	}
	if (neg) {
		*out = d == max ? LLONG_MIN : -(long long)d;
		return 1;
	}
	if (d > max - 1)
		return dur_err(msg, "invalid duration", NULL, orig);
	*out = (long long)d;
	return 1;
}

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
static int flag_use(struct ctx *c, struct flag *fl, const struct pword *w, const char *fname,
		    const char *eq)
{
	const char *value = eq ? eq + 1 : "";
	char *lower;

	if (fl->used && fl->type != F_STRINGS)
		return errat(c, w->line, w->col, "duplicate flag specified: %s", fname);
	fl->used = 1;
	fl->line = w->line;
	fl->col = w->col;
	if (fl->type != F_BOOL) {
		if (!eq)
			return errat(c, w->line, w->col, "missing a value on flag: %s", fname);
		fl->value = value;
		if (fl->type == F_STRINGS)
			strlist_add(&fl->values, value);
		return 1;
	}
	if (eq && !*value)
		return errat(c, w->line, w->col, "missing a value on flag: %s", fname);
	lower = parse_lower(value);
	if (*lower && strcmp(lower, "true") && strcmp(lower, "false")) {
		free(lower);
		return errat(c, w->line, w->col, "expecting boolean value for flag %s, not: %s",
			     fname, value);
	}
	fl->value = strcmp(lower, "false") ? "true" : "false";
	free(lower);
	return 1;
}

/* BFlags.Parse over the node's flags. */
static int flags_parse(struct ctx *c, struct flags *f)
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
			ok = errat(c, w->line, w->col, "arg should start with -- : %s", w->s);
		} else if (!strcmp(w->s, "--")) {
			if (fname != small)
				free(fname);
			break;
		} else if (!(fl = flag_get(f, fname + 2))) {
			for (k = 0; k < f->n; k++)
				opts[k] = f->v[k].name;
			ok = errat(c, w->line, w->col, "unknown flag: %s", fname);
			suggest(c->err->msg, sizeof(c->err->msg), fname + 2, opts, f->n, 1);
		} else {
			ok = flag_use(c, fl, w, fname, eq);
		}
		if (fname != small)
			free(fname);
	}
	return ok;
}

/* A copy of the flag's value, NULL when it was not given or is empty. */
static char *flag_str(struct ctx *c, struct flags *f, const char *name)
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
static void args_copy(struct ctx *c, struct instr *in, struct pnode *n, size_t from)
{
	size_t i;

	in->nargs = n->nargs > from ? n->nargs - from : 0;
	in->args = arena_calloc(c->a, in->nargs + 1, sizeof(*in->args));
	for (i = 0; i < in->nargs; i++)
		in->args[i] = n->args[from + i].s;
}

/* A copy of b's text in the arena; b is freed. */
static char *buf_to_arena(struct ctx *c, struct buf *b)
{
	char *s = arena_strndup(c->a, b->s ? b->s : "", b->len);

	buf_free(b);
	return s;
}

/* Go's strings.ToLower(s), in the arena. */
static char *lower_in(struct ctx *c, const char *s)
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
static void args_cmdline(struct ctx *c, struct instr *in, struct pnode *n, size_t from)
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
static int need_args(struct ctx *c, size_t min, size_t max, const char *what)
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
static char *chomp(struct ctx *c, const char *s)
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

/* Appends a typed heredoc built from the parser's. */
static void heredoc_add(struct ctx *c, struct instr *in, const struct pheredoc *h,
			const char *content)
{
	struct heredoc *d;

	in->heredocs = xreallocarray(in->heredocs, in->nheredocs + 1, sizeof(*in->heredocs));
	d = &in->heredocs[in->nheredocs++];
	d->name = arena_strdup(c->a, h->name);
	content = content ? content : "";
	d->content = h->chomp ? chomp(c, content) : arena_strdup(c->a, content);
	d->expand = h->expand;
	d->chomp = h->chomp;
	d->fd = h->fd;
}

/* All of the node's heredocs (RUN). */
static void heredocs_all(struct ctx *c, struct instr *in, const struct pnode *n)
{
	size_t i;

	for (i = 0; i < n->nheredocs; i++)
		heredoc_add(c, in, &n->heredocs[i], n->heredocs[i].content);
}

/* parseKvps: ENV and LABEL triples. */
static int kvs_from(struct ctx *c, struct instr *in, const char *what)
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
			return errat(c, n->args[i].line, n->args[i].col,
				     "%s names can not be blank", what);
		kv->key = n->args[i].s;
		kv->value = n->args[i + 1].s;
		kv->has_value = 1;
		kv->loc = (struct loc){c->path, n->args[i].line, n->args[i].col, n->end_line};
		in->legacy_kv = !*n->args[i + 2].s;
		in->nkvs++;
	}
	return 1;
}

/* ---- the instructions ---- */

typedef int (*conv_fn)(struct ctx *c, struct instr *in, struct flags *f);

static int conv_env(struct ctx *c, struct instr *in, struct flags *f)
{
	return flags_parse(c, f) && kvs_from(c, in, "ENV");
}

static int conv_label(struct ctx *c, struct instr *in, struct flags *f)
{
	return flags_parse(c, f) && kvs_from(c, in, "LABEL");
}

static int conv_maintainer(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "MAINTAINER") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int conv_workdir(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "WORKDIR") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int conv_user(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 1, "USER") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	return 1;
}

static int valid_signal(const char *s);

static int conv_stopsignal(struct ctx *c, struct instr *in, struct flags *f)
{
	(void)f; /* BuildKit parses no flags for STOPSIGNAL */
	if (!need_args(c, 1, 1, "STOPSIGNAL"))
		return 0;
	args_copy(c, in, c->node, 0);
	if (!strchr(in->args[0], '$') && !valid_signal(in->args[0]))
		return errat(c, c->node->args[0].line, c->node->args[0].col, "invalid signal: %s",
			     in->args[0]);
	return 1;
}

static int conv_cmd(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!flags_parse(c, f))
		return 0;
	args_cmdline(c, in, c->node, 0);
	return 1;
}

static int conv_shell(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!flags_parse(c, f))
		return 0;
	args_cmdline(c, in, c->node, 0);
	if (!in->nargs)
		return errkw(c, "SHELL requires at least one argument");
	if (!in->json)
		return errat(c, c->node->rest_line, c->node->rest_col,
			     "SHELL requires the arguments to be in JSON form");
	return 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int conv_expose(struct ctx *c, struct instr *in, struct flags *f)
{
	if (!need_args(c, 1, 0, "EXPOSE") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	qsort(in->args, in->nargs, sizeof(*in->args), cmp_str);
	return 1;
}

static int conv_volume(struct ctx *c, struct instr *in, struct flags *f)
{
	size_t i, start, len;

	if (!need_args(c, 1, 0, "VOLUME") || !flags_parse(c, f))
		return 0;
	args_copy(c, in, c->node, 0);
	in->json = c->node->json;
	for (i = 0; i < in->nargs; i++) {
		len = parse_trim_space(in->args[i], strlen(in->args[i]), &start);
		if (!len)
			return errat(c, c->node->args[i].line, c->node->args[i].col,
				     "VOLUME specified can not be an empty string");
		memmove(in->args[i], in->args[i] + start, len);
		in->args[i][len] = '\0';
	}
	return 1;
}

static int conv_arg(struct ctx *c, struct instr *in, struct flags *f)
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
			return errat(c, n->args[i].line, n->args[i].col,
				     "ARG names can not be blank");
		kv->key = eq ? arena_strndup(c->a, w, (size_t)(eq - w)) : n->args[i].s;
		kv->value = eq ? n->args[i].s + (eq - w) + 1 : NULL;
		kv->has_value = eq != NULL;
		kv->loc = (struct loc){c->path, n->args[i].line, n->args[i].col, n->end_line};
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

static int conv_from(struct ctx *c, struct instr *in, struct flags *f)
{
	struct pnode *n = c->node;
	struct buf b = {0};
	char *name;

	if (n->nargs == 3 && is_as(n->args[1].s)) {
		name = lower_in(c, n->args[2].s);
		if (!valid_stage(name)) {
			errat(c, n->args[2].line, n->args[2].col,
			      "invalid name for build stage: %s, name can't start with a number or "
			      "contain symbols",
			      q(&b, n->args[2].s));
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
static int sources(struct ctx *c, struct instr *in, const char *what)
{
	struct pnode *n = c->node;
	struct pheredoc h;
	size_t i, k;

	if (parse_heredoc_word(n->args[n->nargs - 1].s, &h)) {
		free(h.name);
		return errat(c, n->args[n->nargs - 1].line, n->args[n->nargs - 1].col,
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
		heredoc_add(c, in, &h, content);
		free(h.name);
	}
	return 1;
}

static int valid_chmod(const char *s);

/* Checks dockerfile2llb makes on COPY/ADD before building anything. */
static int copy_checks(struct ctx *c, struct instr *in, struct flags *f)
{
	struct flag *fl;

	if (in->from && strchr(in->from, '$')) {
		fl = flag_get(f, "from");
		return errat(
		    c, fl->line, fl->col,
		    "variable expansion is not supported for --from, define a new stage with "
		    "FROM using ARG from global scope as a workaround");
	}
	if (in->chmod && !strchr(in->chmod, '$') && !valid_chmod(in->chmod)) {
		fl = flag_get(f, "chmod");
		return errat(
		    c, fl->line, fl->col,
		    "invalid chmod parameter: '%s'. it should be octal string and between 0 "
		    "and 07777",
		    in->chmod);
	}
	if (in->checksum && in->nargs != 2) {
		fl = flag_get(f, "checksum");
		return errat(c, fl->line, fl->col,
			     "checksum can't be specified for multiple sources");
	}
	return 1;
}

/* The flag values COPY and ADD share. */
static void copy_fields(struct ctx *c, struct instr *in, struct flags *f)
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

static int conv_add(struct ctx *c, struct instr *in, struct flags *f)
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
	in->checksum = flag_str(c, f, "checksum");
	fl = flag_get(f, "unpack");
	in->unpack = fl->used ? flag_true(f, "unpack") : -1;
	return copy_checks(c, in, f);
}

static int conv_copy(struct ctx *c, struct instr *in, struct flags *f)
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

static int conv_run(struct ctx *c, struct instr *in, struct flags *f)
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
	heredocs_all(c, in, c->node);
	mounts = flag_get(f, "mount");
	/* none for most RUNs: a zeroed spare mount each was a megabyte of
	 * pages for a big file; mount_parse fills each one */
	if (mounts->values.n)
		in->mounts = arena_alloc(c->a, mounts->values.n * sizeof(*in->mounts));
	for (i = 0; i < mounts->values.n; i++) {
		const struct pword *w = flag_word(c->node, "mount", i);
		if (mount_parse(mounts->values.v[i], NULL, NULL, &in->mounts[i], msg, sizeof(msg)))
			return errat(c, w->line, w->col, "%s", msg);
		in->mounts[i].loc = (struct loc){c->path, w->line, w->col, c->node->end_line};
		in->nmounts++;
	}
	fl = flag_get(f, "network");
	if (strcmp(fl->value, "default") && strcmp(fl->value, "none") &&
	    strcmp(fl->value, "host")) {
		errat(c, fl->line, fl->col, "invalid network mode %s", q(&b, fl->value));
		buf_free(&b);
		return 0;
	}
	in->network = fl->used ? arena_strdup(c->a, fl->value) : NULL;
	in->network_line = fl->line, in->network_col = fl->col;
	fl = flag_get(f, "security");
	if (strcmp(fl->value, "sandbox") && strcmp(fl->value, "insecure")) {
		errat(c, fl->line, fl->col, "security %s is not valid", q(&b, fl->value));
		buf_free(&b);
		return 0;
	}
	in->security = fl->used ? arena_strdup(c->a, fl->value) : NULL;
	in->security_line = fl->line, in->security_col = fl->col;
	return 1;
}

/* ---- HEALTHCHECK ---- */

/* parseOptInterval: a duration flag, 0 or at least 1ms. */
static int hc_duration(struct ctx *c, struct flags *f, const char *name, long long *out)
{
	struct flag *fl = flag_get(f, name);
	struct buf msg = {0};

	*out = 0;
	if (!*fl->value)
		return 1;
	if (!parse_duration(fl->value, out, &msg)) {
		errat(c, fl->line, fl->col, "%s", msg.s);
		buf_free(&msg);
		return 0;
	}
	if (*out != 0 && *out < 1000000)
		return errat(c, fl->line, fl->col, "Interval \"%s\" cannot be less than 1ms", name);
	return 1;
}

static int conv_healthcheck(struct ctx *c, struct instr *in, struct flags *f)
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
		errat(c, n->args[0].line, n->args[0].col,
		      "Unknown type %s in HEALTHCHECK (try CMD)", q(&b, typ));
		free(typ);
		buf_free(&b);
		return 0;
	}
	free(typ);
	args_cmdline(c, in, n, 1);
	if (!in->nargs)
		return errkw(c, "Missing command after HEALTHCHECK CMD");
	if (!hc_duration(c, f, "interval", &in->hc_interval) ||
	    !hc_duration(c, f, "timeout", &in->hc_timeout) ||
	    !hc_duration(c, f, "start-period", &in->hc_start_period) ||
	    !hc_duration(c, f, "start-interval", &in->hc_start_interval))
		return 0;
	fl = flag_get(f, "retries");
	if (*fl->value) {
		if (!parse_int(fl->value, 32, &r, &b)) {
			errat(c, fl->line, fl->col, "%s", b.s);
			buf_free(&b);
			return 0;
		}
		if (r < 0)
			return errat(c, fl->line, fl->col, "--retries cannot be negative (%lld)",
				     r);
		in->hc_retries = (int)r;
	}
	return 1;
}

/* ---- ONBUILD ---- */

static int convert(struct ctx *c, struct pnode *n, struct instr *in);
static void instr_clear(struct instr *in);

/* The trigger as BuildKit parses it when it fires (a one-line Dockerfile),
 * located at the ONBUILD; NULL when it does not parse. */
/* A trigger was parsed from its own text, so the places of its flags
 * are in that text: errors about them point at the trigger instead. */
static void trigger_relocate(struct instr *in)
{
	in->network_line = in->security_line = in->loc.line;
	in->network_col = in->security_col = in->loc.col;
	for (size_t i = 0; i < in->nmounts; i++)
		in->mounts[i].loc = in->loc;
}

static struct instr *trigger_parse(struct ctx *oc, const char *text, const struct pnode *at)
{
	struct df_error err;
	struct ptree *t = parse_tree_in(oc->path, text, strlen(text), '\\', &err, oc->a);
	struct ctx c = {oc->path, &err, NULL, oc->a};
	struct instr *in = NULL;

	if (t && t->nnodes == 1) {
		in = arena_alloc(c.a, sizeof(*in));
		if (convert(&c, &t->nodes[0], in)) {
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
static char *onbuild_expr(struct ctx *c, const struct pnode *n)
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

static int conv_onbuild(struct ctx *c, struct instr *in, struct flags *f)
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
		return errat(c, n->child->line, n->child->col,
			     "Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed");
	}
	if (!strcmp(trig, "MAINTAINER") || !strcmp(trig, "FROM")) {
		errat(c, n->child->line, n->child->col, "%s isn't allowed as an ONBUILD trigger",
		      trig);
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
static int convert(struct ctx *c, struct pnode *n, struct instr *in)
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
		in->keyword = lower_in(c, n->keyword);
		for (i = 0; i < LEN(names); i++)
			opts[i] = names[i];
		errkw(c, "unknown instruction: %s", n->keyword);
		suggest(c->err->msg, sizeof(c->err->msg), n->keyword, opts, LEN(opts), 0);
		return 0;
	}
	in->kind = (enum instr_kind)n->kind;
	in->keyword = arena_strdup(c->a, convs[in->kind].name);
	ok = convs[in->kind].fn(c, in, &f);
	in->original = n->original;
	flags_free(&f);
	return ok;
}

/* ---- freeing ---- */

void mount_clear(struct mount *m)
{
	free(m->target);
	free(m->source);
	free(m->from);
	free(m->id);
	free(m->env);
	free(m->size);
	free(m->spec);
	memset(m, 0, sizeof(*m));
}

/* Frees what an instruction holds outside the arena: mounts (mount_parse
 * allocates their strings) and the heredoc array (grown one at a time). */
static void instr_clear(struct instr *in)
{
	size_t i;

	free(in->heredocs);
	for (i = 0; i < in->nmounts; i++)
		mount_clear(&in->mounts[i]);
	if (in->inner)
		instr_clear(in->inner);
	memset(in, 0, sizeof(*in));
}

/* An instruction from instr_parse_trigger with the arena of its strings. */
struct trigger {
	struct instr in; /* first: instr_free gets &in */
	struct arena a;
};

void instr_free(struct instr *in)
{
	struct trigger *t = (struct trigger *)in;

	if (!in)
		return;
	instr_clear(in);
	arena_free(&t->a);
	free(t);
}

void dockerfile_free(struct dockerfile *df)
{
	size_t i;

	if (!df)
		return;
	for (i = 0; i < df->ninstrs; i++)
		instr_clear(&df->instrs[i]);
	free(df->instrs);
	free(df->path);
	free(df->syntax);
	free(df->check);
	free(df->empty_cont);
	arena_free(&df->arena);
	free(df);
}

/* ---- files ---- */

/* linter.ParseLintOptions: "skip=...;error=bool;experimental=..." */
static int check_directive(struct ctx *c, const char *v, int line)
{
	char *copy = xstrdup(v), *p = copy, *part, *eq;
	size_t start, len;
	int n = 0, ok = 1;

	len = parse_trim_space(p, strlen(p), &start);
	p[start + len] = '\0';
	p += start;
	while (ok && *p && n++ < 3) {
		part = p;
		p += n < 3 ? strcspn(p, ";") : strlen(p);
		if (*p)
			*p++ = '\0';
		if (!(eq = strchr(part, '='))) {
			ok = errat(c, line, 1, "invalid check option \"%s\"", part);
			break;
		}
		*eq = '\0';
		len = parse_trim_space(part, strlen(part), &start);
		part[start + len] = '\0';
		if (!strcmp(part + start, "error")) {
			char *val = eq + 1;
			len = parse_trim_space(val, strlen(val), &start);
			val[start + len] = '\0';
			if (parse_bool(val + start) < 0)
				ok = errat(
				    c, line, 1,
				    "failed to parse check option \"%s=%s\": strconv.ParseBool: "
				    "parsing \"%s\": invalid syntax",
				    part, eq + 1, val + start);
		} else if (strcmp(part + start, "skip") && strcmp(part + start, "experimental")) {
			ok = errat(c, line, 1, "invalid check option \"%s\"", part + start);
		}
	}
	free(copy);
	return ok;
}

/* The conversion of a file, node by node as the reader hands them over. */
struct stream {
	struct ctx c;
	struct dockerfile *df;
	struct df_error err; /* the first conversion error */
	int failed, checked, stages;
};

/* Converts one node; after an error the rest of the file is only read:
 * a syntax error further on is the one reported, as when the whole file
 * was read before anything was converted. */
static void convert_streamed(void *arg, const struct ptree *t, struct pnode *n)
{
	struct stream *s = arg;
	struct dockerfile *df = s->df;
	struct instr *in = &df->instrs[df->ninstrs];

	if (s->failed)
		return;
	/* directives come first: the check one is known by the first node */
	if (!s->checked++ && t->check && !check_directive(&s->c, t->check, t->check_line)) {
		s->failed = 1;
		return;
	}
	if (!convert(&s->c, n, in)) {
		instr_clear(in);
		s->failed = 1;
	} else if (df->ninstrs++, in->kind == I_FROM) {
		s->stages = 1;
	} else if (!s->stages && in->kind != I_ARG) {
		errat(&s->c, in->loc.line, in->loc.col, "no build stage in current context");
		s->failed = 1;
	}
	s->c.node = NULL; /* n goes away */
}

/* An upper bound of the number of instructions: each takes a line. */
static size_t count_lines(const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl;
	size_t n = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p)))) {
		n++;
		p = nl + 1;
	}
	return n;
}

/* Prints the reader's warnings (empty continuation lines). */
static void print_warnings(const struct ptree *t, const char *path)
{
	for (size_t i = 0; i < t->nwarnings; i++) {
		struct loc l = {path, t->warnings[i].line, 1, t->warnings[i].line};
		loc_print_msg(&l, "warning", "%s", t->warnings[i].msg);
	}
}

/* After the whole file is read: the checks that need all of it. */
static int stream_end(struct stream *s, const struct ptree *t)
{
	struct dockerfile *df = s->df;

	df->escape = t->escape;
	df->syntax = t->syntax ? xstrdup(t->syntax) : NULL;
	df->check = t->check ? xstrdup(t->check) : NULL;
	df->empty_cont = t->nwarnings ? xcalloc(t->nwarnings, sizeof(int)) : NULL;
	for (size_t i = 0; i < t->nwarnings; i++)
		df->empty_cont[df->nempty_cont++] = t->warnings[i].line;
	if (!s->failed && !s->stages) {
		s->c.node = NULL;
		errat(&s->c, 1, 1, "dockerfile contains no stages to build");
		s->failed = 1;
	}
	return !s->failed;
}

/* Reads and converts the text, each instruction as soon as it is read, so
 * the reader's temporaries reuse the same memory; with warn, a valid
 * file's warnings are printed. */
static struct dockerfile *df_parse(const char *path, const char *text, size_t len,
				   struct df_error *err, int warn)
{
	struct stream s = {0};
	struct ptree *t;
	struct dockerfile *df;
	size_t lines;

	memset(err, 0, sizeof(*err));
	if (!len) {
		err->loc = (struct loc){path, 1, 1, 1};
		snprintf(err->msg, sizeof(err->msg), "the Dockerfile cannot be empty");
		return NULL;
	}
	s.df = df = xcalloc(1, sizeof(*df));
	/* instructions point at our copy of the path; errors at the caller's */
	df->path = xstrdup(path);
	/* not zeroed: convert fills each one; pages are touched as it goes */
	lines = count_lines(text, len);
	if (lines > SIZE_MAX / sizeof(*df->instrs))
		fatal("out of memory");
	df->instrs = xmalloc(lines * sizeof(*df->instrs));
	s.c = (struct ctx){df->path, &s.err, NULL, &df->arena};
	t = parse_stream(path, text, len, '\\', err, &df->arena, convert_streamed, &s);
	if (!t || !stream_end(&s, t)) {
		if (t) {
			*err = s.err;
			err->loc.file = path;
		}
		parse_free(t);
		dockerfile_free(df);
		return NULL;
	}
	if (warn)
		print_warnings(t, path);
	parse_free(t);
	return df;
}

struct dockerfile *dockerfile_parse_err(const char *path, const char *text, size_t len,
					struct df_error *err)
{
	return df_parse(path, text, len, err, 0);
}

struct dockerfile *dockerfile_parse(const char *path, const char *text, size_t len)
{
	struct df_error err;
	struct dockerfile *df;

	source_keep(path, text, len);
	df = df_parse(path, text, len, &err, 1);
	if (!df) {
		df_error_print(&err);
		exit(1);
	}
	return df;
}

struct dockerfile *dockerfile_load(const char *path)
{
	struct error e = {0};
	struct dockerfile *df;
	char *text;
	size_t len;

	/* a FIFO, /dev/zero or a huge file: an error, never a hang */
	if (input_read(path, INPUT_MAX, &text, &len, &e) < 0)
		fatal("%s", e.msg);
	df = dockerfile_parse(path, text, len);
	free(text);
	return df;
}

struct instr *instr_parse_trigger(const char *text, const struct loc *loc, char escape)
{
	struct df_error err;
	struct trigger *tr = xcalloc(1, sizeof(*tr));
	struct ptree *t = parse_tree_in(loc->file, text, strlen(text), escape, &err, &tr->a);
	struct ctx c = {loc->file, &err, NULL, &tr->a};

	if (t && t->nnodes != 1) {
		parse_free(t);
		t = NULL;
		snprintf(err.msg, sizeof(err.msg), "invalid ONBUILD trigger: %s", text);
	}
	if (!t || !convert(&c, &t->nodes[0], &tr->in)) {
		parse_free(t);
		err.loc = *loc;
		loc_fatal(loc, "%s", err.msg);
	}
	parse_free(t);
	tr->in.loc = *loc;
	trigger_relocate(&tr->in);
	return &tr->in;
}

/* ---- RUN --mount ---- */

/* One CSV record (Go's encoding/csv rules for a single line). */
static int csv_fields(const char *s, struct strlist *out, char *msg, size_t msglen)
{
	size_t n = strlen(s), pos = 0, i;
	const char *nl;
	struct buf f = {0};

	if (n && s[n - 1] == '\n')
		n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1;
	if (!n) {
		snprintf(msg, msglen, "EOF");
		return 0;
	}
	for (;;) {
		if (s[pos] != '"') {
			nl = memchr(s + pos, ',', n - pos);
			i = nl ? (size_t)(nl - s) : n;
			if (memchr(s + pos, '"', i - pos)) {
				snprintf(msg, msglen,
					 "parse error on line 1, column %zu: bare \" in "
					 "non-quoted-field",
					 (size_t)((const char *)memchr(s + pos, '"', i - pos) - s) +
					     1);
				return 0;
			}
			strlist_take(out, xstrndup(s + pos, i - pos));
			if (!nl)
				return 1;
			pos = i + 1;
			if (pos == n) {
				strlist_add(out, "");
				return 1;
			}
			continue;
		}
		buf_reset(&f);
		buf_adds(&f, "");
		for (pos++;;) {
			nl = memchr(s + pos, '"', n - pos);
			if (!nl) {
				snprintf(msg, msglen,
					 "parse error on line 1, column %zu: extraneous or missing "
					 "\" in "
					 "quoted-field",
					 pos + 1);
				buf_free(&f);
				return 0;
			}
			buf_addn(&f, s + pos, (size_t)(nl - (s + pos)));
			pos = (size_t)(nl - s) + 1;
			if (pos < n && s[pos] == '"') {
				buf_addc(&f, '"');
				pos++;
				continue;
			}
			if (pos == n) {
				strlist_take(out, buf_steal(&f));
				return 1;
			}
			if (s[pos] == ',') {
				strlist_take(out, buf_steal(&f));
				pos++;
				if (pos == n) {
					strlist_add(out, "");
					return 1;
				}
				break;
			}
			snprintf(msg, msglen,
				 "parse error on line 1, column %zu: extraneous or missing \" in "
				 "quoted-field",
				 pos);
			buf_free(&f);
			return 0;
		}
	}
}

/* units.RAMInBytes: ^(\d+(\.\d+)*) ?([kKmMgGtTpP])?[iI]?[bB]?$; -1 if bad. */
static long long ram_bytes(const char *s)
{
	static const char units[] = "kmgtp";
	const char *p = s, *u;
	double v;
	long long mult = 1;

	int dots = 0;

	if (!(*p >= '0' && *p <= '9'))
		return -1;
	while ((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))
		dots += *p++ == '.';
	if (dots > 1)
		return -1; /* the regexp allows "1.2.3", strconv.ParseFloat does not */
	v = strtod(s, NULL);
	if (*p == ' ')
		p++;
	if (*p && (u = strchr(units, *p | 32)) && *p != ' ') {
		mult = 1LL << (10 * (u - units + 1));
		p++;
	}
	if ((*p | 32) == 'i')
		p++;
	if ((*p | 32) == 'b')
		p++;
	if (*p)
		return -1;
	return (long long)(v * (double)mult);
}

struct mstate {
	struct mount *m;
	mount_expander expand;
	void *ctx;
	char *msg;
	size_t msglen;
	int ro_auto;
	int sharing_set;
};

/* Fills msg; returns -1. */
static int merr(struct mstate *st, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int merr(struct mstate *st, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(st->msg, st->msglen, fmt, ap);
	va_end(ap);
	return -1;
}

static const char *const mount_types[] = {"bind", "cache", "tmpfs", "secret", "ssh"};

/* A key given without "=value". */
static int mount_bare(struct mstate *st, const char *key, const char *field)
{
	struct mount *m = st->m;

	if (!strcmp(key, "readonly") || !strcmp(key, "ro") || !strcmp(key, "readwrite") ||
	    !strcmp(key, "rw")) {
		m->readonly = !strcmp(key, "readonly") || !strcmp(key, "ro");
		st->ro_auto = 0;
		return 0;
	}
	if (!strcmp(key, "required")) {
		if (m->type != MOUNT_SECRET && m->type != MOUNT_SSH)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		m->required = 1;
		return 0;
	}
	return merr(st, "invalid field '%s' must be a key=value pair", field);
}

/* The numeric mount options. */
static int mount_number(struct mstate *st, const char *key, const char *v)
{
	long n = parse_uint32(v, strcmp(key, "mode") ? 10 : 8);

	if (n < 0)
		return merr(st, "invalid value %s for %s", v, key);
	*(key[0] == 'm' ? &st->m->mode : key[0] == 'u' ? &st->m->uid : &st->m->gid) = n;
	return 0;
}

/* Sets a string option, replacing an earlier value. */
static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

/* A bool option. */
static int mount_bool(struct mstate *st, const char *key, const char *v, int *dst, int invert)
{
	int b = parse_bool(v);

	if (b < 0)
		return merr(st, "invalid value for %s: %s", key, v);
	*dst = invert ? !b : b;
	return 0;
}

/* One key=value field, value already expanded. */
static int mount_kv(struct mstate *st, const char *key, const char *v, const char *field)
{
	struct mount *m = st->m;
	struct buf b = {0};
	size_t i;

	if (!strcmp(key, "type")) {
		char lb[16], *heap;
		const char *t = parse_lower_n(v, strlen(v), lb, sizeof(lb), &heap);
		for (i = 0; i < LEN(mount_types) && strcmp(t, mount_types[i]); i++)
			;
		free(heap);
		if (i == LEN(mount_types)) {
			merr(st, "unsupported mount type %s", q(&b, v));
			buf_free(&b);
			suggest(st->msg, st->msglen, v, mount_types, LEN(mount_types), 1);
			return -1;
		}
		m->type = (enum mount_type)i;
	} else if (!strcmp(key, "from")) {
		set_str(&m->from, v);
	} else if (!strcmp(key, "source") || !strcmp(key, "src")) {
		set_str(&m->source, v);
	} else if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination")) {
		set_str(&m->target, v);
	} else if (!strcmp(key, "readonly") || !strcmp(key, "ro")) {
		st->ro_auto = 0;
		return mount_bool(st, key, v, &m->readonly, 0);
	} else if (!strcmp(key, "readwrite") || !strcmp(key, "rw")) {
		st->ro_auto = 0;
		return mount_bool(st, key, v, &m->readonly, 1);
	} else if (!strcmp(key, "required")) {
		if (m->type != MOUNT_SECRET && m->type != MOUNT_SSH)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		return mount_bool(st, key, v, &m->required, 0);
	} else if (!strcmp(key, "size")) {
		if (m->type != MOUNT_TMPFS)
			return merr(st, "unexpected key '%s' for mount type '%s'", key,
				    mount_types[m->type]);
		if ((m->size_bytes = ram_bytes(v)) < 0)
			return merr(st, "invalid value for %s: %s", key, v);
		set_str(&m->size, v);
	} else if (!strcmp(key, "id")) {
		set_str(&m->id, v);
	} else if (!strcmp(key, "sharing")) {
		static const char *const modes[] = {"shared", "private", "locked"};
		char lb[16], *heap;
		const char *t = parse_lower_n(v, strlen(v), lb, sizeof(lb), &heap);
		for (i = 0; i < LEN(modes) && strcmp(t, modes[i]); i++)
			;
		free(heap);
		if (i == LEN(modes)) {
			merr(st, "unsupported sharing value %s", q(&b, v));
			buf_free(&b);
			suggest(st->msg, st->msglen, v, modes, LEN(modes), 1);
			return -1;
		}
		m->sharing = (enum mount_sharing)i;
		st->sharing_set = 1;
	} else if (!strcmp(key, "mode") || !strcmp(key, "uid") || !strcmp(key, "gid")) {
		return mount_number(st, key, v);
	} else if (!strcmp(key, "env")) {
		set_str(&m->env, v);
	} else {
		static const char *const keys[] = {
		    "type",	   "from", "source", "target",	  "readonly", "id",  "sharing",
		    "required",	   "size", "mode",   "uid",	  "gid",      "src", "dst",
		    "destination", "ro",   "rw",     "readwrite", "env"};
		merr(st, "unexpected key '%s' in '%s'", key, field);
		suggest(st->msg, st->msglen, key, keys, LEN(keys), 1);
		return -1;
	}
	return 0;
}

/* One field of the CSV record. */
static int mount_field(struct mstate *st, const char *field)
{
	const char *eq = strchr(field, '=');
	char kb[32], *heap, *v;
	const char *key =
	    parse_lower_n(field, eq ? (size_t)(eq - field) : strlen(field), kb, sizeof(kb), &heap);
	int r;

	if (!eq) {
		r = mount_bare(st, key, field);
	} else if (!strcmp(key, "from") && strchr(eq + 1, '$') && strchr(eq + 1, '$')[1] != '\0') {
		r = merr(st,
			 "'from' doesn't support variable expansion, define alias stage instead");
	} else if (st->expand) {
		v = st->expand(st->ctx, eq + 1, st->msg, st->msglen);
		r = v ? mount_kv(st, key, v, field) : -1;
		free(v);
	} else if (strchr(eq + 1, '$')) {
		st->m->deferred = 1; /* validated once expanded */
		r = 0;
		if (!strcmp(key, "target") || !strcmp(key, "dst") || !strcmp(key, "destination"))
			set_str(&st->m->target, eq + 1);
		else if (!strcmp(key, "source") || !strcmp(key, "src"))
			set_str(&st->m->source, eq + 1);
		else if (!strcmp(key, "id"))
			set_str(&st->m->id, eq + 1);
		else if (!strcmp(key, "env"))
			set_str(&st->m->env, eq + 1);
		else if (!strcmp(key, "size"))
			set_str(&st->m->size, eq + 1);
	} else {
		r = mount_kv(st, key, eq + 1, field);
	}
	free(heap);
	return r;
}

/* Basename as Go's path.Base. */
static char *path_base(const char *p)
{
	size_t n = strlen(p);
	const char *s;

	while (n > 1 && p[n - 1] == '/')
		n--;
	if (!n)
		return xstrdup(".");
	for (s = p + n; s > p && s[-1] != '/'; s--)
		;
	if (s == p + n)
		return xstrdup("/");
	return xstrndup(s, (size_t)(p + n - s));
}

/* 1 if path.Clean(p) is "/". Without a '.', an absolute path with a name
 * in it cannot be: that saves cleaning a copy of every target. */
static int cleans_to_root(const char *p)
{
	char *t;
	int root;

	if (p[0] != '/' || (!strchr(p, '.') && p[strspn(p, "/")]))
		return 0;
	t = path_clean(p);
	root = !strcmp(t, "/");
	free(t);
	return root;
}

/* The checks after all fields, then the defaults. */
static int mount_finish(struct mstate *st)
{
	int sharing_set = st->sharing_set;
	struct mount *m = st->m;
	int fileinfo = m->type == MOUNT_SECRET || m->type == MOUNT_SSH || m->type == MOUNT_CACHE;
	const char *tn = mount_types[m->type];

	if (!fileinfo && m->mode >= 0)
		return merr(st, "mode not allowed for \"%s\" type mounts", tn);
	if (!fileinfo && m->uid >= 0)
		return merr(st, "uid not allowed for \"%s\" type mounts", tn);
	if (!fileinfo && m->gid >= 0)
		return merr(st, "gid not allowed for \"%s\" type mounts", tn);
	if (st->ro_auto)
		m->readonly = m->type != MOUNT_CACHE && m->type != MOUNT_TMPFS;
	if (m->type == MOUNT_SECRET) {
		if (m->from)
			return merr(st, "secret mount should not have a from");
		if (sharing_set)
			return merr(st, "secret mount should not define sharing");
		if (!m->source && !m->target && !m->id)
			return merr(st, "invalid secret mount. one of source, target required");
		if (m->source && m->id)
			return merr(st, "both source and id can't be set");
	}
	if (sharing_set && m->type != MOUNT_CACHE)
		return merr(st, "invalid cache sharing set for %s mount", tn);
	if (!m->deferred && m->target && cleans_to_root(m->target))
		return merr(st, "invalid mount target \"/\"");
	return 0;
}

/* Defaults that do not depend on the stage (see instr.h). */
static void mount_defaults(struct mount *m)
{
	if (m->type == MOUNT_SECRET) {
		if (!m->id)
			m->id = m->source ? xstrdup(m->source) : path_base(m->target);
		if (!m->target && !m->env) {
			char *b = path_base(m->id);
			m->target = xasprintf("/run/secrets/%s", b);
			free(b);
		}
	} else if (m->type == MOUNT_SSH && !m->id) {
		m->id = xstrdup("default");
	}
	if (m->type == MOUNT_SECRET || m->type == MOUNT_SSH || m->type == MOUNT_CACHE) {
		if (m->mode < 0)
			m->mode = m->type == MOUNT_SECRET ? 0400
				  : m->type == MOUNT_SSH  ? 0600
							  : 0755;
		if (m->uid < 0)
			m->uid = 0;
		if (m->gid < 0)
			m->gid = 0;
	}
}

/* The fields of a record without quotes, which is a plain split at the
 * commas (csv_fields gives the same), in place in s; -1 when empty. */
static int mount_fields_plain(struct mstate *st, char *s)
{
	size_t n = strlen(s);
	char *p, *comma;
	int r = 0;

	if (n && s[n - 1] == '\n')
		s[n -= (n > 1 && s[n - 2] == '\r') ? 2 : 1] = '\0';
	if (!n)
		return merr(st, "failed to parse csv mounts: EOF");
	for (p = s; !r; p = comma + 1) {
		comma = strchr(p, ',');
		if (comma)
			*comma = '\0';
		r = mount_field(st, p);
		if (!comma)
			break;
	}
	return r;
}

/* The fields of a record: quoted ones through csv_fields. */
static int mount_fields(struct mstate *st, const char *spec)
{
	struct strlist fields = {0};
	char csverr[256], small[256], *copy;
	size_t i, n = strlen(spec);
	int r = 0;

	if (!strchr(spec, '"')) {
		copy = n < sizeof(small) ? memcpy(small, spec, n + 1) : xstrdup(spec);
		r = mount_fields_plain(st, copy);
		if (copy != small)
			free(copy);
		return r;
	}
	if (!csv_fields(spec, &fields, csverr, sizeof(csverr)))
		r = merr(st, "failed to parse csv mounts: %s", csverr);
	for (i = 0; !r && i < fields.n; i++)
		r = mount_field(st, fields.v[i]);
	strlist_free(&fields);
	return r;
}

int mount_parse(const char *spec, mount_expander expand, void *ctx, struct mount *m, char *msg,
		size_t msglen)
{
	struct mstate st = {m, expand, ctx, msg, msglen, 1, 0};
	int r;

	memset(m, 0, sizeof(*m));
	m->type = MOUNT_BIND;
	m->sharing = SHARING_SHARED;
	m->mode = m->uid = m->gid = -1;
	m->size_bytes = -1;
	m->spec = xstrdup(spec);
	r = mount_fields(&st, spec);
	if (!r)
		r = mount_finish(&st);
	if (r) {
		mount_clear(m);
		return -1;
	}
	mount_defaults(m);
	return 0;
}

/* ---- --chmod and STOPSIGNAL syntax ---- */

/* Octal up to 07777, or chmod(1)-style symbolic modes: [ugoa]*([-+=]([rwxXst]*|[ugo]))+
 * clauses separated by commas. */
static int valid_chmod(const char *s)
{
	long n = parse_uint32(s, 8);
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
static int valid_signal(const char *s)
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

	if (parse_int(s, 64, &n, &msg)) {
		buf_free(&msg);
		return n != 0;
	}
	buf_free(&msg);
	up = parse_upper(s);
	name = !strncmp(up, "SIG", 3) ? up + 3 : up;
	for (i = 0; i < LEN(sigs); i++)
		ok |= !strcmp(name, sigs[i]);
	if (!strncmp(name, "RTMIN+", 6) || !strncmp(name, "RTMAX-", 6)) {
		long k = parse_uint32(name + 6, 10);
		ok = k >= 1 && k <= (name[3] == 'I' ? 15 : 14) && name[6] != '0';
	}
	free(up);
	return ok;
}
