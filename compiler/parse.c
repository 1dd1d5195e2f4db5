/* The Dockerfile reader. It follows BuildKit's parser package step by step
 * (parser.go, split_command.go, line_parsers.go, directives.go) because
 * every quirk there is visible to users: which lines continue, what a word
 * is, when JSON silently becomes shell form. Comments name the Go function
 * each piece mirrors. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "parse.h"
#include "strconv.h"
#include "utf8.h"
#include "util.h"
#include "words.h"

#define MAX_LINE 65536 /* bufio.MaxScanTokenSize */

/* ---- UTF-8 and Unicode helpers (Go semantics) ---- */

/* The \s class of Go regexps. */
static int re_s(char c)
{
	return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
}

size_t parse_trim_space(const char *s, size_t len, size_t *start)
{
	size_t i = words_lead_space(s, len), end = i, j = len;
	int w, r;

	/* Usually the text ends in ASCII: an ASCII byte is always a rune of
	 * its own, so the end is found from the back without decoding. */
	while (j > i && words_ascii_space(s[j - 1]))
		j--;
	if (j > i && (unsigned char)s[j - 1] < 0x80) {
		*start = i;
		return j - i;
	}
	j = i;
	while (j < len) {
		r = utf8_decode(s + j, len - j, &w);
		j += w;
		if (!utf8_is_space(r))
			end = j;
	}
	*start = i;
	return end - i;
}

/* Go's unicode.ToLower for the letters with simple mappings we support. */
static int u_lower(int r)
{
	if ((r >= 'A' && r <= 'Z') || (r >= 0xC0 && r <= 0xDE && r != 0xD7))
		return r + 32;
	if (r >= 0x391 && r <= 0x3AB && r != 0x3A2)
		return r + 32;
	if (r >= 0x410 && r <= 0x42F)
		return r + 32;
	if (r >= 0x400 && r <= 0x40F)
		return r + 80;
	if (r >= 0x100 && r <= 0x17F && r != 0x130 && r != 0x131 && r != 0x138 && r != 0x149 &&
	    r != 0x17F)
		return ((r >= 0x139 && r <= 0x148) || (r >= 0x179 && r <= 0x17E)) ? r | !(r & 1)
										  : r | 1;
	if (r == 0x212A)
		return 'k';
	if (r == 0x212B)
		return 0xE5;
	return r;
}

/* Go's unicode.ToUpper, restricted to what can turn a keyword into ASCII. */
static int u_upper(int r)
{
	if (r >= 'a' && r <= 'z')
		return r - 32;
	if (r == 0x131)
		return 'I';
	if (r == 0x17F)
		return 'S';
	return r;
}

/* Maps every rune of s through f; invalid bytes become U+FFFD as in Go. */
static char *u_map(const char *s, int (*f)(int))
{
	struct buf b = {0};
	size_t n = strlen(s), i = 0;
	int w, r;
	char *ascii = xmalloc(n + 1);

	/* keywords and flag values are ASCII: mapped in place of a rune loop */
	while (i < n && (unsigned char)s[i] < 0x80) {
		ascii[i] = (char)f(s[i]);
		i++;
	}
	if (i == n) {
		ascii[n] = '\0';
		return ascii;
	}
	free(ascii);
	i = 0;

	while (i < n) {
		r = utf8_decode(s + i, n - i, &w);
		if (r == RUNE_ERROR && w == 1)
			buf_addc(&b, s[i]); /* Go keeps invalid bytes as they are */
		else
			utf8_put(&b, f(r));
		i += w;
	}
	return buf_steal(&b);
}

char *parse_lower(const char *s)
{
	return u_map(s, u_lower);
}

const char *parse_lower_n(const char *s, size_t n, char *buf, size_t cap, char **heap)
{
	size_t i;

	*heap = NULL;
	for (i = 0; i < n && i + 1 < cap && (unsigned char)s[i] < 0x80; i++)
		buf[i] = (char)u_lower(s[i]);
	if (i == n) {
		buf[n] = '\0';
		return buf;
	}
	*heap = xstrndup(s, n);
	buf = parse_lower(*heap);
	free(*heap);
	return *heap = buf;
}

char *parse_upper(const char *s)
{
	return u_map(s, u_upper);
}

/* ---- strconv.Quote ---- */

