// SPDX-License-Identifier: GPL-2.0-only
/* CSTP framing: cstp_next_frame() walked over a stream as the tunnel does, with what an
 * incremental reader relies on (a frame is found exactly when its last byte is there,
 * never sooner, and bad magic is refused as soon as it arrives), and cstp_reason() of
 * each frame into an output of fuzzed size. Input: reason buffer size, then the stream. */
#include "../../user/cstp_frame.c"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"

static void check_text(const char *s, size_t outlen)
{
	size_t n = strlen(s);

	FUZZ_CHECK(n < outlen, "reason of %zu bytes in %zu", n, outlen);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		FUZZ_CHECK(c >= 0x20 && c != 0x7f, "control byte 0x%02x in reason", c);
		/* C1 controls (U+0080..U+009F) as UTF-8 are 0xc2 0x80..0x9f. */
		FUZZ_CHECK(!(c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0),
			   "C1 control in reason");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	size_t outlen = (size_t)fuzz_u8(&in) + 1, off = 0, used, plen;
	const uint8_t *s = in.p;
	size_t n = in.n;
	char *out = malloc(outlen);
	struct ks_cstp_frame f;
	struct ks_error e;
	int err;

	for (;;) {
		size_t left = n - off;

		e.msg[0] = 0;
		err = cstp_next_frame(s + off, left, &f, &used, &e);
		if (err == -EAGAIN) {
			for (size_t i = 0; i < left && i < 4; i++)
				FUZZ_CHECK(s[off + i] == (uint8_t) "STF\x01"[i],
					   "bad magic not refused");
			if (left >= CSTP_HDR_LEN) {
				plen = (size_t)s[off + 4] << 8 | s[off + 5];
				FUZZ_CHECK(s[off + 7] == 0 && left - CSTP_HDR_LEN < plen,
					   "complete frame reported as partial");
			}
			break;
		}
		if (err) {
			FUZZ_CHECK(err == -EBADMSG && e.msg[0], "err %d '%s'", err, e.msg);
			FUZZ_CHECK(memcmp(s + off, "STF\x01", left < 4 ? left : 4) ||
					   (left >= CSTP_HDR_LEN && s[off + 7]),
				   "good header refused: %s", e.msg);
			break;
		}
		FUZZ_CHECK(used == CSTP_HDR_LEN + (size_t)f.len && used <= left,
			   "frame of %zu bytes with %zu left", used, left);
		FUZZ_CHECK(f.payload == s + off + CSTP_HDR_LEN && f.type == s[off + 6] &&
				   f.len == ((size_t)s[off + 4] << 8 | s[off + 5]),
			   "frame fields");
		/* One byte less is always "need more": the reader never takes a frame early. */
		for (size_t k = used - 1, i = 0; i<3; i++, k = k> 8 ? k / 2 : k ? k - 1 : 0) {
			struct ks_cstp_frame g;
			size_t u2;

			FUZZ_CHECK(cstp_next_frame(s + off, k, &g, &u2, NULL) == -EAGAIN,
				   "frame of %zu taken from %zu bytes", used, k);
		}
		FUZZ_CHECK(cstp_type_name(f.type) != NULL, "type name");
		cstp_reason(&f, out, outlen);
		check_text(out, outlen);
		off += used;
	}
	free(out);
	return 0;
}
