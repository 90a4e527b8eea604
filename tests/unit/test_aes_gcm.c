// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <openssl/evp.h>

#include "aes_gcm.h"
#include "ks_test.h"

static size_t unhex(uint8_t *out, const char *hex)
{
	size_t n = 0;

	for (; hex[0] && hex[1]; hex += 2)
		out[n++] = (uint8_t)strtoul((char[]){ hex[0], hex[1], 0 }, NULL, 16);
	return n;
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static void fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		p[i] = (uint8_t)rng;
	}
}

/* OpenSSL's AES-GCM, the reference. */
static int openssl_seal(const uint8_t *key, size_t klen, const uint8_t *iv, const uint8_t *aad,
			size_t alen, const uint8_t *pt, uint8_t *ct, size_t len, uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok = c &&
		    EVP_EncryptInit_ex(c, klen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL,
				       key, iv) == 1 &&
		    (!alen || EVP_EncryptUpdate(c, NULL, &n, aad, (int)alen) == 1) &&
		    (!len || EVP_EncryptUpdate(c, ct, &n, pt, (int)len) == 1) &&
		    EVP_EncryptFinal_ex(c, ct + len, &n) == 1 &&
		    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1;

	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -EIO;
}

static bool supported(void)
{
	if (aes_gcm_supported())
		return true;
	test__skip("this CPU has no VAES/VPCLMULQDQ on AVX-512: OpenSSL keeps the records");
	return false;
}

/* The test vectors of McGrew and Viega's GCM submission to NIST (test cases 1-4, 13, 14,
 * 16). */
void test_aes_gcm_vectors(void)
{
	static const struct {
		const char *name, *key, *iv, *aad, *pt, *ct, *tag;
	} v[] = {
		{ "1: AES-128, nothing", "00000000000000000000000000000000",
		  "000000000000000000000000", "", "", "", "58e2fccefa7e3061367f1d57a4e7455a" },
		{ "2: AES-128, one block", "00000000000000000000000000000000",
		  "000000000000000000000000", "", "00000000000000000000000000000000",
		  "0388dace60b6a392f328c2b971b2fe78", "ab6e47d42cec13bdf53a67b21257bddf" },
		{ "4: AES-128, AAD, 60 bytes", "feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c9595680953"
		  "2fc"
		  "f0e2449a6b525b16aedf5aa0de657ba637b39",
		  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c"
		  "7d8"
		  "f6a5aac84aa051ba30b396a0aac973d58e091",
		  "5bc94fbc3221a5db94fae95ae7121a47" },
		{ "13: AES-256, nothing",
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", "", "", "530f8afbc74536b9a963b4f1c4cb738b" },
		{ "14: AES-256, one block",
		  "0000000000000000000000000000000000000000000000000000000000000000",
		  "000000000000000000000000", "", "00000000000000000000000000000000",
		  "cea7403d4d606b6e074ec5d3baf39d18", "d0d1c8a799996bf0265b98b5d48ab919" },
		{ "16: AES-256, AAD, 60 bytes",
		  "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
		  "cafebabefacedbaddecaf888", "feedfacedeadbeeffeedfacedeadbeefabaddad2",
		  "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c9595680953"
		  "2fc"
		  "f0e2449a6b525b16aedf5aa0de657ba637b39",
		  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa8cb08e48590dbb3d"
		  "a7b"
		  "08b1056828838c5f61e6393ba7a0abcc9f662",
		  "76fc6ece0f4e1768cddf8853bb2d551b" },
	};

	if (!supported())
		return;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		uint8_t key[32], iv[12], aad[32], pt[64], ct[64], tag[16], out[64], got[16];
		size_t klen = unhex(key, v[i].key), alen = unhex(aad, v[i].aad);
		size_t len = unhex(pt, v[i].pt);
		struct ks_gcm_key k;

		test__start_subtest(v[i].name);
		unhex(iv, v[i].iv);
		unhex(ct, v[i].ct);
		unhex(tag, v[i].tag);
		if (!ASSERT_OK(aes_gcm_init(&k, key, klen), "key"))
			continue;
		ASSERT_OK(aes_gcm_seal(&k, iv, aad, alen, pt, out, len, got), "seals");
		ASSERT_TRUE(!memcmp(out, ct, len), "ciphertext");
		ASSERT_TRUE(!memcmp(got, tag, 16), "tag");
		ASSERT_OK(aes_gcm_open(&k, iv, aad, alen, ct, out, len, tag), "opens");
		ASSERT_TRUE(!memcmp(out, pt, len), "plaintext");
		aes_gcm_wipe(&k);
	}
	test__start_subtest("a key of another size is refused");
	{
		struct ks_gcm_key k;
		uint8_t key[32] = { 0 }, iv[12] = { 0 }, tag[16] = { 0 }, buf[40];

		ASSERT_EQ(aes_gcm_init(&k, key, 24), -EINVAL, "24 bytes");
		test__start_subtest("past SP 800-38D's length the counter would wrap: refused");
		ASSERT_OK(aes_gcm_init(&k, key, 16), "key");
		ASSERT_EQ(aes_gcm_seal(&k, iv, NULL, 0, NULL, NULL, KS_GCM_MAX_LEN + 1, tag),
			  -EMSGSIZE, "sealing");
		ASSERT_EQ(aes_gcm_open(&k, iv, NULL, 0, NULL, NULL, KS_GCM_MAX_LEN + 1, tag),
			  -EMSGSIZE, "opening");
		test__start_subtest("a refused record's plaintext is wiped");
		memset(buf, 0x5a, sizeof(buf));
		ASSERT_EQ(aes_gcm_open(&k, iv, NULL, 0, buf, buf, sizeof(buf), tag), -EBADMSG,
			  "refused");
		ASSERT_TRUE(!memcmp(buf, (uint8_t[40]){ 0 }, sizeof(buf)), "wiped");
		aes_gcm_wipe(&k);
	}
}

