/* platform: see platform.h. The rules are containerd's (platforms/
 * database.go, platforms.go), which BuildKit and docker use. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "error.h"
#include "platform.h"
#include "util.h"

/* Go's GOOS and GOARCH lists, as containerd's isKnownOS/isKnownArch. */
static const char *const platform_oses[] = {
    "aix",   "android", "darwin", "dragonfly", "freebsd", "hurd",    "illumos", "ios", "js",
    "linux", "nacl",	"netbsd", "openbsd",   "plan9",	  "solaris", "windows", "zos"};
static const char *const platform_arches[] = {
    "386",     "amd64",	  "amd64p32", "arm",	"armbe",  "arm64",    "arm64be",   "ppc64",
    "ppc64le", "loong64", "mips",     "mipsle", "mips64", "mips64le", "mips64p32", "mips64p32le",
    "ppc",     "riscv",	  "riscv64",  "s390",	"s390x",  "sparc",    "sparc64",   "wasm"};

static int platform_in(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* "a, b, c" of a list, for messages. */
static void platform_list(char *out, size_t size, const char *const *list, size_t n)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n && len < size; i++)
		len += (size_t)snprintf(out + len, size - len, "%s%s", i ? ", " : "", list[i]);
}

/* Copies src into a 32-byte field, cut to fit (parse refuses longer). */
static void platform_set(char *dst, const char *src)
{
	size_t n = strnlen(src, 31);

	memmove(dst, src, n);
	dst[n] = '\0';
}

/* containerd's normalizeArch: aliases and default variants. */
static void platform_norm_arch(struct platform *p)
{
	char *a = p->arch, *v = p->variant;

	if (!strcmp(a, "i386")) {
		platform_set(a, "386");
		v[0] = '\0';
	} else if (!strcmp(a, "x86_64") || !strcmp(a, "x86-64") || !strcmp(a, "amd64")) {
		platform_set(a, "amd64");
		if (!strcmp(v, "v1"))
			v[0] = '\0';
	} else if (!strcmp(a, "aarch64") || !strcmp(a, "arm64")) {
		platform_set(a, "arm64");
		if (!strcmp(v, "8") || !strcmp(v, "v8") || !strcmp(v, "v8.0"))
			v[0] = '\0';
		else if (!strcmp(v, "9") || !strcmp(v, "9.0") || !strcmp(v, "v9.0"))
			platform_set(v, "v9");
	} else if (!strcmp(a, "armhf") || !strcmp(a, "armel")) {
		platform_set(v, a[3] == 'h' ? "v7" : "v6");
		platform_set(a, "arm");
	} else if (!strcmp(a, "arm")) {
		if (!v[0] || !strcmp(v, "7"))
			platform_set(v, "v7");
		else if (!strcmp(v, "5") || !strcmp(v, "6") || !strcmp(v, "8"))
			snprintf(v, 32, "v%c", v[0]);
	}
}

/* One component into dst, lower-cased; containerd allows [A-Za-z0-9_.-]+. */
static int platform_part(char *dst, const char *s, size_t n)
{
	if (n == 0 || n >= 32)
		return -1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (!isalnum(c) && c != '_' && c != '.' && c != '-')
			return -1;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	return 0;
}

/* Splits s into at most three lower-cased parts; returns their number or
 * -1 when one is empty, too long or has a character containerd refuses. */
static int platform_split(const char *s, char parts[3][32])
{
	int n = 0;

	for (const char *p = s;; n++) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (n == 3 || platform_part(parts[n], p, len) < 0)
			return -1;
		if (!slash)
			return n + 1;
		p = slash + 1;
	}
}

static int platform_unknown(const char *s, const char *what, const char *name,
			    const char *const *list, size_t n, struct error *e)
{
	char known[400];

	platform_list(known, sizeof(known), list, n);
	return error_set(e, 0, "platform \"%s\": unknown %s \"%s\" (known: %s)", s, what, name,
			 known);
}

