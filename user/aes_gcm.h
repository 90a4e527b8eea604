/* SPDX-License-Identifier: GPL-2.0-only */
#ifndef KS_AES_GCM_H
#define KS_AES_GCM_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* AES-GCM (NIST SP 800-38D) with a 96-bit IV and a 128-bit tag, for the DTLS data
 * records, on CPUs with VAES and VPCLMULQDQ on 512-bit registers: 16 blocks a step, one
 * GHASH reduction a step, no per-call set-up beyond the key's. OpenSSL 3.0 has no such
 * code path and spends a quarter of a record's sealing on its per-call work
 * (docs/bench.md). Where the CPU lacks it, aes_gcm_supported() says no and the caller
 * keeps OpenSSL. Data-independent timing throughout: AES rounds and carry-less multiplies
 * are instructions, no tables are indexed by secrets, the tag is compared in constant
 * time. */

#define KS_GCM_IV_LEN  12
#define KS_GCM_TAG_LEN 16

struct ks_gcm_key {
	uint8_t rk[15][16]; /* the AES round keys */
	int rounds;	    /* 10 (AES-128) or 14 (AES-256) */
	/* H^16 .. H^1 in the byte-reflected form the multiply takes (each times x), then
	 * four zero blocks: a tail's lanes past its last block multiply by zero. */
	uint8_t hpow[20][16];
};

/* Whether this CPU (and its OS) runs the code below. */
bool aes_gcm_supported(void);
/* key of 16 or 32 bytes; -EINVAL otherwise, -ENOTSUP when !aes_gcm_supported(). */
int aes_gcm_init(struct ks_gcm_key *k, const uint8_t *key, size_t key_len);
void aes_gcm_wipe(struct ks_gcm_key *k);
/* SP 800-38D's bound on a plaintext (2^39 - 256 bits): past it the 32-bit counter would
 * come back to J0's and the key stream repeat. */
#define KS_GCM_MAX_LEN ((1ull << 36) - 32)

/* Both below only once aes_gcm_init succeeded (the CPU runs the code).
 * len bytes from in to out (the same or apart, not overlapping otherwise), the tag of
 * aad and the ciphertext into tag. 0, or -EMSGSIZE past KS_GCM_MAX_LEN (nothing done). */
int aes_gcm_seal(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 uint8_t tag[KS_GCM_TAG_LEN]);
/* 0 when tag is aad's and in's; -EBADMSG otherwise (out then wiped), -EMSGSIZE past
 * KS_GCM_MAX_LEN. */
int aes_gcm_open(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 const uint8_t tag[KS_GCM_TAG_LEN]);

#endif
