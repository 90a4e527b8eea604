// SPDX-License-Identifier: GPL-2.0-only
/* The DTLS channel (user/dtls.c) against an in-process OpenSSL DTLS gateway
 * (tests/lib/dtls_peer.c), keyed as ocserv keys it: the handshake, data both ways, DPD,
 * goodbyes, a dead link and the attempt after it; the legacy resumption, and a gateway
 * that does not hold the secret; the UDP_SEGMENT runs the loop sends. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/rand.h>

#include "dtls.h"
#include "dtls_peer.h"
#include "dtls_suites.h"
#include "http.h"
#include "ks_test.h"

struct world {
	struct ks_counters c;
	struct ks_cstp cstp;
	struct ks_dtls d;
	struct dtls_peer gw;
	int want_socket, drop_socket, changes, delivered, ends;
	bool up;
	size_t delivered_len;
	uint8_t delivered_first;
	uint8_t delivered_pkt[2048];
	uint8_t rec[16][2048];
	size_t rec_len[16];
	int nrec;
};

static void w_want(void *ctx) { ((struct world *)ctx)->want_socket++; }
static void w_drop(void *ctx) { ((struct world *)ctx)->drop_socket++; }
static void w_changed(void *ctx, bool up)
{
	struct world *w = ctx;

	w->changes++;
	w->up = up;
}
static const struct ks_dtls_ops w_ops = { w_want, w_drop, w_changed };

static int w_send(void *ctx, const uint8_t *frame, size_t len) { return 0; }
static int w_deliver(void *ctx, const uint8_t *pkt, size_t len)
{
	struct world *w = ctx;

	w->delivered++;
	w->delivered_len = len;
	w->delivered_first = pkt[0];
	memcpy(w->delivered_pkt, pkt, len < sizeof(w->delivered_pkt) ? len : sizeof(w->delivered_pkt));
	return 0;
}
static void w_end(void *ctx, enum ks_tunnel_end why, const char *reason)
{
	((struct world *)ctx)->ends++;
}
static const struct ks_cstp_ops w_cstp_ops = { w_send, w_deliver, w_end };

/* Client datagrams to the gateway (its records kept), the gateway's back, until quiet. */
static void pump(struct world *w, time_t now)
{
	for (int round = 0; round < 16 && (w->d.out.count || w->gw.out.count); round++) {
		size_t off = 0;

		w->nrec = 0;
		for (unsigned int i = 0; i < w->d.out.count; i++) {
			uint16_t n = dgram_batch_size(&w->d.out, i);
			int got = dtls_peer_take(&w->gw, w->d.out.bytes.data + off, n,
						 w->rec + w->nrec, w->rec_len + w->nrec,
						 16 - w->nrec);

			if (got > 0)
				w->nrec += got;
			off += n;
		}
		dgram_batch_clear(&w->d.out);
		dtls_peer_to_client(&w->gw.out, &w->d, now);
	}
}

/* Client (keys k) and gateway (keys gw_k) set up, nothing sent yet. */
static int world_init(struct world *w, struct ks_dtls_keys *k, struct ks_dtls_keys *gw_k,
		      const struct ks_cstp_params *p, time_t now)
{
	struct ks_error e = { 0 };

	memset(w, 0, sizeof(*w));
	if (cstp_init(&w->cstp, &w_cstp_ops, w, &w->c, 1400, 30, 0, KS_CODEC_NONE, now) ||
	    dtls_peer_init(&w->gw, gw_k) ||
	    dtls_init(&w->d, &w_ops, w, &w->cstp, p, k, false, now, &e))
		return -1;
	return 0;
}

static int world_up(struct world *w, struct ks_dtls_keys *k, const struct ks_cstp_params *p,
		    time_t now)
{
	if (world_init(w, k, k, p, now))
		return -1;
	dtls_start(&w->d, 0, now);
	pump(w, now);
	return w->d.state == KS_DTLS_UP ? 0 : -1;
}

