/* placeholder until the copy module lands */
#include "error.h"
#include "rt.h"
int op_copy(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "copy: not implemented"); }
int op_sum(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "sum: not implemented"); }
int op_workdir(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "workdir: not implemented"); }
