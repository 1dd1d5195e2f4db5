/* words: the reader's logical line and the word scanners BuildKit's parser
 * uses on it. Internal to the reader (parse.c, words.c). */
#ifndef DF_WORDS_H
#define DF_WORDS_H
#include <stddef.h>

#include "buf.h"
#include "parse.h"
#include "util.h"

/* A piece of a physical line inside the joined logical line. */
struct seg {
	size_t off; /* offset in the joined text */
	int line, col;
};

struct lline {
	struct buf text;
	struct seg *segs;
	size_t nsegs, segcap;
	struct arena *a;      /* the words' text (see struct ptree) */
	struct arena *arrays; /* the word arrays: the tree's own arena */
	struct buf word;      /* the word being read: one allocation per file */
	/* The original text of the node being read (in a): a word of a that
	 * ends it is that text's end, not a copy (a RUN's command, an ENV's
	 * last value: the file's size again). Nothing writes into a word. */
	const char *orig;
	size_t orig_len;
};

/* A growing array of words in the tree's arena. */
struct words {
	struct pword *v;
	size_t n;
};

/* unicode.IsSpace(rune(c)) on a single byte (0x85 and 0xA0 count), as
 * BuildKit's flag and HEALTHCHECK scanners test bytes. */
int words_byte_space(unsigned char c);
/* The [\t\v\f\r ] class of BuildKit's reWhitespace and tokenWhitespace. */
int words_re_ws(char c);
/* Bytes of leading Unicode white space in s[0..n). */
size_t words_lead_space(const char *s, size_t n);
/* 1 for the ASCII bytes unicode.IsSpace accepts. */
int words_ascii_space(char c);

/* Appends a piece of physical line `line` that started at column col. */
void lline_add(struct lline *l, const char *s, size_t n, int line, int col);
/* Maps an offset of the joined text to its line and column. */
void lline_pos(const struct lline *l, size_t off, int *line, int *col);

/* Appends pw to w (array in arena a, grown by doubling). */
void words_push(struct words *w, struct arena *a, struct pword pw);
/* Appends a word whose text s (in ll->a) starts at offset off. */
void words_put(struct words *w, const struct lline *ll, char *s, size_t len, size_t off);
/* Appends a copy of b's text (in ll->a) as a word at offset off; empties b. */
void words_add(struct words *w, const struct lline *ll, struct buf *b, size_t len, size_t off);
/* Appends a copy of s[0..n) as a word at offset off. */
void words_addn(struct words *w, const struct lline *ll, const char *s, size_t n, size_t off);
/* extractBuilderFlags: the leading "--" words of the text at base; returns
 * the offset where the arguments start (n when none are left). */
size_t words_flags(struct lline *ll, size_t base, size_t n, struct words *flags);
/* parseWords: shell-like words with quotes and the escape kept. */
void words_split(struct lline *ll, size_t base, size_t n, char esc, struct words *out);
/* reWhitespace.Split(s, max): pieces between runs of [\t\v\f\r ]. */
void words_split_ws(const struct lline *ll, size_t base, size_t n, int max, struct words *out);
/* parseJSON: 1 = array of strings (out filled), 0 = not JSON (fall back to
 * shell form), -1 = a JSON array holding something other than strings. */
int words_json(struct lline *ll, size_t base, size_t n, struct words *out);

#endif
