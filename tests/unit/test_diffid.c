/* test_diffid: a layer blob read back as its decompressed bytes (gzip of
 * one or two members, a member ending at the edge of the reader's input
 * buffer, trailing padding, plain bytes, empty): the bytes handed out
 * equal the original and the diff_id is their SHA-256; broken streams
 * are errors. Each case twice: in the caller's thread, and from the
 * reader thread's ring (diffid_pipeline), where a reader closed early
 * while the thread waits on a full ring returns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "diffid.h"
#include "error.h"
#include "sha256.h"
#include "tap.h"
#include "util.h"

#define N 300000
#define IN_BUF (256 * 1024) /* diffid.c's DIFFID_IN */

static char path[64];
static int pipelined; /* run() starts the reader thread */

/* gzip of p[0..n) at level appended to out (one member). */
static size_t gz(const unsigned char *p, size_t n, unsigned char *out, int level)
{
	z_stream z;

	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
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

/* Writes s[0..n) as the blob, reads it back through diffid: 0 when the
 * bytes handed out equal want[0..wn) and hex is their digest; -1 with
 * the error in msg. */
static int run(const unsigned char *s, size_t n, const unsigned char *want, size_t wn, char hex[65],
	       char msg[256])
{
	struct error e = {0};
	struct diffid *d;
	const void *buf;
	size_t got = 0;
	ssize_t k = 0;
	int same = 1, r = -1;
	FILE *f = fopen(path, "w");

	if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0)
		fatal("write %s", path);
	snprintf(msg, 256, "%s", "");
	if ((d = diffid_open(path, &e))) {
		if (pipelined)
			diffid_pipeline(d);
		while ((k = diffid_next(d, &buf, &e)) > 0) {
			same &= got + (size_t)k <= wn && !memcmp(want + got, buf, (size_t)k);
			got += (size_t)k;
		}
		r = k < 0 ? (diffid_close(d), -1) : diffid_finish(d, hex, &e);
	}
	if (r < 0)
		snprintf(msg, 256, "%.200s", e.msg);
	else if (!same || got != wn)
		snprintf(msg, 256, "%zu bytes out, %zu wanted, same prefix %d", got, wn, same);
	return r < 0 || !same || got != wn ? -1 : 0;
}

/* The diff_id of s[0..n) with diffid_trust(name). */
static int run_trusted(const unsigned char *s, size_t n, const char *name, char hex[65])
{
	struct error e = {0};
	struct diffid *d;
	FILE *f = fopen(path, "w");

	if (!f || fwrite(s, 1, n, f) != n || fclose(f) != 0)
		fatal("write %s", path);
	if (!(d = diffid_open(path, &e)))
		return -1;
	diffid_trust(d, name);
	if (pipelined)
		diffid_pipeline(d);
	return diffid_finish(d, hex, &e);
}

/* A first member of stored (level 0) random bytes whose gzip ends `before`
 * bytes before the end of the reader's first input buffer, then another
 * member: the next header is cut by a read. */
static int edge(const unsigned char *data, unsigned char *z, size_t before, const char *want,
		char hex[65], char msg[256])
{
	for (size_t n = IN_BUF - 2048; n < IN_BUF; n++) {
		size_t n1 = gz(data, n, z, 0);
		if (n1 != IN_BUF - before)
			continue;
		size_t n2 = n1 + gz(data + n, N - n, z + n1, 0);
		return run(z, n2, data, N, hex, msg) == 0 && !strcmp(hex, want) ? 0 : -1;
	}
	snprintf(msg, 256, "no size found");
	return -1;
}

