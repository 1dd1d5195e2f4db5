/* expand: BuildKit's shell-word expansion (frontend/dockerfile/shell/lex.go).
 *
 * The lexer mirrors lex.go's recursive structure (processStopOn,
 * processDollar, ...) so that every quirk follows from the same control
 * flow: a word is read rune by rune, '$' / quotes dispatch to helpers,
 * and nested words (${v:-w}) are read by a recursive call that stops on
 * '}' or '/'. Runes are decoded like Go's text/scanner: invalid UTF-8
 * bytes become U+FFFD in the output. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "expand.h"
#include "utf8.h"
#include "util.h"

#define EOF_RUNE (-1)
/* Bound on any expansion result (BuildKit has none; see lx_too_long). */
#define EXPAND_MAX_LEN (1u << 20)

/* Word splitting state (lex.go wordsStruct). */
struct words {
	struct buf cur;
	struct strlist list;
	int in_word;
};

struct lexer {
	const char *src;
	size_t len, pos;
	int esc;
	int raw_escapes;
	const struct expand_env *env;
	struct expand_error *err;
	int failed;
	pcre2_code *letter_re; /* \p{L}, compiled on first non-ASCII name rune */
	pcre2_code *digit_re;  /* \p{Nd} */
};

static int lx_fail(struct lexer *lx, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Matches one non-ASCII rune against a Unicode property class, compiling
 * the class on first use so ASCII-only input never touches pcre2. A class
 * that does not compile (no memory, a pcre2 without Unicode) fails the
 * expansion. */
static int expand_rune_in_class(struct lexer *lx, pcre2_code **re, const char *cls, int cp)
{
	struct buf b = {0};
	pcre2_match_data *md;
	int rc;

	if (!*re) {
		int ec;
		PCRE2_SIZE eo;
		*re = pcre2_compile((PCRE2_SPTR)cls, PCRE2_ZERO_TERMINATED,
				    PCRE2_UTF | PCRE2_UCP | PCRE2_ANCHORED, &ec, &eo, NULL);
		if (!*re)
			return lx_fail(lx, lx->pos, "expand: cannot compile %s", cls), 0;
	}
	utf8_put(&b, cp);
	md = pcre2_match_data_create_from_pattern(*re, NULL);
	rc = pcre2_match(*re, (PCRE2_SPTR)b.s, b.len, 0, 0, md, NULL);
	pcre2_match_data_free(md);
	buf_free(&b);
	return rc >= 0;
}

/* unicode.IsDigit. */
static int expand_is_digit(struct lexer *lx, int cp)
{
	if (cp < 0x80)
		return cp >= '0' && cp <= '9';
	if (cp == RUNE_ERROR)
		return 0;
	return expand_rune_in_class(lx, &lx->digit_re, "\\p{Nd}", cp);
}

/* unicode.IsLetter. */
static int expand_is_letter(struct lexer *lx, int cp)
{
	if (cp < 0x80)
		return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z');
	if (cp == RUNE_ERROR)
		return 0;
	return expand_rune_in_class(lx, &lx->letter_re, "\\p{L}", cp);
}

/* Returns the next rune without consuming it (scanner.Peek). */
static int lx_peek(const struct lexer *lx)
{
	int w;

	if (lx->pos >= lx->len)
		return EOF_RUNE;
	return utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &w);
}

/* Consumes and returns the next rune (scanner.Next). */
static int lx_next(struct lexer *lx)
{
	int w, cp;

	if (lx->pos >= lx->len)
		return EOF_RUNE;
	cp = utf8_decode(lx->src + lx->pos, lx->len - lx->pos, &w);
	lx->pos += (size_t)w;
	return cp;
}

/* Records the first error (later ones are consequences); returns -1. */
static int lx_fail(struct lexer *lx, size_t at, const char *fmt, ...)
{
	va_list ap;

	if (lx->failed)
		return -1;
	lx->failed = 1;
	va_start(ap, fmt);
	vsnprintf(lx->err->msg, sizeof(lx->err->msg), fmt, ap);
	va_end(ap);
	lx->err->offset = at;
	return -1;
}

