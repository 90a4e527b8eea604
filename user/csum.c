// SPDX-License-Identifier: GPL-2.0-only
#include "csum.h"
#include <arpa/inet.h>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* 32-bit words into 64-bit accumulators: no carries to chase for 2^32 words, and two
 * independent chains keep the adder busy. */
static uint64_t sum_words(const uint8_t *b, size_t len)
{
	uint64_t a = 0, c = 0;
	uint32_t w[8];

	while (len >= 32) {
		memcpy(w, b, 32);
		a += (uint64_t)w[0] + w[1] + w[2] + w[3];
		c += (uint64_t)w[4] + w[5] + w[6] + w[7];
		b += 32;
		len -= 32;
	}
	while (len >= 4) {
		memcpy(w, b, 4);
		a += w[0];
		b += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, b, 2);
		c += h;
		b += 2;
		len -= 2;
	}
	if (len) { /* the odd last byte counts as the high-order byte of a zero-padded word */
		uint16_t h = 0;

		memcpy(&h, b, 1);
		c += h;
	}
	return (a & 0xffffffffu) + (a >> 32) + (c & 0xffffffffu) + (c >> 32);
}

static uint64_t add_carry(uint64_t sum, uint64_t a)
{
	sum += a;
	return sum < a ? sum + 1 : sum;
}

uint64_t csum_add_portable(uint64_t sum, const void *p, size_t len)
{
	return add_carry(sum, sum_words(p, len));
}

#if defined(__x86_64__)
/* The halves of each 32-bit lane summed apart (2^16 = 1 mod 0xffff, so a word's halves
 * sum to what the word does): 64 bytes a step, three times the portable loop's rate on
 * the segments of a TSO packet. A lane gains at most 2 * 0xffff a step, so a block of
 * 2^14 steps (1 MiB) cannot overflow it, nor can a + c (at most 0xffff0000): the block
 * must not grow. len is whole steps: the tail is summed by the
 * caller, after vzeroupper (SSE code run with the upper halves dirty pays on every
 * instruction: 2x slower on a 1380-byte segment). */
__attribute__((target("avx2"))) static uint64_t sum_avx2(const uint8_t *b, size_t len)
{
	const __m256i lo = _mm256_set1_epi32(0xffff);
	uint64_t total = 0;

	while (len >= 64) {
		size_t steps = len / 64 > 16384 ? 16384 : len / 64;
		__m256i a = _mm256_setzero_si256(), c = _mm256_setzero_si256();
		uint32_t lanes[8];

		for (size_t i = 0; i < steps; i++, b += 64) {
			__m256i v = _mm256_loadu_si256((const __m256i *)b);
			__m256i w = _mm256_loadu_si256((const __m256i *)(b + 32));

			a = _mm256_add_epi32(a, _mm256_and_si256(v, lo));
			c = _mm256_add_epi32(c, _mm256_srli_epi32(v, 16));
			a = _mm256_add_epi32(a, _mm256_and_si256(w, lo));
			c = _mm256_add_epi32(c, _mm256_srli_epi32(w, 16));
		}
		len -= steps * 64;
		_mm256_storeu_si256((__m256i *)lanes, _mm256_add_epi32(a, c));
		for (int i = 0; i < 8; i++)
			total += lanes[i];
	}
	return total;
}

static bool have_avx2(void)
{
	static int known; /* 0: not asked yet, 1: no, 2: yes */

	if (!known)
		known = __builtin_cpu_supports("avx2") ? 2 : 1;
	return known == 2;
}
#endif

uint64_t csum_add(uint64_t sum, const void *p, size_t len)
{
#if defined(__x86_64__)
	if (len >= 128 && have_avx2()) {
		size_t bulk = len & ~(size_t)63;

		return add_carry(sum, sum_avx2(p, bulk) + sum_words((const uint8_t *)p + bulk,
								     len - bulk));
	}
#endif
	return csum_add_portable(sum, p, len);
}

uint64_t csum_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4_len)
{
	uint32_t tail[2] = { htonl(l4_len), htonl(proto) };

	if ((ip[0] >> 4) == 4) /* saddr, daddr at 12..19 */
		return csum_add(csum_add(0, ip + 12, 8), tail, 8);
	return csum_add(csum_add(0, ip + 8, 32), tail, 8);
}
