/* Unit tests of image config tracking (compiler/config.c). */
#include <stdlib.h>
#include <string.h>

#include "../../compiler/config.h" /* not autoconf's config.h */
#include "instr.h"
#include "tap.h"

static char *field(const struct config *c, const char *f)
{
	json_t *v = json_object_get(c->cfg, f);

	return v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : strdup("(none)");
}

#define FIELD_IS(c, f, want, ...)                                                                  \
	do {                                                                                       \
		char *got_ = field(c, f);                                                          \
		TAP_STREQ(got_, want, __VA_ARGS__);                                                \
		free(got_);                                                                        \
	} while (0)

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
	config_free(&c);

	config_clone(&c, &base);
	config_cmd(&c, &cmd);
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
	char *h = json_dumps(c.history, JSON_COMPACT);
	TAP_STREQ(h,
		  "[{\"created_by\":\"ENV "
		  "A=2\",\"comment\":\"buildkit.dockerfile.v0\",\"empty_layer\":true},"
		  "{\"created_by\":\"RUN x # "
		  "buildkit\",\"comment\":\"buildkit.dockerfile.v0\",\"step\":\"0123\"}]",
		  "history entries: empty_layer for metadata, step for a layer");
	free(h);
	config_free(&c);
	config_free(&base);
	config_scratch(&c);
	FIELD_IS(&c, "WorkingDir", "\"/\"", "scratch gets WorkingDir /");
	config_free(&c);
	json_decref(img);
	return tap_done();
}