/* Fails on a result over EXPAND_MAX_LEN: without a bound, nested
 * ${v//p/${v//p/...}} grow exponentially with the nesting depth. */
static int lx_too_long(struct lexer *lx, size_t at)
{
	return lx_fail(lx, at, "expansion result too long (over %u bytes)", EXPAND_MAX_LEN);
}

/* Replaces the recorded error: lex.go turns any failure inside ${...}
 * that ran to the end of input into a syntax error. */
static int lx_refail(struct lexer *lx, const char *msg)
{
	lx->failed = 0;
	return lx_fail(lx, lx->len, "%s", msg);
}

/* wordsStruct.addRawChar */
static void words_raw_char(struct words *w, int cp)
{
	if (!w)
		return;
	utf8_put(&w->cur, cp);
	w->in_word = 1;
}

/* wordsStruct.addChar: unquoted blanks end the current word. */
static void words_char(struct words *w, int cp)
{
	if (!w)
		return;
	if (utf8_is_space(cp)) {
		if (w->in_word && w->cur.len) {
			strlist_take(&w->list, buf_steal(&w->cur));
			w->in_word = 0;
		}
		return;
	}
	words_raw_char(w, cp);
}

/* wordsStruct.addString: expanded variables are split too. */
static void words_string(struct words *w, const char *s, size_t n)
{
	size_t i = 0;
	int width;

	while (w && i < n) {
		int cp = utf8_decode(s + i, n - i, &width);
		i += (size_t)width;
		words_char(w, cp);
	}
}

/* wordsStruct.addRawString: quoted text is never split. A quoted empty
 * string sets in_word but, as in lex.go, yields no word by itself. */
static void words_raw_string(struct words *w, const char *s, size_t n)
{
	if (!w)
		return;
	buf_addn(&w->cur, s, n);
	w->in_word = 1;
}

static int lx_stop_on(struct lexer *lx, int stop, int raw, struct buf *out, struct words *w);

/* processSingleQuote: everything up to the next ' is literal. */
static int lx_single_quote(struct lexer *lx, struct buf *out)
{
	size_t start = lx->pos;

	lx_next(lx);
	for (;;) {
		int cp = lx_next(lx);
		if (cp == EOF_RUNE)
			return lx_fail(lx, start,
				       "unexpected end of statement while looking for matching "
				       "single-quote");
		if (cp == '\'')
			return 0;
		utf8_put(out, cp);
	}
}

static int lx_dollar(struct lexer *lx, struct buf *out);

/* One escape inside double quotes: only ", $ and the escape character
 * itself are escaped; otherwise the escape character stays literal. */
static void lx_dq_escape(struct lexer *lx, struct buf *out)
{
	int cp = lx->esc, nx = lx_peek(lx);

	if (lx->raw_escapes)
		utf8_put(out, lx->esc);
	if (nx == EOF_RUNE)
		return; /* a trailing escape is dropped; the quote error follows */
	if (nx == '"' || nx == '$' || nx == lx->esc)
		cp = lx_next(lx);
	utf8_put(out, cp);
}

/* processDoubleQuote: $ expands, the escape character works on " $ \. */
static int lx_double_quote(struct lexer *lx, struct buf *out)
{
	size_t start = lx->pos;

	lx_next(lx);
	for (;;) {
		int cp = lx_peek(lx);
		if (cp == EOF_RUNE)
			return lx_fail(lx, start,
				       "unexpected end of statement while looking for matching "
				       "double-quote");
		if (cp == '"') {
			lx_next(lx);
			return 0;
		}
		if (cp == '$') {
			if (lx_dollar(lx, out) < 0)
				return -1;
			continue;
		}
		cp = lx_next(lx);
		if (cp == lx->esc)
			lx_dq_escape(lx, out);
		else
			utf8_put(out, cp);
	}
}

/* Special parameters ($@ $* $# ...): never set in a Dockerfile. */
static int expand_is_special(int cp)
{
	return cp > 0 && cp < 0x80 && strchr("@*#?-$!0", cp) != NULL;
}

/* processName: a run of letters, digits and '_'; or a run of digits
 * (positional parameter); or one special-parameter character. */
