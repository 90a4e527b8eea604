// SPDX-License-Identifier: GPL-2.0-only
/* The CSTP layer driven without sockets: what a gateway sends becomes packets, echoes
 * and ends; nothing it sends may write past a buffer (run under ASan by make check-san). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "generated/config.h"
#include "cstp.h"
#include "cstp_params.h"
#include "kslice/kconfig.h"
#include "ks_test.h"
#include "lzs.h"
#include "oc_lz4.h"

struct sink {
	uint8_t sent[CSTP_SCRATCH];
	size_t sent_len;
	int nsent, ndelivered;
	size_t delivered_len;
	enum ks_tunnel_end end;
	char reason[256];
};

static int sink_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct sink *k = ctx;

	memcpy(k->sent, frame, len);
	k->sent_len = len;
	k->nsent++;
	return 0;
}

static int sink_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct sink *k = ctx;

	k->ndelivered++;
	k->delivered_len = len;
	return 0;
}

static void sink_end(void *ctx, enum ks_tunnel_end why, const char *reason)
{
	struct sink *k = ctx;

	k->end = why;
	snprintf(k->reason, sizeof(k->reason), "%s", reason);
}

static const struct ks_cstp_ops sink_ops = { sink_send, sink_deliver, sink_end };

/* A frame of type and len in a fresh heap buffer (ASan sees any read past it). */
static uint8_t *frame(uint8_t type, size_t len, uint8_t fill)
{
	uint8_t *f = malloc(CSTP_HDR_LEN + len);

	cstp_put_hdr(f, type, (uint16_t)len);
	memset(f + CSTP_HDR_LEN, fill, len);
	return f;
}

