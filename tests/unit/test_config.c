/* Unit tests of image config tracking (compiler/config.c). */
#include <stdlib.h>
#include <string.h>

#include "../../compiler/config.h" /* not autoconf's config.h */
#include "buf.h"
#include "instr.h"
#include "key.h"
#include "spec.h"
#include "tap.h"

static char *field(const struct config *c, const char *f)
{
	json_t *cj = config_json(c), *v = json_object_get(cj, f);
	char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(none)");

	json_decref(cj);
	return s;
}

#define FIELD_IS(c, f, want, ...)                                                                  \
	do {                                                                                       \
		char *got_ = field(c, f);                                                          \
		TAP_STREQ(got_, want, __VA_ARGS__);                                                \
		free(got_);                                                                        \
	} while (0)

/* The lazy history (config_history_sv) writes what the jansson array
 * does, as build.mk's JSON and as the key's sorted form. */
static void history_forms(const struct config *c, json_t *want, const char *what)
{
	struct spec *a = spec_new(), *b = spec_new();
	struct sv *lazy = spec_root(a), *tree = spec_root(b);
	struct buf x = {0}, y = {0};

	sv_set(lazy, "history", config_history_sv(c, a));
	sv_set(tree, "history", sv_json(b, want));
	spec_write(&x, lazy);
	spec_write(&y, tree);
	TAP_STREQ(x.s, y.s, "%s: the same JSON as the jansson array", what);
	buf_reset(&x);
	buf_reset(&y);
	key_canonical(&x, lazy, NULL);
	key_canonical(&y, tree, NULL);
	TAP_STREQ(x.s, y.s, "%s: the same canonical (key) text", what);
	TAP_OK(strstr(x.s, "{\"comment\":") != NULL, "%s: its keys are sorted there", what);
	buf_free(&x);
	buf_free(&y);
	spec_free(a);
	spec_free(b);
}

/* The lazy Env (config_env_sv) in the Env field's place writes what
 * config_json's object does, as JSON and as the key's sorted form. */
static void env_forms(const struct config *c, const char *what)
{
	struct spec *a = spec_new(), *b = spec_new();
	json_t *whole = config_json(c);
	struct sv *lazy = sv_set(spec_root(a), "config", sv_json(a, c->cfg));
	struct buf x = {0}, y = {0};

	sv_set(spec_root(b), "config", sv_json(b, whole));
	sv_set(lazy, "Env", config_env_sv(c, a));
	spec_write(&x, spec_root(a));
	spec_write(&y, spec_root(b));
	TAP_STREQ(x.s, y.s, "%s: the same JSON as the whole config", what);
	buf_reset(&x);
	buf_reset(&y);
	key_canonical(&x, spec_root(a), NULL);
	key_canonical(&y, spec_root(b), NULL);
	TAP_STREQ(x.s, y.s, "%s: the same canonical (key) text", what);
	buf_free(&x);
	buf_free(&y);
	json_decref(whole);
	spec_free(a);
	spec_free(b);
}

/* A base image's odd Env entries (not a string, no '=', a name twice)
 * stay as they are and where they are; ENV replaces the first of two;
 * a clone outlives its base. */
static void env_odd(void)
{
	json_t *img = json_loads("{\"config\":{\"User\":\"u\",\"Env\":[\"A=1\",7,\"NOEQ\","
				 "\"A=2\",\"PATH=/p\"],\"Cmd\":[\"sh\"]}}",
				 0, NULL);
	struct config base, c;

	config_from_image(&base, img);
	json_decref(img);
	env_forms(&base, "odd entries");
	TAP_STREQ(config_env_get(&base, "A"), "1", "the first of two entries is the value");
	TAP_OK(config_env_get(&base, "NOEQ") == NULL, "an entry without '=' names no variable");
	config_env_set(&base, "A", "3");
	config_env_set(&base, "B", "4");
	config_clone(&c, &base);
	config_free(&base);
	FIELD_IS(&c, "Env", "[\"A=3\",7,\"NOEQ\",\"A=2\",\"PATH=/p\",\"B=4\"]",
		 "odd entries kept in place, the first A replaced, B appended, through a clone");
	env_forms(&c, "a clone's entries");
	config_free(&c);
	config_scratch(&c);
	config_env_set(&c, "X", "y");
	env_forms(&c, "scratch");
	config_free(&c);
}