static void lx_name(struct lexer *lx, struct buf *name)
{
	int cp;

	while ((cp = lx_peek(lx)) != EOF_RUNE) {
		if (!name->len && expand_is_digit(lx, cp)) {
			while ((cp = lx_peek(lx)) != EOF_RUNE && expand_is_digit(lx, cp))
				utf8_put(name, lx_next(lx));
			return;
		}
		if (!name->len && expand_is_special(cp)) {
			utf8_put(name, lx_next(lx));
			return;
		}
		if (!expand_is_letter(lx, cp) && !expand_is_digit(lx, cp) && cp != '_')
			return;
		utf8_put(name, lx_next(lx));
	}
}

/* Looks a name up; returns NULL when unset. */
static const char *lx_get(const struct lexer *lx, const char *name)
{
	return lx->env && lx->env->lookup ? lx->env->lookup(lx->env->ctx, name) : NULL;
}

/* Pattern conversion for # % / (convertShellPatternToRegex): only * and
 * ? are wildcards; a backslash escapes * ? \ and is dropped before } and
 * /; everything else is literal. Returns a pcre2 pattern, or NULL with
 * *bad set to the offending rune. */
static char *expand_pattern_regex(const char *pat, int greedy, int *bad)
{
	struct buf re = {0};
	size_t i = 0, n = strlen(pat);
	int w;

	while (i < n) {
		int cp = utf8_decode(pat + i, n - i, &w);
		i += (size_t)w;
		if (cp == '*') {
			buf_adds(&re, greedy ? "[^\\n]*" : "[^\\n]*?");
			continue;
		}
		if (cp == '?') {
			buf_adds(&re, "[^\\n]");
			continue;
		}
		if (cp == '\\') {
			if (i < n && (pat[i] == '}' || pat[i] == '/'))
				continue;
			cp = i < n ? utf8_decode(pat + i, n - i, &w) : EOF_RUNE;
			i += i < n ? (size_t)w : 0;
			if (cp != '*' && cp != '?' && cp != '\\') {
				*bad = cp;
				buf_free(&re);
				return NULL;
			}
		}
		if (cp < 0x80 && !((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
				   (cp >= '0' && cp <= '9')))
			buf_addc(&re, '\\');
		utf8_put(&re, cp);
	}
	return buf_steal(&re);
}

/* Compiles a ${...} pattern; NULL with the BuildKit error recorded. */
static pcre2_code *lx_compile_pattern(struct lexer *lx, size_t at, const char *pat, int greedy,
				      int anchored)
{
	int bad = 0, ec;
	PCRE2_SIZE eo;
	char *src = expand_pattern_regex(pat, greedy, &bad);
	pcre2_code *re;

	if (!src) {
		if (bad == EOF_RUNE)
			lx_fail(lx, at,
				"invalid pattern (%s) in substitution: invalid escape "
				"'\\%%!c(int32=-1)'",
				pat);
		else {
			struct buf r = {0};
			utf8_put(&r, bad);
			lx_fail(lx, at,
				"invalid pattern (%s) in substitution: invalid escape '\\%s'", pat,
				r.s);
			buf_free(&r);
		}
		return NULL;
	}
	re = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED,
			   PCRE2_UTF | PCRE2_MATCH_INVALID_UTF | (anchored ? PCRE2_ANCHORED : 0),
			   &ec, &eo, NULL);
	free(src);
	if (!re)
		lx_fail(lx, at, "invalid pattern (%s) in substitution", pat);
	return re;
}

/* Finds the leftmost match at or after start; 1 with [*s,*e) or 0. */
static int expand_find(pcre2_code *re, pcre2_match_data *md, const char *v, size_t n, size_t start,
		       size_t *s, size_t *e)
{
	int rc = pcre2_match(re, (PCRE2_SPTR)v, n, start, 0, md, NULL);

	if (rc >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		*s = ov[0];
		*e = ov[1];
	}
	return rc >= 0;
}

