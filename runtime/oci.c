/* oci: helpers shared by load, import and pack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "error.h"
#include "oci.h"
#include "util.h"

static const struct {
	const char *uname, *goarch;
} oci_arches[] = {
    {"x86_64", "amd64"},    {"aarch64", "arm64"}, {"armv7l", "arm"},	      {"armv6l", "arm"},
    {"i686", "386"},	    {"i386", "386"},	  {"ppc64le", "ppc64le"},     {"s390x", "s390x"},
    {"riscv64", "riscv64"}, {"mips64", "mips64"}, {"loongarch64", "loong64"},
};

const char *oci_host_arch(void)
{
	static char arch[65];
	struct utsname u;

	if (arch[0])
		return arch;
	if (uname(&u) < 0)
		return "amd64";
	snprintf(arch, sizeof(arch), "%s", u.machine);
	for (size_t i = 0; i < LEN(oci_arches); i++)
		if (strcmp(u.machine, oci_arches[i].uname) == 0)
			snprintf(arch, sizeof(arch), "%s", oci_arches[i].goarch);
	return arch;
}

const char *oci_host_variant(void)
{
	const char *a = oci_host_arch();

	if (strcmp(a, "arm64") == 0)
		return "v8";
	return NULL;
}

void oci_time(time_t t, char buf[32])
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

json_t *oci_descriptor(const char *media_type, const char *digest, long long size)
{
	return json_pack("{s:s, s:s, s:I}", "mediaType", media_type, "digest", digest, "size",
			 (json_int_t)size);
}

char *oci_dumps(json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (!s)
		fatal("out of memory encoding JSON");
	return s;
}

int oci_wrap_loc(struct error *e, json_t *spec, const char *what)
{
	const char *loc = json_string_value(json_object_get(spec, "loc"));

	if (loc && *loc)
		return error_wrap(e, "%s: %s", loc, what);
	return error_wrap(e, "%s", what);
}

long long oci_default_epoch(void)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	if (!s || !*s)
		return 0;
	v = strtoll(s, &end, 10);
	return *end || v < 0 ? 0 : v;
}
