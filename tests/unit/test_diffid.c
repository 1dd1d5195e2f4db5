/* test_diffid: a layer's diff_id computed from its compressed bytes as
 * they are fed in pieces of any size (gzip of one or two members, plain
 * bytes, empty), against the SHA-256 of the bytes themselves; broken
 * streams are errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "diffid.h"
#include "error.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

#define N 300000

/* gzip of p[0..n) appended to out (one member). */
static size_t gz(const unsigned char *p, size_t n, unsigned char *out)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		fatal("deflateInit2");
	z.next_in = (unsigned char *)p;
	z.avail_in = (uInt)n;
	z.next_out = out;
	z.avail_out = (uInt)(2 * n + 1024);
	if (deflate(&z, Z_FINISH) != Z_STREAM_END)
		fatal("deflate");
	n = z.total_out;
	deflateEnd(&z);
	return n;
}

/* The diff_id of s[0..n) fed `step` bytes at a time; -1 on error (msg). */
static int run(const unsigned char *s, size_t n, size_t step, char hex[65], char msg[256])
{
	struct error e = {0};
	struct diffid *d = diffid_start(&e);
	int r = d ? 0 : -1;

	for (size_t off = 0; r == 0 && off < n; off += step)
		r = diffid_feed(d, s + off, off + step < n ? step : n - off, &e);
	if (r < 0)
		diffid_abort(d);
	else
		r = diffid_finish(d, hex, &e);
	snprintf(msg, 256, "%.200s", r < 0 ? e.msg : "");
	return r;
}

int main(void)
{
	unsigned char *data = xmalloc(N), *z = xmalloc(4 * N + 4096);
	char want[65], hex[65], msg[256], empty[65];
	size_t n1, n2;

	for (size_t i = 0; i < N; i++) /* compressible, not trivially */
		data[i] = (unsigned char)("layer bytes "[i % 12] ^ ((i / 997) & 7));
	sha256_hex(data, N, want);
	n1 = gz(data, N, z);
	TAP_OK(run(z, n1, n1, hex, msg) == 0 && !strcmp(hex, want), "gzip, fed at once %s", msg);
	TAP_OK(run(z, n1, 1, hex, msg) == 0 && !strcmp(hex, want), "gzip, fed byte by byte %s",
	       msg);
	n2 = gz(data + N / 2, N - N / 2, z + gz(data, N / 2, z)) + gz(data, N / 2, z);
	TAP_OK(run(z, n2, 1, hex, msg) == 0 && !strcmp(hex, want),
	       "two gzip members, byte by byte (a member may end where a read does) %s", msg);
	TAP_OK(run(z, n2, 7777, hex, msg) == 0 && !strcmp(hex, want),
	       "two gzip members, 7777-byte pieces %s", msg);
	n1 = gz(data, N, z);
	memcpy(z + n1, "\0\0\0\0", 4); /* padding after the member, as some tools write */
	TAP_OK(run(z, n1 + 4, 4096, hex, msg) == 0 && !strcmp(hex, want),
	       "gzip with trailing zeros %s", msg);
	TAP_OK(run(data, N, 65536, hex, msg) == 0 && !strcmp(hex, want),
	       "plain bytes: the digest of themselves %s", msg);
	sha256_hex("", 0, empty);
	TAP_OK(run(data, 0, 1, hex, msg) == 0 && !strcmp(hex, empty),
	       "empty: the digest of nothing");
	n1 = gz(data, N, z);
	TAP_OK(run(z, n1 / 2, 4096, hex, msg) < 0 && strstr(msg, "decompress: ") == msg,
	       "a truncated gzip stream is an error (%s)", msg);
	z[n1 / 3] ^= 0xff;
	z[n1 / 3 + 1] ^= 0x55;
	TAP_OK(run(z, n1, 4096, hex, msg) < 0 || strcmp(hex, want) != 0,
	       "a corrupted gzip stream is an error or another digest (%s)", msg);
	free(data);
	free(z);
	return tap_done();
}
