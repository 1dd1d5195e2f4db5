/* expand: BuildKit's shell-word expansion (shell/lex.go semantics):
 * $v ${v} ${v:-w} ${v-w} ${v:+w} ${v+w} ${v:?m} ${v?m} ${v#p} ${v##p}
 * ${v%p} ${v%%p} ${v/p/r} ${v//p/r}, single/double quotes, the escape
 * character, and word splitting. Pure functions: no I/O, no globals. */
#ifndef DF_EXPAND_H
#define DF_EXPAND_H
#include <stddef.h>

/* Variable lookup: returns the value, or NULL when the name is unset
 * (a set-but-empty variable returns ""). */
struct expand_env {
	const char *(*lookup)(void *ctx, const char *name);
	void *ctx;
};

struct expand_error {
	char msg[256]; /* e.g. "FOO: is not allowed to be unset" */
	size_t offset; /* byte offset in the input where the problem is */
};

/* Expands one word: variables substituted, quotes removed, escapes
 * processed, no splitting (BuildKit ProcessWord). Returns a malloc'd
 * string, or NULL with err filled. escape is '\\' or '`'. */
char *expand_word(const char *word, char escape, const struct expand_env *env,
		  struct expand_error *err);

/* Expands and splits into words on unquoted blanks (BuildKit
 * ProcessWords). Returns a malloc'd NULL-terminated array of malloc'd
 * strings (free with expand_free_words), or NULL with err filled. */
char **expand_words(const char *text, char escape, const struct expand_env *env,
		    struct expand_error *err);

/* Frees the result of expand_words. */
void expand_free_words(char **words);

/* Helper environment over a NULL-terminated "NAME=value" array; later
 * entries win. Use as: struct expand_env e = expand_env_kv(vec); */
const char *expand_kv_lookup(void *ctx, const char *name);
#define expand_env_kv(vec) ((struct expand_env){expand_kv_lookup, (void *)(vec)})

#endif
