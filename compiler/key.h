/* key: cache keys (docs/internals.md "Cache keys"): sha256 of a version
 * line, the parent step's key and the canonical JSON of the expanded spec
 * without title/loc; first 32 hex digits. Editing line N changes the keys
 * of step N and after only. */
#ifndef DF_KEY_H
#define DF_KEY_H
#include <jansson.h>

struct buf;
struct step;
struct sv;

/* The context dir and ignore file, written "." in keys (may be NULL). */
void key_set_paths(const char *context, const char *ignore);
/* Another path written "." in keys: a named directory context or its
 * ignore file (borrowed until the next key_set_paths). */
void key_add_path(const char *path);
/* Appends the canonical JSON of a spec: sorted keys, compact, title/loc
 * dropped, extra's fields (extra may be NULL) merged in. */
void key_canonical(struct buf *b, const struct sv *spec, const struct sv *extra);
/* Computes key (33 bytes) from the parent key (NULL/"" for none) and spec. */
void key_spec(const char *parent, const struct sv *spec, const struct sv *extra, char key[33]);
/* The same for a jansson spec (the pack step's, tests). */
void key_compute(const char *parent, json_t *spec, json_t *extra, char key[33]);
/* Sets st->key from st->parent and st->spec (a base also hashes its
 * manifest digest). */
void key_step(struct step *st);

#endif