static void world_free(struct world *w)
{
	dtls_fini(&w->d);
	dtls_peer_free(&w->gw);
	cstp_fini(&w->cstp);
}

static const struct ks_cstp_params dtls_params = { .mtu = 1400, .base_mtu = 1500, .dpd = 30,
						   .dtls_dpd = 8, .dtls_port = 443 };

void test_dtls_psk(void)
{
	struct ks_dtls_keys k = { .mode = KS_DTLS_PSK, .version = DTLS1_2_VERSION,
				  .session_id_len = 32 };
	static uint8_t pkt[1 + 1500];
	struct world w;
	time_t t = 1000;

	RAND_bytes(k.secret, KS_DTLS_PSK_LEN);
	memset(k.session_id, 0xab, 32);
	if (test__start_subtest("handshake with the exporter's key")) {
		ASSERT_OK(world_up(&w, &k, &dtls_params, t), "up");
		ASSERT_EQ(w.want_socket, 1, "one socket asked for at init");
		ASSERT_TRUE(w.up && w.changes == 1, "told: data moves to DTLS");
		ASSERT_EQ(w.c.dtls_handshakes, 1, "counted");
		ASSERT_TRUE(w.d.data_mtu > 1400 && w.d.data_mtu < 1472, "data MTU from the path");
		ASSERT_STREQ(SSL_get_version(w.d.ssl), "DTLSv1.2", "DTLS 1.2");
	}
	if (test__start_subtest("a packet out is one DATA record")) {
		memset(pkt + 1, 0x45, 1200);
		pkt[1] = 0x45;
		ASSERT_TRUE(dtls_send_packet(&w.d, pkt + 1, 1200), "sent over DTLS");
		pump(&w, t);
		ASSERT_EQ(w.nrec, 1, "one record");
		ASSERT_EQ(w.rec_len[0], 1201, "type byte and packet");
		ASSERT_EQ(w.rec[0][0], 0, "DATA");
		ASSERT_EQ(w.c.dtls_tx_packets, 1, "counted");
	}
	if (test__start_subtest("a packet too large goes over CSTP")) {
		ASSERT_TRUE(!dtls_send_packet(&w.d, pkt + 1, (size_t)w.d.data_mtu + 1), "refused");
		ASSERT_EQ(w.c.dtls_too_big, 1, "counted");
	}
	if (test__start_subtest("a DATA record in is delivered")) {
		uint8_t rec[1 + 60] = { 0, 0x45 };

		ASSERT_OK(dtls_peer_send(&w.gw, rec, sizeof(rec)), "gateway sends");
		dtls_peer_to_client(&w.gw.out, &w.d, t);
		ASSERT_EQ(w.delivered, 1, "delivered");
		ASSERT_EQ(w.delivered_len, 60, "the packet alone");
		ASSERT_EQ(w.c.dtls_rx_packets, 1, "counted");
	}
	if (test__start_subtest("AES-GCM records are kslice's own; a replayed one is dropped")) {
		uint8_t rec[1 + 40] = { 0, 0x45 }, copy[128];
		size_t n;
		int delivered = w.delivered;

		ASSERT_TRUE(w.d.fast_on, "kslice seals and opens the records");
		dtls_peer_send(&w.gw, rec, sizeof(rec));
		n = dgram_batch_size(&w.gw.out, 0);
		memcpy(copy, w.gw.out.bytes.data, n);
		dtls_peer_to_client(&w.gw.out, &w.d, t);
		ASSERT_EQ(w.delivered, delivered + 1, "delivered once");
		dtls_on_datagram(&w.d, copy, n, t);
		ASSERT_EQ(w.delivered, delivered + 1, "not twice");
		ASSERT_EQ(w.c.dtls_bad_records, 1, "the replay counted");
		copy[n - 1] ^= 1;
		copy[10] ^= 1; /* another sequence number, a broken tag */
		dtls_on_datagram(&w.d, copy, n, t);
		ASSERT_EQ(w.c.dtls_bad_records, 2, "a forged one too");
		copy[11] = 0xff; /* a length past the datagram */
		dtls_on_datagram(&w.d, copy, n, t);
		ASSERT_EQ(w.c.dtls_bad_records, 3, "a cut one too");
		ASSERT_TRUE(dtls_up(&w.d), "none of them ends DTLS");
	}
	if (test__start_subtest("the gateway's DPD is answered over DTLS, payload and all")) {
		uint8_t rec[5] = { CSTP_DPD_REQ, 1, 2, 3, 4 };

		dtls_peer_send(&w.gw, rec, sizeof(rec));
		dtls_peer_to_client(&w.gw.out, &w.d, t);
		pump(&w, t);
		ASSERT_EQ(w.nrec, 1, "one answer");
		ASSERT_TRUE(w.rec_len[0] == 5 && w.rec[0][0] == CSTP_DPD_RESP &&
				    !memcmp(w.rec[0] + 1, rec + 1, 4), "DPD_RESP with the payload");
	}
	if (test__start_subtest("forged datagrams and unknown types are dropped, counted")) {
		uint8_t junk[64], odd[3] = { 0x42, 1, 2 };
		uint64_t unknown = w.c.rx_unknown_frames;
		int delivered = w.delivered;

		memset(junk, 0x17, sizeof(junk)); /* an application-data record header, no MAC */
		dtls_on_datagram(&w.d, junk, sizeof(junk), t);
		ASSERT_TRUE(dtls_up(&w.d), "a forged datagram does not end DTLS");
		dtls_peer_send(&w.gw, odd, sizeof(odd));
		dtls_peer_to_client(&w.gw.out, &w.d, t);
		ASSERT_TRUE(dtls_up(&w.d), "an unknown type neither");
		ASSERT_EQ(w.c.rx_unknown_frames, unknown + 1, "counted");
		ASSERT_EQ(w.delivered, delivered, "nothing delivered");
	}
	if (test__start_subtest("DPD unanswered: down within the period, then another attempt")) {
		dgram_batch_clear(&w.d.out);
		for (int s = 1; s <= 8 && dtls_up(&w.d); s++)
			dtls_tick(&w.d, t + s);
		ASSERT_EQ(w.d.state, KS_DTLS_SLEEP, "down");
		ASSERT_TRUE(w.d.since - t <= 8, "within the DTLS DPD period");
		ASSERT_TRUE(!w.up && w.drop_socket == 1, "told; the socket dropped");
		ASSERT_TRUE(w.c.dtls_dpd_sent >= 2 && w.c.dtls_falls == 1, "probes, then a fall");
		ASSERT_TRUE(!dtls_send_packet(&w.d, pkt + 1, 100), "data over CSTP now");
		dtls_tick(&w.d, w.d.since + KS_DTLS_RETRY_MIN_S - 1);
		ASSERT_EQ(w.want_socket, 1, "no attempt before the backoff");
		dtls_tick(&w.d, w.d.since + KS_DTLS_RETRY_MIN_S);
		ASSERT_EQ(w.want_socket, 2, "then one");
		dtls_start(&w.d, -ELOOP, w.d.since);
		ASSERT_EQ(w.d.state, KS_DTLS_SLEEP, "no socket: asleep again");
		ASSERT_STREQ(w.d.why, "no UDP socket: its route to the gateway goes into the tunnel",
			     "says why in words");
		ASSERT_EQ(w.d.backoff_s, 4 * KS_DTLS_RETRY_MIN_S, "the wait doubled again");
	}
	world_free(&w);
	if (test__start_subtest("a DISCONNECT record ends the session")) {
		uint8_t rec[] = { CSTP_DISCONNECT, 0xb0, 'b', 'y', 'e' };

		ASSERT_OK(world_up(&w, &k, &dtls_params, t), "up");
		dtls_peer_send(&w.gw, rec, sizeof(rec));
		dtls_peer_to_client(&w.gw.out, &w.d, t);
		ASSERT_EQ(w.ends, 1, "ended");
		world_free(&w);
	}
	if (test__start_subtest("a gateway with another key: no DTLS, data stays on CSTP")) {
		struct ks_dtls_keys other = k;

		other.secret[0] ^= 1;
		if (!ASSERT_OK(world_init(&w, &k, &other, &dtls_params, t), "set up"))
			return;
		dtls_start(&w.d, 0, t);
		pump(&w, t);
		ASSERT_TRUE(w.d.state != KS_DTLS_UP && !w.up, "not up");
		world_free(&w);
	}
}