void parse_quote(struct buf *b, const char *s, size_t len)
{
	strconv_quote_add(b, s, len);
}

/* ---- parser state ---- */

struct directives {
	int done;
	int seen_escape, seen_syntax, seen_check;
};

struct parser {
	const char *path;
	const char *p, *end; /* unread input */
	int lineno;	     /* lines read so far */
	int too_long;
	char escape;
	struct directives dir;
	struct lline ll;
	struct ptree *t;
	struct df_error *err;
	pnode_fn fn; /* parse_stream's consumer, or NULL to keep the nodes */
	void *fnctx;
};

/* Fills err; always returns 0 so callers can `return fail(...)`. */
static int fail(struct parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int fail(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	ps->err->loc = (struct loc){ps->path, line < 1 ? 1 : line, col < 1 ? 1 : col, line};
	va_start(ap, fmt);
	vsnprintf(ps->err->msg, sizeof(ps->err->msg), fmt, ap);
	va_end(ap);
	return 0;
}

/* Next physical line, newline included (bufio.Scanner + scanLines). A line
 * longer than the scanner's buffer ends the input, as it does in Go. */
static int next_line(struct parser *ps, const char **s, size_t *n)
{
	const char *nl;
	size_t len;

	if (ps->p >= ps->end || ps->too_long)
		return 0;
	nl = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	len = nl ? (size_t)(nl - ps->p) + 1 : (size_t)(ps->end - ps->p);
	if (len > MAX_LINE || (!nl && len >= MAX_LINE)) {
		ps->too_long = 1;
		return 0;
	}
	*s = ps->p;
	*n = len;
	ps->p += len;
	return 1;
}

/* bytes.TrimRight(s, "\r\n"). */
static size_t trim_newline(const char *s, size_t n)
{
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	return n;
}

/* isComment: first non-blank character is '#'. */
static int is_comment(const char *s, size_t n)
{
	size_t i = words_lead_space(s, n);

	return i < n && s[i] == '#';
}

/* Records a directive value, rejecting repeats (DirectiveParser.ParseLine). */
static int directive_set(struct parser *ps, const char *key, const char *v, size_t vn)
{
	int *seen = !strcmp(key, "escape")   ? &ps->dir.seen_escape
		    : !strcmp(key, "syntax") ? &ps->dir.seen_syntax
					     : &ps->dir.seen_check;

	if (*seen)
		return fail(ps, ps->lineno + 1, 1, "only one %s parser directive can be used", key);
	*seen = 1;
	if (!strcmp(key, "escape")) {
		if (vn != 1 || (v[0] != '`' && v[0] != '\\'))
			return fail(ps, ps->lineno + 1, 1,
				    "invalid escape token '%.*s' does not match ` or \\", (int)vn,
				    v);
		ps->escape = v[0];
	} else {
		char **dst = !strcmp(key, "syntax") ? &ps->t->syntax : &ps->t->check;
		*dst = xstrndup(v, vn);
		if (!strcmp(key, "check"))
			ps->t->check_line = ps->lineno + 1;
	}
	return 1;
}

/* Splits "key = value" after the '#' as ^([a-zA-Z][a-zA-Z0-9]*)\s*=\s*(.+?)\s*$
 * does; returns 0 when the line is not of that form. */
static int directive_split(const char *s, size_t n, char *key, size_t keysz, const char **v,
			   size_t *vn)
{
	size_t i = 0, k, ws;

	if (!n || !((s[0] | 32) >= 'a' && (s[0] | 32) <= 'z'))
		return 0;
	while (i < n &&
	       (((s[i] | 32) >= 'a' && (s[i] | 32) <= 'z') || (s[i] >= '0' && s[i] <= '9')))
		i++;
	if (i >= keysz)
		return 0;
	for (k = 0; k < i; k++)
		key[k] = (char)(s[k] | 32);
	key[i] = '\0';
	while (i < n && re_s(s[i]))
		i++;
	if (i >= n || s[i] != '=')
		return 0;
	i++;
	for (ws = i; ws < n && re_s(s[ws]); ws++)
		;
	if (ws == n) { /* all blank: (.+?) takes the last blank if there is one */
		if (i == n)
			return 0;
		*v = s + n - 1;
		*vn = 1;
		return 1;
	}
	while (n > ws && re_s(s[n - 1]))
		n--;
	*v = s + ws;
	*vn = n - ws;
	return 1;
}

/* possibleParserDirective for one line (already left-trimmed). */
static int directive_line(struct parser *ps, const char *s, size_t n)
{
	char key[16];
	const char *v;
	size_t vn, i;

	if (ps->dir.done)
		return 1;
	if (!n || s[0] != '#') {
		ps->dir.done = 1;
		return 1;
	}
	i = 1 + words_lead_space(s + 1, n - 1);
	if (!directive_split(s + i, n - i, key, sizeof(key), &v, &vn) ||
	    (strcmp(key, "escape") && strcmp(key, "syntax") && strcmp(key, "check"))) {
		ps->dir.done = 1;
		return 1;
	}
	return directive_set(ps, key, v, vn);
}

/* DetectSyntax: the syntax directive may also follow a "#!" line or be
 * written "//syntax=..."; only the frontend choice uses these forms. */
static char *detect_syntax(const char *s, size_t n)
{
	static const char *const prefixes[] = {"#", "//"};
	const char *p, *end = s + n, *nl, *v;
	char key[16];
	size_t k, len, vn, i;

	if (n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3))
		s += 3;
	if (end - s >= 2 && s[0] == '#' && s[1] == '!') {
		nl = memchr(s, '\n', (size_t)(end - s));
		s = nl ? nl + 1 : end;
	}
	for (k = 0; k < LEN(prefixes); k++) {
		for (p = s; p < end; p = nl ? nl + 1 : end) {
			nl = memchr(p, '\n', (size_t)(end - p));
			len = (nl ? (size_t)(nl - p) : (size_t)(end - p));
			if (len < strlen(prefixes[k]) ||
			    memcmp(p, prefixes[k], strlen(prefixes[k])))
				break;
			i = strlen(prefixes[k]);
			i += words_lead_space(p + i, len - i);
			if (!directive_split(p + i, len - i, key, sizeof(key), &v, &vn) ||
			    (strcmp(key, "syntax") && strcmp(key, "escape") &&
			     strcmp(key, "check")))
				break;
			if (!strcmp(key, "syntax"))
				return xstrndup(v, vn);
		}
	}
	return NULL;
}

