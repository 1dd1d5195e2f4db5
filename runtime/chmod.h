/* chmod: COPY/ADD --chmod values, octal ("0755") or symbolic like
 * chmod(1) with a zero umask ("u=rwX,go=rX", "+x", "g-w,o="). */
#ifndef DF_CHMOD_H
#define DF_CHMOD_H
#include <sys/types.h>

struct chmod_spec;
struct error;

/* Parses a --chmod value; NULL with e set on a bad one. */
struct chmod_spec *chmod_parse(const char *s, struct error *e);
/* The permission bits (07777) a copied entry with source mode gets. */
mode_t chmod_apply(const struct chmod_spec *c, mode_t mode, int isdir);
/* Frees a parsed value (NULL is fine). */
void chmod_free(struct chmod_spec *c);

#endif