/* Packets of every size both ways through records sealed and opened by kslice's AES-GCM
 * (where the CPU has it) and by OpenSSL's, against OpenSSL's DTLS as the gateway. */
void test_dtls_record_ciphers(void)
{
	struct ks_dtls_keys k = { .mode = KS_DTLS_PSK, .version = DTLS1_2_VERSION,
				  .session_id_len = 32 };
	static uint8_t pkt[1 + 1500];
	time_t t = 1000;

	RAND_bytes(k.secret, KS_DTLS_PSK_LEN);
	for (int own = 1; own >= 0; own--) {
		struct world w;
		int bad = 0, sent = 0;

		if (!test__start_subtest(own ? "kslice's AES-GCM" : "OpenSSL's AES-GCM"))
			continue;
		if (own && !aes_gcm_supported()) {
			test__skip("no VAES/VPCLMULQDQ on AVX-512 here");
			continue;
		}
		dtls_fast_allow_own_gcm(own);
		if (!ASSERT_OK(world_up(&w, &k, &dtls_params, t), "up")) {
			dtls_fast_allow_own_gcm(true);
			continue;
		}
		ASSERT_TRUE(w.d.fast_on && w.d.fast.own == own, "the records are sealed as asked");
		/* from an IPv4 header's size: shorter ones are not delivered */
		for (int len = 20; len <= w.d.data_mtu; len += len < 320 ? 1 : 61) {
			uint8_t rec[1 + 1500];

			for (int i = 0; i < len; i++)
				pkt[1 + i] = (uint8_t)(i * 7 + len);
			pkt[1] = 0x45;
			sent++;
			if (!dtls_send_packet(&w.d, pkt + 1, (size_t)len)) {
				bad++;
				continue;
			}
			pump(&w, t);
			if (w.nrec != 1 || w.rec_len[0] != (size_t)len + 1 ||
			    memcmp(w.rec[0] + 1, pkt + 1, (size_t)len))
				bad++;
			rec[0] = 0; /* DATA */
			memcpy(rec + 1, pkt + 1, (size_t)len);
			dtls_peer_send(&w.gw, rec, (size_t)len + 1);
			dtls_peer_to_client(&w.gw.out, &w.d, t);
			if (w.delivered != sent || w.delivered_len != (size_t)len ||
			    memcmp(w.delivered_pkt, pkt + 1, (size_t)len)) {
				bad++;
			}
		}
		ASSERT_TRUE(sent > 300, "every size to the data MTU");
		ASSERT_EQ(bad, 0, "packets lost or changed");
		ASSERT_EQ(w.c.dtls_bad_records, 0, "no record refused");
		world_free(&w);
		dtls_fast_allow_own_gcm(true);
	}
}

