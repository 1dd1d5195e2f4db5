/* words: one logical line of a Dockerfile (its physical pieces joined, with
 * a map back to line and column) cut into words the way BuildKit's
 * parser does (split_command.go, line_parsers.go: extractBuilderFlags,
 * parseWords, parseJSON). Used by the reader, parse.c. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "parse.h"
#include "utf8.h"
#include "util.h"
#include "words.h"

/* ---- Go's white space classes ---- */

/* BuildKit's flag and HEALTHCHECK scanners test single bytes as runes, so
 * bytes 0x85 and 0xA0 count as blanks there (unicode.IsSpace(rune(b))). */
int words_byte_space(unsigned char c)
{
	return utf8_is_space(c);
}

/* The [\t\v\f\r ] class of BuildKit's reWhitespace and tokenWhitespace. */
int words_re_ws(char c)
{
	return c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == ' ';
}

/* Bytes of leading Unicode white space in s[0..n). */
size_t words_lead_space(const char *s, size_t n)
{
	size_t i = 0;
	int w, r;

	while (i < n) {
		r = utf8_decode(s + i, n - i, &w);
		if (!utf8_is_space(r))
			break;
		i += w;
	}
	return i;
}

/* 1 for the ASCII bytes unicode.IsSpace accepts. */
int words_ascii_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* ---- the logical line: joined text plus a map back to the source ---- */

/* Appends a piece of physical line `line` that started at column col. */
void lline_add(struct lline *l, const char *s, size_t n, int line, int col)
{
	if (l->nsegs == l->segcap) {
		l->segcap = l->segcap ? l->segcap * 2 : 8;
		l->segs = xreallocarray(l->segs, l->segcap, sizeof(*l->segs));
	}
	l->segs[l->nsegs++] = (struct seg){l->text.len, line, col};
	buf_addn(&l->text, s, n);
}

/* Maps an offset of the joined text to its line and column. */
void lline_pos(const struct lline *l, size_t off, int *line, int *col)
{
	size_t lo = 0, hi = l->nsegs;

	while (hi - lo > 1) {
		size_t mid = (lo + hi) / 2;
		if (l->segs[mid].off <= off)
			lo = mid;
		else
			hi = mid;
	}
	if (!l->nsegs) {
		*line = 1;
		*col = 1;
		return;
	}
	*line = l->segs[lo].line;
	*col = l->segs[lo].col + (int)(off - l->segs[lo].off);
}

/* ---- words ---- */

/* Appends pw. The array, in the tree's arena, grows by doubling: its
 * capacity is w->n rounded up to a power of two, as words are only ever
 * appended through here (most nodes have one or two, so the copies left
 * behind are small and go with the tree). */
void words_push(struct words *w, struct arena *a, struct pword pw)
{
	if ((w->n & (w->n - 1)) == 0) { /* 0, 1, 2, 4, ...: full */
		struct pword *v = arena_alloc(a, (w->n ? w->n * 2 : 2) * sizeof(*v));
		if (w->n)
			memcpy(v, w->v, w->n * sizeof(*v));
		w->v = v;
	}
	w->v[w->n++] = pw;
}

/* Appends a word whose text s (in ll->a) starts at offset off. */
void words_put(struct words *w, const struct lline *ll, char *s, size_t len, size_t off)
{
	struct pword pw = {s, len, 0, 0};

	lline_pos(ll, off, &pw.line, &pw.col);
	words_push(w, ll->arrays, pw);
}

/* The text s[0..n) in arena a: the end of the node's original text when
 * that ends with it and is in a (then NUL-terminated right after), else
 * a copy. Not tried under 8 bytes (an ENV file's words: the compare
 * cost more than the copy, 0.4 % of 50,000 ENV lines' instructions). */
static inline char *words_text(const struct lline *ll, struct arena *a, const char *s, size_t n)
{
	const char *tail;

	if (n < 8 || n > ll->orig_len || a != ll->a) /* orig_len is 0 without orig */
		return arena_strndup(a, s, n);
	tail = ll->orig + ll->orig_len - n;
	return tail[0] == s[0] && memcmp(tail, s, n) == 0 ? (char *)tail : arena_strndup(a, s, n);
}

/* Appends b's text (in arena a) as a word that starts at offset off, and
 * empties b, which keeps its memory for the next word. */
