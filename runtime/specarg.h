/* specarg: a step's spec as build.mk's recipe passes it: the JSON itself,
 * or `@STATE/HASH.spec` for one too long for a command line, a file the
 * recipe wrote with GNU make's $(file) just before it ran (compiler/
 * specout.h; docs/internals.md, "Invocation"). HASH is the first 32 hex
 * digits of the SHA-256 of the JSON: a file that is missing, cut short
 * by a concurrent writer or changed is an error, never another spec. */
#ifndef DF_SPECARG_H
#define DF_SPECARG_H

#include <jansson.h>

struct error;
struct rt;

/* The largest spec file read, in bytes (a pack spec of 50,000 ENV lines
 * is about 10 MB). */
#define SPECARG_MAX (256u << 20)

/* The spec arg names (JSON text or @FILE in rt's state directory); NULL
 * with the error in e. */
json_t *specarg_load(const struct rt *rt, const char *arg, struct error *e);

#endif