void test_dtls_legacy(void)
{
	struct ks_dtls_keys k = { .mode = KS_DTLS_LEGACY, .version = DTLS1_2_VERSION,
				  .cipher = "AES256-GCM-SHA384", .session_id_len = 32 };
	struct world w;

	RAND_bytes(k.secret, KS_DTLS_SECRET_LEN);
	RAND_bytes(k.session_id, 32);
	if (test__start_subtest("the session the CONNECT made up is resumed")) {
		ASSERT_OK(world_up(&w, &k, &dtls_params, 1000), "up");
		ASSERT_TRUE(SSL_session_reused(w.d.ssl), "resumed");
		ASSERT_STREQ(SSL_get_cipher_name(w.d.ssl), "AES256-GCM-SHA384", "the cipher named");
		world_free(&w);
	}
	if (test__start_subtest("a gateway without our secret does not get DTLS")) {
		struct ks_dtls_keys other = k;

		other.secret[5] ^= 0x40;
		if (!ASSERT_OK(world_init(&w, &k, &other, &dtls_params, 1000), "set up"))
			return;
		dtls_start(&w.d, 0, 1000);
		pump(&w, 1000);
		ASSERT_TRUE(w.d.state != KS_DTLS_UP && !w.up, "not up");
		world_free(&w);
	}
}

