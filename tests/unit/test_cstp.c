// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>

#include "generated/config.h"
#include "cstp_frame.h"
#include "deflate.h"
#include "kslice/kconfig.h"
#include "ks_test.h"

void test_cstp_frames(void)
{
	uint8_t buf[64];
	struct ks_cstp_frame f;
	struct ks_error e;
	size_t used;

	test__start_subtest("two frames in one buffer");
	cstp_put_hdr(buf, CSTP_DATA, 3);
	memcpy(buf + 8, "abc", 3);
	cstp_put_hdr(buf + 11, CSTP_DPD_REQ, 0);
	ASSERT_OK(cstp_next_frame(buf, 19, &f, &used, &e), "first");
	ASSERT_EQ(f.type, CSTP_DATA, "type");
	ASSERT_EQ(f.len, 3, "len");
	ASSERT_EQ(used, 11, "used");
	ASSERT_TRUE(!memcmp(f.payload, "abc", 3), "payload");
	ASSERT_OK(cstp_next_frame(buf + 11, 8, &f, &used, &e), "second");
	ASSERT_EQ(f.type, CSTP_DPD_REQ, "dpd type");

	test__start_subtest("truncated header and payload wait for more");
	for (size_t n = 0; n < 11; n++)
		ASSERT_EQ(cstp_next_frame(buf, n, &f, &used, &e), -EAGAIN, "prefix");

	test__start_subtest("bad magic is detected at once");
	memcpy(buf, "GET / HTTP", 10);
	ASSERT_EQ(cstp_next_frame(buf, 2, &f, &used, &e), -EBADMSG, "magic");
	ASSERT_TRUE(strstr(e.msg, "offset 0") != NULL, "message has offset");

	test__start_subtest("nonzero byte 7");
	cstp_put_hdr(buf, CSTP_DATA, 0);
	buf[7] = 1;
	ASSERT_EQ(cstp_next_frame(buf, 8, &f, &used, &e), -EBADMSG, "byte 7");

	test__start_subtest("max length frame needs all its bytes");
	cstp_put_hdr(buf, CSTP_DATA, 0xffff);
	ASSERT_EQ(cstp_next_frame(buf, 64, &f, &used, &e), -EAGAIN, "incomplete 64K frame");

	test__start_subtest("disconnect reason is sanitized");
	uint8_t d[] = { 0xb0, 'b', 'y', '\n', 'e' };
	char reason[16];
	f = (struct ks_cstp_frame){ .type = CSTP_DISCONNECT, .len = 5, .payload = d };
	cstp_reason(&f, reason, sizeof(reason));
	ASSERT_STREQ(reason, "by\\ne", "reason");
}

void test_cstp_deflate(void)
{
	struct ks_deflate *tx, *rx;
	uint8_t pkt[1400], z[2000], out[2000];
	size_t zl, ol;
	struct ks_error e;

	if (!IS_ENABLED(CONFIG_COMPRESSION)) {
		test__skip("CONFIG_COMPRESSION is off");
		return;
	}
	tx = deflate_new();
	rx = deflate_new();
	ASSERT_TRUE(tx && rx, "init");
	test__start_subtest("stream of packets round-trips with running adler32");
	for (int i = 0; i < 50; i++) {
		for (size_t j = 0; j < sizeof(pkt); j++)
			pkt[j] = (uint8_t)(j % 7 == 0 ? i : j / 13);
		ASSERT_OK(deflate_packet(tx, pkt, sizeof(pkt), z, sizeof(z), &zl), "deflate");
		ASSERT_TRUE(zl < sizeof(pkt), "compressible data shrinks");
		ASSERT_OK(inflate_packet(rx, z, zl, out, sizeof(out), &ol, &e), "inflate");
		ASSERT_EQ(ol, sizeof(pkt), "length");
		ASSERT_TRUE(!memcmp(out, pkt, ol), "content");
	}
	test__start_subtest("wrong checksum is refused");
	ASSERT_OK(deflate_packet(tx, pkt, 100, z, sizeof(z), &zl), "deflate");
	z[zl - 1] ^= 1;
	ASSERT_EQ(inflate_packet(rx, z, zl, out, sizeof(out), &ol, &e), -EBADMSG, "adler");
	ASSERT_TRUE(strstr(e.msg, "adler32") != NULL, "message");
	deflate_free(rx);

	test__start_subtest("garbage and short input are refused");
	rx = deflate_new();
	memset(z, 0xff, 64);
	ASSERT_EQ(inflate_packet(rx, z, 64, out, sizeof(out), &ol, &e), -EBADMSG, "garbage");
	deflate_free(rx);
	rx = deflate_new();
	ASSERT_EQ(inflate_packet(rx, z, 3, out, sizeof(out), &ol, &e), -EBADMSG, "short");
	deflate_free(rx);
	deflate_free(tx);
}
