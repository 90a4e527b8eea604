// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
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

/* A length in LZ4's encoding: the nibble, and while it is 15, bytes added until one is
 * not 255. Bounded by limit (a length past it is refused). -1: cut or too long. */
static long lz4_len(const uint8_t *in, size_t len, size_t *i, unsigned int nibble, size_t limit)
{
	size_t v = nibble;
	uint8_t b;

	if (nibble == 15)
		do {
			if (*i >= len)
				return -1;
			b = in[(*i)++];
			v += b;
			if (v > limit)
				return -1;
		} while (b == 255);
	return (long)v;
}

/* The decoded size of an LZ4 block that keeps the format's rules (lz4's
 * doc/lz4_Block_format.md), or -1: every match's offset points into what is already
 * decoded (never 0), and when there are matches, the last sequence is at least 5
 * literals and the last match starts at least 12 bytes before the end. liblz4's safe
 * decoder checks the end rules against the end of the output buffer, not of the data,
 * and copies from offset 0 (bytes not yet written): a block that broke them decoded
 * into a large buffer and was refused by a small one that fits its output (found by
 * fuzz_codecs), and could fill a packet with stale bytes. */
static long lz4_block_size(const uint8_t *in, size_t len, size_t cap)
{
	size_t i = 0, out = 0, last_match = 0;
	bool matches = false;

	for (;;) {
		uint8_t token;
		long lit, match;
		size_t off;

		if (i >= len)
			return -1;
		token = in[i++];
		lit = lz4_len(in, len, &i, token >> 4, len);
		if (lit < 0 || (size_t)lit > len - i || (size_t)lit > cap - out)
			return -1;
		i += (size_t)lit;
		out += (size_t)lit;
		if (i == len) /* the last sequence: literals only */
			return !matches || (lit >= 5 && out - last_match >= 12) ? (long)out : -1;
		if (len - i < 2)
			return -1;
		off = (size_t)in[i] | (size_t)in[i + 1] << 8;
		i += 2;
		if (!off || off > out)
			return -1;
		match = lz4_len(in, len, &i, token & 15, cap);
		if (match < 0 || (size_t)match + 4 > cap - out)
			return -1;
		matches = true;
		last_match = out;
		out += (size_t)match + 4;
	}
}

int unlz4_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	long want;
	int n;

	if (!len || len > INT_MAX || outcap > INT_MAX)
		return -EBADMSG;
	want = lz4_block_size(in, len, outcap);
	if (want < 0)
		return -EBADMSG;
	n = LZ4_decompress_safe((const char *)in, (char *)out, (int)len, (int)outcap);
	if (n != want)
		return -EBADMSG;
	*outlen = (size_t)n;
	return 0;
}
