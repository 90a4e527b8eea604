/* SPDX-License-Identifier: GPL-2.0-only */
/* CSTP deflate (the ASA's): one raw-deflate stream per direction, Z_SYNC_FLUSH per packet,
 * each compressed frame ending in the big-endian running adler32 of all plaintext so far. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "generated/config.h"

struct ks_deflate;

#ifdef CONFIG_COMPRESSION
struct ks_deflate *deflate_new(void);
/* 0 and *outlen, or -ENOSPC when it would not fit (send it uncompressed then). */
int deflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
		   size_t outcap, size_t *outlen);
/* -EBADMSG: corrupt stream or checksum; the session cannot continue. -EMSGSIZE: the
 * packet inflates past outcap; it was drained and checked, drop it and go on. */
int inflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
		   size_t outcap, size_t *outlen, struct ks_error *e);
void deflate_free(struct ks_deflate *d);
#else
#include <errno.h>
static inline struct ks_deflate *deflate_new(void)
{
	return NULL;
}
static inline int deflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len,
				 uint8_t *out, size_t outcap, size_t *outlen)
{
	return -EOPNOTSUPP;
}
static inline int inflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len,
				 uint8_t *out, size_t outcap, size_t *outlen, struct ks_error *e)
{
	return ks_fail(e, -EOPNOTSUPP, "cstp: compressed frame but compression is not built in");
}
static inline void deflate_free(struct ks_deflate *d)
{
}
#endif