/* trimContinuationCharacter: the escape as the last non-blank character,
 * not itself escaped, continues the line; returns the kept length or
 * (size_t)-1 when the line does not continue. */
static size_t continuation(const struct parser *ps, const char *s, size_t n)
{
	size_t j = n;

	while (j && (s[j - 1] == ' ' || s[j - 1] == '\t'))
		j--;
	if (!j || s[j - 1] != ps->escape)
		return (size_t)-1;
	if (j >= 2 && s[j - 2] == ps->escape)
		return (size_t)-1;
	return j - 1;
}

/* ---- nodes ---- */

void parse_node_clear(struct pnode *n)
{
	size_t i;

	if (!n)
		return;
	/* the words and their arrays are the arena's */
	if (n->child) {
		parse_node_clear(n->child);
		free(n->child);
	}
	for (i = 0; i < n->nheredocs; i++) {
		free(n->heredocs[i].name);
		free(n->heredocs[i].content);
	}
	free(n->heredocs);
	memset(n, 0, sizeof(*n));
}

static int node_from_line(struct parser *ps, size_t off, size_t n, struct pnode *node);

/* The instruction kinds and how their arguments are read (the dispatch
 * table of parser.go). */
enum argform { A_IGNORE, A_JSON, A_LIST, A_WORDS, A_ENV, A_LABEL, A_WS, A_HEALTH, A_STRING, A_SUB };

#define FORM(k, name, form) [k] = {name, sizeof(name) - 1, form}
static const struct form {
	const char *name; /* lower case */
	size_t len;
	enum argform form;
} forms[] = {
    FORM(I_ADD, "add", A_LIST),
    FORM(I_ARG, "arg", A_WORDS),
    FORM(I_CMD, "cmd", A_JSON),
    FORM(I_COPY, "copy", A_LIST),
    FORM(I_ENTRYPOINT, "entrypoint", A_JSON),
    FORM(I_ENV, "env", A_ENV),
    FORM(I_EXPOSE, "expose", A_WS),
    FORM(I_FROM, "from", A_WS),
    FORM(I_HEALTHCHECK, "healthcheck", A_HEALTH),
    FORM(I_LABEL, "label", A_LABEL),
    FORM(I_MAINTAINER, "maintainer", A_STRING),
    FORM(I_ONBUILD, "onbuild", A_SUB),
    FORM(I_RUN, "run", A_JSON),
    FORM(I_SHELL, "shell", A_JSON),
    FORM(I_STOPSIGNAL, "stopsignal", A_STRING),
    FORM(I_USER, "user", A_STRING),
    FORM(I_VOLUME, "volume", A_LIST),
    FORM(I_WORKDIR, "workdir", A_STRING),
};

