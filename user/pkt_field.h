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