void test_cstp_session(void)
{
	struct ks_counters c = { 0 };
	struct ks_cstp s;
	struct sink *k = calloc(1, sizeof(*k));
	uint8_t *f;

	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 30, 20, KS_CODEC_NONE, 1000), "init");

	test__start_subtest("the largest DPD-REQ that fits one record is echoed whole");
	size_t big = CSTP_MAX_SEND_FRAME - CSTP_HDR_LEN;
	f = frame(CSTP_DPD_REQ, big, 0xab);
	f[CSTP_HDR_LEN + big - 1] = 0xcd;
	ASSERT_EQ(cstp_feed(&s, f, CSTP_HDR_LEN + big, 1001), CSTP_HDR_LEN + big, "consumed");
	ASSERT_EQ(k->sent_len, CSTP_HDR_LEN + big, "echo length");
	ASSERT_EQ(k->sent[6], CSTP_DPD_RESP, "echo type");
	ASSERT_TRUE(!memcmp(k->sent + CSTP_HDR_LEN, f + CSTP_HDR_LEN, big), "echo payload");
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	ASSERT_EQ(c.dpd_received, 1, "counted");
	free(f);

	test__start_subtest("a 60 KB and a 64 KB DPD-REQ: dropped, counted, the session goes on");
	k->nsent = 0;
	f = frame(CSTP_DPD_REQ, 60000, 0xab);
	ASSERT_EQ(cstp_feed(&s, f, CSTP_HDR_LEN + 60000, 1001), CSTP_HDR_LEN + 60000, "consumed");
	free(f);
	f = frame(CSTP_DPD_REQ, CSTP_MAX_PAYLOAD, 0x11);
	cstp_feed(&s, f, CSTP_HDR_LEN + CSTP_MAX_PAYLOAD, 1001);
	free(f);
	ASSERT_EQ(k->nsent, 0, "no echo");
	ASSERT_EQ(c.rx_oversized, 2, "counted");
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	c.rx_oversized = 0;

	test__start_subtest("a 64 KB data frame is dropped and counted, not delivered");
	f = frame(CSTP_DATA, CSTP_MAX_PAYLOAD, 0x45);
	cstp_feed(&s, f, CSTP_HDR_LEN + CSTP_MAX_PAYLOAD, 1001);
	ASSERT_EQ(k->ndelivered, 0, "not delivered");
	ASSERT_EQ(c.rx_oversized, 1, "counted");
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	free(f);

	test__start_subtest("data that is not IP is dropped and counted");
	f = frame(CSTP_DATA, 40, 0x00);
	cstp_feed(&s, f, CSTP_HDR_LEN + 40, 1001);
	ASSERT_EQ(c.rx_bad_frames, 1, "counted");
	ASSERT_EQ(k->ndelivered, 0, "not delivered");
	f[CSTP_HDR_LEN] = 0x45;
	cstp_feed(&s, f, CSTP_HDR_LEN + 40, 1001);
	ASSERT_EQ(k->ndelivered, 1, "an IPv4 packet is");
	free(f);

	test__start_subtest("unknown type dropped, session goes on");
	f = frame(0x42, 10, 0);
	cstp_feed(&s, f, CSTP_HDR_LEN + 10, 1001);
	ASSERT_EQ(c.rx_unknown_frames, 1, "counted");
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	free(f);

	test__start_subtest("a partial frame is left for later");
	f = frame(CSTP_KEEPALIVE, 0, 0);
	ASSERT_EQ(cstp_feed(&s, f, 5, 1001), 0, "nothing consumed");
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	free(f);

	test__start_subtest("compressed frame without compression ends the session");
	f = frame(CSTP_COMPRESSED, 10, 0);
	cstp_feed(&s, f, CSTP_HDR_LEN + 10, 1001);
	ASSERT_EQ(k->end, KS_END_PROTOCOL, "protocol end");
	ASSERT_TRUE(strstr(k->reason, "no compression was agreed") != NULL, k->reason);
	free(f);
	cstp_fini(&s);

	test__start_subtest("DISCONNECT reason arrives escaped");
	memset(k, 0, sizeof(*k));
	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 30, 20, KS_CODEC_NONE, 1000), "init");
	static const char why[] = "\xb0" "bye\x1b[2J\nlevel=err \"x\"";
	f = frame(CSTP_DISCONNECT, sizeof(why) - 1, 0);
	memcpy(f + CSTP_HDR_LEN, why, sizeof(why) - 1);
	cstp_feed(&s, f, CSTP_HDR_LEN + sizeof(why) - 1, 1001);
	ASSERT_EQ(k->end, KS_END_GATEWAY_DISCONNECT, "ended");
	ASSERT_STREQ(k->reason, "bye\\x1b[2J\\nlevel=err \\\"x\\\"", "escaped");
	free(f);
	cstp_fini(&s);

	test__start_subtest("bad magic ends the session, naming the offset");
	memset(k, 0, sizeof(*k));
	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 30, 20, KS_CODEC_NONE, 1000), "init");
	cstp_feed(&s, (const uint8_t *)"HTTP/1.1 200", 12, 1001);
	ASSERT_EQ(k->end, KS_END_PROTOCOL, "protocol end");
	ASSERT_TRUE(strstr(k->reason, "bad magic") != NULL, k->reason);
	cstp_fini(&s);

	test__start_subtest("DPD: a request after the interval, dead peer after another");
	memset(k, 0, sizeof(*k));
	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 30, 0, KS_CODEC_NONE, 1000), "init");
	cstp_tick(&s, 1029);
	ASSERT_EQ(k->nsent, 0, "quiet before the interval");
	cstp_tick(&s, 1030);
	ASSERT_EQ(k->nsent, 1, "DPD sent");
	ASSERT_EQ(k->sent[6], CSTP_DPD_REQ, "type");
	cstp_tick(&s, 1060);
	ASSERT_EQ(k->end, KS_END_DPD, "dead peer");
	cstp_fini(&s);
	free(k);
}

