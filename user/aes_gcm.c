// SPDX-License-Identifier: GPL-2.0-only
#include "aes_gcm.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

#define TARGET __attribute__((target("avx512f,avx512bw,avx512vl,vaes,vpclmulqdq,aes,pclmul")))

/* CPUID for the instructions, XCR0 for the OS: it must save the AVX-512 state (opmask
 * and all 32 registers of 512 bits) across switches, or the registers are not ours. */
static bool cpu_runs_it(void)
{
	unsigned int a, b, c, d, lo, hi;

	if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_AES) || !(c & bit_PCLMUL) ||
	    !(c & bit_OSXSAVE))
		return false;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	if ((lo & 0xe6) != 0xe6) /* SSE, AVX, opmask, ZMM_Hi256, Hi16_ZMM */
		return false;
	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d))
		return false;
	return (b & bit_AVX512F) && (b & bit_AVX512BW) && (b & bit_AVX512VL) && (c & bit_VAES) &&
	       (c & bit_VPCLMULQDQ);
}

bool aes_gcm_supported(void)
{
	static int yes = -1;

	if (yes < 0)
		yes = cpu_runs_it();
	return yes;
}

/* --- AES (FIPS 197) with AES-NI: the key schedule and one block --------------------- */

/* k ^ k << 32 ^ k << 64 ^ k << 96: each word of a round key folds in the ones before it */
TARGET static __m128i prefix_xor(__m128i k)
{
	__m128i t = _mm_slli_si128(k, 4);

	k = _mm_xor_si128(k, t);
	t = _mm_slli_si128(t, 4);
	k = _mm_xor_si128(k, t);
	t = _mm_slli_si128(t, 4);
	return _mm_xor_si128(k, t);
}

/* aeskeygenassist takes its round constant as an immediate: one macro use per round */
#define NEXT_A(prev, from, rcon)                                                                   \
	_mm_xor_si128(prefix_xor(prev),                                                            \
		      _mm_shuffle_epi32(_mm_aeskeygenassist_si128(from, rcon), 0xff))
#define NEXT_B(prev, from)                                                                         \
	_mm_xor_si128(prefix_xor(prev), _mm_shuffle_epi32(_mm_aeskeygenassist_si128(from, 0), 0xaa))

TARGET static void expand_128(__m128i rk[15], const uint8_t *key)
{
	rk[0] = _mm_loadu_si128((const __m128i *)key);
	rk[1] = NEXT_A(rk[0], rk[0], 0x01);
	rk[2] = NEXT_A(rk[1], rk[1], 0x02);
	rk[3] = NEXT_A(rk[2], rk[2], 0x04);
	rk[4] = NEXT_A(rk[3], rk[3], 0x08);
	rk[5] = NEXT_A(rk[4], rk[4], 0x10);
	rk[6] = NEXT_A(rk[5], rk[5], 0x20);
	rk[7] = NEXT_A(rk[6], rk[6], 0x40);
	rk[8] = NEXT_A(rk[7], rk[7], 0x80);
	rk[9] = NEXT_A(rk[8], rk[8], 0x1b);
	rk[10] = NEXT_A(rk[9], rk[9], 0x36);
}

TARGET static void expand_256(__m128i rk[15], const uint8_t *key)
{
	rk[0] = _mm_loadu_si128((const __m128i *)key);
	rk[1] = _mm_loadu_si128((const __m128i *)(key + 16));
	rk[2] = NEXT_A(rk[0], rk[1], 0x01);
	rk[3] = NEXT_B(rk[1], rk[2]);
	rk[4] = NEXT_A(rk[2], rk[3], 0x02);
	rk[5] = NEXT_B(rk[3], rk[4]);
	rk[6] = NEXT_A(rk[4], rk[5], 0x04);
	rk[7] = NEXT_B(rk[5], rk[6]);
	rk[8] = NEXT_A(rk[6], rk[7], 0x08);
	rk[9] = NEXT_B(rk[7], rk[8]);
	rk[10] = NEXT_A(rk[8], rk[9], 0x10);
	rk[11] = NEXT_B(rk[9], rk[10]);
	rk[12] = NEXT_A(rk[10], rk[11], 0x20);
	rk[13] = NEXT_B(rk[11], rk[12]);
	rk[14] = NEXT_A(rk[12], rk[13], 0x40);
}

TARGET static __m128i rk128(const struct ks_gcm_key *k, int r)
{
	return _mm_loadu_si128((const __m128i *)k->rk[r]);
}