/* 1 if a[1..n) equals b[1..n): keywords are short, a call to memcmp
 * costs more than the loop. */
static int same_tail(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 1; i < n && a[i] == b[i]; i++)
		;
	return i >= n;
}

int parse_keyword(const char *kw)
{
	char kb[16], *heap;
	/* not ASCII: Go's rules, which may change the length (U+212A is 'k') */
	const char *l = parse_lower_n(kw, strlen(kw), kb, sizeof(kb), &heap);
	size_t n = strlen(l), i;
	int k = -1;

	/* the length and first letter leave one candidate at most */
	for (i = 0; i < LEN(forms) && k < 0; i++)
		if (forms[i].len == n && forms[i].name[0] == l[0] && same_tail(forms[i].name, l, n))
			k = (int)i;
	free(heap);
	return k;
}

/* Moves words into the node's argument list. */
static void node_take_args(struct pnode *node, struct words *w)
{
	node->args = w->v;
	node->nargs = w->n;
	w->v = NULL;
	w->n = 0;
}

/* parseMaybeJSON / parseMaybeJSONToList. */
static int args_json(struct parser *ps, struct pnode *node, size_t off, size_t n, int list)
{
	struct words w = {0};
	int r;

	if (!n && !list)
		return 1;
	r = words_json(&ps->ll, off, n, &w);
	if (r < 0)
		return fail(
		    ps, node->rest_line, node->rest_col,
		    "when using JSON array syntax, arrays must be comprised of strings only");
	if (r > 0) {
		node->json = 1;
		node_take_args(node, &w);
		return 1;
	}
	w = (struct words){0};
	if (list) {
		if (n)
			words_split_ws(&ps->ll, off, n, -1, &w);
	} else {
		words_addn(&w, &ps->ll, ps->ll.text.s + off, n, off);
	}
	node_take_args(node, &w);
	return 1;
}

/* Adds a key/value/separator triple. */
static void kv_add(struct words *w, const struct lline *ll, const char *k, size_t kn, const char *v,
		   size_t vn, const char *sep, size_t off)
{
	words_addn(w, ll, k, kn, off);
	words_addn(w, ll, v, vn, off + kn);
	words_addn(w, ll, sep, strlen(sep), off);
}

/* parseNameVal: ENV and LABEL, with the legacy "KEY value" form. */
static int args_env(struct parser *ps, struct pnode *node, size_t off, size_t n, const char *what)
{
	struct words words = {0}, out = {0};
	const char *s = ps->ll.text.s + off;
	size_t i, k;

	words_split(&ps->ll, off, n, ps->escape, &words);
	if (!words.n)
		return 1;
	if (!memchr(words.v[0].s, '=', words.v[0].len)) {
		for (i = 0; i < n && !words_re_ws(s[i]); i++)
			;
		if (i == n)
			return fail(ps, node->rest_line, node->rest_col,
				    "%s must have two arguments", what);
		for (k = i; k < n && words_re_ws(s[k]); k++)
			;
		kv_add(&out, &ps->ll, s, i, s + k, n - k, "", off);
		node_take_args(node, &out);
		return 1;
	}
	for (i = 0; i < words.n; i++) {
		struct pword *wd = &words.v[i];
		char *eq = memchr(wd->s, '=', wd->len);
		if (!eq) {
			struct buf q = {0};
			parse_quote(&q, wd->s, wd->len);
			fail(ps, wd->line, wd->col,
			     "Syntax error - can't find = in %s. Must be of the form: name=value",
			     q.s);
			buf_free(&q);
			return 0;
		}
		/* key and value stay in the word's text, split at the '=', but
		 * for a word that is the end of the original text (words_text):
		 * that text is kept whole, the key is a copy */
		if (ps->ll.orig && wd->s >= ps->ll.orig && wd->s < ps->ll.orig + ps->ll.orig_len) {
			char *key = arena_strndup(ps->ll.a, wd->s, (size_t)(eq - wd->s));
			words_put(&out, &ps->ll, key, (size_t)(eq - wd->s), 0);
		} else {
			*eq = '\0';
			words_put(&out, &ps->ll, wd->s, (size_t)(eq - wd->s), 0);
		}
		words_put(&out, &ps->ll, eq + 1, wd->len - (size_t)(eq - wd->s) - 1, 0);
		words_addn(&out, &ps->ll, "=", 1, 0);
		/* keep each part's position at the word */
		out.v[out.n - 3].line = out.v[out.n - 2].line = out.v[out.n - 1].line = wd->line;
		out.v[out.n - 3].col = out.v[out.n - 2].col = out.v[out.n - 1].col = wd->col;
	}
	node_take_args(node, &out);
	return 1;
}

