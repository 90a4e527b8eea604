// SPDX-License-Identifier: GPL-2.0-only
/* kslice's AES-GCM (user/aes_gcm.c) against OpenSSL's, the reference, on the lengths,
 * keys, IVs and AAD the input gives, buffers sized exactly (AddressSanitizer sees a byte
 * read or written past them). Sealing must give OpenSSL's ciphertext and tag, apart and
 * in place; the sealed record must open; the input's own bytes taken as a record (its
 * ciphertext and a tag from the input) must be judged as OpenSSL judges them; a flipped
 * bit anywhere must be refused. On a CPU without VAES the target has nothing to test,
 * and says so once.
 * Input: flags (bit 0: AES-256, bit 1: in place), key (32), IV (12), AAD length (byte,
 * 0-64), a bit position (u16, for the flip), a tag (16), AAD, then the data. */
#include "../../user/aes_gcm.h"

#include <errno.h>
#include <openssl/evp.h>

#include "fuzz.h"

#define HEAD (1 + 32 + 12 + 1 + 2 + 16)

static int reference(bool seal, const uint8_t *key, size_t klen, const uint8_t *iv,
		     const uint8_t *aad, size_t alen, const uint8_t *in, uint8_t *out, size_t len,
		     uint8_t tag[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	FUZZ_CHECK(c, "no memory");
	ok = EVP_CipherInit_ex(c, klen == 16 ? EVP_aes_128_gcm() : EVP_aes_256_gcm(), NULL, key, iv,
			       seal) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)alen) == 1 &&
	     (!len || EVP_CipherUpdate(c, out, &n, in, (int)len) == 1) &&
	     (seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1) &&
	     EVP_CipherFinal_ex(c, out + len, &n) == 1 &&
	     (!seal || EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag) == 1);
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int supported = -1;
	struct ks_gcm_key k;
	uint8_t key[32], iv[12], tag[16], in_tag[16], ref_tag[16];
	size_t klen, alen, len, bit;
	uint8_t *aad, *pt, *ct, *ref, *out;
	bool in_place;

	if (supported < 0) {
		supported = aes_gcm_supported();
		if (!supported) /* said once: a run here tests nothing, which must not pass unseen */
			fprintf(stderr, "fuzz_gcm: this CPU has no VAES/VPCLMULQDQ with AVX-512 "
					"(or the OS does not save its state): nothing is tested\n");
	}
	if (!supported || size < HEAD)
		return 0;
	klen = data[0] & 1 ? 32 : 16;
	in_place = data[0] & 2;
	memcpy(key, data + 1, 32);
	memcpy(iv, data + 33, 12);
	alen = data[45] % 65;
	bit = (size_t)data[46] << 8 | data[47];
	memcpy(in_tag, data + 48, 16);
	data += HEAD, size -= HEAD;
	if (size < alen)
		return 0;
	len = size - alen;
	/* exact sizes: one byte past any of them is outside the allocation (+1: malloc(0)) */
	aad = malloc(alen + 1), pt = malloc(len + 1), ct = malloc(len + 1),
	ref = malloc(len + 16 + 1);
	out = malloc(len + 1);
	FUZZ_CHECK(aad && pt && ct && ref && out, "no memory");
	memcpy(aad, data, alen);
	memcpy(pt, data + alen, len);
	FUZZ_CHECK(aes_gcm_init(&k, key, klen) == 0, "a key of %zu bytes refused", klen);

	/* sealing: OpenSSL's record exactly */
	FUZZ_CHECK(!reference(true, key, klen, iv, aad, alen, pt, ref, len, ref_tag), "OpenSSL");
	if (in_place) {
		memcpy(ct, pt, len);
		FUZZ_CHECK(!aes_gcm_seal(&k, iv, aad, alen, ct, ct, len, tag), "seal");
	} else {
		FUZZ_CHECK(!aes_gcm_seal(&k, iv, aad, alen, pt, ct, len, tag), "seal");
	}
	FUZZ_CHECK(!memcmp(ct, ref, len), "ciphertext of %zu bytes unlike OpenSSL's", len);
	FUZZ_CHECK(!memcmp(tag, ref_tag, 16), "tag unlike OpenSSL's (%zu bytes)", len);

	/* the record opens, in place or apart, to the plaintext */
	if (in_place) {
		memcpy(out, ct, len);
		FUZZ_CHECK(aes_gcm_open(&k, iv, aad, alen, out, out, len, tag) == 0, "refused");
	} else {
		FUZZ_CHECK(aes_gcm_open(&k, iv, aad, alen, ct, out, len, tag) == 0, "refused");
	}
	FUZZ_CHECK(!memcmp(out, pt, len), "opened to other bytes (%zu)", len);

	/* a bit flipped in the ciphertext, the tag or the AAD: refused */
	bit %= (len + 16 + alen) * 8;
	if (bit < len * 8)
		ct[bit / 8] ^= (uint8_t)(1u << bit % 8);
	else if (bit < (len + 16) * 8)
		tag[bit / 8 - len] ^= (uint8_t)(1u << bit % 8);
	else
		aad[bit / 8 - len - 16] ^= (uint8_t)(1u << bit % 8);
	FUZZ_CHECK(aes_gcm_open(&k, iv, aad, alen, ct, out, len, tag) == -EBADMSG,
		   "a flipped bit (%zu) accepted", bit);
	for (size_t i = 0; i < len; i++)
		FUZZ_CHECK(!out[i], "a refused record's plaintext left at %zu", i);

	/* the input as a record: judged as OpenSSL judges it */
	{
		int mine = aes_gcm_open(&k, iv, aad, alen, pt, out, len, in_tag);
		int theirs = reference(false, key, klen, iv, aad, alen, pt, ref, len, in_tag);

		FUZZ_CHECK((mine == 0) == (theirs == 0), "kslice %d, OpenSSL %d", mine, theirs);
		FUZZ_CHECK(mine || !memcmp(out, ref, len), "opened unlike OpenSSL");
	}
	aes_gcm_wipe(&k);
	free(aad), free(pt), free(ct), free(ref), free(out);
	return 0;
}