TARGET static __m128i aes_block(const struct ks_gcm_key *k, __m128i b)
{
	b = _mm_xor_si128(b, rk128(k, 0));
	for (int r = 1; r < k->rounds; r++)
		b = _mm_aesenc_si128(b, rk128(k, r));
	return _mm_aesenclast_si128(b, rk128(k, k->rounds));
}

/* n registers of four counter blocks each, n a constant where it is inlined: the rounds
 * of independent registers overlap (an AES round's latency is several cycles). */
#define INLINE __attribute__((always_inline)) inline
TARGET static INLINE void aes_n(const struct ks_gcm_key *k, __m512i *b, const int n)
{
	__m512i rk = _mm512_broadcast_i32x4(rk128(k, 0));

	for (int i = 0; i < n; i++)
		b[i] = _mm512_xor_si512(b[i], rk);
	for (int r = 1; r < k->rounds; r++) {
		rk = _mm512_broadcast_i32x4(rk128(k, r));
		for (int i = 0; i < n; i++)
			b[i] = _mm512_aesenc_epi128(b[i], rk);
	}
	rk = _mm512_broadcast_i32x4(rk128(k, k->rounds));
	for (int i = 0; i < n; i++)
		b[i] = _mm512_aesenclast_epi128(b[i], rk);
}

/* --- GHASH ------------------------------------------------------------------------
 * Blocks are byte-reflected (each 16-byte lane reversed) so that GHASH's bit order
 * becomes the carry-less multiply's. A product of two such values is then the field's
 * product times x^-1; H is stored times x (mul_x), so that multiplying by it gives the
 * product itself. The 256-bit product is reduced modulo x^128 + x^127 + x^126 + x^121 + 1
 * (GCM's polynomial, reflected) by two folds of 64 bits, each a carry-less multiply by
 * the polynomial's top word. Sums of products are reduced once: reduction is linear. */

#define POLY_HI 0xc200000000000000ull

TARGET static __m128i bswap_mask(void)
{
	return _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
}

TARGET static __m128i reduce(__m128i lo, __m128i mi, __m128i hi)
{
	const __m128i poly = _mm_set_epi64x((long long)POLY_HI, 1);
	__m128i t = _mm_clmulepi64_si128(poly, lo, 0x01); /* poly's top word × lo's low */

	mi = _mm_xor_si128(mi, _mm_xor_si128(_mm_shuffle_epi32(lo, 0x4e), t));
	t = _mm_clmulepi64_si128(poly, mi, 0x01);
	return _mm_xor_si128(hi, _mm_xor_si128(_mm_shuffle_epi32(mi, 0x4e), t));
}

TARGET static __m128i gf_mul(__m128i a, __m128i b)
{
	__m128i lo = _mm_clmulepi64_si128(a, b, 0x00);
	__m128i mi =
		_mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10));
	__m128i hi = _mm_clmulepi64_si128(a, b, 0x11);

	return reduce(lo, mi, hi);
}

/* h·x: a left shift of the 128-bit value, the bit shifted out folded back in as the
 * polynomial; the add shifts each 64-bit half, so the low half's top bit is carried into
 * the high half by hand (the constant's bit 64). */
TARGET static __m128i mul_x(__m128i h)
{
	__m128i top = _mm_srai_epi32(_mm_shuffle_epi32(h, 0xd3), 31);

	h = _mm_add_epi64(h, h);
	return _mm_xor_si128(h, _mm_and_si128(top, _mm_set_epi64x((long long)(POLY_HI | 1), 1)));
}

TARGET static __m128i fold_lanes(__m512i v)
{
	__m256i y = _mm256_xor_si256(_mm512_castsi512_si256(v), _mm512_extracti64x4_epi64(v, 1));

	return _mm_xor_si128(_mm256_castsi256_si128(y), _mm256_extracti128_si256(y, 1));
}

/* acc folded with up to sixteen reflected blocks in d[0..nz-1] (lane order), block i
 * multiplied by the power at hpow[first + i]: (acc ^ X1)·H^n ^ X2·H^(n-1) ^ ... ^ Xn·H. */
