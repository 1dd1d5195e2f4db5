/* hash: SHA-256 over libcrypto's SHA256_* functions (no EVP: see hash.c):
 * streaming (files, layers) here, one-shot digests of a buffer declared in
 * sha256.h. */
#ifndef DF_HASH_H
#define DF_HASH_H
#include <stddef.h>

#include "sha256.h"

struct sha256 {
	void *ctx; /* SHA256_CTX */
};

/* Starts a digest. */
void sha256_init(struct sha256 *h);
/* Feeds n bytes. */
void sha256_update(struct sha256 *h, const void *p, size_t n);
/* Finishes; writes the 32 bytes of the digest to md. */
void sha256_final(struct sha256 *h, uint8_t md[32]);
/* Finishes; writes 64 lowercase hex digits and a NUL to hex[65]. */
void sha256_final_hex(struct sha256 *h, char hex[65]);
/* Digest of a file's bytes into hex[65]; returns -1 with errno on failure. */
int sha256_file_hex(const char *path, char hex[65]);

#endif