static void words_add_in(struct words *w, const struct lline *ll, struct arena *a, struct buf *b,
			 size_t len, size_t off)
{
	words_put(w, ll, words_text(ll, a, b->s ? b->s : "", len), len, off);
	buf_reset(b);
}

/* Same, the text in ll->a. */
void words_add(struct words *w, const struct lline *ll, struct buf *b, size_t len, size_t off)
{
	words_add_in(w, ll, ll->a, b, len, off);
}

/* Appends s[0..n) as a word. */
void words_addn(struct words *w, const struct lline *ll, const char *s, size_t n, size_t off)
{
	words_put(w, ll, words_text(ll, ll->a, s, n), n, off);
}

/* Appends byte c as Go's string(rune(c)) does: bytes >= 0x80 are read as
 * Latin-1 code points. BuildKit's flag scanner works on bytes, so this is
 * what a non-ASCII flag value turns into. */
static void add_latin1(struct buf *b, unsigned char c)
{
	utf8_put(b, c);
}

/* Bytes at s that the word scanners below copy one for one: ASCII that is
 * not blank, a quote or the escape (in a quoted part: not its quote or the
 * escape). Copied as a run instead of byte by byte. */
static size_t plain_run(const char *s, size_t n, int esc, int quote)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x80 || c == esc ||
		    (quote ? c == quote : c == '\'' || c == '"' || words_ascii_space((char)c)))
			break;
	}
	return i;
}

/* A quote opening a quoted part of a word (both scanners below): the
 * word may now be empty ("" is a word). 1 when ch is one. */
static int quote_opens(int ch, int *quote, int *blank_ok)
{
	if (ch != '\'' && ch != '"')
		return 0;
	*quote = ch;
	*blank_ok = 1;
	return 1;
}

/* extractBuilderFlags: leading "--" words of s (offset base in the line).
 * Returns the offset where the arguments start (n when none are left). */
size_t words_flags(struct lline *ll, size_t base, size_t n, struct words *flags)
{
	const char *s = ll->text.s + base;
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	struct buf word = ll->word;
	size_t pos, start = 0;
	int blank_ok = 0, quote = 0;
	unsigned char ch = 0;

	buf_reset(&word);
	buf_addn(&word, "", 0);
	for (pos = 0; pos <= n; pos++) {
		size_t run = 0;

		if (phase != SPACES)
			run = plain_run(s + pos, n - pos, '\\', phase == QUOTE ? quote : 0);
		if (run) {
			buf_addn(&word, s + pos, run);
			pos += run - 1;
			continue;
		}
		if (pos != n)
			ch = (unsigned char)s[pos];
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (words_byte_space(ch))
				continue;
			if (ch != '-' || pos + 1 == n || s[pos + 1] != '-') {
				ll->word = word;
				return pos;
			}
			phase = WORD;
			start = pos;
		}
		if (pos == n) {
			if (strcmp(word.s, "--") && (blank_ok || word.len))
				words_add_in(flags, ll, ll->arrays, &word, word.len, base + start);
			break;
		}
		if (phase == WORD) {
			if (words_byte_space(ch)) {
				phase = SPACES;
				if (!strcmp(word.s, "--")) {
					ll->word = word;
					return pos;
				}
				if (blank_ok || word.len)
					words_add_in(flags, ll, ll->arrays, &word, word.len,
						     base + start);
				buf_reset(&word);
				buf_addn(&word, "", 0);
				blank_ok = 0;
				continue;
			}
			if (quote_opens(ch, &quote, &blank_ok)) {
				phase = QUOTE;
				continue;
			}
			if (ch == '\\') {
				if (pos + 1 == n)
					continue;
				ch = (unsigned char)s[++pos];
			}
			add_latin1(&word, ch);
			continue;
		}
		if (ch == quote) {
			phase = WORD;
			continue;
		}
		if (ch == '\\') {
			if (pos + 1 == n) {
				phase = WORD;
				continue;
			}
			ch = (unsigned char)s[++pos];
		}
		add_latin1(&word, ch);
	}
	ll->word = word;
	return n;
}

/* parseWords: quote-aware words for ENV, LABEL and ARG; quotes and escapes
 * stay in the words. */
