// SPDX-License-Identifier: GPL-2.0-only
/* The CSTP session (user/cstp.c) as the tunnel drives it, with a fake gateway: bytes of
 * the decrypted stream fed in arbitrary pieces (the unconsumed tail kept, as the loop
 * does), compressed frames made by the peer (deflate, oc-lz4 or lzs, as the flags' low
 * two bits choose), packets sent, ticks, a disconnect.
 * Checked: frames sent are well-formed and carry exactly the packet (inflated by the
 * peer when compressed) or the DPD payload, each fitting one TLS record; packets delivered are the frame's (or the
 * peer's plaintext); end() comes once, with printable text, and nothing happens after;
 * counters agree with what the callbacks saw.
 * Input: flags, MTU, DPD, keepalive, then operations (see the switch). */
#include "../../user/cstp.c"

#include "fuzz.h"

#define STREAM_MAX (4 * CSTP_SCRATCH)

static struct {
	struct ks_cstp s;
	struct ks_counters c;
	struct ks_deflate *peer_tx, *peer_rx; /* the gateway's side of the deflate streams */
	enum ks_codec codec;
	bool fail_deliver;
	int ends;
	uint64_t delivered, sent_data;
	const uint8_t *want_pkt; /* the packet being sent, or the plaintext being delivered */
	size_t want_len;
	bool want_seen;
	uint8_t last_dpd[CSTP_MAX_PAYLOAD];
	size_t last_dpd_len;
	bool dpd_check;	  /* the DPD request fed is known: its answer is checked */
	bool dpd_pending; /* and is still due */
	uint8_t *inflated;
} f;

static int on_send(void *ctx, const uint8_t *frame, size_t len)
{
	struct ks_cstp_frame fr;
	size_t used, outlen = 0;
	struct ks_error e;
	int err;

	FUZZ_CHECK(!f.ends, "frame sent after the session ended");
	FUZZ_CHECK(len >= CSTP_HDR_LEN && len <= CSTP_MAX_SEND_FRAME,
		   "frame of %zu bytes (one TLS record holds %d)", len, CSTP_MAX_SEND_FRAME);
	err = cstp_next_frame(frame, len, &fr, &used, NULL);
	FUZZ_CHECK(!err && used == len, "frame sent is not one CSTP frame (%d, %zu of %zu)", err,
		   used, len);
	switch (fr.type) {
	case CSTP_DATA:
		FUZZ_CHECK(f.codec != KS_CODEC_DEFLATE && f.want_pkt && fr.len == f.want_len &&
				   !memcmp(fr.payload, f.want_pkt, f.want_len),
			   "DATA frame is not the packet sent");
		f.want_seen = true;
		break;
	case CSTP_COMPRESSED:
		FUZZ_CHECK(f.codec != KS_CODEC_NONE && f.want_pkt, "COMPRESSED frame unasked");
		e.msg[0] = 0;
		err = f.codec == KS_CODEC_DEFLATE
			      ? inflate_packet(f.peer_rx, fr.payload, fr.len, f.inflated,
					       CSTP_MAX_PAYLOAD, &outlen, &e)
			      : cstp_stateless_codec(f.codec)->unpack(fr.payload, fr.len, f.inflated,
							   CSTP_MAX_PAYLOAD, &outlen);
		FUZZ_CHECK(!err && outlen == f.want_len && !memcmp(f.inflated, f.want_pkt, outlen),
			   "COMPRESSED frame does not inflate to the packet: %d (%s)", err,
			   err ? e.msg : "");
		f.want_seen = true;
		break;
	case CSTP_DPD_RESP:
		if (f.dpd_check)
			FUZZ_CHECK(f.dpd_pending && fr.len == f.last_dpd_len &&
					   !memcmp(fr.payload, f.last_dpd, fr.len),
				   "DPD answer is not the request's payload");
		f.dpd_pending = false;
		break;
	case CSTP_DPD_REQ:
	case CSTP_KEEPALIVE:
	case CSTP_DISCONNECT:
		break;
	default:
		FUZZ_CHECK(0, "frame type %u sent", fr.type);
	}
	return 0;
}

