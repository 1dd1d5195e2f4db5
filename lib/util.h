/* util: allocation that never returns NULL, fatal errors, small string
 * helpers. fatal() is for the processes' main() and option parsers and
 * for what cannot go on (out of memory): the compiler returns its other
 * errors as struct diag (compiler/diag.h), the runtime as struct error
 * (error.h). */
#ifndef DF_UTIL_H
#define DF_UTIL_H
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#define LEN(a) (sizeof(a) / sizeof((a)[0]))

/* Program name used as the prefix of fatal() and warn() messages. */
extern const char *argv0;

/* Prints "argv0: msg" to stderr and exits 1. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* fatal("out of memory"): for an allocation that failed inside a library
 * (jansson, pcre2) as well as ours; the one error the compiler does not
 * return to main(). */
_Noreturn void out_of_memory(void);
/* Prints "argv0: warning: msg" to stderr. */
void warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Allocators that exit on failure. */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t sz);
void *xrealloc(void *p, size_t n);
/* Grows an array to hold at least n elements of size sz, doubling. */
void *xreallocarray(void *p, size_t n, size_t sz);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *fmt, va_list ap);

/* A bump allocator: many small objects of one lifetime, freed in one call
 * (the reader's words, the instructions' strings, the graph's steps:
 * allocated and freed one by one they cost ~10 % of a big compile). */
struct arena_block;
struct arena {
	struct arena_block *head; /* newest block; blocks are chained */
	char *p, *end;		  /* free room of head */
};
/* n bytes aligned for a pointer or a long long (not a long double),
 * uninitialised; never NULL. */
void *arena_alloc(struct arena *a, size_t n);
/* n zeroed elements of size sz. */
void *arena_calloc(struct arena *a, size_t n, size_t sz);
/* n bytes, not aligned (text), uninitialised; never NULL. */
char *arena_text(struct arena *a, size_t n);
/* A copy of s[0..n) plus a NUL. */
char *arena_strndup(struct arena *a, const char *s, size_t n);
/* A copy of s. */
char *arena_strdup(struct arena *a, const char *s);
/* Frees every block; the arena is empty and reusable. */
void arena_free(struct arena *a);
/* Forgets every object but keeps the newest block for the next ones, so
 * that a loop of short-lived objects reuses the same (touched) pages. */
void arena_reset(struct arena *a);

/* NULL-terminated string lists. */
struct strlist {
	char **v;
	size_t n, cap;
};
/* Appends a copy of s. */
void strlist_add(struct strlist *l, const char *s);
/* Appends s, taking ownership. */
void strlist_take(struct strlist *l, char *s);
/* Frees every string and the array. */
void strlist_free(struct strlist *l);

/* Returns 1 if s starts with prefix. */
int startswith(const char *s, const char *prefix);
/* Returns 1 if s ends with suffix. */
int endswith(const char *s, const char *suffix);
/* ASCII lower-casing in place; returns s. */
char *strlower(char *s);

#endif
