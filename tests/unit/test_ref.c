/* test_ref: docker reference normalisation against what `docker pull`
 * and distribution/reference accept and print. */
#include <stdlib.h>

#include "error.h"
#include "ref.h"
#include "tap.h"

static void norm(const char *in, const char *want)
{
	struct error e = {0};
	char *got = ref_normalize(in, &e);

	TAP_STREQ(got, want, "normalize %s", in);
	free(got);
}

static void bad(const char *in)
{
	struct error e = {0};
	char *got = ref_normalize(in, &e);

	TAP_OK(!got && e.msg[0], "reject %s (%s)", in, e.msg);
	free(got);
}

static void fam(const char *in, const char *want)
{
	char *got = ref_familiar(in);

	TAP_STREQ(got, want, "familiar %s", in);
	free(got);
}

#define D64 "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

int main(void)
{
	norm("busybox", "docker.io/library/busybox:latest");
	norm("busybox:1.36", "docker.io/library/busybox:1.36");
	norm("me/app:1", "docker.io/me/app:1");
	norm("docker.io/busybox", "docker.io/library/busybox:latest");
	norm("index.docker.io/library/busybox", "docker.io/library/busybox:latest");
	norm("localhost/x", "localhost/x:latest");
	norm("localhost:5000/x", "localhost:5000/x:latest");
	norm("ghcr.io/a/b/c:v1.2-rc_3", "ghcr.io/a/b/c:v1.2-rc_3");
	norm("quay.io/x", "quay.io/x:latest");
	norm("x@" D64, "docker.io/library/x@" D64);
	norm("x:t@" D64, "docker.io/library/x:t@" D64);
	norm("my-registry.example.com:8080/team/img",
	     "my-registry.example.com:8080/team/img:latest");
	norm("a__b/c.d-e", "docker.io/a__b/c.d-e:latest");
	norm("docker.io/library/busybox:latest", "docker.io/library/busybox:latest");
	bad("");
	bad("Busybox");
	bad("me/App");
	bad("busybox:");
	bad("busybox:-x");
	bad("x@sha256:abc");
	bad("a//b");
	bad("a/");
	bad("-a");
	bad("a_-b");
	bad("a:b:c");
	bad("x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef");
	fam("docker.io/library/busybox:latest", "busybox:latest");
	fam("docker.io/me/app:1", "me/app:1");
	fam("docker.io/library/a/b:1", "library/a/b:1");
	fam("ghcr.io/x/y:2", "ghcr.io/x/y:2");
	return tap_done();
}
