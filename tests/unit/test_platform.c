/* Unit tests of platform strings (lib/platform.c) against containerd's
 * rules: Parse's aliases and variants, Normalize, matching, unknown names. */
#include <string.h>

#include "error.h"
#include "platform.h"
#include "tap.h"

/* parse s, formatted ("ERR: message" on error) */
static const char *fmt(const char *s)
{
	static char out[PLATFORM_MAX + 2048];
	struct platform p;
	struct error e = {0};

	if (platform_parse(s, &p, &e) < 0)
		snprintf(out, sizeof(out), "ERR: %s", e.msg);
	else
		platform_format(&p, out);
	return out;
}

static void test_parse(void)
{
	TAP_STREQ(fmt("linux/amd64"), "linux/amd64", "plain");
	TAP_STREQ(fmt("Linux/X86_64"), "linux/amd64", "x86_64 is amd64, lower-cased");
	TAP_STREQ(fmt("linux/amd64/v1"), "linux/amd64", "amd64/v1 is amd64");
	TAP_STREQ(fmt("linux/amd64/v3"), "linux/amd64/v3", "amd64/v3 kept");
	TAP_STREQ(fmt("linux/aarch64"), "linux/arm64", "aarch64 is arm64");
	TAP_STREQ(fmt("linux/arm64/v8"), "linux/arm64/v8", "Parse keeps a written v8");
	TAP_STREQ(fmt("linux/arm64/8"), "linux/arm64/v8", "... also as 8");
	TAP_STREQ(fmt("linux/arm"), "linux/arm", "arm: no variant written, none kept");
	TAP_STREQ(fmt("linux/arm/7"), "linux/arm/v7", "arm/7 is arm/v7");
	TAP_STREQ(fmt("linux/armhf"), "linux/arm", "armhf is arm (v7, left out as Parse does)");
	TAP_STREQ(fmt("linux/armel"), "linux/arm/v6", "armel is arm/v6");
	TAP_STREQ(fmt("linux/i386"), "linux/386", "i386 is 386");
	TAP_STREQ(fmt("arm64"), "linux/arm64", "a lone arch: linux");
	TAP_STREQ(fmt("linux/arm65"),
		  "ERR: platform \"linux/arm65\": unknown architecture \"arm65\" (known: 386, "
		  "amd64, amd64p32, arm, armbe, arm64, arm64be, ppc64, ppc64le, loong64, mips, "
		  "mipsle, mips64, mips64le, mips64p32, mips64p32le, ppc, riscv, riscv64, s390, "
		  "s390x, sparc, sparc64, wasm)",
		  "unknown arch: the known ones listed");
	TAP_OK(strstr(fmt("linuz/amd64"), "unknown operating system \"linuz\" (known: aix,"),
	       "unknown OS: the known ones listed");
	TAP_OK(!strncmp(fmt("linux//amd64"), "ERR: invalid platform", 21), "empty part");
	TAP_OK(!strncmp(fmt("linux/amd64/v1/x"), "ERR: invalid platform", 21), "four parts");
	TAP_OK(!strncmp(fmt("linux/am d64"), "ERR: invalid platform", 21), "a space");
}

static void test_match(void)
{
	struct platform p = {"linux", "arm64", "v8"}, a = {"linux", "arm", ""};

	TAP_OK(platform_match(&p, "linux", "arm64", NULL), "arm64/v8 runs an arm64 image");
	TAP_OK(platform_match(&p, "linux", "aarch64", "8"), "... and an aarch64/8 one");
	TAP_OK(!platform_match(&p, "linux", "amd64", NULL), "not an amd64 one");
	TAP_OK(platform_match(&a, "linux", "arm", "v7"), "arm is arm/v7");
	TAP_OK(!platform_match(&a, "linux", "arm", "v6"), "not arm/v6");
	TAP_OK(!platform_match(&a, NULL, "arm", NULL), "an image without os matches nothing");
	platform_normalize(&p);
	TAP_STREQ(p.variant, "", "Normalize drops arm64's v8");
	platform_normalize(&a);
	TAP_STREQ(a.variant, "v7", "... and makes arm's v7 explicit");
}

int main(void)
{
	struct platform h;

	test_parse();
	test_match();
	platform_host(&h);
	TAP_OK(platform_is_host(&h), "the host is the host");
	TAP_STREQ(h.os, "linux", "the host runs linux");
	return tap_done();
}