static void batch_of(struct ks_dgram_batch *b, const uint16_t *sizes, int n)
{
	static uint8_t zero[KS_DGRAM_MAX];

	dgram_batch_clear(b);
	for (int i = 0; i < n; i++)
		dgram_batch_add(b, zero, sizes[i]);
}

void test_dgram_runs(void)
{
	struct ks_dgram_batch b = { 0 };
	struct ks_dgram_run r[80];
	uint16_t s[80];
	unsigned int n;

	if (test__start_subtest("equal sizes then a shorter last one: one run")) {
		uint16_t v[] = { 1400, 1400, 1400, 800, 1400, 1400 };

		batch_of(&b, v, 6);
		n = dgram_runs(&b, 0, true, r, 80);
		ASSERT_EQ(n, 2, "two runs");
		ASSERT_TRUE(r[0].first == 0 && r[0].count == 4 && r[0].seg == 1400 &&
				    r[0].len == 5000 && r[0].off == 0, "1400 x3 + 800");
		ASSERT_TRUE(r[1].first == 4 && r[1].count == 2 && r[1].off == 5000, "then 1400 x2");
	}
	if (test__start_subtest("a larger one starts a new run")) {
		uint16_t v[] = { 600, 600, 1400, 1400 };

		batch_of(&b, v, 4);
		n = dgram_runs(&b, 0, true, r, 80);
		ASSERT_TRUE(n == 2 && r[0].count == 2 && r[1].seg == 1400 && r[1].off == 1200,
			    "600 x2, 1400 x2");
	}
	if (test__start_subtest("at most 64 segments and 65,000 bytes a send")) {
		for (int i = 0; i < 80; i++)
			s[i] = 500;
		batch_of(&b, s, 80);
		n = dgram_runs(&b, 0, true, r, 80);
		ASSERT_TRUE(n == 2 && r[0].count == KS_GSO_MAX_SEGS && r[1].count == 16, "64 + 16");
		for (int i = 0; i < 60; i++)
			s[i] = 1400;
		batch_of(&b, s, 60);
		n = dgram_runs(&b, 0, true, r, 80);
		ASSERT_TRUE(n == 2 && r[0].len <= KS_GSO_MAX_BYTES && r[0].count == 46, "46 of 1400");
	}
	if (test__start_subtest("without GSO: one datagram a send; from where it stopped")) {
		uint16_t v[] = { 100, 100, 100 };

		batch_of(&b, v, 3);
		n = dgram_runs(&b, 0, false, r, 2);
		ASSERT_TRUE(n == 2 && r[0].count == 1 && r[1].off == 100, "two, at most");
		n = dgram_runs(&b, 2, false, r, 2);
		ASSERT_TRUE(n == 1 && r[0].first == 2 && r[0].off == 200, "the rest");
	}
	if (test__start_subtest("empty and oversized datagrams are refused")) {
		static uint8_t big[KS_DGRAM_MAX + 1];

		dgram_batch_clear(&b);
		ASSERT_ERR(dgram_batch_add(&b, big, 0), "empty");
		ASSERT_ERR(dgram_batch_add(&b, big, sizeof(big)), "too large");
		ASSERT_TRUE(b.count == 0 && b.dropped == 2, "counted as lost");
	}
	dgram_batch_free(&b);
}

