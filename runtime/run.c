/* placeholder until the sandbox module lands */
#include "error.h"
#include "rt.h"
int op_run(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "run: not implemented"); }