void words_split(struct lline *ll, size_t base, size_t n, char esc, struct words *out)
{
	const char *s = ll->text.s + base;
	enum { SPACES, WORD, QUOTE } phase = SPACES;
	struct buf word = ll->word;
	size_t pos, start = 0;
	int blank_ok = 0, quote = 0, ch = 0, w = 0;

	buf_reset(&word);
	for (pos = 0; pos <= n; pos += (size_t)w) {
		size_t run = 0;

		if (phase != SPACES)
			run = plain_run(s + pos, n - pos, esc, phase == QUOTE ? quote : 0);
		if (run) {
			buf_addn(&word, s + pos, run);
			w = (int)run;
			continue;
		}
		if (pos != n)
			ch = utf8_decode(s + pos, n - pos, &w);
		if (phase == SPACES) {
			if (pos == n)
				break;
			if (utf8_is_space(ch))
				continue;
			phase = WORD;
			start = pos;
		}
		if (pos == n) {
			if (blank_ok || word.len)
				words_add(out, ll, &word, word.len, base + start);
			break;
		}
		if (phase == WORD) {
			if (utf8_is_space(ch)) {
				phase = SPACES;
				if (blank_ok || word.len)
					words_add(out, ll, &word, word.len, base + start);
				buf_reset(&word);
				blank_ok = 0;
				continue;
			}
			if (quote_opens(ch, &quote, &blank_ok))
				phase = QUOTE; /* the quote stays in the word */
			if (ch == esc) {
				if (pos + (size_t)w == n)
					continue;
				utf8_put(&word, ch);
				pos += (size_t)w;
				ch = utf8_decode(s + pos, n - pos, &w);
			}
			utf8_put(&word, ch);
			continue;
		}
		if (ch == quote)
			phase = WORD;
		if (ch == esc && quote != '\'') {
			if (pos + (size_t)w == n) {
				phase = WORD;
				continue;
			}
			pos += (size_t)w;
			utf8_put(&word, ch);
			ch = utf8_decode(s + pos, n - pos, &w);
		}
		utf8_put(&word, ch);
	}
	ll->word = word;
}

/* reWhitespace.Split(s, max): pieces between runs of [\t\v\f\r ]. */
void words_split_ws(const struct lline *ll, size_t base, size_t n, int max, struct words *out)
{
	const char *s = ll->text.s + base;
	size_t i = 0, start = 0;
	int pieces = 1;

	while (i < n) {
		if (words_re_ws(s[i]) && (max < 0 || pieces < max)) {
			words_addn(out, ll, s + start, i - start, base + start);
			pieces++;
			while (i < n && words_re_ws(s[i]))
				i++;
			start = i;
			continue;
		}
		i++;
	}
	words_addn(out, ll, s + start, n - start, base + start);
}

/* parseJSON: 1 = array of strings (words filled), 0 = not JSON (fall back),
 * -1 = JSON array holding something other than strings (an error). */
int words_json(struct lline *ll, size_t base, size_t n, struct words *out)
{
	struct json j = {ll->text.s + base, n, 0, 1, 0};
	struct words w = {0};
	struct buf str = ll->word;
	int is_str, nonstring = 0;
	size_t start;

	j.i = words_lead_space(j.s, n);
	if (j.i >= n || j.s[j.i] != '[')
		return 0;
	start = j.i++;
	json_ws(&j);
	if (j.i < n && j.s[j.i] == ']') {
		j.i++;
	} else {
		for (;;) {
			buf_reset(&str);
			buf_addn(&str, "", 0);
			if (!json_value(&j, &str, &is_str))
				goto invalid;
			if (is_str)
				words_add(&w, ll, &str, str.len, base + start);
			nonstring |= !is_str;
			json_ws(&j);
			if (j.i >= n)
				goto invalid;
			if (j.s[j.i] == ']') {
				j.i++;
				break;
			}
			if (j.s[j.i++] != ',')
				goto invalid;
		}
	}
	json_ws(&j);
	if (j.i != n || j.overflow)
		goto invalid;
	ll->word = str;
	if (nonstring) {
		out->v = w.v;
		out->n = w.n;
		return -1;
	}
	*out = w;
	return 1;
invalid:
	ll->word = str;
	out->v = w.v;
	out->n = w.n;
	return 0;
}
