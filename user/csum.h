/* SPDX-License-Identifier: GPL-2.0-only */
/* The Internet checksum (RFC 1071). Sums are taken over memory as native 16-bit
 * words, which gives the right bytes when stored back natively (RFC 1071's
 * byte-order independence), so header fields are added as they sit in the
 * packet. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* Adds len bytes at p to an unfolded sum. Chain pieces at even offsets only. */
uint64_t csum_add(uint64_t sum, const void *p, size_t len);
/* The same without vector instructions: what csum_add falls back to, for the tests. */
uint64_t csum_add_portable(uint64_t sum, const void *p, size_t len);

static inline uint16_t csum_fold(uint64_t sum)
{
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

/* The checksum to store: the complement of the folded sum. */
static inline uint16_t csum_finish(uint64_t sum)
{
	return (uint16_t)~csum_fold(sum);
}

/* The TCP/UDP pseudo-header of IPv4 (ip points at the header) or IPv6, for an
 * L4 length of l4_len bytes; proto in host order. */
uint64_t csum_pseudo(const uint8_t *ip, uint8_t proto, uint32_t l4_len);

static inline void csum_store(uint8_t *at, uint16_t csum)
{
	memcpy(at, &csum, 2);
}
