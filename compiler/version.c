/* version: df2make --version (see version.h). */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>
#include <jansson.h>
#include <yaml.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "emit.h"
#include "version.h"

/* The libraries linked into df2make (the runtime reports its own). */
static void version_libs(void)
{
	char pcre[64] = "";

	printf("  libyaml %s\n", yaml_get_version_string());
	if (pcre2_config(PCRE2_CONFIG_VERSION, pcre) > 0)
		printf("  pcre2 %s\n", pcre);
	printf("  jansson %s\n", jansson_version_str());
}

int version_print(void)
{
	char *rt = emit_runtime_path();
	pid_t pid;
	int status = 0;

	printf("df2make %s\n", PACKAGE_VERSION);
	version_libs();
	if (fflush(stdout) != 0)
		return 1;
	pid = fork();
	if (pid == 0) {
		execlp(rt, rt, "--version", (char *)NULL);
		printf("df2make-runtime: not found (%s)\n", rt);
		fflush(stdout);
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		status = 1;
	free(rt);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}