static int keys_for_offer(const char *headers, uint32_t offered, struct ks_dtls_keys *k)
{
	char text[2048];
	struct ks_cstp_params p;
	struct ks_http_resp r;
	struct ks_error e = { 0 };
	uint8_t master[KS_DTLS_SECRET_LEN] = { 7 };
	size_t hl;
	int err;

	snprintf(text, sizeof(text), "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Address: 10.0.0.2\r\n"
		 "X-CSTP-MTU: 1400\r\n%s\r\n", headers);
	if (http_parse_head(text, strlen(text), &r, &hl, &e))
		return -999;
	err = cstp_parse_response(&r, &p, &e);
	http_resp_free(&r);
	if (err)
		return -998;
	/* No TLS session here: PSK mode's exporter is tested against ocserv (test_dtls.sh). */
	err = dtls_keys_from(&p, NULL, master, offered, k, &e);
	cstp_params_free(&p);
	return err;
}

static int keys_for(const char *headers, struct ks_dtls_keys *k)
{
	return keys_for_offer(headers, KS_DTLS_SUITES_ALL, k);
}

void test_dtls_keys(void)
{
	struct ks_dtls_keys k;
	const char *sid = "X-DTLS-Session-ID: "
			  "f0b9dd630bdda194422cee0b2ef26119145e44d2355c4c8a392f8e3f00501d48\r\n";
	char h[512];

	if (test__start_subtest("legacy DTLS 1.2 (X-DTLS12-CipherSuite)")) {
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS12-CipherSuite: AES256-GCM-SHA384\r\n", sid);
		ASSERT_OK(keys_for(h, &k), "usable");
		ASSERT_TRUE(k.mode == KS_DTLS_LEGACY && k.version == DTLS1_2_VERSION &&
				    !strcmp(k.cipher, "AES256-GCM-SHA384") && k.session_id_len == 32 &&
				    k.session_id[0] == 0xf0 && k.secret[0] == 7, "legacy 1.2, our secret");
	}
	if (test__start_subtest("legacy names: OC-DTLS1_2 GCM, AES-SHA on DTLS 1.0")) {
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: OC-DTLS1_2-AES128-GCM\r\n", sid);
		ASSERT_OK(keys_for(h, &k), "usable");
		ASSERT_TRUE(k.version == DTLS1_2_VERSION && !strcmp(k.cipher, "AES128-GCM-SHA256"), "GCM");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: AES256-SHA\r\n", sid);
		ASSERT_OK(keys_for(h, &k), "usable");
		ASSERT_EQ(k.version, DTLS1_BAD_VER, "Cisco's pre-RFC DTLS");
	}
	if (test__start_subtest("what kslice cannot run is refused, not tried")) {
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: DES-CBC3-SHA\r\n", sid);
		ASSERT_EQ(keys_for(h, &k), -ENOTSUP, "a cipher not offered");
		snprintf(h, sizeof(h), "%sX-DTLS-CipherSuite: AES256-SHA\r\n", sid);
		ASSERT_EQ(keys_for(h, &k), -ENOTSUP, "no port");
		ASSERT_EQ(keys_for("X-DTLS-Port: 443\r\nX-DTLS-CipherSuite: AES256-SHA\r\n", &k),
			  -ENOTSUP, "no session id");
		ASSERT_EQ(keys_for("X-DTLS-Port: 443\r\nX-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", &k),
			  -ENOTSUP, "PSK without an App-ID");
		ASSERT_EQ(keys_for("X-DTLS-Port: 443\r\nX-DTLS-App-ID: abc\r\n"
				   "X-DTLS-CipherSuite: PSK-NEGOTIATE\r\n", &k),
			  -ENOTSUP, "an App-ID of odd length");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: AES256-SHA\r\n"
			 "X-DTLS-Content-Encoding: deflate\r\n", sid);
		ASSERT_EQ(keys_for(h, &k), -ENOTSUP, "a stream codec over datagrams");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: AES256-SHA;rm\r\n", sid);
		ASSERT_EQ(keys_for(h, &k), -ENOTSUP, "a name that is not a cipher name");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS12-CipherSuite: OC-DTLS1_2-AES128-GCM\r\n", sid);
		ASSERT_EQ(keys_for(h, &k), -ENOTSUP, "a DTLS 1.0 list's name in the DTLS 1.2 header");
	}
	if (test__start_subtest("--dtls-ciphers: a suite not offered is not run")) {
		uint32_t only_sha;

		ASSERT_OK(dtls_suites_parse("AES256-SHA", &only_sha, &(struct ks_error){ 0 }), "parsed");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS12-CipherSuite: AES256-GCM-SHA384\r\n", sid);
		ASSERT_EQ(keys_for_offer(h, only_sha, &k), -ENOTSUP, "the gateway chose another");
		snprintf(h, sizeof(h), "X-DTLS-Port: 443\r\n%sX-DTLS-CipherSuite: AES256-SHA\r\n", sid);
		ASSERT_OK(keys_for_offer(h, only_sha, &k), "the one offered");
	}
}