/* Against OpenSSL: every length to 600 bytes (each tail of 0-15 blocks and partial block,
 * each path through the 16-block loop), then strides to past a DTLS record's 16 KiB; AAD
 * of several lengths; in place and apart; then each forgery is refused. */
void test_aes_gcm_matches_openssl(void)
{
	static const size_t aads[] = { 0, 13, 16, 17, 40 };
	size_t max = 17000;
	uint8_t *pt = malloc(max), *ct = malloc(max + 16), *out = malloc(max), *buf = malloc(max);
	int mismatches = 0, refused = 0, forged = 0, runs = 0;

	if (!supported() || !ASSERT_TRUE(pt && ct && out && buf, "memory"))
		goto out;
	for (size_t klen = 16; klen <= 32; klen += 16) {
		for (size_t len = 0; len <= max; len += len < 600 ? 1 : 997) {
			uint8_t key[32], iv[12], aad[40], tag[16], ref[16];
			size_t alen = aads[len % 5];
			struct ks_gcm_key k;

			fill(key, klen), fill(iv, 12), fill(aad, alen), fill(pt, len);
			if (aes_gcm_init(&k, key, klen) ||
			    openssl_seal(key, klen, iv, aad, alen, pt, ct, len, ref)) {
				mismatches++;
				continue;
			}
			runs++;
			if (aes_gcm_seal(&k, iv, aad, alen, pt, out, len, tag) ||
			    memcmp(out, ct, len) || memcmp(tag, ref, 16))
				mismatches++;
			memcpy(buf, pt, len); /* in place */
			if (aes_gcm_seal(&k, iv, aad, alen, buf, buf, len, tag) ||
			    memcmp(buf, ct, len) || memcmp(tag, ref, 16))
				mismatches++;
			if (aes_gcm_open(&k, iv, aad, alen, buf, buf, len, ref) ||
			    memcmp(buf, pt, len))
				refused++;
			/* a bit flipped in the ciphertext, the tag, the AAD or the IV */
			if (len) {
				ct[len / 2] ^= 0x10;
				forged += aes_gcm_open(&k, iv, aad, alen, ct, out, len, ref) == 0;
				ct[len / 2] ^= 0x10;
			}
			ref[len % 16] ^= 1;
			forged += aes_gcm_open(&k, iv, aad, alen, ct, out, len, ref) == 0;
			ref[len % 16] ^= 1;
			if (alen) {
				aad[alen - 1] ^= 0x80;
				forged += aes_gcm_open(&k, iv, aad, alen, ct, out, len, ref) == 0;
				aad[alen - 1] ^= 0x80;
			}
			iv[11] ^= 1;
			forged += aes_gcm_open(&k, iv, aad, alen, ct, out, len, ref) == 0;
			aes_gcm_wipe(&k);
		}
	}
	ASSERT_TRUE(runs > 1200, "every length was tried");
	ASSERT_EQ(mismatches, 0, "records unlike OpenSSL's");
	ASSERT_EQ(refused, 0, "authentic records refused");
	ASSERT_EQ(forged, 0, "forgeries accepted");
out:
	free(pt), free(ct), free(out), free(buf);
}
