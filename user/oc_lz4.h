/* SPDX-License-Identifier: GPL-2.0-only */
/* CSTP "oc-lz4" (ocserv, openconnect): each packet an LZ4 block of its own, no stream and no
 * checksum, so a packet that fails to decode is dropped alone. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "generated/config.h"

/* Shorter packets are sent as they are: too small to gain (openconnect's threshold). */
#define KS_LZ4_MIN_PACKET 40

#ifdef CONFIG_COMPRESSION
/* 0 and *outlen when the block is shorter than the packet; -ENOSPC: send it plain. */
int lz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
/* 0 and *outlen; -EBADMSG: not a block, or one that decodes past outcap (never more is
 * written than outcap). */
int unlz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
#else
#include <errno.h>
static inline int lz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap,
			     size_t *outlen)
{
	return -ENOSPC;
}
static inline int unlz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap,
			       size_t *outlen)
{
	return -EBADMSG;
}
#endif