void test_dtls_suites(void)
{
	struct ks_error e = { 0 };
	struct ks_buf req = { 0 };
	uint32_t m;

	ASSERT_OK(dtls_suites_parse("PSK-NEGOTIATE:AES128-GCM-SHA256,AES256-SHA", &m, &e), "a list");
	dtls_suites_offer(&req, m);
	ASSERT_STREQ(buf_cstr(&req), "X-DTLS-CipherSuite: PSK-NEGOTIATE:AES256-SHA\r\n"
				     "X-DTLS12-CipherSuite: AES128-GCM-SHA256\r\n",
		     "each name in its header, in kslice's order");
	buf_free(&req);
	ASSERT_ERR(dtls_suites_parse("AES256-SHA:RC4-MD5", &m, &e), "an unknown suite");
	ASSERT_TRUE(strstr(e.msg, "'RC4-MD5'") != NULL, "named");
	ASSERT_ERR(dtls_suites_parse("", &m, &e), "empty");
	ASSERT_ERR(dtls_suites_parse("AES256-SHA::", &m, &e), "an empty name");
	ASSERT_ERR(dtls_suites_parse("AES256-SHA\x1b[2J", &m, &e), "control bytes");
	ASSERT_TRUE(!strchr(e.msg, 0x1b), "escaped in the message");
}

void test_dtls_connect_offer(void)
{
	struct ks_buf req = { 0 };
	uint8_t secret[KS_DTLS_SECRET_LEN];
	const char *t;

	memset(secret, 0xa5, sizeof(secret));
	cstp_build_connect(&req, "gw", "ua", "cookie", "host", false, KS_OFFER_ALL, 1500, secret,
			   KS_DTLS_SUITES_ALL);
	t = buf_cstr(&req);
	char want[128] = "X-DTLS-Master-Secret: ";

	for (int i = 0; i < KS_DTLS_SECRET_LEN; i++)
		strcat(want, "A5");
	strcat(want, "\r\n");
	ASSERT_TRUE(strstr(t, want) != NULL, "the secret, 96 hex digits");
	ASSERT_TRUE(strstr(t, "X-DTLS-CipherSuite: PSK-NEGOTIATE:") != NULL, "PSK-NEGOTIATE first");
	ASSERT_TRUE(strstr(t, "X-DTLS12-CipherSuite: ") != NULL, "DTLS 1.2 suites");
	ASSERT_TRUE(strstr(t, "X-DTLS-Accept-Encoding: oc-lz4,lzs\r\n") != NULL, "no deflate over DTLS");
	buf_free(&req);
	cstp_build_connect(&req, "gw", "ua", "cookie", "host", false, KS_OFFER_ALL, 1500, NULL,
			   KS_DTLS_SUITES_ALL);
	ASSERT_TRUE(!strstr(buf_cstr(&req), "X-DTLS"), "--no-dtls: no DTLS header at all");
	buf_free(&req);
}