/* Reverses a string rune by rune (Go's []rune + slices.Reverse). */
static char *expand_reverse(const char *s)
{
	size_t n = strlen(s), i = 0;
	int *runes = xcalloc(n + 1, sizeof(int)), k = 0, w;
	struct buf b = {0};

	while (i < n) {
		runes[k++] = utf8_decode(s + i, n - i, &w);
		i += (size_t)w;
	}
	while (k > 0)
		utf8_put(&b, runes[--k]);
	free(runes);
	return buf_steal(&b);
}

/* Reverses a pattern keeping "\x" pairs in order (reversePattern). */
static char *expand_reverse_pattern(const char *p)
{
	size_t n = strlen(p), i = 0;
	int *runes = xcalloc(n + 1, sizeof(int)), *out, k = 0, w;
	struct buf b = {0};

	while (i < n) {
		runes[k++] = utf8_decode(p + i, n - i, &w);
		i += (size_t)w;
	}
	out = xcalloc((size_t)k + 1, sizeof(int));
	for (int j = 0; j < k;) {
		if (runes[j] == '\\' && j != k - 1) {
			out[k - 1 - j - 1] = '\\';
			out[k - 1 - j] = runes[j + 1];
			j += 2;
		} else {
			out[k - 1 - j] = runes[j];
			j++;
		}
	}
	for (int j = 0; j < k; j++)
		utf8_put(&b, out[j]);
	free(runes);
	free(out);
	return buf_steal(&b);
}

/* ${v#p} / ${v##p}: removes the shortest / longest matching prefix. */
static int lx_trim_prefix(struct lexer *lx, size_t at, const char *pat, const char *val, int greedy,
			  struct buf *out)
{
	pcre2_code *re = lx_compile_pattern(lx, at, pat, greedy, 1);
	pcre2_match_data *md;
	size_t s, e;

	if (!re)
		return -1;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (expand_find(re, md, val, strlen(val), 0, &s, &e))
		val += e;
	buf_adds(out, val);
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return 0;
}

/* ${v%p} / ${v%%p}: suffix removal done as a prefix removal on the
 * reversed value, because a regex finds the leftmost match only. */
static int lx_trim_suffix(struct lexer *lx, size_t at, const char *pat, const char *val, int greedy,
			  struct buf *out)
{
	char *rp = expand_reverse_pattern(pat), *rv = expand_reverse(val), *res;
	struct buf tmp = {0};
	int rc = lx_trim_prefix(lx, at, rp, rv, greedy, &tmp);

	if (rc == 0) {
		res = expand_reverse(tmp.s ? tmp.s : "");
		buf_adds(out, res);
		free(res);
	}
	buf_free(&tmp);
	free(rp);
	free(rv);
	return rc;
}

/* Go's Regexp.Expand for ReplaceAllString with a group-less regex: $$ is
 * '$', $0 / ${0} the match, any other $name / ${name} empty, and a '$'
 * not followed by a valid name is literal. */
static void expand_go_template(struct buf *out, const char *t, const char *m, size_t mlen)
{
	while (*t) {
		size_t k = 0;
		int brace;
		if (*t != '$') {
			buf_addc(out, *t++);
			continue;
		}
		if (t[1] == '$') {
			buf_addc(out, '$');
			t += 2;
			continue;
		}
		brace = t[1] == '{';
		while (t[1 + brace + k] == '_' ||
		       (t[1 + brace + k] >= '0' && t[1 + brace + k] <= '9') ||
		       ((t[1 + brace + k] | 0x20) >= 'a' && (t[1 + brace + k] | 0x20) <= 'z'))
			k++;
		if (!k || (brace && t[2 + k] != '}')) {
			buf_addc(out, *t++);
			continue;
		}
		if (strspn(t + 1 + brace, "0123456789") >= k) {
			/* a number: only group 0 exists */
			if (strtoul(t + 1 + brace, NULL, 10) == 0 && k < 20)
				buf_addn(out, m, mlen);
		}
		t += 1 + brace + k + brace;
	}
}

/* Width of the rune at s[i] (0 at the end), for advancing past matches. */
static size_t expand_width(const char *s, size_t n, size_t i)
{
	int w;

	if (i >= n)
		return 0;
	utf8_decode(s + i, n - i, &w);
	return (size_t)w;
}

/* Regexp.ReplaceAllString: successive non-overlapping matches; an empty
 * match right after a previous match is not replaced. -1 when the result
 * outgrows EXPAND_MAX_LEN (nested replacements grow exponentially). */