/* parseHealthConfig: the type word, then a maybe-JSON command. */
static int args_health(struct parser *ps, struct pnode *node, size_t off, size_t n)
{
	const char *s = ps->ll.text.s + off;
	struct words w = {0};
	struct pnode cmd = {0};
	size_t sep = 0, next, i;

	while (sep < n && !words_byte_space((unsigned char)s[sep]))
		sep++;
	for (next = sep; next < n && words_byte_space((unsigned char)s[next]); next++)
		;
	if (!sep)
		return 1;
	lline_pos(&ps->ll, off + next, &cmd.rest_line, &cmd.rest_col);
	if (!args_json(ps, &cmd, off + next, n - next, 0))
		return 0;
	words_addn(&w, &ps->ll, s, sep, off);
	for (i = 0; i < cmd.nargs; i++) {
		words_push(&w, ps->ll.arrays, cmd.args[i]);
	}
	node->json = cmd.json;
	node_take_args(node, &w);
	return 1;
}

/* Reads the arguments of node according to its keyword. */
static int node_args(struct parser *ps, struct pnode *node, size_t off, size_t n)
{
	enum argform f = node->kind < 0 ? A_IGNORE : forms[node->kind].form;
	struct words w = {0};
	int ok = 1;

	switch (f) {
	case A_IGNORE:
		words_addn(&w, &ps->ll, "", 0, off);
		break;
	case A_JSON:
	case A_LIST:
		return args_json(ps, node, off, n, f == A_LIST);
	case A_WORDS:
		words_split(&ps->ll, off, n, ps->escape, &w);
		break;
	case A_ENV:
	case A_LABEL:
		return args_env(ps, node, off, n, f == A_ENV ? "ENV" : "LABEL");
	case A_WS:
		if (n)
			words_split_ws(&ps->ll, off, n, -1, &w);
		break;
	case A_HEALTH:
		return args_health(ps, node, off, n);
	case A_STRING:
		if (n)
			words_addn(&w, &ps->ll, ps->ll.text.s + off, n, off);
		break;
	case A_SUB:
		if (!n)
			break;
		node->child = xcalloc(1, sizeof(*node->child));
		ok = node_from_line(ps, off, n, node->child);
		break;
	}
	node_take_args(node, &w);
	return ok;
}

/* newNodeFromLine + splitCommand over ll[off..off+n). */
static int node_from_line(struct parser *ps, size_t off, size_t n, struct pnode *node)
{
	const char *s;
	size_t start, len, k, rest, args, alen;
	struct words flags = {0};
	int ok;

	len = parse_trim_space(ps->ll.text.s + off, n, &start);
	off += start;
	s = ps->ll.text.s + off;
	node->original = arena_strndup(ps->ll.a, ps->ll.text.s + off - start, n);
	for (k = 0; k < len && !words_re_ws(s[k]); k++)
		;
	node->keyword = arena_strndup(ps->ll.arrays, s, k);
	node->kind = parse_keyword(node->keyword);
	lline_pos(&ps->ll, off, &node->line, &node->col);
	for (rest = k; rest < len && words_re_ws(s[rest]); rest++)
		;
	args = len;
	if (k < len) {
		args = rest + words_flags(&ps->ll, off + rest, len - rest, &flags);
		node->flags = flags.v;
		node->nflags = flags.n;
	}
	alen = parse_trim_space(s + args, len - args, &start);
	args += start;
	lline_pos(&ps->ll, off + args, &node->rest_line, &node->rest_col);
	/* words_text; ONBUILD's inner node sets its own, the outer one has
	 * no word after it */
	ps->ll.orig = node->original;
	ps->ll.orig_len = n;
	ok = node_args(ps, node, off + args, alen);
	ps->ll.orig = NULL;
	ps->ll.orig_len = 0;
	return ok;
}

