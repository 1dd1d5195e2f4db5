/* sha256: SHA-256 of a buffer in memory in one call (the compiler's cache
 * keys, the runtime's small texts). Implemented in hash.c with the
 * streaming digests, both over libcrypto's SHA-256, which takes the CPU's
 * SHA extensions itself. */
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

#endif
