/* binfmt: see binfmt.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binfmt.h"
#include "error.h"
#include "platform.h"
#include "util.h"

#define BINFMT_DIR "/proc/sys/fs/binfmt_misc"
#define BINFMT_HOWTO                                                                               \
	"install an emulator with `apt-get install qemu-user-static binfmt-support` (it "          \
	"registers its handlers with the F flag), or build for this machine's platform"

/* qemu's name of a GOARCH (the handler's file is qemu-NAME), or NULL. */
static const char *binfmt_qemu_name(const char *arch)
{
	static const char *const map[][2] = {
	    {"arm64", "aarch64"},	{"arm", "arm"},		{"386", "i386"},
	    {"amd64", "x86_64"},	{"ppc64le", "ppc64le"}, {"ppc64", "ppc64"},
	    {"s390x", "s390x"},		{"riscv64", "riscv64"}, {"mips64le", "mips64el"},
	    {"mips64", "mips64"},	{"mipsle", "mipsel"},	{"mips", "mips"},
	    {"loong64", "loongarch64"},
	};

	for (size_t i = 0; i < LEN(map); i++)
		if (strcmp(arch, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

/* An x86-64 kernel runs 386 code itself (as an arm64 one may run arm,
 * but not always: that one goes through a handler when registered). */
static int binfmt_native(const struct platform *p)
{
	struct platform h;

	if (platform_is_host(p))
		return 1;
	platform_host(&h);
	return strcmp(h.arch, "amd64") == 0 && strcmp(p->arch, "386") == 0;
}

/* Reads the handler file: enabled, and with the F (fix binary) flag. */
static int binfmt_handler(const char *path, const char *want, struct error *e)
{
	char line[512];
	int enabled = 0, fix = 0;
	FILE *f = fopen(path, "re");

	if (!f)
		return error_set(e, 0,
				 "%s code cannot run on this machine: no binfmt_misc handler "
				 "%s; " BINFMT_HOWTO,
				 want, path);
	while (fgets(line, sizeof(line), f)) {
		if (strcmp(line, "enabled\n") == 0)
			enabled = 1;
		else if (startswith(line, "flags: ") && strchr(line + 7, 'F'))
			fix = 1;
	}
	fclose(f);
	if (!enabled)
		return error_set(
		    e, 0,
		    "%s code cannot run on this machine: the binfmt_misc handler %s is disabled; "
		    "enable it with `echo 1 > %s`",
		    want, path, path);
	if (!fix)
		return error_set(e, 0,
				 "%s code cannot run on this machine: the binfmt_misc handler %s "
				 "lacks the F flag, so its "
				 "interpreter cannot be found inside the build's root; re-register "
				 "it with F (qemu-user-static's binfmt-support files have it)",
				 want, path);
	return 0;
}

int binfmt_check(const char *ps, struct error *e)
{
	struct platform p;
	const char *q;
	char *path;
	int r;

	if (platform_parse(ps, &p, e) < 0)
		return error_wrap(e, "spec");
	if (binfmt_native(&p))
		return 0;
	if (strcmp(p.os, "linux") != 0)
		return error_set(e, 0, "%s code cannot run on this machine: it runs linux only",
				 ps);
	q = binfmt_qemu_name(p.arch);
	if (!q)
		return error_set(e, 0,
				 "%s code cannot run on this machine: no emulator is known for %s",
				 ps, p.arch);
	if (access(BINFMT_DIR "/status", F_OK) < 0)
		return error_set(e, 0,
				 "%s code cannot run on this machine: binfmt_misc is not "
				 "mounted (mount -t binfmt_misc none " BINFMT_DIR
				 "); " BINFMT_HOWTO,
				 ps);
	path = xasprintf(BINFMT_DIR "/qemu-%s", q);
	r = binfmt_handler(path, ps, e);
	free(path);
	return r;
}
