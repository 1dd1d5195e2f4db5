/* parse: the Dockerfile reader. Turns text into BuildKit's raw syntax tree
 * (frontend/dockerfile/parser): directives, comments, line continuations,
 * builder flags, JSON exec form with silent fallback, heredocs. Nothing is
 * validated beyond what BuildKit's parser itself rejects; instr.c types the
 * nodes. Every word keeps the line and column where it starts. */
#ifndef DF_PARSE_H
#define DF_PARSE_H
#include <stddef.h>

#include "instr.h"
#include "util.h"

struct buf;

/* A word of an instruction. len allows NUL bytes (JSON "\u0000"). */
struct pword {
	char *s;
	size_t len;
	int line, col;
};

/* A heredoc as the parser reads it: content is the raw body (tabs kept). */
struct pheredoc {
	char *name;
	char *content;
	int expand, chomp;
	int fd; /* -1 when there is no fd prefix */
};

/* One instruction (BuildKit's parser.Node). */
struct pnode {
	char *keyword;	/* as written */
	char *original; /* logical line, continuations joined */
	int start_line, end_line;
	int line, col;		 /* where the keyword is */
	int rest_line, rest_col; /* where the arguments start */
	struct pword *flags;	 /* "--k=v" with quotes removed */
	size_t nflags;
	/* Arguments as BuildKit's Node.Next list: ENV/LABEL are triples
	 * key, value, "=" (or "" for the legacy form); HEALTHCHECK starts
	 * with its type word; unknown instructions have one empty word. */
	struct pword *args;
	size_t nargs;
	int kind;	     /* enum instr_kind of the keyword, -1 if unknown */
	int json;	     /* args came from a JSON array */
	struct pnode *child; /* ONBUILD's instruction */
	struct pheredoc *heredocs;
	size_t nheredocs;
};

/* A parser warning (empty continuation line). */
struct pwarning {
	int line;
	char *msg;
};

/* A parsed file. */
struct ptree {
	char *path;
	char escape;
	char *syntax, *check; /* directive values or NULL */
	int check_line;	      /* line of the check directive */
	struct pnode *nodes;
	size_t nnodes;
	struct pwarning *warnings;
	size_t nwarnings;
	/* The word arrays, the keywords and flags, and the text of originals
	 * and words (not heredocs) unless the caller gives an arena for the
	 * text (parse_tree_in), where it outlives the tree so that
	 * instructions keep it without a copy. */
	struct arena arena;
};

/* Takes each node of parse_stream as soon as it is read. The node, its
 * flags, keyword and word arrays are gone after the call; the words'
 * text (in the caller's arena) stays. */
typedef void (*pnode_fn)(void *ctx, const struct ptree *t, struct pnode *n);

/* Parses a Dockerfile's text; NULL with err filled on a syntax error.
 * escape is the initial escape character ('\\' for a file; a directive
 * may change it). err->loc.file points at path, which must outlive it. */
struct ptree *parse_tree(const char *path, const char *text, size_t len, char escape,
			 struct df_error *err);
/* Same, with the words' text allocated in a (the caller frees a). */
struct ptree *parse_tree_in(const char *path, const char *text, size_t len, char escape,
			    struct df_error *err, struct arena *a);
/* Same, handing each node to fn instead of keeping it: the tree then has
 * no nodes, only their count, the directives and the warnings. A node is
 * handed over before the rest of the file is read, so a syntax error
 * further on can follow it. Nodes are freed as they go, so the memory
 * of the temporaries is reused from node to node. */
struct ptree *parse_stream(const char *path, const char *text, size_t len, char escape,
			   struct df_error *err, struct arena *a, pnode_fn fn, void *fnctx);
/* Frees a tree. */
void parse_free(struct ptree *t);
/* Frees one node and its children (not the node itself). */
void parse_node_clear(struct pnode *n);
/* Recognises a heredoc word ("<<EOF", "3<<-'X'"); 1 and *h filled (name
 * malloc'd, content NULL) if it is one. BuildKit's ParseHeredoc. */
int parse_heredoc_word(const char *word, struct pheredoc *h);
/* Appends Go's strconv.Quote of s[0..len) to b. */
void parse_quote(struct buf *b, const char *s, size_t len);
/* The enum instr_kind of a keyword in any case, -1 when it names no
 * instruction (keywords are matched lower-cased, as parse_lower does). */
int parse_keyword(const char *kw);
/* Lower-cases s as Go's strings.ToLower does for the scripts a Dockerfile
 * keyword can use; malloc'd. */
char *parse_lower(const char *s);
/* s[0..n) lower-cased as parse_lower does: in buf (cap bytes) when it is
 * short ASCII, as keywords and option names are, else malloc'd and also
 * left in *heap for the caller to free (*heap is NULL otherwise). */
const char *parse_lower_n(const char *s, size_t n, char *buf, size_t cap, char **heap);
/* Upper-cases s like Go's strings.ToUpper (ASCII plus the Unicode letters
 * that fold onto ASCII); malloc'd. */
char *parse_upper(const char *s);
/* Length of s without leading/trailing Unicode white space (Go's
 * strings.TrimSpace); *start gets the offset of the first kept byte. */
size_t parse_trim_space(const char *s, size_t len, size_t *start);

#endif
