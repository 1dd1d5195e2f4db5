/* Unit tests of the one-shot digests (sha256.h) against FIPS 180-4's
 * examples and against the streaming ones (hash.h) fed in uneven pieces:
 * every length up to 1,000 bytes (all the paddings, one and two final
 * blocks) and a few big buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "sha256.h"
#include "tap.h"

/* The streaming digest of p[0..n), fed 1, 2, 3 ... bytes at a time. */
static void reference(const void *p, size_t n, char hex[65])
{
	struct sha256 h;
	size_t step = 1;

	sha256_init(&h);
	for (size_t i = 0; i < n; i += step++)
		sha256_update(&h, (const char *)p + i, step < n - i ? step : n - i);
	sha256_final_hex(&h, hex);
}

/* 1 when every length up to max (and the big sizes) agrees. */
static int all_lengths(const unsigned char *buf, size_t max)
{
	static const size_t big[] = {4096, 65535, 65536, 65537, 1 << 20};
	char got[65], want[65];

	for (size_t n = 0; n <= max; n++) {
		sha256_hex(buf, n, got);
		reference(buf, n, want);
		if (strcmp(got, want) != 0) {
			printf("# length %zu: got %s, want %s\n", n, got, want);
			return 0;
		}
	}
	for (size_t i = 0; i < sizeof(big) / sizeof(big[0]); i++) {
		sha256_hex(buf, big[i], got);
		reference(buf, big[i], want);
		if (strcmp(got, want) != 0) {
			printf("# length %zu: got %s, want %s\n", big[i], got, want);
			return 0;
		}
	}
	return 1;
}

static void fips(void)
{
	char hex[65];

	sha256_hex("abc", 3, hex);
	TAP_STREQ(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
		  "FIPS 180-4: \"abc\"");
	sha256_hex("", 0, hex);
	TAP_STREQ(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		  "the empty string");
	sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, hex);
	TAP_STREQ(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
		  "FIPS 180-4: the 448-bit message (two final blocks)");
}

int main(void)
{
	size_t size = 1 << 20;
	unsigned char *buf = malloc(size);
	unsigned seed = 12345;

	for (size_t i = 0; i < size; i++) {
		seed = seed * 1103515245 + 12345;
		buf[i] = (unsigned char)(seed >> 16);
	}
	fips();
	TAP_OK(all_lengths(buf, 1000), "lengths 0-1000 and big ones, as the streaming digest");
	free(buf);
	return tap_done();
}
