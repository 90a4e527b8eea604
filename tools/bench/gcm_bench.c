// SPDX-License-Identifier: GPL-2.0-only
/* What sealing and opening one DTLS record's AES-256-GCM costs: kslice's own (aes_gcm.c),
 * OpenSSL's TLS mode (the two calls a record dtls_record.c makes without it), and
 * OpenSSL's plain EVP calls (what a record layer makes: IV, AAD, data, final, tag). The
 * same buffer again and again, so this is the cipher's and the calls' cost, not the
 * cache's. Prints one line a size and method: ns a record and ns a byte, the best of 7
 * rounds. Usage: gcm_bench [SIZE ...] (default 1306, a TCP segment in a 1500-byte path,
 * and 16384). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "aes_gcm.h"

#define ROUNDS 7
#define AAD_LEN 13

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint8_t key[32] = { 1, 2, 3 }, iv[12] = { 4, 5, 6 }, aad[AAD_LEN] = { 7, 8, 9 };

static void own(uint8_t *buf, size_t len, long n, bool seal, const struct ks_gcm_key *k)
{
	uint8_t tag[16] = { 0 };

	for (long i = 0; i < n; i++) {
		iv[11] = (uint8_t)i;
		if (seal)
			(void)aes_gcm_seal(k, iv, aad, AAD_LEN, buf, buf, len, tag);
		else
			(void)aes_gcm_open(k, iv, aad, AAD_LEN, buf, buf, len, tag);
	}
}

/* buf: explicit nonce (8), payload (len), tag (16), as a TLS 1.2 record's body. */
static void tls_mode(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len, long n, bool seal)
{
	uint8_t a[AAD_LEN];
	OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, a,
							       sizeof(a)),
			    OSSL_PARAM_construct_end() };
	size_t alen = seal ? len + 8 : len + 24;

	memcpy(a, aad, 11);
	a[11] = (uint8_t)(alen >> 8), a[12] = (uint8_t)alen;
	for (long i = 0; i < n; i++) {
		EVP_CIPHER_CTX_set_params(c, p);
		EVP_Cipher(c, buf, buf, (unsigned int)(len + 24));
	}
}

static void evp_calls(EVP_CIPHER_CTX *c, uint8_t *buf, size_t len, long n, bool seal)
{
	uint8_t tag[16] = { 0 };
	int out;

	for (long i = 0; i < n; i++) {
		iv[11] = (uint8_t)i;
		EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, seal);
		EVP_CipherUpdate(c, NULL, &out, aad, AAD_LEN);
		EVP_CipherUpdate(c, buf, &out, buf, (int)len);
		if (!seal)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag);
		EVP_CipherFinal_ex(c, buf + len, &out);
		if (seal)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	}
}

int main(int argc, char **argv)
{
	size_t sizes[16] = { 1306, 16384 }, ns = 2;
	static const char *methods[] = { "kslice", "openssl-tls-mode", "openssl-evp" };
	struct ks_gcm_key k;
	bool have_own = aes_gcm_init(&k, key, 32) == 0;

	if (argc > 1) {
		ns = 0;
		for (int i = 1; i < argc && ns < 16; i++)
			sizes[ns++] = strtoul(argv[i], NULL, 10);
	}
	for (size_t s = 0; s < ns; s++) {
		size_t len = sizes[s];
		uint8_t *buf = calloc(1, len + 64);
		long n = (long)(200000000 / (len + 200)); /* about 0.1-0.3 s a round */

		if (!buf || len > 65536)
			return 1;
		for (int m = have_own ? 0 : 1; m < 3; m++) {
			for (int seal = 1; seal >= 0; seal--) {
				EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
				uint64_t best = UINT64_MAX;

				EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL, seal);
				if (m == 1)
					EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IV_FIXED, 4, iv);
				for (int r = 0; r < ROUNDS; r++) {
					uint64_t t0 = now_ns(), t;

					if (m == 0)
						own(buf, len, n, seal, &k);
					else if (m == 1)
						tls_mode(c, buf, len, n, seal);
					else
						evp_calls(c, buf, len, n, seal);
					t = now_ns() - t0;
					best = t < best ? t : best;
				}
				printf("{\"size\": %zu, \"method\": \"%s\", \"op\": \"%s\", "
				       "\"ns_per_record\": %.1f, \"ns_per_byte\": %.3f}\n",
				       len, methods[m], seal ? "seal" : "open",
				       (double)best / (double)n, (double)best / (double)n / (double)len);
				EVP_CIPHER_CTX_free(c);
			}
		}
		free(buf);
	}
	return 0;
}
