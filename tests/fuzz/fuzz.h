/* fuzz: the replay driver shared by the fuzz targets. Built with
 * -DDF_LIBFUZZER, a target is a libFuzzer binary; built without it, the
 * same file gets a main() (calling fuzz_replay_main) that replays inputs:
 * the files named on the command line, or every file of
 * $SRCDIR/tests/fuzz/corpus/NAME
 * and prints one TAP line per input, so `make check` keeps every past
 * crash fixed. */
#ifndef DF_FUZZ_H
#define DF_FUZZ_H
#include <stddef.h>
#include <stdint.h>

/* The libFuzzer entry point each target defines. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifndef DF_LIBFUZZER
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Reads a whole file; NULL if it cannot be read. */
static uint8_t *fuzz_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t cap = 0, n;
	uint8_t chunk[4096];

	*len = 0;
	if (!f)
		return NULL;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (*len + n > cap) {
			cap = (*len + n) * 2;
			data = realloc(data, cap);
			if (!data)
				abort();
		}
		memcpy(data + *len, chunk, n);
		*len += n;
	}
	fclose(f);
	return data ? data : calloc(1, 1);
}

/* Runs the target over one file in a child process, so that a crash is
 * reported against its input and the remaining inputs still run. */
static void fuzz_replay_one(const char *path, int *n, int *failed)
{
	size_t len;
	uint8_t *data = fuzz_read(path, &len);
	int status = 0;
	pid_t pid;

	++*n;
	if (!data) {
		++*failed;
		printf("not ok %d - cannot read %s\n", *n, path);
		return;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		LLVMFuzzerTestOneInput(data, len);
		_exit(0);
	}
	free(data);
	if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		++*failed;
		printf("not ok %d - %s (%s %d)\n", *n, path,
		       WIFSIGNALED(status) ? "signal" : "exit status",
		       WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return;
	}
	printf("ok %d - %s\n", *n, path);
}

static int fuzz_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Replays every regular file of dir in name order. */
static void fuzz_replay_dir(const char *dir, int *n, int *failed)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t k = 0;

	if (!d) {
		++*n;
		++*failed;
		printf("not ok %d - cannot open corpus %s\n", *n, dir);
		return;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		names = realloc(names, (k + 1) * sizeof(*names));
		if (!names || !(names[k] = malloc(strlen(dir) + strlen(de->d_name) + 2)))
			abort();
		sprintf(names[k++], "%s/%s", dir, de->d_name);
	}
	closedir(d);
	qsort(names, k, sizeof(*names), fuzz_cmp);
	for (size_t i = 0; i < k; i++) {
		fuzz_replay_one(names[i], n, failed);
		free(names[i]);
	}
	free(names);
}

/* The replay main's body: the files named, else the target's corpus. */
static int fuzz_replay_main(int argc, char **argv, const char *name)
{
	int n = 0, failed = 0;
	const char *src = getenv("SRCDIR");
	char *dir;

	if (argc > 1) {
		for (int i = 1; i < argc; i++)
			fuzz_replay_one(argv[i], &n, &failed);
	} else {
		dir =
		    malloc(strlen(src ? src : ".") + sizeof("/tests/fuzz/corpus/") + strlen(name));
		if (!dir)
			abort();
		sprintf(dir, "%s/tests/fuzz/corpus/%s", src ? src : ".", name);
		fuzz_replay_dir(dir, &n, &failed);
		free(dir);
	}
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
#endif
#endif