void test_cstp_session_deflate(void)
{
	struct ks_counters c = { 0 };
	struct ks_deflate *peer;
	struct ks_cstp s;
	struct sink *k = calloc(1, sizeof(*k));
	static uint8_t big[CSTP_MAX_MTU + 4096], z[CSTP_SCRATCH];
	uint8_t *f = malloc(CSTP_HDR_LEN + sizeof(z));
	size_t zl;

	if (!IS_ENABLED(CONFIG_COMPRESSION)) {
		test__skip("CONFIG_COMPRESSION is off");
		free(k);
		free(f);
		return;
	}
	peer = deflate_new();
	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 0, 0, KS_CODEC_DEFLATE, 1000), "init");

	test__start_subtest("a packet inflating past any MTU is dropped; the stream stays in step");
	memset(big, 0x45, sizeof(big));
	ASSERT_OK(deflate_packet(peer, big, sizeof(big), z, sizeof(z), &zl), "peer deflate");
	cstp_put_hdr(f, CSTP_COMPRESSED, (uint16_t)zl);
	memcpy(f + CSTP_HDR_LEN, z, zl);
	cstp_feed(&s, f, CSTP_HDR_LEN + zl, 1001);
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	ASSERT_EQ(c.rx_oversized, 1, "counted");
	ASSERT_EQ(k->ndelivered, 0, "not delivered");
	ASSERT_OK(deflate_packet(peer, big, 1000, z, sizeof(z), &zl), "next packet");
	cstp_put_hdr(f, CSTP_COMPRESSED, (uint16_t)zl);
	memcpy(f + CSTP_HDR_LEN, z, zl);
	cstp_feed(&s, f, CSTP_HDR_LEN + zl, 1001);
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	ASSERT_EQ(k->ndelivered, 1, "the next packet inflates");
	ASSERT_EQ(k->delivered_len, 1000, "whole");

	test__start_subtest("garbage in the stream ends the session");
	cstp_put_hdr(f, CSTP_COMPRESSED, 64);
	memset(f + CSTP_HDR_LEN, 0xff, 64);
	cstp_feed(&s, f, CSTP_HDR_LEN + 64, 1001);
	ASSERT_EQ(k->end, KS_END_PROTOCOL, "protocol end");
	ASSERT_TRUE(strstr(k->reason, "inflate") != NULL, k->reason);
	cstp_fini(&s);
	deflate_free(peer);
	free(f);
	free(k);
}

/* oc-lz4: a block per packet. What shrinks goes compressed and comes back whole; what does
 * not goes plain; a bad block is dropped and counted, and the session goes on. */
void test_cstp_session_lz4(void)
{
	struct sink *k = calloc(1, sizeof(*k));
	struct ks_counters c = { 0 };
	struct ks_cstp s;
	uint8_t pkt[CSTP_HDR_LEN + 1400], z[2048], back[1500];
	uint8_t *f = malloc(CSTP_HDR_LEN + sizeof(z));
	size_t zl = 0, bl = 0;

	if (!IS_ENABLED(CONFIG_COMPRESSION)) {
		test__skip("CONFIG_COMPRESSION is off");
		free(k);
		free(f);
		return;
	}
	ASSERT_OK(cstp_init(&s, &sink_ops, k, &c, 1400, 0, 0, KS_CODEC_LZ4, 1000), "init");

	test__start_subtest("a packet that shrinks is sent as an LZ4 block, which decodes whole");
	for (size_t i = 0; i < 1400; i++)
		pkt[CSTP_HDR_LEN + i] = (uint8_t)("kslice compresses "[i % 18]);
	pkt[CSTP_HDR_LEN] = 0x45;
	cstp_send_packet(&s, pkt + CSTP_HDR_LEN, 1400);
	ASSERT_EQ(c.tx_compressed, 1, "counted");
	ASSERT_EQ(k->sent[6], CSTP_COMPRESSED, "a COMPRESSED frame");
	KS_CHECK(k->sent_len > CSTP_HDR_LEN && k->sent_len < CSTP_HDR_LEN + 1400, "shorter: %zu",
		 k->sent_len);
	ASSERT_OK(unlz4_packet(k->sent + CSTP_HDR_LEN, k->sent_len - CSTP_HDR_LEN, back,
			       sizeof(back), &bl), "decodes");
	KS_CHECK(bl == 1400 && !memcmp(back, pkt + CSTP_HDR_LEN, 1400), "the same packet");

	test__start_subtest("one that does not shrink goes plain");
	for (uint32_t i = 0, x = 2463534242u; i < 1400; i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5; /* xorshift: nothing to find */
		pkt[CSTP_HDR_LEN + i] = (uint8_t)x;
	}
	cstp_send_packet(&s, pkt + CSTP_HDR_LEN, 1400);
	ASSERT_EQ(c.tx_compressed, 1, "not counted");
	ASSERT_EQ(k->sent[6], CSTP_DATA, "a DATA frame");

	test__start_subtest("a block from the gateway is delivered");
	for (size_t i = 0; i < 1000; i++)
		back[i] = (uint8_t)("gateway "[i % 8]);
	back[0] = 0x45;
	ASSERT_OK(lz4_packet(back, 1000, z, sizeof(z), &zl), "peer lz4");
	cstp_put_hdr(f, CSTP_COMPRESSED, (uint16_t)zl);
	memcpy(f + CSTP_HDR_LEN, z, zl);
	cstp_feed(&s, f, CSTP_HDR_LEN + zl, 1001);
	ASSERT_EQ(k->ndelivered, 1, "delivered");
	ASSERT_EQ(k->delivered_len, 1000, "whole");
	ASSERT_EQ(c.rx_compressed, 1, "counted");

	test__start_subtest("a bad block is dropped and counted; the session goes on");
	cstp_put_hdr(f, CSTP_COMPRESSED, 64);
	memset(f + CSTP_HDR_LEN, 0xff, 64);
	cstp_feed(&s, f, CSTP_HDR_LEN + 64, 1001);
	ASSERT_EQ(k->end, KS_END_NONE, "still up");
	ASSERT_EQ(c.rx_bad_frames, 1, "counted");
	ASSERT_EQ(k->ndelivered, 1, "nothing more delivered");
	cstp_fini(&s);
	free(f);
	free(k);
}