static int expand_replace_all(pcre2_code *re, pcre2_match_data *md, const char *v, const char *repl,
			      struct buf *out)
{
	size_t n = strlen(v), pos = 0, last = 0, s, e, w;

	while (pos <= n && expand_find(re, md, v, n, pos, &s, &e)) {
		buf_addn(out, v + last, s - last);
		if (e > last || s == 0)
			expand_go_template(out, repl, v + s, e - s);
		if (out->len > EXPAND_MAX_LEN)
			return -1;
		last = e;
		w = expand_width(v, n, pos);
		if (pos + w > e)
			pos += w;
		else if (pos + 1 > e)
			pos++;
		else
			pos = e;
	}
	buf_adds(out, v + last);
	return 0;
}

/* ${v/p/r} and ${v//p/r}: replace the first / every match (greedy *). */
static int lx_replace(struct lexer *lx, size_t at, const char *pat, const char *repl,
		      const char *val, int all, struct buf *out)
{
	pcre2_code *re = lx_compile_pattern(lx, at, pat, 1, 0);
	pcre2_match_data *md;
	size_t s, e, n = strlen(val);
	int rc = 0;

	if (!re)
		return -1;
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (all) {
		if (expand_replace_all(re, md, val, repl, out) < 0)
			rc = lx_too_long(lx, at);
	} else if (expand_find(re, md, val, n, 0, &s, &e)) {
		buf_addn(out, val, s);
		buf_adds(out, repl);
		buf_adds(out, val + e);
	} else {
		buf_adds(out, val);
	}
	pcre2_match_data_free(md);
	pcre2_code_free(re);
	return rc;
}

/* Reads a nested word up to stop; on failure at the end of input the
 * error becomes endmsg, as in lex.go. */
static int lx_nested(struct lexer *lx, int stop, int raw, struct buf *word, const char *endmsg)
{
	if (lx_stop_on(lx, stop, raw, word, NULL) == 0)
		return 0;
	if (lx_peek(lx) == EOF_RUNE)
		return lx_refail(lx, endmsg);
	return -1;
}

/* ${v?m} / ${v:?m}: the value, or an error with m or the default text. */
static int lx_required(struct lexer *lx, size_t at, const char *name, const char *val, int colon,
		       const char *word, struct buf *out)
{
	if (!val)
		return lx_fail(lx, at, "%s: %s", name, *word ? word : "is not allowed to be unset");
	if (colon && !*val)
		return lx_fail(lx, at, "%s: %s", name, *word ? word : "is not allowed to be empty");
	buf_adds(out, val);
	return 0;
}

/* The operators that take one word: - + ? # % (with or without ':'). */
static int lx_modifier(struct lexer *lx, size_t at, const char *name, int op, int colon,
		       const char *chs, struct buf *out)
{
	struct buf word = {0};
	const char *val, *w;
	int rc = 0, raw = op == '#' || op == '%';

	if (colon && raw)
		return lx_fail(lx, at, "unsupported modifier (%s) in substitution", chs);
	if (lx_nested(lx, '}', raw, &word, "syntax error: missing '}'") < 0) {
		buf_free(&word);
		return -1;
	}
	w = word.s ? word.s : "";
	val = lx_get(lx, name);
	switch (op) {
	case '-':
		buf_adds(out, (!val || (colon && !*val)) ? w : val);
		break;
	case '+':
		buf_adds(out, (!val || (colon && !*val)) ? "" : w);
		break;
	case '?':
		rc = lx_required(lx, at, name, val, colon, w, out);
		break;
	case '#':
	case '%': {
		int greedy = w[0] == op;
		const char *pat = greedy ? w + 1 : w;
		rc = (op == '#' ? lx_trim_prefix : lx_trim_suffix)(lx, at, pat, val ? val : "",
								   greedy, out);
		break;
	}
	default:
		rc = lx_fail(lx, at, "unsupported modifier (%s) in substitution", chs);
	}
	buf_free(&word);
	return rc;
}