/* ---- heredocs ---- */

/* Shell words as BuildKit's lexer splits them (backslash escape, quotes);
 * raw keeps quotes (RawQuotes), raw_esc keeps escapes (RawEscapes).
 * Returns 0 on an unterminated quote. Variables are kept as written: with
 * SkipUnsetEnv and no variables that is what the lexer produces. */
static int sh_words(const char *s, size_t n, int raw, int raw_esc, struct strlist *out)
{
	struct buf word = {0};
	size_t i = 0;
	int ok = 1;

	while (i < n) {
		char c = s[i];
		if (c == '\'' || c == '"') {
			size_t j = i + 1;
			if (raw)
				buf_addc(&word, c);
			for (; j < n && s[j] != c; j++) {
				if (c == '"' && s[j] == '\\' && j + 1 < n &&
				    (s[j + 1] == '"' || s[j + 1] == '$' || s[j + 1] == '\\')) {
					if (raw_esc)
						buf_addc(&word, '\\');
					j++;
				}
				buf_addc(&word, s[j]);
			}
			if (j >= n) {
				ok = 0;
				break;
			}
			if (raw)
				buf_addc(&word, c);
			buf_addn(&word, "", 0);
			i = j + 1;
			continue;
		}
		if (c == '\\') {
			if (raw_esc)
				buf_addc(&word, c);
			if (++i >= n)
				break;
			buf_addc(&word, s[i++]);
			continue;
		}
		{
			int w, r = utf8_decode(s + i, n - i, &w);
			if (utf8_is_space(r)) {
				if (word.len)
					strlist_take(out, buf_steal(&word));
			} else {
				buf_addn(&word, s + i, (size_t)w);
			}
			i += (size_t)w;
		}
	}
	if (ok && word.len)
		strlist_take(out, buf_steal(&word));
	buf_free(&word);
	return ok;
}

/* Number of quote characters in s. */
static size_t count_quotes(const char *s)
{
	size_t k = 0;

	for (; *s; s++)
		k += *s == '\'' || *s == '"';
	return k;
}

int parse_heredoc_word(const char *word, struct pheredoc *h)
{
	const char *p = word, *rest;
	struct strlist cooked = {0}, raw = {0};
	int ok = 0;

	while (*p >= '0' && *p <= '9')
		p++;
	if (p[0] != '<' || p[1] != '<')
		return 0;
	h->fd = p == word ? -1 : (int)strtol(word, NULL, 10);
	if (p - word > 9)
		h->fd = 0; /* strconv.ParseUint overflow: BuildKit ignores the error */
	p += 2;
	h->chomp = *p == '-';
	p += h->chomp;
	while (re_s(*p))
		p++;
	rest = p;
	if (!*rest || strchr(rest, '<'))
		return 0;
	if (sh_words(rest, strlen(rest), 0, 0, &cooked) && cooked.n == 1 &&
	    sh_words(rest, strlen(rest), 1, 0, &raw) && raw.n == 1) {
		h->name = xstrdup(cooked.v[0]);
		h->content = NULL;
		h->expand = count_quotes(cooked.v[0]) == count_quotes(raw.v[0]);
		ok = 1;
	}
	strlist_free(&cooked);
	strlist_free(&raw);
	return ok;
}

/* canContainHeredoc: RUN, COPY, ADD (also under ONBUILD), not JSON. */
static int can_heredoc(const struct pnode *n)
{
	if (n->kind == I_ONBUILD && n->child)
		return can_heredoc(n->child);
	return (n->kind == I_RUN || n->kind == I_COPY || n->kind == I_ADD) && !n->json;
}

/* Fails on a byte that is not UTF-8 at line, col. Instruction text ends up
 * in JSON specs and the YAML plan, which cannot carry such bytes. docker
 * differs: it builds, and a RUN sees U+FFFD for the byte (docs/dockerfile.md).
 * Comments and directives may hold any bytes. */