TARGET static __m128i ghash_16(const struct ks_gcm_key *k, __m128i acc, const __m512i d[4],
			       int first, int nz)
{
	__m512i lo = _mm512_setzero_si512(), mi = lo, hi = lo;

	for (int j = 0; j < nz; j++) {
		__m512i x = d[j];
		__m512i h = _mm512_loadu_si512((const void *)k->hpow[first + 4 * j]);

		if (j == 0)
			x = _mm512_xor_si512(x, _mm512_inserti32x4(_mm512_setzero_si512(), acc, 0));
		lo = _mm512_xor_si512(lo, _mm512_clmulepi64_epi128(x, h, 0x00));
		mi = _mm512_ternarylogic_epi32(mi, _mm512_clmulepi64_epi128(x, h, 0x01),
					       _mm512_clmulepi64_epi128(x, h, 0x10), 0x96);
		hi = _mm512_xor_si512(hi, _mm512_clmulepi64_epi128(x, h, 0x11));
	}
	return reduce(fold_lanes(lo), fold_lanes(mi), fold_lanes(hi));
}

/* --- the mode (SP 800-38D §7) ------------------------------------------------------- */

/* The round keys, then H = E(K, 0) and its powers H^1 .. H^16, each times x. */
TARGET static void schedule(struct ks_gcm_key *k, const uint8_t *key, size_t key_len)
{
	__m128i rk[15], h, p;

	if (key_len == 16)
		expand_128(rk, key);
	else
		expand_256(rk, key);
	memcpy(k->rk, rk, (size_t)(k->rounds + 1) * 16);
	OPENSSL_cleanse(rk, sizeof(rk));
	h = aes_block(k, _mm_setzero_si128());
	h = mul_x(_mm_shuffle_epi8(h, bswap_mask()));
	p = h;
	_mm_storeu_si128((__m128i *)k->hpow[15], p);
	for (int i = 2; i <= 16; i++) {
		p = gf_mul(p, h);
		_mm_storeu_si128((__m128i *)k->hpow[16 - i], p);
	}
	OPENSSL_cleanse(&h, sizeof(h));
	OPENSSL_cleanse(&p, sizeof(p));
	_mm256_zeroall();
}

int aes_gcm_init(struct ks_gcm_key *k, const uint8_t *key, size_t key_len)
{
	if (key_len != 16 && key_len != 32)
		return -EINVAL;
	if (!aes_gcm_supported())
		return -ENOTSUP;
	memset(k, 0, sizeof(*k));
	k->rounds = key_len == 16 ? 10 : 14;
	schedule(k, key, key_len);
	return 0;
}

