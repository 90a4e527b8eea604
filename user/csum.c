// SPDX-License-Identifier: GPL-2.0-only
#include "csum.h"
#include <arpa/inet.h>

uint64_t csum_add(uint64_t sum, const void *p, size_t len)
{
	const uint8_t *b = p;
	uint64_t a = 0, c = 0;
	uint32_t w[8];

	/* 32-bit words into 64-bit accumulators: no carries to chase for 2^32 words,
	 * and two independent chains keep the adder busy. */
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
	if (len) { /* the odd last byte counts as the high-order byte of a zero-padded
		      word */
		uint16_t h = 0;

		memcpy(&h, b, 1);
		c += h;
	}
	a = (a & 0xffffffffu) + (a >> 32) + (c & 0xffffffffu) + (c >> 32);
	sum += a;
	return sum < a ? sum + 1 : sum;
}

uint64_t csum_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4_len)
{
	uint32_t tail[2] = { htonl(l4_len), htonl(proto) };

	if ((ip[0] >> 4) == 4) /* saddr, daddr at 12..19 */
		return csum_add(csum_add(0, ip + 12, 8), tail, 8);
	return csum_add(csum_add(0, ip + 8, 32), tail, 8);
}