static int fail_utf8(struct parser *ps, int line, int col, unsigned char byte)
{
	return fail(ps, line, col,
		    "invalid UTF-8 byte 0x%02x (instructions and heredocs must be UTF-8 text)",
		    byte);
}

/* Checks the joined logical line; a bad byte is located in its source line. */
static int check_utf8(struct parser *ps)
{
	size_t bad = utf8_valid_len(ps->ll.text.s, ps->ll.text.len);
	int line, col;

	if (bad == ps->ll.text.len)
		return 1;
	lline_pos(&ps->ll, bad, &line, &col);
	return fail_utf8(ps, line, col, (unsigned char)ps->ll.text.s[bad]);
}

/* Reads one heredoc body up to its terminator line. */
static int read_heredoc(struct parser *ps, struct pheredoc *h, int start_line)
{
	struct buf body = {0};
	const char *s;
	size_t n, k, t;

	while (next_line(ps, &s, &n)) {
		ps->lineno++;
		k = trim_newline(s, n);
		t = 0;
		if (h->chomp)
			while (t < k && s[t] == '\t')
				t++;
		if (k - t == strlen(h->name) && !memcmp(s + t, h->name, k - t)) {
			h->content = buf_steal(&body);
			return 1;
		}
		if ((t = utf8_valid_len(s, k)) < k) {
			buf_free(&body);
			return fail_utf8(ps, ps->lineno, (int)t + 1, (unsigned char)s[t]);
		}
		buf_addn(&body, s, n);
	}
	buf_free(&body);
	return fail(ps, start_line, 1, "unterminated heredoc");
}

/* heredocsFromLine + the body reading loop of Parse. */
static int node_heredocs(struct parser *ps, struct pnode *node, int start_line)
{
	struct strlist words = {0};
	struct pheredoc h;
	size_t i;
	int ok = 1;

	if (!can_heredoc(node) || !strstr(ps->ll.text.s, "<<"))
		return 1;
	if (!sh_words(ps->ll.text.s, ps->ll.text.len, 1, 1, &words))
		strlist_free(&words); /* BuildKit ignores the lexer error: no heredocs */
	for (i = 0; ok && i < words.n; i++) {
		if (!parse_heredoc_word(words.v[i], &h))
			continue;
		/* the room doubles: one at a time was quadratic */
		if (!(node->nheredocs & (node->nheredocs - 1)))
			node->heredocs = xreallocarray(
			    node->heredocs, node->nheredocs ? 2 * node->nheredocs : 1, sizeof(h));
		node->heredocs[node->nheredocs++] = h;
		ok = read_heredoc(ps, &node->heredocs[node->nheredocs - 1], start_line);
	}
	strlist_free(&words);
	return ok;
}

/* ---- the main loop (Parse) ---- */

/* processLine: drops the newline, optionally leading blanks, and comments;
 * feeds the directive scanner; *s and *n become the kept part. */
static int process_line(struct parser *ps, const char **s, size_t *n, int strip)
{
	size_t k = trim_newline(*s, *n), i = strip ? words_lead_space(*s, k) : 0;

	*s += i;
	*n = k - i;
	if (!directive_line(ps, *s, *n))
		return 0;
	if (is_comment(*s, *n))
		*n = 0;
	return 1;
}

static void warn_add(struct ptree *t, int line, char *msg)
{
	t->warnings = xreallocarray(t->warnings, t->nwarnings + 1, sizeof(*t->warnings));
	t->warnings[t->nwarnings++] = (struct pwarning){line, msg};
}

/* Reads the continuation lines of a logical line into ps->ll. */
static int read_continued(struct parser *ps, int *empty)
{
	const char *s, *raw;
	size_t n, rawn, keep;

	while (next_line(ps, &raw, &rawn)) {
		s = raw;
		n = rawn;
		if (!process_line(ps, &s, &n, 0))
			return 0;
		ps->lineno++;
		if (is_comment(raw, trim_newline(raw, rawn)))
			continue;
		if (words_lead_space(s, n) == n) {
			*empty = 1;
			continue;
		}
		keep = continuation(ps, s, n);
		lline_add(&ps->ll, s, keep == (size_t)-1 ? n : keep, ps->lineno, 1);
		if (keep == (size_t)-1)
			break;
	}
	return 1;
}

