// SPDX-License-Identifier: GPL-2.0-only
/* What sealing and opening one DTLS record's AES-256-GCM costs: kslice's own (aes_gcm.c),
 * OpenSSL's TLS mode (the two calls a record dtls_record.c makes without it), and
 * OpenSSL's plain EVP calls (what a record layer makes: IV, AAD, data, final, tag). The
 * same buffer again and again, so this is the cipher's and the calls' cost, not the
 * cache's. Each open takes a fresh copy of an authentic record (timed alone as "memcpy").
 * Prints one line a size and method: ns a record and ns a byte, the best of 7 rounds.
 * Usage: gcm_bench [SIZE ...] (default 1306, a TCP segment in a 1500-byte path, and
 * 16384). */
#include <stdbool.h>
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

/* Opening needs an authentic record each time, and an in-place open leaves plaintext: every
 * method opens a fresh copy of one sealed record (the copy is in all three figures alike;
 * it is timed alone on the "memcpy" line). A refused record stops the run. */

static void copy_only(uint8_t *buf, const uint8_t *rec, size_t len, long n)
{
	for (long i = 0; i < n; i++) {
		memcpy(buf, rec, len);
		__asm__ volatile("" : : "r"(buf) : "memory");
	}
}

static void own(uint8_t *buf, const uint8_t *rec, size_t len, long n, bool seal,
		const struct ks_gcm_key *k)
{
	uint8_t tag[16];

	for (long i = 0; i < n; i++) {
		if (seal) {
			(void)aes_gcm_seal(k, iv, aad, AAD_LEN, buf, buf, len, tag);
			continue;
		}
		memcpy(buf, rec, len);
		if (aes_gcm_open(k, iv, aad, AAD_LEN, buf, buf, len, rec + len))
			abort();
	}
}

/* A TLS 1.2 record's body: explicit nonce (8), payload (len), tag (16). */
static void tls_mode(EVP_CIPHER_CTX *c, uint8_t *buf, const uint8_t *rec, size_t len, long n,
		     bool seal)
{
	uint8_t a[AAD_LEN];
	OSSL_PARAM p[2] = { OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD, a,
							       sizeof(a)),
			    OSSL_PARAM_construct_end() };
	size_t alen = seal ? len + 8 : len + 24;

	memcpy(a, aad, 11);
	a[11] = (uint8_t)(alen >> 8), a[12] = (uint8_t)alen;
	for (long i = 0; i < n; i++) {
		if (!seal)
			memcpy(buf, rec, len + 24);
		EVP_CIPHER_CTX_set_params(c, p);
		if (EVP_Cipher(c, buf, buf, (unsigned int)(len + 24)) <= 0 && !seal)
			abort();
	}
}

static void evp_calls(EVP_CIPHER_CTX *c, uint8_t *buf, const uint8_t *rec, size_t len, long n,
		      bool seal)
{
	uint8_t tag[16];
	int out;

	for (long i = 0; i < n; i++) {
		if (!seal)
			memcpy(buf, rec, len);
		EVP_CipherInit_ex(c, NULL, NULL, NULL, iv, seal);
		EVP_CipherUpdate(c, NULL, &out, aad, AAD_LEN);
		EVP_CipherUpdate(c, buf, &out, buf, (int)len);
		if (!seal)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(rec + len));
		if (EVP_CipherFinal_ex(c, buf + len, &out) != 1 && !seal)
			abort();
		if (seal)
			EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag);
	}
}

int main(int argc, char **argv)
{
	size_t sizes[16] = { 1306, 16384 }, ns = 2;
	static const char *methods[] = { "kslice", "openssl-tls-mode", "openssl-evp", "memcpy" };
	struct ks_gcm_key k;
	bool have_own = aes_gcm_init(&k, key, 32) == 0;

	if (argc > 1) {
		ns = 0;
		for (int i = 1; i < argc && ns < 16; i++)
			sizes[ns++] = strtoul(argv[i], NULL, 10);
	}
	for (size_t s = 0; s < ns; s++) {
		size_t len = sizes[s];
		uint8_t *buf = calloc(1, len + 64), *rec = calloc(1, len + 64);
		uint8_t *tls_rec = calloc(1, len + 64);
		long n = (long)(200000000 / (len + 200)); /* about 0.1-0.3 s a round */
		EVP_CIPHER_CTX *sc = EVP_CIPHER_CTX_new();

		if (!buf || !rec || !tls_rec || !sc || len > 65536)
			return 1;
		/* the records to open: sealed once by OpenSSL (plain and in TLS mode) */
		for (size_t i = 0; i < len; i++)
			rec[i] = (uint8_t)i;
		memcpy(tls_rec + 8, rec, len);
		EVP_EncryptInit_ex(sc, EVP_aes_256_gcm(), NULL, key, iv);
		{
			int out;

			EVP_EncryptUpdate(sc, NULL, &out, aad, AAD_LEN);
			EVP_EncryptUpdate(sc, rec, &out, rec, (int)len);
			EVP_EncryptFinal_ex(sc, rec + len, &out);
			EVP_CIPHER_CTX_ctrl(sc, EVP_CTRL_GCM_GET_TAG, 16, rec + len);
		}
		EVP_CIPHER_CTX_free(sc);
		sc = EVP_CIPHER_CTX_new();
		EVP_CipherInit_ex(sc, EVP_aes_256_gcm(), NULL, key, NULL, 1);
		EVP_CIPHER_CTX_ctrl(sc, EVP_CTRL_GCM_SET_IV_FIXED, 4, iv);
		tls_mode(sc, tls_rec, NULL, len, 1, true);
		EVP_CIPHER_CTX_free(sc);
		for (int m = have_own ? 0 : 1; m < 4; m++) {
			for (int seal = 1; seal >= 0; seal--) {
				EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
				uint64_t best = UINT64_MAX;

				if (m == 3 && seal)
					continue;
				EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, NULL, seal);
				if (m == 1)
					EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IV_FIXED, 4, iv);
				for (int r = 0; r < ROUNDS; r++) {
					uint64_t t0 = now_ns(), t;

					if (m == 0)
						own(buf, rec, len, n, seal, &k);
					else if (m == 1)
						tls_mode(c, buf, tls_rec, len, n, seal);
					else if (m == 2)
						evp_calls(c, buf, rec, len, n, seal);
					else
						copy_only(buf, rec, len, n);
					t = now_ns() - t0;
					best = t < best ? t : best;
				}
				printf("{\"size\": %zu, \"method\": \"%s\", \"op\": \"%s\", "
				       "\"ns_per_record\": %.1f, \"ns_per_byte\": %.3f}\n",
				       len, methods[m], m == 3 ? "copy" : seal ? "seal" : "open",
				       (double)best / (double)n, (double)best / (double)n / (double)len);
				EVP_CIPHER_CTX_free(c);
			}
		}
		free(buf), free(rec), free(tls_rec);
	}
	return 0;
}
