// SPDX-License-Identifier: GPL-2.0-only
/* The DTLS channel (user/dtls.c) as the loop drives it, against an in-process OpenSSL DTLS
 * gateway keyed as ocserv keys it (tests/lib/dtls_peer.c): after a real PSK handshake,
 * records the gateway encrypts (any type, any payload, compressed with the session's
 * codec or not), raw datagrams (forged records, truncated, replayed), packets sent,
 * ticks, socket answers and failures.
 * Checked: a DATA record delivers exactly its payload when it looks like IP, compressed
 * ones their decoding; what kslice sends decrypts at the gateway to a type byte and the
 * packet (or its compression); a DPD is answered with its payload; nothing is delivered
 * while DTLS is not up; end() comes at most once; counters agree.
 * Input: flags (codec: low two bits), then operations (see the switch). */
#include "../../user/dtls.c"

#include "dtls_peer.h"
#include "fuzz.h"

static struct {
	struct ks_counters c;
	struct ks_cstp cstp;
	struct ks_dtls d;
	struct dtls_peer gw;
	int ends, wants, drops;
	const uint8_t *want;	/* the packet a DATA record should deliver */
	size_t want_len;
	bool want_seen, any_delivery;
	uint8_t rec[16][2048];
	size_t rec_len[16];
} f;

static void on_want(void *ctx) { f.wants++; }
static void on_drop(void *ctx) { f.drops++; }
static void on_changed(void *ctx, bool up) {}
static const struct ks_dtls_ops ops = { on_want, on_drop, on_changed };

static int on_send(void *ctx, const uint8_t *frame, size_t len) { return 0; }
static int on_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	FUZZ_CHECK(f.d.state == KS_DTLS_UP, "delivered while DTLS is %s", dtls_state_name(f.d.state));
	FUZZ_CHECK(len >= 20 && len <= CSTP_MAX_MTU, "delivered %zu bytes", len);
	if (f.want)
		f.want_seen = len == f.want_len && !memcmp(pkt, f.want, len);
	f.any_delivery = true;
	return 0;
}
static void on_end(void *ctx, enum ks_tunnel_end why, const char *reason)
{
	f.ends++;
	FUZZ_CHECK(f.ends == 1, "end() called twice");
	FUZZ_CHECK(reason && strlen(reason) < 320, "reason");
	FUZZ_CHECK(!fuzz_has_ctl(reason), "reason '%s' has a control character", reason);
}
static const struct ks_cstp_ops cstp_ops = { on_send, on_deliver, on_end };

/* The client's datagrams to the gateway; its records kept in f.rec (n returned). */
static int to_gateway(void)
{
	size_t off = 0;
	int n = 0;

	for (unsigned int i = 0; i < f.d.out.count; i++) {
		uint16_t len = dgram_batch_size(&f.d.out, i);
		int got = dtls_peer_take(&f.gw, f.d.out.bytes.data + off, len, f.rec + n,
					 f.rec_len + n, 16 - n);

		n += got > 0 ? got : 0;
		off += len;
	}
	dgram_batch_clear(&f.d.out);
	return n;
}

static bool setup(enum ks_codec codec, time_t now)
{
	struct ks_dtls_keys k = { .mode = KS_DTLS_PSK, .version = DTLS1_2_VERSION,
				  .session_id_len = 32 };
	struct ks_cstp_params p = { .mtu = 1400, .base_mtu = 1500, .dtls_dpd = 6,
				    .dtls_keepalive = 3, .dtls_port = 443, .dtls_codec = codec };
	struct ks_error e = { 0 };

	memset(&f, 0, sizeof(f));
	memset(k.secret, 0x5a, sizeof(k.secret));
	if (cstp_init(&f.cstp, &cstp_ops, NULL, &f.c, 1400, 30, 0, KS_CODEC_NONE, now) ||
	    dtls_peer_init(&f.gw, &k) || dtls_init(&f.d, &ops, NULL, &f.cstp, &p, &k, false, now, &e))
		return false;
	dtls_start(&f.d, 0, now);
	for (int i = 0; i < 8 && f.d.state == KS_DTLS_HANDSHAKE; i++) {
		to_gateway();
		dtls_peer_to_client(&f.gw.out, &f.d, now);
	}
	to_gateway(); /* the client's last flight */
	return f.d.state == KS_DTLS_UP;
}

static void teardown(void)
{
	dtls_fini(&f.d);
	dtls_peer_free(&f.gw);
	cstp_fini(&f.cstp);
}