/* Parses one logical line starting with physical line s; 1 = ok. */
static int parse_logical(struct parser *ps, const char *s, size_t n)
{
	size_t trimmed = trim_newline(s, n), keep;
	int start_line, empty = 0, col;
	struct pnode node = {0};
	struct ptree *t = ps->t;

	col = 1 + (int)words_lead_space(s, trimmed);
	if (!process_line(ps, &s, &n, 1))
		return 0;
	ps->lineno++;
	start_line = ps->lineno;
	keep = continuation(ps, s, n);
	if (keep == (size_t)-1 && !n)
		return 1;
	buf_reset(&ps->ll.text);
	buf_addn(&ps->ll.text, "", 0);
	ps->ll.nsegs = 0;
	lline_add(&ps->ll, s, keep == (size_t)-1 ? n : keep, start_line, col);
	if (keep != (size_t)-1 && !read_continued(ps, &empty))
		return 0;
	if (!check_utf8(ps))
		return 0;
	if (empty)
		warn_add(t, ps->lineno,
			 xasprintf("Empty continuation line found in: %s", ps->ll.text.s));
	if (!node_from_line(ps, 0, ps->ll.text.len, &node) ||
	    !node_heredocs(ps, &node, start_line)) {
		parse_node_clear(&node);
		return 0;
	}
	node.start_line = start_line;
	node.end_line = ps->lineno;
	if (ps->fn) {
		/* consumed now: its word arrays' room is the next node's */
		t->nnodes++;
		ps->fn(ps->fnctx, t, &node);
		parse_node_clear(&node);
		arena_reset(&t->arena);
		return 1;
	}
	t->nodes = xreallocarray(t->nodes, t->nnodes + 1, sizeof(node));
	t->nodes[t->nnodes++] = node;
	return 1;
}

/* The whole file. */
static int parse_all(struct parser *ps)
{
	const char *s;
	size_t n;

	while (next_line(ps, &s, &n)) {
		if (ps->lineno == 0 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) {
			s += 3;
			n -= 3;
		}
		if (!parse_logical(ps, s, n))
			return 0;
	}
	if (!ps->t->nnodes)
		return fail(ps, ps->lineno, 1, "file with no instructions");
	if (ps->too_long)
		return fail(ps, ps->lineno + 1, 1,
			    "dockerfile line greater than max allowed size of %d", MAX_LINE - 1);
	return 1;
}

void parse_free(struct ptree *t)
{
	size_t i;

	if (!t)
		return;
	for (i = 0; t->nodes && i < t->nnodes; i++) /* parse_stream keeps none */
		parse_node_clear(&t->nodes[i]);
	for (i = 0; i < t->nwarnings; i++)
		free(t->warnings[i].msg);
	free(t->nodes);
	free(t->warnings);
	free(t->path);
	free(t->syntax);
	free(t->check);
	arena_free(&t->arena);
	free(t);
}

struct ptree *parse_tree(const char *path, const char *text, size_t len, char escape,
			 struct df_error *err)
{
	return parse_tree_in(path, text, len, escape, err, NULL);
}

struct ptree *parse_tree_in(const char *path, const char *text, size_t len, char escape,
			    struct df_error *err, struct arena *a)
{
	return parse_stream(path, text, len, escape, err, a, NULL, NULL);
}

struct ptree *parse_stream(const char *path, const char *text, size_t len, char escape,
			   struct df_error *err, struct arena *a, pnode_fn fn, void *fnctx)
{
	struct parser ps = {0};
	struct ptree *t = xcalloc(1, sizeof(*t));
	int ok;

	t->path = xstrdup(path);
	ps.ll.a = a ? a : &t->arena;
	ps.ll.arrays = &t->arena;
	ps.path = path;
	ps.p = text;
	ps.end = text + len;
	ps.escape = escape;
	ps.t = t;
	ps.err = err;
	ps.fn = fn;
	ps.fnctx = fnctx;
	ok = parse_all(&ps);
	t->escape = ps.escape;
	if (ok && !t->syntax)
		t->syntax = detect_syntax(text, len);
	buf_free(&ps.ll.text);
	buf_free(&ps.ll.word);
	free(ps.ll.segs);
	if (!ok) {
		parse_free(t);
		return NULL;
	}
	return t;
}
