// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <lz4.h>

#include "oc_lz4.h"

int lz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	int n;

	if (len < KS_LZ4_MIN_PACKET || len > INT_MAX)
		return -ENOSPC;
	/* At most len - 1 bytes out: a block that does not shrink the packet is not sent. */
	n = LZ4_compress_default((const char *)in, (char *)out, (int)len,
				 (int)(outcap < len - 1 ? outcap : len - 1));
	if (n <= 0)
		return -ENOSPC;
	*outlen = (size_t)n;
	return 0;
}

int unlz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	int n;

	if (!len || len > INT_MAX || outcap > INT_MAX)
		return -EBADMSG;
	n = LZ4_decompress_safe((const char *)in, (char *)out, (int)len, (int)outcap);
	if (n < 0)
		return -EBADMSG;
	*outlen = (size_t)n;
	return 0;
}
