/* SPDX-License-Identifier: GPL-2.0-only */
/* Big-endian header fields, read and written a byte at a time (no alignment assumed). */
#pragma once
#include <stdint.h>

static inline uint16_t pkt_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void pkt_put16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* n (1-8) bytes: the fields with no fixed-width helper, such as DTLS's 48-bit sequence. */
static inline void pkt_put_be(uint8_t *p, uint64_t v, int n)
{
	for (int i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

static inline uint64_t pkt_get_be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}
