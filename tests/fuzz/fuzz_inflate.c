// SPDX-License-Identifier: GPL-2.0-only
/* CSTP deflate, receive side: a sequence of compressed frames inflated in order with one
 * stream state, as the session does. Each frame is checked against a second inflater of
 * a much larger output size (same result, or -EMSGSIZE exactly when it does not fit,
 * with the stream still in step), and what was inflated goes through deflate_packet()
 * and back through a fresh pair of streams unchanged.
 * Input: output size selector, then frames as [u16 length][bytes]. */
#include "../../user/deflate.c"

#include <string.h>

#include "fuzz.h"

#define BIG_CAP	   (1u << 20)
#define MAX_FRAMES 64

static uint8_t big[BIG_CAP];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t sel = fuzz_u8(&in);
	/* The session inflates into CSTP_MAX_MTU (16384); smaller sizes reach -EMSGSIZE. */
	size_t outcap = sel & 0x80 ? 16384 : 1 + (size_t)sel * 32;
	struct ks_deflate *rx = deflate_new(), *ref = deflate_new(), *tx = deflate_new(),
			  *rx2 = deflate_new();
	uint8_t *out = malloc(outcap), *z = malloc(2 * outcap + 256), *back = malloc(outcap);
	struct ks_error e, e2;

	FUZZ_CHECK(rx && ref && tx && rx2, "deflate_new");
	for (int i = 0; i < MAX_FRAMES && in.n; i++) {
		size_t want = fuzz_u16(&in), n, outlen = 0, reflen = 0, zl = 0, backlen = 0;
		const uint8_t *p = fuzz_bytes(&in, want, &n);
		uint8_t *frame = malloc(n ? n : 1); /* exactly n bytes */
		int err, rerr;

		memcpy(frame, p, n);
		e.msg[0] = e2.msg[0] = 0;
		err = inflate_packet(rx, frame, n, out, outcap, &outlen, &e);
		rerr = inflate_packet(ref, frame, n, big, BIG_CAP, &reflen, &e2);
		free(frame);
		FUZZ_LOG("inflate: frame %d of %zu bytes: %d (%s), %zu out, big: %d, %zu", i, n,
			 err, e.msg, outlen, rerr, reflen);
		FUZZ_CHECK(!err || err == -EBADMSG || err == -EMSGSIZE, "frame %d: err %d", i, err);
		FUZZ_CHECK(!err || e.msg[0], "frame %d: error %d without a message", i, err);
		if (rerr == -EMSGSIZE) {
			FUZZ_CHECK(err == -EMSGSIZE, "frame %d: over %u bytes, but err %d", i,
				   BIG_CAP, err);
		} else if (rerr) {
			FUZZ_CHECK(err == rerr, "frame %d: err %d, with more room %d (%s / %s)", i,
				   err, rerr, e.msg, e2.msg);
		} else if (reflen > outcap) {
			FUZZ_CHECK(err == -EMSGSIZE, "frame %d: %zu bytes into %zu: err %d", i,
				   reflen, outcap, err);
		} else {
			FUZZ_CHECK(!err && outlen == reflen && !memcmp(out, big, outlen),
				   "frame %d: err %d, %zu bytes, with more room %zu", i, err,
				   outlen, reflen);
		}
		if (err == -EBADMSG)
			break; /* the session ends there */
		if (err)
			continue; /* dropped; the stream goes on */
		FUZZ_CHECK(outlen <= outcap, "%zu bytes into %zu", outlen, outcap);
		if (!outlen)
			continue;
		/* The way back: what we inflated, deflated and inflated again. */
		err = deflate_packet(tx, out, outlen, z, 2 * outcap + 256, &zl);
		FUZZ_CHECK(!err && zl <= 2 * outcap + 256, "deflate_packet: %d", err);
		err = inflate_packet(rx2, z, zl, back, outcap, &backlen, &e);
		FUZZ_CHECK(!err && backlen == outlen && !memcmp(back, out, outlen),
			   "round trip of frame %d: err %d (%s), %zu of %zu bytes", i, err, e.msg,
			   backlen, outlen);
	}
	deflate_free(rx);
	deflate_free(ref);
	deflate_free(tx);
	deflate_free(rx2);
	free(out);
	free(z);
	free(back);
	return 0;
}