/* A lone word: a known OS (with the host's arch) or a known arch (linux). */
static int platform_one(const char *s, const char *word, struct platform *p, struct error *e)
{
	if (platform_in(word, platform_oses, LEN(platform_oses))) {
		platform_host(p);
		platform_set(p->os, word);
		return 0;
	}
	platform_set(p->os, "linux");
	platform_set(p->arch, word);
	p->variant[0] = '\0';
	platform_norm_arch(p);
	if (!strcmp(p->arch, "arm") && !strcmp(p->variant, "v7"))
		p->variant[0] = '\0';
	if (!platform_in(p->arch, platform_arches, LEN(platform_arches)))
		return platform_unknown(s, "operating system or architecture", word,
					platform_arches, LEN(platform_arches), e);
	return 0;
}

int platform_parse(const char *s, struct platform *p, struct error *e)
{
	char parts[3][32];
	int n = platform_split(s, parts);

	memset(p, 0, sizeof(*p));
	if (n < 0)
		return error_set(e, 0, "invalid platform \"%s\": want OS/ARCH[/VARIANT]", s);
	if (n == 1)
		return platform_one(s, parts[0], p, e);
	platform_set(p->os, !strcmp(parts[0], "macos") ? "darwin" : parts[0]);
	platform_set(p->arch, parts[1]);
	platform_set(p->variant, n == 3 ? parts[2] : "");
	platform_norm_arch(p);
	/* Parse keeps what was written: linux/arm is arm, linux/arm64/v8 v8 */
	if (n == 2 && !strcmp(p->arch, "arm") && !strcmp(p->variant, "v7"))
		p->variant[0] = '\0';
	if (n == 3 && !strcmp(p->arch, "arm64") && !p->variant[0])
		platform_set(p->variant, "v8");
	if (!platform_in(p->os, platform_oses, LEN(platform_oses)))
		return platform_unknown(s, "operating system", p->os, platform_oses,
					LEN(platform_oses), e);
	if (!platform_in(p->arch, platform_arches, LEN(platform_arches)))
		return platform_unknown(s, "architecture", p->arch, platform_arches,
					LEN(platform_arches), e);
	return 0;
}

void platform_host(struct platform *p)
{
	static const struct {
		const char *machine, *arch, *variant;
	} map[] = {
	    {"x86_64", "amd64", ""},
	    {"amd64", "amd64", ""},
	    {"aarch64", "arm64", ""},
	    {"arm64", "arm64", ""},
	    {"armv7l", "arm", "v7"},
	    {"armv6l", "arm", "v6"},
	    {"i386", "386", ""},
	    {"i686", "386", ""},
	    {"ppc64le", "ppc64le", ""},
	    {"s390x", "s390x", ""},
	    {"riscv64", "riscv64", ""},
	    {"mips64", "mips64", ""},
	    {"loongarch64", "loong64", ""},
	};
	struct utsname u;

	memset(p, 0, sizeof(*p));
	platform_set(p->os, "linux");
	platform_set(p->arch, uname(&u) == 0 ? u.machine : "amd64");
	for (size_t i = 0; i < LEN(map); i++)
		if (strcmp(p->arch, map[i].machine) == 0) {
			platform_set(p->arch, map[i].arch);
			platform_set(p->variant, map[i].variant);
			break;
		}
}

void platform_format(const struct platform *p, char out[PLATFORM_MAX])
{
	snprintf(out, PLATFORM_MAX, "%s/%s%s%s", p->os, p->arch, p->variant[0] ? "/" : "",
		 p->variant);
}

void platform_normalize(struct platform *p)
{
	if (!strcmp(p->os, "macos"))
		platform_set(p->os, "darwin");
	platform_norm_arch(p);
}

int platform_match(const struct platform *p, const char *os, const char *arch, const char *variant)
{
	struct platform a = *p, b = {0};

	if (!os || !arch)
		return 0;
	platform_set(b.os, os);
	platform_set(b.arch, arch);
	platform_set(b.variant, variant ? variant : "");
	platform_normalize(&a);
	platform_normalize(&b);
	return !strcmp(a.os, b.os) && !strcmp(a.arch, b.arch) && !strcmp(a.variant, b.variant);
}

int platform_is_host(const struct platform *p)
{
	struct platform h;

	platform_host(&h);
	return platform_match(p, h.os, h.arch, h.variant);
}
