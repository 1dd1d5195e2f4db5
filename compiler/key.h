/* key: cache keys (docs/internals.md "Cache keys"): sha256 of a version
 * line, the parent step's key and the canonical JSON of the expanded spec
 * without title/loc; first 32 hex digits. Editing line N changes the keys
 * of step N and after only. */
#ifndef DF_KEY_H
#define DF_KEY_H
#include <jansson.h>

struct buf;
struct step;

/* Appends v as compact JSON, byte for byte what json_dumps writes with
 * JSON_COMPACT (plus JSON_SORT_KEYS when sorted), only faster. */
void key_json_write(struct buf *b, json_t *v, int sorted);
/* Remembers v's text for key_json_write, which then copies it instead of
 * serialising v again: v must be an array of strings that is no longer
 * modified. One at a time (a new call forgets the previous one). */
void key_json_cache(json_t *v);

/* The context dir and ignore file, written "." in keys (may be NULL). */
void key_set_paths(const char *context, const char *ignore);
/* Canonical JSON of a spec: sorted keys, compact, title/loc dropped;
 * extra (may be NULL) is merged in first. malloc'd. */
char *key_canonical(json_t *spec, json_t *extra);
/* Computes key (33 bytes) from the parent key (NULL/"" for none) and spec. */
void key_compute(const char *parent, json_t *spec, json_t *extra, char key[33]);
/* Sets st->key from st->parent and st->spec (a base also hashes its
 * manifest digest). */
void key_step(struct step *st);

#endif
