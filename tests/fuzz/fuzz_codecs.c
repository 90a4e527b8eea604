// SPDX-License-Identifier: GPL-2.0-only
/* The per-packet codecs of CSTP, both ways: oc-lz4 (oc_lz4.c) or Stac LZS (lzs.c), as the
 * selector's bit 6 says. unpack() on a block from the gateway into an output of a fuzzed
 * size (never a byte past it: the buffer is exactly that size), checked against a decode
 * into a large buffer; and pack() on the input as a packet, whose block must be shorter
 * and decode back to the same bytes. liblz4 itself is not instrumented here (OSS-Fuzz
 * fuzzes it upstream): for oc-lz4 this checks kslice's use of it; lzs.c is kslice's own.
 * Input: selector (bit 7: the session's 16 KiB output, else (bits 0-5) * 32 + 1), then
 * the bytes. */
#include "../../user/lzs.c"
#include "../../user/oc_lz4.c"

#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

#define BIG_CAP (64u << 10)

static uint8_t big[BIG_CAP];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t sel = fuzz_u8(&in);
	int (*pack)(const uint8_t *, size_t, uint8_t *, size_t, size_t *) =
		sel & 0x40 ? lzs_packet : lz4_packet;
	int (*unpack)(const uint8_t *, size_t, uint8_t *, size_t, size_t *) =
		sel & 0x40 ? unlzs_packet : unlz4_packet;
	/* The session decodes into CSTP_MAX_MTU (16384); smaller sizes reach the limit. */
	size_t outcap = sel & 0x80 ? 16384 : 1 + (size_t)(sel & 0x3f) * 32, n = in.n, outlen = 0,
	       biglen = 0, zl = 0, backlen = 0;
	uint8_t *block = malloc(n ? n : 1), *out = malloc(outcap), *z = malloc(n + 64),
		*back = malloc(n ? n : 1);
	int err, berr;

	memcpy(block, in.p, n);
	err = unpack(block, n, out, outcap, &outlen);
	berr = unpack(block, n, big, BIG_CAP, &biglen);
	FUZZ_CHECK(err == 0 || err == -EBADMSG, "err %d", err);
	FUZZ_CHECK(err || outlen <= outcap, "%zu bytes out of %zu", outlen, outcap);
	FUZZ_CHECK(err || (!berr && biglen == outlen && !memcmp(big, out, outlen)),
		   "a decode that fits differs from one into a large buffer");
	FUZZ_CHECK(!err || berr || biglen > outcap,
		   "refused though its %zu bytes fit in %zu", biglen, outcap);
	/* The same bytes as a packet of ours. */
	err = pack(block, n, z, n + 64, &zl);
	FUZZ_CHECK(err == 0 || err == -ENOSPC, "compress err %d", err);
	if (!err) {
		FUZZ_CHECK(zl < n, "a block of %zu for a packet of %zu", zl, n);
		FUZZ_CHECK(!unpack(z, zl, back, n, &backlen) && backlen == n &&
				   !memcmp(back, block, n),
			   "our block does not decode to the packet");
	}
	free(block);
	free(out);
	free(z);
	free(back);
	return 0;
}