/* ${v/p/r} and ${v//p/r}. */
static int lx_substitute(struct lexer *lx, size_t at, const char *name, struct buf *out)
{
	struct buf pat = {0}, repl = {0};
	int all = 0, rc = -1;
	const char *val;

	if (lx_peek(lx) == '/') {
		lx_next(lx);
		all = 1;
	}
	if (lx_nested(lx, '/', 1, &pat, "syntax error: missing '/' in ${}") == 0 &&
	    lx_nested(lx, '}', 1, &repl, "syntax error: missing '}'") == 0) {
		val = lx_get(lx, name);
		rc = lx_replace(lx, at, pat.s ? pat.s : "", repl.s ? repl.s : "", val ? val : "",
				all, out);
	}
	buf_free(&pat);
	buf_free(&repl);
	return rc;
}

/* The part of processDollar after "${". */
static int lx_brace(struct lexer *lx, size_t at, struct buf *out)
{
	struct buf name = {0}, chs = {0};
	int cp, op, colon = 0, rc;
	const char *val;

	cp = lx_peek(lx);
	if (cp == EOF_RUNE)
		return lx_fail(lx, lx->pos, "syntax error: missing '}'");
	if (cp == '{' || cp == '}' || cp == ':')
		return lx_fail(lx, at, "syntax error: bad substitution");
	lx_name(lx, &name);
	if (!name.s)
		buf_adds(&name, "");
	op = lx_next(lx);
	utf8_put(&chs, op);
	if (op == '}') {
		val = lx_get(lx, name.s);
		buf_adds(out, val ? val : "");
		rc = 0;
	} else if (op == '/') {
		rc = lx_substitute(lx, at, name.s, out);
	} else if (op == ':' || op == '+' || op == '-' || op == '?' || op == '#' || op == '%') {
		if (op == ':') {
			colon = 1;
			op = lx_next(lx);
			utf8_put(&chs, op);
		}
		rc = lx_modifier(lx, at, name.s, op, colon, chs.s, out);
	} else {
		rc = lx_fail(lx, at, "unsupported modifier (%s) in substitution", chs.s);
	}
	buf_free(&name);
	buf_free(&chs);
	return rc;
}

/* processDollar: $name, ${...}; a lone '$' stays literal. */
static int lx_dollar(struct lexer *lx, struct buf *out)
{
	size_t at = lx->pos;
	struct buf name = {0};
	const char *val;

	lx_next(lx);
	if (lx_peek(lx) == '{') {
		lx_next(lx);
		return lx_brace(lx, at, out);
	}
	lx_name(lx, &name);
	if (!name.len) {
		buf_addc(out, '$');
	} else {
		val = lx_get(lx, name.s);
		buf_adds(out, val ? val : "");
	}
	buf_free(&name);
	return 0;
}

/* Runs a quote or dollar helper, feeding its text into out and words. */
static int lx_special(struct lexer *lx, int cp, struct buf *out, struct words *w)
{
	struct buf tmp = {0};
	size_t at = lx->pos;
	int rc;

	if (cp == '$')
		rc = lx_dollar(lx, &tmp);
	else if (cp == '\'')
		rc = lx_single_quote(lx, &tmp);
	else
		rc = lx_double_quote(lx, &tmp);
	if (rc == 0 && out->len + tmp.len > EXPAND_MAX_LEN)
		rc = lx_too_long(lx, at);
	if (rc == 0 && tmp.len)
		buf_addn(out, tmp.s, tmp.len);
	if (rc == 0 && cp == '$')
		words_string(w, tmp.s, tmp.len);
	else if (rc == 0)
		words_raw_string(w, tmp.s ? tmp.s : "", tmp.len);
	buf_free(&tmp);
	return rc;
}

/* An unquoted escape character: the next rune is taken literally; raw
 * mode (patterns) keeps the escape too. Returns 1 at end of input. */
static int lx_escape(struct lexer *lx, struct buf *out, struct words *w)
{
	int cp;

	if (lx->raw_escapes) {
		words_raw_char(w, lx->esc);
		utf8_put(out, lx->esc);
	}
	cp = lx_next(lx);
	if (cp == EOF_RUNE)
		return 1;
	words_raw_char(w, cp);
	utf8_put(out, cp);
	return 0;
}

