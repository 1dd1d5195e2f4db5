/* Unit tests of lib/nameidx.c: every name found at its position through
 * the table's growth (16 slots doubling to 65,536), names that are
 * prefixes of each other, the same bytes with another length, and a
 * caller's key that no name can equal (config.c's Env entries without
 * '='). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nameidx.h"
#include "tap.h"

#define N 20000

struct names {
	char *v[N + 1];
	size_t len[N + 1];
};

static const char *key(const void *ctx, size_t i, size_t *len)
{
	const struct names *ns = ctx;

	*len = ns->len[i];
	return ns->v[i];
}

/* 1 when each of the first n names is found at its position. */
static int all_found(const struct nameidx *x, const struct names *ns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (nameidx_find(x, ns->v[i], strlen(ns->v[i]), key, ns) != i) {
			printf("# %s not at %zu\n", ns->v[i], i);
			return 0;
		}
	return 1;
}

int main(void)
{
	static struct names ns;
	struct nameidx x = {0};
	char buf[32];
	int ok = 1;

	TAP_OK(nameidx_find(&x, "A", 1, key, &ns) == (size_t)-1, "an empty index finds nothing");
	for (size_t i = 0; i < N; i++) {
		snprintf(buf, sizeof(buf), "K%zu", i);
		ns.v[i] = strdup(buf);
		ns.len[i] = strlen(buf);
		nameidx_push(&x, key, &ns);
		/* after each growth of the table, everything is still there */
		if ((i & (i + 1)) == 0)
			ok &= all_found(&x, &ns, i + 1);
	}
	TAP_OK(ok, "found through every growth");
	TAP_OK(all_found(&x, &ns, N), "%d names at their positions", N);
	TAP_OK(x.cap >= 2 * x.n && x.n == N, "at most half full (%zu of %zu slots)", x.n, x.cap);
	TAP_OK(nameidx_find(&x, "K1", 2, key, &ns) == 1 &&
		   nameidx_find(&x, "K12", 3, key, &ns) == 12,
	       "K1 and K12 are different names");
	TAP_OK(nameidx_find(&x, "K123", 3, key, &ns) == 12, "a name is the first len bytes");
	TAP_OK(nameidx_find(&x, "K20000", 6, key, &ns) == (size_t)-1, "a missing name");
	TAP_OK(nameidx_find(&x, "", 0, key, &ns) == (size_t)-1, "the empty name is missing");
	/* a key including its NUL, as config.c gives an Env entry without '=' */
	ns.v[N] = strdup("NOEQ");
	ns.len[N] = 5;
	nameidx_push(&x, key, &ns);
	TAP_OK(nameidx_find(&x, "NOEQ", 4, key, &ns) == (size_t)-1,
	       "a key with its NUL matches no name");
	TAP_OK(all_found(&x, &ns, N), "the others are unchanged");
	nameidx_free(&x);
	TAP_OK(x.cap == 0 && x.n == 0 && nameidx_find(&x, "K1", 2, key, &ns) == (size_t)-1,
	       "freed: empty again");
	for (size_t i = 0; i <= N; i++)
		free(ns.v[i]);
	return tap_done();
}
