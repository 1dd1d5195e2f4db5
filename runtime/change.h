/* change: `docker import --change` instructions applied to a config. */
#ifndef DF_CHANGE_H
#define DF_CHANGE_H
#include <jansson.h>

struct error;

/* Applies one instruction ("ENV A=1", "CMD [\"sh\"]", ...) to cfg, the
 * image config's "config" object. */
int change_apply(json_t *cfg, const char *line, struct error *e);

#endif
