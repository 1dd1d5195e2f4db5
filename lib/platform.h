/* platform: OS/ARCH[/VARIANT] strings as containerd's platforms package
 * reads them (BuildKit's reference): parsing with its aliases (aarch64,
 * x86_64, armhf...), the default variants, formatting and matching. */
#ifndef DF_PLATFORM_H
#define DF_PLATFORM_H

struct error;

struct platform {
	char os[32];
	char arch[32];
	char variant[32]; /* "" when none */
};

/* Longest formatted platform, with its NUL. */
#define PLATFORM_MAX 100

/* Parses "os/arch[/variant]" (or a lone known OS or arch) like containerd's
 * platforms.Parse; an OS or architecture Go does not know is an error
 * naming the known ones. Returns 0, or -1 with e set. */
int platform_parse(const char *s, struct platform *p, struct error *e);
/* The machine we run on (linux, uname's arch in GOARCH spelling). */
void platform_host(struct platform *p);
/* "os/arch" or "os/arch/variant" into out. */
void platform_format(const struct platform *p, char out[PLATFORM_MAX]);
/* True when an image labelled os/arch/variant (variant may be NULL) runs
 * as p: equal after containerd's Normalize (arm64/v8 = arm64, arm = arm/v7,
 * amd64/v1 = amd64). */
int platform_match(const struct platform *p, const char *os, const char *arch, const char *variant);
/* containerd's Normalize: aliases resolved, default variants dropped
 * (arm64/v8 -> arm64, amd64/v1 -> amd64) and arm's v7 made explicit. */
void platform_normalize(struct platform *p);
/* True when p is the host's platform (runs without emulation). */
int platform_is_host(const struct platform *p);

#endif
