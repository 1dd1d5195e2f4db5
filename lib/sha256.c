/* sha256: see sha256.h. The algorithm is FIPS 180-4's; the accelerated
 * block function follows the data flow the SHA extensions are built for
 * (state as ABEF/CDGH, four rounds per message word group). */
#include <string.h>

#include "sha256.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define SHA256_X86 1
#endif

static const uint32_t sha256_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

typedef void sha256_blocks_fn(uint32_t st[8], const uint8_t *p, size_t nblocks);

static uint32_t ror(uint32_t x, int n)
{
	return x >> n | x << (32 - n);
}

static uint32_t load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The message schedule of one block: 16 words read, 48 derived. */
static void sha256_schedule(uint32_t w[64], const uint8_t *p)
{
	for (int i = 0; i < 16; i++)
		w[i] = load_be32(p + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ w[i - 15] >> 3;
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ w[i - 2] >> 10;
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
}

static void sha256_blocks_c(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
	uint32_t w[64];

	for (; nblocks--; p += 64) {
		uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
		uint32_t e = st[4], f = st[5], g = st[6], h = st[7];
		sha256_schedule(w, p);
		for (int i = 0; i < 64; i++) {
			uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) +
				      ((e & f) ^ (~e & g)) + sha256_k[i] + w[i];
			uint32_t t2 =
			    (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
			h = g;
			g = f;
			f = e;
			e = d + t1;
			d = c;
			c = b;
			b = a;
			a = t1 + t2;
		}
		st[0] += a;
		st[1] += b;
		st[2] += c;
		st[3] += d;
		st[4] += e;
		st[5] += f;
		st[6] += g;
		st[7] += h;
	}
}

#ifdef SHA256_X86
/* Four rounds per message word group g (words 4g..4g+3): the group is
 * derived from the four before it once g >= 4, m[] holding them in turn. */
__attribute__((target("sha,sse4.1,ssse3"))) static void
sha256_blocks_ni(uint32_t st[8], const uint8_t *p, size_t nblocks)
{
	const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
	__m128i t = _mm_loadu_si128((const __m128i *)st),
		s1 = _mm_loadu_si128((const __m128i *)&st[4]);
	__m128i s0;

	/* DCBA, HGFE -> ABEF, CDGH, the order the round instruction takes */
	t = _mm_shuffle_epi32(t, 0xb1);
	s1 = _mm_shuffle_epi32(s1, 0x1b);
	s0 = _mm_alignr_epi8(t, s1, 8);
	s1 = _mm_blend_epi16(s1, t, 0xf0);
	for (; nblocks--; p += 64) {
		__m128i m[4], save0 = s0, save1 = s1;
#pragma GCC unroll 4
		for (int g = 0; g < 4; g++)
			m[g] =
			    _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(p + 16 * g)), bswap);
			/* unrolled, so that m[] stays in registers */
#pragma GCC unroll 16
		for (int g = 0; g < 16; g++) {
			__m128i k;
			if (g >= 4) {
				__m128i x = _mm_sha256msg1_epu32(m[g & 3], m[(g + 1) & 3]);
				x = _mm_add_epi32(
				    x, _mm_alignr_epi8(m[(g + 3) & 3], m[(g + 2) & 3], 4));
				m[g & 3] = _mm_sha256msg2_epu32(x, m[(g + 3) & 3]);
			}
			k = _mm_add_epi32(m[g & 3],
					  _mm_loadu_si128((const __m128i *)&sha256_k[4 * g]));
			s1 = _mm_sha256rnds2_epu32(s1, s0, k);
			s0 = _mm_sha256rnds2_epu32(s0, s1, _mm_shuffle_epi32(k, 0x0e));
		}
		s0 = _mm_add_epi32(s0, save0);
		s1 = _mm_add_epi32(s1, save1);
	}
	/* ABEF, CDGH -> DCBA, HGFE */
	t = _mm_shuffle_epi32(s0, 0x1b);
	s1 = _mm_shuffle_epi32(s1, 0xb1);
	s0 = _mm_blend_epi16(t, s1, 0xf0);
	s1 = _mm_alignr_epi8(s1, t, 8);
	_mm_storeu_si128((__m128i *)st, s0);
	_mm_storeu_si128((__m128i *)&st[4], s1);
}

/* The SHA extensions and the SSE4.1/SSSE3 shuffles used with them. */
static int sha256_cpu_has_ni(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_SSE4_1) || !(c & bit_SSSE3))
		return 0;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return 0;
	return (b & bit_SHA) != 0;
}
#endif

static int sha256_portable;

static sha256_blocks_fn *sha256_blocks(void)
{
#ifdef SHA256_X86
	static int ni = -1;

	if (ni < 0)
		ni = sha256_cpu_has_ni();
	if (ni && !sha256_portable)
		return sha256_blocks_ni;
#endif
	return sha256_blocks_c;
}

int sha256_accelerated(void)
{
	return sha256_blocks() != sha256_blocks_c;
}

void sha256_force_portable(int portable)
{
	sha256_portable = portable;
}

void sha256_digest(const void *p, size_t n, uint8_t md[32])
{
	uint32_t st[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
			  0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	sha256_blocks_fn *blocks = sha256_blocks();
	const uint8_t *s = p;
	uint8_t last[128] = {0};
	size_t full = n / 64, rest = n % 64, tail = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)n * 8;

	blocks(st, s, full);
	/* the padding: 0x80, zeros, the length in bits (big-endian) */
	if (rest)
		memcpy(last, s + 64 * full, rest);
	last[rest] = 0x80;
	for (int i = 0; i < 8; i++)
		last[tail - 1 - i] = (uint8_t)(bits >> (8 * i));
	blocks(st, last, tail / 64);
	for (int i = 0; i < 8; i++) {
		md[4 * i] = (uint8_t)(st[i] >> 24);
		md[4 * i + 1] = (uint8_t)(st[i] >> 16);
		md[4 * i + 2] = (uint8_t)(st[i] >> 8);
		md[4 * i + 3] = (uint8_t)st[i];
	}
}

void sha256_to_hex(const uint8_t md[32], char hex[65])
{
	/* by hand: snprintf per byte cost more than the digest itself */
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = "0123456789abcdef"[md[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[md[i] & 15];
	}
	hex[64] = '\0';
}

void sha256_hex(const void *p, size_t n, char hex[65])
{
	uint8_t md[32];

	sha256_digest(p, n, md);
	sha256_to_hex(md, hex);
}