void aes_gcm_wipe(struct ks_gcm_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

static __mmask64 bytes_mask(size_t n) /* the first n (<= 64) bytes */
{
	return n >= 64 ? ~0ull : (1ull << n) - 1;
}

/* CTR from inc32(J0) over in, GHASH over the ciphertext (out when sealing, in when
 * opening), sixteen blocks a step: the tag before its encryption with E(K, J0), still
 * reflected. The rest after the last full step takes as many registers as it needs
 * (masked: past the end the key stream is cut off, and GHASH pads with zeros). */
TARGET static INLINE __m128i crypt_step(const struct ks_gcm_key *k, __m512i *ctr, __m128i acc,
					const uint8_t *in, uint8_t *out, size_t len, bool seal,
					const int n)
{
	const __m512i bs = _mm512_broadcast_i32x4(bswap_mask());
	const __m512i step = _mm512_set_epi32(0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4, 0, 0, 0, 4);
	int blocks = len >= 256 ? 16 : (int)((len + 15) / 16);
	__m512i b[4], g[4];

	for (int i = 0; i < n; i++) {
		b[i] = _mm512_shuffle_epi8(*ctr, bs);
		*ctr = _mm512_add_epi32(*ctr, step);
	}
	aes_n(k, b, n);
	for (int i = 0; i < n; i++) {
		__mmask64 m = bytes_mask(len - 64 * (size_t)i);
		__m512i d = _mm512_maskz_loadu_epi8(m, in + 64 * i);
		__m512i c = _mm512_maskz_mov_epi8(m, _mm512_xor_si512(d, b[i]));

		_mm512_mask_storeu_epi8(out + 64 * i, m, c);
		g[i] = _mm512_shuffle_epi8(seal ? c : d, bs);
	}
	return ghash_16(k, acc, g, 16 - blocks, n);
}

TARGET static __m128i crypt(const struct ks_gcm_key *k, __m128i j0, __m128i acc, const uint8_t *in,
			    uint8_t *out, size_t len, bool seal)
{
	/* the counter block reflected: its 32-bit counter is the low word, added to in lanes
	 * (inc32 wraps within the word, as vpaddd does) */
	__m512i ctr = _mm512_add_epi32(
		_mm512_broadcast_i32x4(_mm_add_epi32(_mm_shuffle_epi8(j0, bswap_mask()),
						     _mm_set_epi32(0, 0, 0, 1))),
		_mm512_set_epi32(0, 0, 0, 3, 0, 0, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0));

	for (; len >= 256; in += 256, out += 256, len -= 256)
		acc = crypt_step(k, &ctr, acc, in, out, 256, seal, 4);
	switch ((len + 63) / 64) {
	case 4:
		return crypt_step(k, &ctr, acc, in, out, len, seal, 4);
	case 3:
		return crypt_step(k, &ctr, acc, in, out, len, seal, 3);
	case 2:
		return crypt_step(k, &ctr, acc, in, out, len, seal, 2);
	case 1:
		return crypt_step(k, &ctr, acc, in, out, len, seal, 1);
	}
	return acc;
}

TARGET static void tag_of(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN],
			  const uint8_t *aad, size_t aad_len, const uint8_t *in, uint8_t *out,
			  size_t len, bool seal, uint8_t tag[KS_GCM_TAG_LEN])
{
	const __m128i h = _mm_loadu_si128((const __m128i *)k->hpow[15]);
	uint8_t j0b[16];
	__m128i j0, acc = _mm_setzero_si128();

	for (size_t off = 0; off < aad_len; off += 16) {
		size_t n = aad_len - off < 16 ? aad_len - off : 16;
		__m128i x = _mm_maskz_loadu_epi8((__mmask16)((1u << n) - 1), aad + off);

		acc = gf_mul(_mm_xor_si128(acc, _mm_shuffle_epi8(x, bswap_mask())), h);
	}
	memcpy(j0b, iv, KS_GCM_IV_LEN);
	memcpy(j0b + 12, "\0\0\0\1", 4);
	j0 = _mm_loadu_si128((const __m128i *)j0b);
	acc = crypt(k, j0, acc, in, out, len, seal);
	/* the lengths in bits, big-endian 64 each: reflected, the ciphertext's is the low word */
	acc = gf_mul(
		_mm_xor_si128(acc, _mm_set_epi64x((long long)(aad_len * 8), (long long)(len * 8))),
		h);
	acc = _mm_xor_si128(_mm_shuffle_epi8(acc, bswap_mask()), aes_block(k, j0));
	_mm_storeu_si128((__m128i *)tag, acc);
	/* key stream and round keys out of the registers (zmm0-15; as OpenSSL's assembly,
	 * copies the compiler spilled to the stack are not chased) */
	_mm256_zeroall();
}

int aes_gcm_seal(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 uint8_t tag[KS_GCM_TAG_LEN])
{
	if (len > KS_GCM_MAX_LEN || aad_len > KS_GCM_MAX_LEN)
		return -EMSGSIZE;
	tag_of(k, iv, aad, aad_len, in, out, len, true, tag);
	return 0;
}

int aes_gcm_open(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 const uint8_t tag[KS_GCM_TAG_LEN])
{
	uint8_t want[KS_GCM_TAG_LEN];
	int ok;

	if (len > KS_GCM_MAX_LEN || aad_len > KS_GCM_MAX_LEN)
		return -EMSGSIZE;
	tag_of(k, iv, aad, aad_len, in, out, len, false, want);
	ok = CRYPTO_memcmp(want, tag, KS_GCM_TAG_LEN) == 0;
	OPENSSL_cleanse(want, sizeof(want));
	if (!ok)
		OPENSSL_cleanse(out, len); /* a forgery's plaintext is nobody's to read */
	return ok ? 0 : -EBADMSG;
}

#else /* no VAES on this architecture: OpenSSL keeps the records */

bool aes_gcm_supported(void)
{
	return false;
}

int aes_gcm_init(struct ks_gcm_key *k, const uint8_t *key, size_t key_len)
{
	(void)k, (void)key;
	return key_len == 16 || key_len == 32 ? -ENOTSUP : -EINVAL;
}

void aes_gcm_wipe(struct ks_gcm_key *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

/* unreachable: aes_gcm_init never succeeds here */
int aes_gcm_seal(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 uint8_t tag[KS_GCM_TAG_LEN])
{
	abort();
}

int aes_gcm_open(const struct ks_gcm_key *k, const uint8_t iv[KS_GCM_IV_LEN], const uint8_t *aad,
		 size_t aad_len, const uint8_t *in, uint8_t *out, size_t len,
		 const uint8_t tag[KS_GCM_TAG_LEN])
{
	abort();
}
#endif