/* processStopOn: reads until stop (consumed) or, for EOF_RUNE, the end.
 * raw keeps escape characters, for patterns that interpret them later. */
static int lx_stop_on(struct lexer *lx, int stop, int raw, struct buf *out, struct words *w)
{
	int saved = lx->raw_escapes, cp;

	lx->raw_escapes = raw;
	while ((cp = lx_peek(lx)) != EOF_RUNE) {
		if (stop != EOF_RUNE && cp == stop) {
			lx_next(lx);
			lx->raw_escapes = saved;
			return 0;
		}
		if (cp == '$' || cp == '\'' || cp == '"') {
			if (lx_special(lx, cp, out, w) < 0) {
				lx->raw_escapes = saved;
				return -1;
			}
			continue;
		}
		cp = lx_next(lx);
		if (cp == lx->esc) {
			if (lx_escape(lx, out, w))
				break;
			continue;
		}
		words_char(w, cp);
		utf8_put(out, cp);
	}
	lx->raw_escapes = saved;
	if (stop != EOF_RUNE) {
		struct buf s = {0};
		utf8_put(&s, stop);
		lx_fail(lx, lx->pos, "unexpected end of statement while looking for matching %s",
			s.s);
		buf_free(&s);
		return -1;
	}
	return 0;
}

/* Runs the lexer over text; fills out and/or w. */
static int expand_run(const char *text, char escape, const struct expand_env *env,
		      struct expand_error *err, struct buf *out, struct words *w)
{
	struct expand_error dummy;
	struct lexer lx = {
	    .src = text,
	    .len = strlen(text),
	    .esc = (unsigned char)escape,
	    .env = env,
	    .err = err ? err : &dummy,
	};
	int rc;

	lx.err->msg[0] = '\0';
	lx.err->offset = 0;
	rc = lx_stop_on(&lx, EOF_RUNE, 0, out, w);
	pcre2_code_free(lx.letter_re);
	pcre2_code_free(lx.digit_re);
	return rc;
}

/* 1 when the lexer would copy word as it is: ASCII with no quote, '$' or
 * escape character, as most words are (a path, "x y"). */
static int expand_is_plain(const char *word, char escape)
{
	for (const unsigned char *p = (const unsigned char *)word; *p; p++)
		if (*p >= 0x80 || *p == '$' || *p == '\'' || *p == '"' ||
		    *p == (unsigned char)escape)
			return 0;
	return 1;
}

char *expand_word(const char *word, char escape, const struct expand_env *env,
		  struct expand_error *err)
{
	struct buf out = {0};

	if (expand_is_plain(word, escape)) {
		if (err) {
			err->msg[0] = '\0';
			err->offset = 0;
		}
		return xstrdup(word);
	}
	if (expand_run(word, escape, env, err, &out, NULL) < 0) {
		buf_free(&out);
		return NULL;
	}
	return buf_steal(&out);
}

char **expand_words(const char *text, char escape, const struct expand_env *env,
		    struct expand_error *err)
{
	struct buf out = {0};
	struct words w = {0};

	if (expand_run(text, escape, env, err, &out, &w) < 0) {
		buf_free(&out);
		buf_free(&w.cur);
		strlist_free(&w.list);
		return NULL;
	}
	buf_free(&out);
	if (w.cur.len)
		strlist_take(&w.list, buf_steal(&w.cur));
	buf_free(&w.cur);
	if (!w.list.v)
		w.list.v = xcalloc(1, sizeof(char *));
	return w.list.v;
}

void expand_free_words(char **words)
{
	if (!words)
		return;
	for (char **p = words; *p; p++)
		free(*p);
	free(words);
}

const char *expand_kv_lookup(void *ctx, const char *name)
{
	char *const *vec = ctx;
	const char *found = NULL;
	size_t n = strlen(name);

	for (; vec && *vec; vec++) {
		const char *eq = strchr(*vec, '=');
		size_t klen = eq ? (size_t)(eq - *vec) : strlen(*vec);
		if (klen == n && strncmp(*vec, name, n) == 0)
			found = eq ? eq + 1 : "";
	}
	return found;
}
