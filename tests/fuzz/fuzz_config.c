/* fuzz_config: image configs and store ref files, as the compiler reads
 * them from the store for FROM (hostile base images are input too).
 * Input: a ref file's JSON, a NUL byte, then an image config's JSON. The
 * config goes into a throw-away store as a blob, the ref (its "config"
 * field pointed at that blob when it is an object) under a fixed name;
 * store_lookup then loads the image, and the compiler's config tracking
 * (config_from_image and its accessors) runs over what came back, and over
 * the raw config too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* By path: a plain "config.h" is autoconf's (the build root comes first). */
#include "../../compiler/config.h"
#include "error.h"
#include "fsutil.h"
#include "fuzz.h"
#include "hash.h"
#include "store.h"
#include "util.h"

#define FUZZ_NAME "docker.io/library/fuzz:latest"

static char *fuzz_tmp;
static pid_t fuzz_owner;

/* The temp dir goes when the process that made it exits normally
 * (libFuzzer's time limit, the replay main; not a replay child that calls
 * exit()); a crash keeps it for inspection. */
static void fuzz_cleanup(void)
{
	struct error ignored;

	if (fuzz_tmp && getpid() == fuzz_owner)
		remove_tree(fuzz_tmp, &ignored);
}

static const char *fuzz_store(void)
{
	static char *dir;
	char tmpl[] = "/tmp/fuzz_config.XXXXXX";

	if (!dir) {
		if (!mkdtemp(tmpl))
			abort();
		dir = strdup(tmpl);
		fuzz_tmp = dir;
		fuzz_owner = getpid();
		atexit(fuzz_cleanup);
	}
	return dir;
}

/* Everything the compiler asks of a base image's config. */
static void fuzz_use_config(json_t *image)
{
	struct config c, copy;
	char **env = NULL;
	size_t n = 0;
	json_t *argv;

	config_from_image(&c, image);
	config_env_get(&c, "PATH");
	config_env_set(&c, "FUZZ", "1");
	config_env_vec(&c, &env, &n);
	for (size_t i = 0; i < n; i++)
		free(env[i]);
	free(env);
	config_workdir(&c);
	config_user(&c);
	argv = config_shell_argv(&c, "echo");
	if (!json_is_array(argv))
		abort(); /* the shell form always needs an argv */
	json_decref(argv);
	config_history(&c, "RUN fuzz", NULL);
	config_clone(&copy, &c);
	config_free(&copy);
	config_free(&c);
}

/* Puts config into the store as a blob; returns its digest (malloc'd). */
static char *fuzz_put_blob(const char *store, const char *data, size_t len)
{
	char hex[65], *digest, *path, *dir;
	struct error e;

	sha256_hex(data, len, hex);
	digest = xasprintf("sha256:%s", hex);
	path = store_blob_path(store, digest);
	dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755, &e) < 0 || write_atomic(path, data, len, 0644, &e) < 0)
		abort();
	free(dir);
	free(path);
	return digest;
}

static void fuzz_put_ref(const char *store, const char *ref, size_t len, const char *digest)
{
	json_t *j = json_loadb(ref, len, 0, NULL);
	char *path = store_ref_path(store, FUZZ_NAME), *dir = xstrdup(path), *text;
	struct error e;

	if (json_is_object(j))
		json_object_set_new(j, "config", json_string(digest));
	text = j ? json_dumps(j, JSON_ENCODE_ANY) : xstrndup(ref, len);
	*strrchr(dir, '/') = '\0';
	if (mkdir_p(dir, 0755, &e) < 0 || write_atomic(path, text, strlen(text), 0644, &e) < 0)
		abort();
	json_decref(j);
	free(text);
	free(path);
	free(dir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data, *nul = memchr(data, '\0', size);
	size_t rlen = nul ? (size_t)(nul - text) : size;
	const char *cfg = nul ? nul + 1 : "";
	size_t clen = nul ? size - rlen - 1 : 0;
	struct store_image img = {0};
	struct error e = {0};
	char *digest = fuzz_put_blob(fuzz_store(), cfg, clen);
	json_t *raw = json_loadb(cfg, clen, 0, NULL);

	fuzz_put_ref(fuzz_store(), text, rlen, digest);
	if (store_lookup(fuzz_store(), FUZZ_NAME, NULL, &img, &e) == 0) {
		if (!img.config)
			abort(); /* a successful lookup has a config */
		fuzz_use_config(img.config);
	}
	store_image_free(&img);
	fuzz_use_config(raw);
	json_decref(raw);
	free(digest);
	return 0;
}

#ifndef DF_LIBFUZZER
int main(int argc, char **argv)
{
	int r;

	fuzz_store(); /* made once here, not in each replay child */
	r = fuzz_replay_main(argc, argv, "config");
	return r;
}
#endif
