/* placeholder until the store/image module lands */
#include "error.h"
#include "rt.h"
int op_base(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "base: not implemented"); }
int op_layer(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "layer: not implemented"); }
int op_pack(const struct rt *rt, const char *key, json_t *spec, struct error *e) { return error_set(e, 0, "pack: not implemented"); }
int cmd_load(const struct rt *rt, int argc, char **argv) { return 1; }
int cmd_import(const struct rt *rt, int argc, char **argv) { return 1; }
int cmd_images(const struct rt *rt, int argc, char **argv) { return 1; }
char *store_default_dir(void);
char *store_default_dir(void) { return 0; }
