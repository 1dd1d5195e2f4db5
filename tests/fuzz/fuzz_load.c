/* fuzz_load: the image-archive loader (`df2make-runtime load -i`).
 * Input: the bytes of an archive (docker-archive or OCI, any compression
 * libarchive reads). It is scanned into a throw-away store and its images
 * registered, as cmd_load does. Besides crashes, it checks containment:
 * whatever the archive says, nothing is written outside the store. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "fsutil.h"
#include "fuzz.h"
#include "load.h"

/* One sandbox dir per process: DIR/store is the store, DIR/in.tar the input;
 * anything else appearing in DIR was written outside the store. */
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

static char *fuzz_dir(void)
{
	static char *dir;
	char tmpl[] = "/tmp/fuzz_load.XXXXXX";

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

static void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size) || close(fd) < 0)
		abort();
}

/* Aborts when DIR holds anything but "store" and "in.tar". */
static void fuzz_check_contained(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		abort();
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "store") && strcmp(de->d_name, "in.tar"))
			abort(); /* the loader wrote outside its store */
	closedir(d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dir = fuzz_dir();
	char *in = path_join(dir, "in.tar"), *store = path_join(dir, "store");
	struct load_src src = {.store = store};
	struct error e = {0}, ignored;

	fuzz_write(in, data, size);
	if (load_scan_tar(&src, in, &e) == 0) {
		FILE *devnull = freopen("/dev/null", "w", stdout);
		(void)devnull; /* "Loaded image" lines are noise here */
		load_images(&src, NULL, &e);
	}
	load_src_free(&src);
	fuzz_check_contained(dir);
	/* A fresh store each time keeps runs independent and the disk small. */
	remove_tree(store, &ignored);
	free(in);
	free(store);
	return 0;
}

#ifndef DF_LIBFUZZER
int main(int argc, char **argv)
{
	int r;

	fuzz_dir(); /* made once here, not in each replay child */
	r = fuzz_replay_main(argc, argv, "load");
	return r;
}
#endif