/* A record from the gateway: type, then the payload. */
static void gateway_record(struct fuzz_in *in, enum ks_codec codec, time_t now)
{
	static uint8_t rec[1 + 1500], packed[1 + 1600];
	uint8_t type = fuzz_u8(in);
	size_t len = fuzz_u16(in) % 1500, got, zlen;
	const uint8_t *payload = fuzz_bytes(in, len, &got);
	const struct ks_stateless_codec *z = cstp_stateless_codec(codec);
	bool up = dtls_up(&f.d), packed_ok = false;

	rec[0] = type;
	memcpy(rec + 1, payload, got);
	f.want = NULL;
	if (type == CSTP_COMPRESSED && z && got >= 20 &&
	    !z->pack(payload, got, packed + 1, sizeof(packed) - 1, &zlen)) {
		packed[0] = CSTP_COMPRESSED; /* the gateway's real compression of the payload */
		packed_ok = true;
		if (dtls_peer_send(&f.gw, packed, zlen + 1))
			return;
	} else if (dtls_peer_send(&f.gw, rec, got + 1)) {
		return;
	}
	if ((type == CSTP_DATA || type == CSTP_COMPRESSED) && got >= 20 &&
	    (payload[0] >> 4 == 4 || payload[0] >> 4 == 6) && (type == CSTP_DATA || packed_ok)) {
		f.want = payload;
		f.want_len = got;
		f.want_seen = false;
	}
	dtls_peer_to_client(&f.gw.out, &f.d, now);
	if (f.want && up && !f.cstp.ended)
		FUZZ_CHECK(f.want_seen, "a valid DATA record (%zu bytes) was not delivered", got);
	if (type == CSTP_DPD_REQ && up && dtls_up(&f.d) && got + 1 <= (size_t)f.d.data_mtu + 1) {
		int n = to_gateway();

		FUZZ_CHECK(n == 1 && f.rec[0][0] == CSTP_DPD_RESP && f.rec_len[0] == got + 1 &&
				   !memcmp(f.rec[0] + 1, payload, got), "DPD not echoed whole");
	}
	f.want = NULL;
}

static void send_packet(struct fuzz_in *in, enum ks_codec codec)
{
	static uint8_t buf[1 + 1600], plain[1600];
	size_t len = fuzz_u16(in) % 1500, got, plen;
	const uint8_t *p = fuzz_bytes(in, len, &got);
	bool up = dtls_up(&f.d), fits = got && got <= (size_t)f.d.data_mtu;
	const struct ks_stateless_codec *z = cstp_stateless_codec(codec);
	int n;

	if (!got)
		return;
	memcpy(buf + 1, p, got);
	FUZZ_CHECK(dtls_send_packet(&f.d, buf + 1, got) == (up && fits), "wrong transport");
	if (!up || !fits || !dtls_up(&f.d))
		return;
	n = to_gateway();
	FUZZ_CHECK(n == 1, "%d records for one packet", n);
	if (f.rec[0][0] == CSTP_COMPRESSED) {
		FUZZ_CHECK(z && !z->unpack(f.rec[0] + 1, f.rec_len[0] - 1, plain, sizeof(plain), &plen) &&
				   plen == got && !memcmp(plain, p, got), "compressed record is not the packet");
	} else {
		FUZZ_CHECK(f.rec[0][0] == CSTP_DATA && f.rec_len[0] == got + 1 &&
				   !memcmp(f.rec[0] + 1, p, got), "DATA record is not the packet");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	enum ks_codec codec = (enum ks_codec[]){ KS_CODEC_NONE, KS_CODEC_LZ4, KS_CODEC_LZS,
						 KS_CODEC_NONE }[fuzz_u8(&in) & 3];
	time_t now = 1000;
	size_t got;

	if (!setup(codec, now)) {
		teardown();
		return 0;
	}
	while (in.n && !f.cstp.ended) {
		switch (fuzz_u8(&in) % 7) {
		case 0:
			gateway_record(&in, codec, now);
			break;
		case 1: { /* a raw datagram: forged, cut, or a copy of one the gateway sent */
			static uint8_t dg[KS_DGRAM_MAX]; /* opened in place: a copy */
			const uint8_t *src = fuzz_bytes(&in, fuzz_u16(&in) % KS_DGRAM_MAX, &got);

			memcpy(dg, src, got);
			dtls_on_datagram(&f.d, dg, got, now);
			break;
		}
		case 2:
			send_packet(&in, codec);
			break;
		case 3: /* time passes; what the channel sends goes to the gateway */
			now += fuzz_u8(&in) % 8;
			dtls_tick(&f.d, now);
			to_gateway();
			break;
		case 4: /* the socket asked for comes, or does not */
			if (f.d.state == KS_DTLS_SOCKET)
				dtls_start(&f.d, fuzz_u8(&in) & 1 ? 0 : -EAGAIN, now);
			break;
		case 5:
			dtls_fail(&f.d, "fuzz: socket error", now);
			break;
		case 6: /* the gateway's pending datagrams, replayed and reordered by the path */
			dtls_peer_to_client(&f.gw.out, &f.d, now);
			break;
		}
		FUZZ_CHECK(f.d.state != KS_DTLS_UP || f.d.ssl, "up without a session");
		FUZZ_CHECK(f.c.dtls_tx_packets <= f.c.tx_packets, "counters disagree");
	}
	teardown();
	return 0;
}