/* A base image's history comes first, as it is; a clone keeps both. */
static void history_inherited(void)
{
	json_t *img =
	    json_loads("{\"history\":[{\"created_by\":\"base\",\"created\":\"2024\"}]}", 0, NULL);
	struct config base, c;
	json_t *hj;
	char *h;

	config_from_image(&base, img);
	json_decref(img); /* the config keeps what it needs */
	config_history(&base, "ENV A=1", NULL);
	config_clone(&c, &base);
	config_free(&base);
	config_history(&c, "COPY a b # buildkit", "abcd");
	hj = config_history_json(&c);
	h = json_dumps(hj, JSON_COMPACT);
	TAP_STREQ(h,
		  "[{\"created_by\":\"base\",\"created\":\"2024\"},"
		  "{\"created_by\":\"ENV A=1\",\"comment\":\"buildkit.dockerfile.v0\","
		  "\"empty_layer\":true},"
		  "{\"created_by\":\"COPY a b # buildkit\",\"comment\":\"buildkit.dockerfile.v0\","
		  "\"step\":\"abcd\"}]",
		  "base entries first, then the stage's, through a clone");
	history_forms(&c, hj, "an inherited history");
	free(h);
	json_decref(hj);
	config_free(&c);
}

int main(void)
{
	struct config base, c;
	char *cmdw[] = {"inherited"}, *entw[] = {"/e"}, *sh[] = {"run this"};
	struct instr cmd = {.kind = I_CMD, .args = cmdw, .nargs = 1, .json = 1};
	struct instr ent = {.kind = I_ENTRYPOINT, .args = entw, .nargs = 1, .json = 1};
	struct instr shcmd = {.kind = I_CMD, .args = sh, .nargs = 1, .json = 0};
	json_t *img = json_loads("{\"config\":{\"Env\":[\"A=1\"],\"Cmd\":[\"sh\"]}}", 0, NULL);

	config_from_image(&base, img);
	FIELD_IS(&base, "Env",
		 "[\"A=1\",\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]",
		 "PATH default added when the base has none");
	config_env_set(&base, "A", "2");
	FIELD_IS(&base, "Env",
		 "[\"A=2\",\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"]",
		 "replacing a variable keeps its position");
	TAP_STREQ(config_workdir(&base), "/", "WorkingDir defaults to /");

	config_clone(&c, &base);
	config_cmd(&c, &ent);
	FIELD_IS(&c, "Cmd", "(none)", "ENTRYPOINT drops an inherited CMD");
	FIELD_IS(&c, "ArgsEscaped", "(none)",
		 "ENTRYPOINT does not set ArgsEscaped (dispatchEntrypoint)");
	config_free(&c);

	config_clone(&c, &base);
	config_cmd(&c, &cmd);
	FIELD_IS(&c, "ArgsEscaped", "true", "a JSON-form CMD sets ArgsEscaped (dispatchCmd)");
	config_cmd(&c, &ent);
	FIELD_IS(&c, "Cmd", "[\"inherited\"]", "ENTRYPOINT keeps a CMD of the same stage");
	config_cmd(&c, &shcmd);
	FIELD_IS(&c, "Cmd", "[\"/bin/sh\",\"-c\",\"run this\"]", "shell form is wrapped in SHELL");
	FIELD_IS(&c, "ArgsEscaped", "true", "shell form sets ArgsEscaped");
	config_set(&c, "Shell", json_pack("[ss]", "/bin/bash", "-c"));
	config_cmd(&c, &shcmd);
	FIELD_IS(&c, "Cmd", "[\"/bin/bash\",\"-c\",\"run this\"]", "SHELL changes the wrapping");
	config_history(&c, "ENV A=2", NULL);
	config_history(&c, "RUN x # buildkit", "0123");
	json_t *hj = config_history_json(&c);
	char *h = json_dumps(hj, JSON_COMPACT);
	TAP_STREQ(h,
		  "[{\"created_by\":\"ENV "
		  "A=2\",\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":true},"
		  "{\"created_by\":\"RUN x # "
		  "buildkit\",\"comment\":\"buildkit.dockerfile.v0\",\"step\":\"0123\"}]",
		  "history entries: empty_layer for metadata, step for a layer");
	history_forms(&c, hj, "the lazy history");
	free(h);
	json_decref(hj);
	config_free(&c);
	config_free(&base);
	config_scratch(&c);
	FIELD_IS(&c, "WorkingDir", "\"/\"", "scratch gets WorkingDir /");
	config_free(&c);
	json_decref(img);
	history_inherited();
	env_odd();
	return tap_done();
}