/* Every case once, in the mode `pipelined` says (its name in each line). */
static void cases(const unsigned char *data, const unsigned char *rnd, unsigned char *z,
		  const char *want, const char *rwant)
{
	const char *mode = pipelined ? "pipelined: " : "";
	char hex[65], msg[256], empty[65];
	size_t n1, n2;

	n1 = gz(data, N, z, 6);
	TAP_OK(run(z, n1, data, N, hex, msg) == 0 && !strcmp(hex, want), "%sgzip %s", mode, msg);
	n2 = gz(data + N / 2, N - N / 2, z + gz(data, N / 2, z, 6), 6) + gz(data, N / 2, z, 6);
	TAP_OK(run(z, n2, data, N, hex, msg) == 0 && !strcmp(hex, want), "%stwo gzip members %s",
	       mode, msg);
	for (size_t before = 0; before < 4; before++)
		TAP_OK(edge(rnd, z, before, rwant, hex, msg) == 0,
		       "%sa member ending %zu bytes before the input buffer's end %s", mode, before,
		       msg);
	n1 = gz(data, N, z, 6);
	memcpy(z + n1, "\0\0\0\0", 4); /* padding after the member, as some tools write */
	TAP_OK(run(z, n1 + 4, data, N, hex, msg) == 0 && !strcmp(hex, want),
	       "%sgzip with trailing zeros %s", mode, msg);
	TAP_OK(run(data, N, data, N, hex, msg) == 0 && !strcmp(hex, want),
	       "%splain bytes: the digest of themselves %s", mode, msg);
	sha256_hex("", 0, empty);
	TAP_OK(run(data, 0, data, 0, hex, msg) == 0 && !strcmp(hex, empty),
	       "%sempty: the digest of nothing %s", mode, msg);
	TAP_OK(run_trusted(data, N,
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			   hex) == 0 &&
		   !strcmp(hex, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"),
	       "%splain bytes of a trusted name: the name, not hashed again", mode);
	n1 = gz(data, N, z, 6);
	TAP_OK(run_trusted(z, n1,
			   "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			   hex) == 0 &&
		   !strcmp(hex, want),
	       "%sgzip of a trusted name: hashed all the same", mode);
	TAP_OK(run(z, n1 / 2, data, N, hex, msg) < 0 && strstr(msg, "decompress: ") == msg,
	       "%sa truncated gzip stream is an error (%s)", mode, msg);
	z[n1 / 3] ^= 0xff;
	z[n1 / 3 + 1] ^= 0x55;
	TAP_OK(run(z, n1, data, N, hex, msg) < 0 || strcmp(hex, want) != 0,
	       "%sa corrupted gzip stream is an error or another digest (%s)", mode, msg);
}

/* 8 MiB of gzip'd bytes (more than the ring holds), one buffer read, then
 * closed: 1 when diffid_close returned (the thread joined). */
static int early_close(const unsigned char *data)
{
	size_t big = 8 << 20, n;
	unsigned char *p = xmalloc(big), *z = xmalloc(2 * big + 1024);
	struct error e = {0};
	struct diffid *d;
	const void *buf;
	FILE *f;
	int ok = 0;

	for (size_t i = 0; i < big; i++)
		p[i] = data[i % N];
	n = gz(p, big, z, 1);
	f = fopen(path, "w");
	if (!f || fwrite(z, 1, n, f) != n || fclose(f) != 0)
		fatal("write %s", path);
	if ((d = diffid_open(path, &e))) {
		diffid_pipeline(d);
		ok = diffid_next(d, &buf, &e) > 0;
		usleep(100000); /* let the thread fill the ring and wait */
		diffid_close(d);
	}
	free(p);
	free(z);
	return ok;
}

int main(void)
{
	unsigned char *data = xmalloc(N), *rnd = xmalloc(N), *z = xmalloc(4 * N + 4096);
	char want[65], rwant[65];
	int fd;

	snprintf(path, sizeof(path), "/tmp/test_diffid.XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		fatal("mkstemp");
	close(fd);
	srand(7);
	for (size_t i = 0; i < N; i++) { /* compressible, not trivially; and not at all */
		data[i] = (unsigned char)("layer bytes "[i % 12] ^ ((i / 997) & 7));
		rnd[i] = (unsigned char)(rand() >> 7);
	}
	sha256_hex(data, N, want);
	sha256_hex(rnd, N, rwant);
	for (pipelined = 0; pipelined < 2; pipelined++) {
		cases(data, rnd, z, want, rwant);
	}
	TAP_OK(early_close(data), "pipelined: closed early, the reader thread waiting on a full "
				  "ring stops and is joined");
	unlink(path);
	free(data);
	free(rnd);
	free(z);
	return tap_done();
}
