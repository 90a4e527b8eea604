/* SPDX-License-Identifier: GPL-2.0-only */
/* RFC 1071 the slow, obvious way, on big-endian 16-bit words in host order: the
 * reference the tests hold packets (and user/csum.c) to. */
#pragma once
#include <stddef.h>
#include <stdint.h>

static inline uint32_t ref_csum_add(uint32_t sum, const unsigned char *p, size_t len)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	return sum;
}

static inline uint16_t ref_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}