static int on_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	FUZZ_CHECK(!f.ends, "packet delivered after the session ended");
	FUZZ_CHECK(len >= 20 && len <= CSTP_MAX_MTU && ((pkt[0] >> 4) == 4 || (pkt[0] >> 4) == 6),
		   "delivered %zu bytes, version %u", len, pkt[0] >> 4);
	if (f.want_pkt)
		FUZZ_CHECK(len == f.want_len && !memcmp(pkt, f.want_pkt, len),
			   "delivered packet is not the peer's plaintext");
	f.want_seen = true;
	f.delivered++;
	return f.fail_deliver ? -ENOBUFS : 0;
}

static void on_end(void *ctx, enum ks_tunnel_end why, const char *reason)
{
	FUZZ_CHECK(!f.ends++, "end() called twice");
	FUZZ_CHECK(reason && strlen(reason) < 320, "reason");
	FUZZ_CHECK(!fuzz_has_ctl(reason), "reason '%s' has a control character", reason);
}

static const struct ks_cstp_ops ops = { .send = on_send, .deliver = on_deliver, .end = on_end };

/* The fed bytes the session did not take yet (a partial frame), as the loop keeps them. */
static uint8_t *stream;
static size_t stream_len;

static void feed(const uint8_t *p, size_t n, time_t now)
{
	size_t used;

	if (n > STREAM_MAX - stream_len)
		n = STREAM_MAX - stream_len;
	memcpy(stream + stream_len, p, n);
	stream_len += n;
	if (f.ends) {
		FUZZ_CHECK(cstp_feed(&f.s, stream, stream_len, now) == 0,
			   "bytes taken after the end");
		return;
	}
	used = cstp_feed(&f.s, stream, stream_len, now);
	FUZZ_CHECK(used <= stream_len, "took %zu of %zu", used, stream_len);
	memmove(stream, stream + used, stream_len - used);
	stream_len -= used;
	if (!f.ends) {
		struct ks_cstp_frame fr;
		size_t u;

		FUZZ_CHECK(cstp_next_frame(stream, stream_len, &fr, &u, NULL) == -EAGAIN,
			   "a whole frame left behind");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	int mtu = 576 + fuzz_u8(&in) * 32, dpd = fuzz_u8(&in) % 8, ka = fuzz_u8(&in) % 8;
	time_t now = 1000;
	uint8_t *buf = malloc(CSTP_SCRATCH), *z = malloc(CSTP_SCRATCH);

	memset(&f, 0, sizeof(f));
	stream = malloc(STREAM_MAX);
	stream_len = 0;
	f.codec = (enum ks_codec[]){ KS_CODEC_NONE, KS_CODEC_DEFLATE, KS_CODEC_LZ4,
				     KS_CODEC_LZS }[flags & 3];
	f.inflated = malloc(CSTP_MAX_PAYLOAD);
	f.peer_tx = deflate_new();
	f.peer_rx = deflate_new();
	FUZZ_CHECK(!cstp_init(&f.s, &ops, NULL, &f.c, mtu, dpd, ka, f.codec, now), "init");
	while (in.n) {
		uint8_t op = fuzz_u8(&in);
		size_t want, n, zl = 0;
		const uint8_t *p;
		uint64_t before;
		uint8_t type;
		bool aligned;

		f.fail_deliver = op & 0x80;
		switch (op & 7) {
		case 0: /* stream bytes, any */
		case 1:
			want = fuzz_u16(&in) & 0x7fff;
			p = fuzz_bytes(&in, want, &n);
			feed(p, n, now);
			break;
		case 2: /* one whole frame of a fuzzed type around the bytes */
			want = fuzz_u16(&in) & 0x7fff;
			p = fuzz_bytes(&in, want, &n);
			type = op >> 3 & 0xf;
			cstp_put_hdr(buf, type, (uint16_t)n);
			memcpy(buf + CSTP_HDR_LEN, p, n);
			aligned = !stream_len && !f.ends; /* parsed as this frame */
			/* Echoed when the answer fits one TLS record, else dropped and counted. */
			if (aligned && type == CSTP_DPD_REQ &&
			    CSTP_HDR_LEN + n <= CSTP_MAX_SEND_FRAME) {
				memcpy(f.last_dpd, p, n);
				f.last_dpd_len = n;
				f.dpd_check = f.dpd_pending = true;
			}
			f.want_pkt = aligned && type == CSTP_DATA ? p : NULL;
			f.want_len = n;
			before = f.delivered;
			feed(buf, CSTP_HDR_LEN + n, now);
			if (aligned && type == CSTP_DATA && n >= 20 && n <= CSTP_MAX_MTU &&
			    (p[0] >> 4 == 4 || p[0] >> 4 == 6))
				FUZZ_CHECK(f.delivered == before + 1, "data frame not delivered");
			FUZZ_CHECK(!f.dpd_pending || f.ends, "DPD request not answered");
			f.dpd_check = f.dpd_pending = false;
			f.want_pkt = NULL;
			break;
		case 3: /* a packet compressed by the gateway */
			want = fuzz_u16(&in) & 0x3fff;
			p = fuzz_bytes(&in, want, &n);
			if (f.codec == KS_CODEC_NONE || stream_len || !n ||
			    (f.codec == KS_CODEC_DEFLATE
				     ? deflate_packet(f.peer_tx, p, n, z + CSTP_HDR_LEN,
						      CSTP_SCRATCH - CSTP_HDR_LEN, &zl)
				     : cstp_stateless_codec(f.codec)->pack(p, n, z + CSTP_HDR_LEN,
								CSTP_SCRATCH - CSTP_HDR_LEN, &zl)) ||
			    zl > CSTP_MAX_PAYLOAD)
				break;
			cstp_put_hdr(z, CSTP_COMPRESSED, (uint16_t)zl);
			f.want_pkt = p;
			f.want_len = n;
			f.want_seen = false;
			before = f.delivered;
			feed(z, CSTP_HDR_LEN + zl, now);
			if (!f.ends && n >= 20 && n <= CSTP_MAX_MTU &&
			    (p[0] >> 4 == 4 || p[0] >> 4 == 6))
				FUZZ_CHECK(f.delivered == before + 1,
					   "compressed packet not delivered");
			f.want_pkt = NULL;
			break;
		case 4: /* a packet from the TUN */
			want = fuzz_u16(&in) & 0x7fff;
			p = fuzz_bytes(&in, want, &n);
			memcpy(buf + CSTP_HDR_LEN, p, n);
			f.want_pkt = p;
			f.want_len = n;
			f.want_seen = false;
			cstp_send_packet(&f.s, buf + CSTP_HDR_LEN, n);
			if (!f.ends && n && n <= (size_t)mtu)
				FUZZ_CHECK(f.want_seen, "packet of %zu bytes not sent", n);
			if (f.ends || !n || n > (size_t)mtu)
				FUZZ_CHECK(!f.want_seen, "packet sent that should not be");
			f.want_pkt = NULL;
			break;
		case 5:
		case 6: /* time passes */
			now += op >> 3;
			cstp_tick(&f.s, now);
			break;
		case 7: /* we say goodbye */
			p = fuzz_bytes(&in, fuzz_u8(&in), &n);
			{
				char *reason = fuzz_cstr_all(p, n);

				if (!f.ends)
					cstp_send_disconnect(&f.s, reason);
				free(reason);
			}
			break;
		}
	}
	FUZZ_LOG("session: ends %d, rx %llu (compressed %llu), tx %llu (compressed %llu), dpd "
		 "answered %llu",
		 f.ends, (unsigned long long)f.c.rx_packets, (unsigned long long)f.c.rx_compressed,
		 (unsigned long long)f.c.tx_packets, (unsigned long long)f.c.tx_compressed,
		 (unsigned long long)f.c.dpd_received);
	FUZZ_CHECK(f.c.rx_packets + f.c.rx_dropped == f.delivered,
		   "rx %llu + dropped %llu, seen %llu", (unsigned long long)f.c.rx_packets,
		   (unsigned long long)f.c.rx_dropped, (unsigned long long)f.delivered);
	cstp_fini(&f.s);
	deflate_free(f.peer_tx);
	deflate_free(f.peer_rx);
	free(f.inflated);
	free(stream);
	free(buf);
	free(z);
	return 0;
}
