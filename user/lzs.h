/* SPDX-License-Identifier: GPL-2.0-only */
/* CSTP "lzs": Stac LZS (ANSI X3.241, RFC 1974), one packet at a time with an empty
 * history, as ocserv and openconnect frame it. The bit stream, most significant bit
 * first: 0 + 8 bits, a literal byte; 11 + 7 bits or 10 + 11 bits, a match at that
 * distance back, then its length (00 2, 01 3, 10 4, 1100 5, 1101 6, 1110 7, 1111 + nibbles
 * 8 + the nibbles' sum, each 15 asking for one more); 11 + seven zero bits ends the packet,
 * padded to a byte. */
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "generated/config.h"

#define KS_LZS_MAX_OFFSET 2047

#ifdef CONFIG_COMPRESSION
/* 0 and *outlen when the stream is shorter than the packet; -ENOSPC: send it plain. */
int lzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
/* 0 and *outlen; -EBADMSG: a stream that is cut short, reaches back before the packet,
 * or decodes past outcap (never more is written than outcap). */
int unlzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
#else
#include <errno.h>
static inline int lzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap,
			     size_t *outlen)
{
	return -ENOSPC;
}
static inline int unlzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap,
			       size_t *outlen)
{
	return -EBADMSG;
}
#endif
