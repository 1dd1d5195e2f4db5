/* sha256: SHA-256 (FIPS 180-4) of a buffer in memory, written here.
 *
 * The compiler hashes a cache key per step (thousands of short texts a
 * run) and nothing else: with libcrypto that meant its provider set-up at
 * start (~1.5 ms) and the EVP layer per key. This one takes the CPU's SHA
 * extensions when it has them, portable C otherwise. Streaming digests of
 * files (the runtime's layers) stay on libcrypto (hash.h). */
#ifndef DF_SHA256_H
#define DF_SHA256_H
#include <stddef.h>
#include <stdint.h>

/* The digest of p[0..n). */
void sha256_digest(const void *p, size_t n, uint8_t md[32]);
/* The digest as 64 lowercase hex digits and a NUL. */
void sha256_hex(const void *p, size_t n, char hex[65]);
/* A digest written as 64 lowercase hex digits and a NUL. */
void sha256_to_hex(const uint8_t md[32], char hex[65]);
/* Tests: 1 when the SHA-extensions code is in use; with portable set,
 * the portable code is used from now on. */
int sha256_accelerated(void);
void sha256_force_portable(int portable);

#endif