/* Stac LZS: what kslice packs unpacks to the same bytes, a hand-made stream decodes as the
 * format says, and every malformed stream is refused without a byte past the output. */
void test_lzs(void)
{
	/* "abcabcabcd": 0+a 0+b 0+c, 11 0000011 1101 (3 back, 6 long), 0+d, 11 0000000, pad. */
	static const uint8_t hand[] = { 0x30, 0x98, 0x8c, 0x78, 0x3d, 0x32, 0x60, 0x00 };
	uint8_t pkt[1400], z[1400], back[1400], small[5];
	size_t zl = 0, bl = 0;

	test__start_subtest("a stream written by hand, as the format says");
	ASSERT_OK(unlzs_packet(hand, sizeof(hand), back, sizeof(back), &bl), "decodes");
	KS_CHECK(bl == 10 && !memcmp(back, "abcabcabcd", 10), "got %zu: %.*s", bl, (int)bl, back);
	ASSERT_EQ(unlzs_packet(hand, sizeof(hand), small, sizeof(small), &bl), -EBADMSG,
		  "past a 5-byte output: refused");

	test__start_subtest("round trip of a packet with repeats, short and long matches");
	for (size_t i = 0; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)(i < 300 ? "ab"[i % 2] : "line of text, and more "[i % 23]);
	ASSERT_OK(lzs_packet(pkt, sizeof(pkt), z, sizeof(z), &zl), "packs");
	KS_CHECK(zl < sizeof(pkt) / 4, "shrinks: %zu", zl);
	ASSERT_OK(unlzs_packet(z, zl, back, sizeof(back), &bl), "unpacks");
	KS_CHECK(bl == sizeof(pkt) && !memcmp(back, pkt, bl), "the same %zu bytes", bl);

	test__start_subtest("what does not shrink is refused, to go plain");
	for (uint32_t i = 0, x = 88172645u; i < sizeof(pkt); i++) {
		x ^= x << 13, x ^= x >> 17, x ^= x << 5;
		pkt[i] = (uint8_t)x;
	}
	ASSERT_EQ(lzs_packet(pkt, sizeof(pkt), z, sizeof(z), &zl), -ENOSPC, "not smaller");

	test__start_subtest("malformed streams");
	static const struct {
		const char *name;
		uint8_t s[4];
		size_t len;
	} bad[] = {
		{ "no end marker", { 0x30, 0x80 }, 2 },
		{ "a match before the start", { 0xc0, 0xc0 }, 2 }, /* 11 0000001 00 */
		{ "an 11-bit offset of zero", { 0x80, 0x00, 0x00 }, 3 },
		{ "cut inside a literal", { 0x30 }, 1 },
		{ "empty", { 0 }, 0 },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ASSERT_EQ(unlzs_packet(bad[i].s, bad[i].len, back, sizeof(back), &bl), -EBADMSG,
			  bad[i].name);
}
