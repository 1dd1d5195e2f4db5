/* The streaming digests use libcrypto's SHA256_Init/Update/Final, which
 * OpenSSL 3 marks deprecated (in favour of EVP) but keeps, with the same
 * assembly (SHA extensions where the CPU has them). They need no set-up:
 * nothing here calls OPENSSL_init_crypto, so a process that only hashes
 * never reads openssl.cnf nor builds the provider's name tables (the
 * first EVP digest of a process does: 1.2 ms of CPU), and no OPENSSL_CONF
 * can change a digest. */
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include <errno.h>
#include <fcntl.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "hash.h"
#include "util.h"

void sha256_init(struct sha256 *h)
{
	SHA256_CTX *c = xmalloc(sizeof(*c));

	if (SHA256_Init(c) != 1)
		fatal("sha256: cannot initialise libcrypto digest");
	h->ctx = c;
}

void sha256_update(struct sha256 *h, const void *p, size_t n)
{
	if (n && SHA256_Update(h->ctx, p, n) != 1)
		fatal("sha256: digest update failed");
}

void sha256_final(struct sha256 *h, uint8_t md[32])
{
	if (SHA256_Final(md, h->ctx) != 1)
		fatal("sha256: digest final failed");
	free(h->ctx);
	h->ctx = NULL;
}

void sha256_final_hex(struct sha256 *h, char hex[65])
{
	uint8_t md[32];

	sha256_final(h, md);
	sha256_to_hex(md, hex);
}

int sha256_file_hex(const char *path, char hex[65])
{
	char buf[65536];
	struct sha256 h;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -1;
	sha256_init(&h);
	while ((n = read(fd, buf, sizeof(buf))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int saved = errno;
			sha256_final_hex(&h, hex);
			close(fd);
			errno = saved;
			return -1;
		}
		sha256_update(&h, buf, (size_t)n);
	}
	close(fd);
	sha256_final_hex(&h, hex);
	return 0;
}

void sha256_digest(const void *p, size_t n, uint8_t md[32])
{
	SHA256_CTX c;

	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, p, n) != 1 || SHA256_Final(md, &c) != 1)
		fatal("sha256: digest failed");
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