/* The base MTU announced in the CONNECT follows the route to the gateway. */
void test_cstp_base_mtu(void)
{
	struct ks_buf req = { 0 };

	ASSERT_EQ(cstp_base_mtu(0), CSTP_BASE_MTU, "unknown: 1500");
	ASSERT_EQ(cstp_base_mtu(9000), CSTP_BASE_MTU, "a jumbo route: 1500 still");
	ASSERT_EQ(cstp_base_mtu(1280), 1280, "a smaller route: its MTU");
	ASSERT_EQ(cstp_base_mtu(600), CSTP_MIN_MTU + CSTP_MTU_OVERHEAD,
		  "never an X-CSTP-MTU under the minimum");
	cstp_build_connect(&req, "gw", "ua", "cookie", "host", false, KS_OFFER_ALL,
			   cstp_base_mtu(1280), NULL, KS_DTLS_SUITES_ALL);
	ASSERT_TRUE(strstr(buf_cstr(&req), "X-CSTP-Base-MTU: 1280\r\nX-CSTP-MTU: 1186\r\n") != NULL,
		    "announced, and the tunnel MTU asked for below it");
	buf_free(&req);
}

/* A path too small for any record is refused before a handshake is spent on it. */
void test_dtls_path_too_small(void)
{
	struct ks_dtls_keys k = { .mode = KS_DTLS_PSK, .version = DTLS1_2_VERSION,
				  .session_id_len = 32 };
	struct world w;
	time_t t = 1000;

	RAND_bytes(k.secret, KS_DTLS_PSK_LEN);
	if (!ASSERT_OK(world_init(&w, &k, &k, &dtls_params, t), "set up"))
		return;
	dtls_set_path_mtu(&w.d, 633); /* 633 - 28 - 29 (ChaCha20's) - 1 = 575 < 576 */
	dtls_start(&w.d, 0, t);
	ASSERT_EQ(w.d.state, KS_DTLS_SLEEP, "asleep at once");
	ASSERT_TRUE(w.d.out.count == 0, "no ClientHello sent");
	ASSERT_STREQ(w.d.why, "the path (MTU 633) leaves DTLS records no room for packets",
		     "says why, with the MTU");
	ASSERT_EQ(w.drop_socket, 1, "the socket dropped");
	ASSERT_EQ(w.c.dtls_failed_attempts, 1, "one failed attempt counted");
	ASSERT_TRUE(w.d.retry_at > t, "another attempt later, not at once");
	world_free(&w);
	if (!ASSERT_OK(world_init(&w, &k, &k, &dtls_params, t), "set up"))
		return;
	dtls_set_path_mtu(&w.d, 634); /* room under ChaCha20: tried; the AES-GCM it gets has none */
	dtls_start(&w.d, 0, t);
	pump(&w, t);
	ASSERT_EQ(w.d.state, KS_DTLS_SLEEP, "the handshake done, then asleep");
	ASSERT_STREQ(w.d.why, "the path leaves DTLS records no room for packets",
		     "the suite's own cost checked after it");
	world_free(&w);
	if (!ASSERT_OK(world_init(&w, &k, &k, &dtls_params, t), "set up"))
		return;
	dtls_set_path_mtu(&w.d, 642); /* room for a 576-byte packet exactly */
	dtls_start(&w.d, 0, t);
	pump(&w, t);
	ASSERT_EQ(w.d.state, KS_DTLS_UP, "one byte more: up");
	ASSERT_EQ(w.d.data_mtu, CSTP_MIN_MTU, "a data MTU of the minimum");
	world_free(&w);
}
