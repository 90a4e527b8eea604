// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "lzs.h"

struct bits_in {
	const uint8_t *p;
	size_t len, bit; /* bits read so far */
};

/* n bits (n <= 16), or -1 when the stream ends first. */
static int take(struct bits_in *b, unsigned int n)
{
	int v = 0;

	if (b->bit + n > b->len * 8)
		return -1;
	for (unsigned int i = 0; i < n; i++, b->bit++)
		v = v << 1 | (b->p[b->bit >> 3] >> (7 - (b->bit & 7)) & 1);
	return v;
}

static long match_length(struct bits_in *b)
{
	int v = take(b, 2), n;
	long len;

	if (v < 0)
		return -1;
	if (v < 3)
		return 2 + v;
	if ((v = take(b, 2)) < 0)
		return -1;
	if (v < 3)
		return 5 + v;
	len = 8;
	do { /* each nibble of 15 asks for another; bounded by the output's size below */
		if ((n = take(b, 4)) < 0)
			return -1;
		len += n;
		if (len > 65536)
			return -1;
	} while (n == 15);
	return len;
}

int unlzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	struct bits_in b = { in, len, 0 };
	size_t o = 0;

	for (;;) {
		int tag = take(&b, 1), off;
		long n;

		if (tag < 0)
			return -EBADMSG; /* no end marker */
		if (tag == 0) {
			int c = take(&b, 8);

			if (c < 0 || o >= outcap)
				return -EBADMSG;
			out[o++] = (uint8_t)c;
			continue;
		}
		if ((tag = take(&b, 1)) < 0)
			return -EBADMSG;
		off = take(&b, tag ? 7 : 11);
		if (off < 0)
			return -EBADMSG;
		if (off == 0) {
			if (!tag)
				return -EBADMSG; /* only the 7-bit zero ends a packet */
			*outlen = o;
			return 0;
		}
		n = match_length(&b);
		if (n < 0 || (size_t)off > o || (size_t)n > outcap - o)
			return -EBADMSG;
		for (long i = 0; i < n; i++, o++) /* overlapping copies repeat the pattern */
			out[o] = out[o - (size_t)off];
	}
}

struct bits_out {
	uint8_t *p;
	size_t cap, bit;
	int full;
};

static void put(struct bits_out *b, unsigned int v, unsigned int n)
{
	if (b->full || b->bit + n > b->cap * 8) {
		b->full = 1;
		return;
	}
	for (unsigned int i = n; i-- > 0; b->bit++) {
		uint8_t m = (uint8_t)(0x80 >> (b->bit & 7));

		if (v >> i & 1)
			b->p[b->bit >> 3] |= m;
		else
			b->p[b->bit >> 3] &= (uint8_t)~m;
	}
}

static void put_length(struct bits_out *b, size_t n)
{
	if (n < 5) {
		put(b, (unsigned int)(n - 2), 2);
	} else if (n < 8) {
		put(b, 0xc | (unsigned int)(n - 5), 4);
	} else {
		put(b, 0xf, 4);
		for (n -= 8; n >= 15; n -= 15)
			put(b, 0xf, 4);
		put(b, (unsigned int)n, 4);
	}
}

#define HASH_BITS 12

static unsigned int hash3(const uint8_t *p)
{
	return (unsigned int)((p[0] << 8 ^ p[1] << 4 ^ p[2]) * 2654435761u) >> (32 - HASH_BITS);
}

int lzs_packet(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen)
{
	/* Positions + 1 (0: none), for the last place each 3-byte prefix was seen. */
	uint16_t last[1u << HASH_BITS];
	struct bits_out b = { out, outcap < len ? outcap : len - 1, 0, 0 };
	size_t i = 0;

	if (len < 8 || len > 65535)
		return -ENOSPC;
	memset(last, 0, sizeof(last));
	while (i < len && !b.full) {
		size_t best = 0, dist = 0;

		if (i + 3 <= len) {
			unsigned int h = hash3(in + i);
			size_t cand = last[h];

			last[h] = (uint16_t)(i + 1);
			if (cand && i - (cand - 1) <= KS_LZS_MAX_OFFSET) {
				size_t from = cand - 1;

				while (i + best < len && in[from + best] == in[i + best])
					best++;
				dist = i - from;
			}
		}
		if (best >= 2) {
			put(&b, dist < 128 ? 3 : 2, 2);
			put(&b, (unsigned int)dist, dist < 128 ? 7 : 11);
			put_length(&b, best);
			for (size_t k = 1; k < best && i + k + 3 <= len; k++)
				last[hash3(in + i + k)] = (uint16_t)(i + k + 1);
			i += best;
		} else {
			put(&b, in[i], 9); /* 0 + the byte */
			i++;
		}
	}
	put(&b, 0x180, 9); /* 11 + seven zeros: the end */
	if (b.bit & 7)
		put(&b, 0, 8 - (b.bit & 7));
	if (b.full)
		return -ENOSPC;
	*outlen = b.bit / 8;
	return 0;
}
