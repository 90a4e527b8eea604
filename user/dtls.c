// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "dtls.h"
#include "dtls_suites.h"
#include "esc.h"
#include "log.h"
#include "oc_lz4.h"

#define PSK_CIPHERS "PSK-AES256-GCM-SHA384:PSK-AES128-GCM-SHA256:PSK-CHACHA20-POLY1305"
#define PSK_LABEL   "EXPORTER-openconnect-psk"

const char *dtls_state_name(enum ks_dtls_state s)
{
	static const char *const names[] = { "off", "socket", "handshake", "up", "sleep" };

	return (unsigned int)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static int unhex(const char *hex, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(hex);

	if (!n || n % 2 || n / 2 > cap)
		return -EINVAL;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned int v;

		if (sscanf(hex + 2 * i, "%2x", &v) != 1)
			return -EINVAL;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

/* SSL_get_error() reads the thread's error queue, which the CSTP session shares: a stale
 * entry would be taken for this call's failure. Emptied before each call, cheaply when
 * it is empty already (the data path makes one call a packet). */
static inline void err_fresh(void)
{
	if (ERR_peek_error())
		ERR_clear_error();
}

/* The newest OpenSSL error, as text (never NULL); the queue is emptied. */
static const char *ssl_reason(void)
{
	unsigned long err = ERR_peek_last_error();
	const char *r = err ? ERR_reason_error_string(err) : NULL;

	ERR_clear_error();
	return r ? r : "unknown";
}

int dtls_keys_from(const struct ks_cstp_params *p, SSL *cstp_ssl,
		   const uint8_t master[KS_DTLS_SECRET_LEN], uint32_t offered,
		   struct ks_dtls_keys *k, struct ks_error *e)
{
	bool dtls12 = p->dtls12_cipher[0] != 0;
	const char *name = dtls12 ? p->dtls12_cipher : p->dtls_cipher;
	const struct ks_dtls_suite *suite;
	uint32_t bit = 0;

	memset(k, 0, sizeof(*k));
	if (!p->dtls_port)
		return ks_fail(e, -ENOTSUP, "the gateway offers no DTLS (no X-DTLS-Port)");
	if (p->dtls_codec == KS_CODEC_DEFLATE)
		return ks_fail(e, -ENOTSUP, "X-DTLS-Content-Encoding is not a per-packet codec");
	suite = dtls_suite_find(name, dtls12, &bit);
	if (!suite || !(offered & bit))
		return ks_fail(e, -ENOTSUP, "DTLS cipher '%s' is not one kslice offered",
			       escn(name, 64));
	if (!suite->openssl) { /* PSK-NEGOTIATE */
		if (!p->dtls_app_id[0] ||
		    unhex(p->dtls_app_id, k->session_id, sizeof(k->session_id), &k->session_id_len))
			return ks_fail(e, -ENOTSUP, "PSK-NEGOTIATE without a usable X-DTLS-App-ID");
		if (SSL_export_keying_material(cstp_ssl, k->secret, KS_DTLS_PSK_LEN, PSK_LABEL,
					       strlen(PSK_LABEL), NULL, 0, 0) != 1)
			return ks_fail(e, -ENOTSUP, "TLS exporter failed: %s", ssl_reason());
		k->mode = KS_DTLS_PSK;
		k->version = DTLS1_2_VERSION;
		return 0;
	}
	if (!p->dtls_session_id[0] ||
	    unhex(p->dtls_session_id, k->session_id, sizeof(k->session_id), &k->session_id_len))
		return ks_fail(e, -ENOTSUP, "legacy DTLS without a usable X-DTLS-Session-ID");
	snprintf(k->cipher, sizeof(k->cipher), "%s", suite->openssl);
	k->version = suite->version;
	memcpy(k->secret, master, KS_DTLS_SECRET_LEN);
	k->mode = KS_DTLS_LEGACY;
	return 0;
}

/* PSK mode's key: ocserv ignores the identity; openconnect sends "psk". */
static unsigned int psk_client(SSL *ssl, const char *hint, char *identity,
			       unsigned int max_identity_len, unsigned char *psk,
			       unsigned int max_psk_len)
{
	struct ks_dtls *d = SSL_get_app_data(ssl);

	if (!d || max_identity_len < 4 || max_psk_len < KS_DTLS_PSK_LEN)
		return 0;
	memcpy(identity, "psk", 4);
	memcpy(psk, d->keys.secret, KS_DTLS_PSK_LEN);
	return KS_DTLS_PSK_LEN;
}

static SSL_CTX *ctx_new(const struct ks_dtls_keys *k)
{
	SSL_CTX *ctx = SSL_CTX_new(DTLS_client_method());
	long opts = SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_ENCRYPT_THEN_MAC |
		    SSL_OP_NO_RENEGOTIATION;

	if (!ctx)
		return NULL;
	/* Legacy: a resumption of a session the CONNECT made up, by servers (ocserv's GnuTLS
	 * with %COMPAT, ASAs) that do not announce RFC 5746; nothing is ever renegotiated. */
	if (k->mode == KS_DTLS_LEGACY)
		opts |= SSL_OP_NO_EXTENDED_MASTER_SECRET | SSL_OP_LEGACY_SERVER_CONNECT;
	SSL_CTX_set_options(ctx, opts);
	/* DTLS 1.0 (older ASAs' AES-SHA) is below OpenSSL 3's default level; the secret is
	 * ours, sent over the verified TLS session, so no key exchange is at stake. */
	if (k->version == DTLS1_BAD_VER)
		SSL_CTX_set_security_level(ctx, 0);
	if (!SSL_CTX_set_min_proto_version(ctx, k->version) ||
	    !SSL_CTX_set_max_proto_version(ctx, k->version) ||
	    !SSL_CTX_set_cipher_list(ctx, k->mode == KS_DTLS_PSK ? PSK_CIPHERS : k->cipher)) {
		SSL_CTX_free(ctx);
		return NULL;
	}
	if (k->mode == KS_DTLS_PSK)
		SSL_CTX_set_psk_client_callback(ctx, psk_client);
	return ctx;
}

/* The session the ClientHello names: the App-ID (ocserv finds the session by it; the
 * handshake is a full PSK one) or, legacy, the gateway's session id with our master
 * secret (the gateway resumes it). */
static int set_session(struct ks_dtls *d)
{
	const struct ks_dtls_keys *k = &d->keys;
	const SSL_CIPHER *cipher = NULL;
	STACK_OF(SSL_CIPHER) *list = SSL_get_ciphers(d->ssl);
	SSL_SESSION *sess = SSL_SESSION_new();
	uint8_t filler[KS_DTLS_SECRET_LEN];
	int ok;

	for (int i = 0; list && i < sk_SSL_CIPHER_num(list); i++) {
		cipher = sk_SSL_CIPHER_value(list, i);
		if (k->mode == KS_DTLS_PSK || !strcmp(SSL_CIPHER_get_name(cipher), k->cipher))
			break;
		cipher = NULL;
	}
	if (k->mode == KS_DTLS_PSK) /* never used: the gateway does not resume it */
		RAND_bytes(filler, sizeof(filler));
	ok = sess && cipher && SSL_SESSION_set1_id(sess, k->session_id, k->session_id_len) &&
	     SSL_SESSION_set_protocol_version(sess, k->version) &&
	     SSL_SESSION_set_cipher(sess, cipher) &&
	     SSL_SESSION_set1_master_key(sess, k->mode == KS_DTLS_PSK ? filler : k->secret,
					 KS_DTLS_SECRET_LEN) &&
	     SSL_set_session(d->ssl, sess);
	OPENSSL_cleanse(filler, sizeof(filler));
	SSL_SESSION_free(sess);
	return ok ? 0 : -EPROTO;
}

static void set_state(struct ks_dtls *d, enum ks_dtls_state st, time_t now)
{
	bool was_up = d->state == KS_DTLS_UP;

	d->state = st;
	d->since = now;
	if (was_up != (st == KS_DTLS_UP) && d->ops->changed)
		d->ops->changed(d->ctx, st == KS_DTLS_UP);
}

static void close_ssl(struct ks_dtls *d)
{
	d->io.in = NULL;
	dtls_fast_free(&d->fast);
	d->fast_on = false;
	if (d->ssl) {
		dtls_bio_detach(d->ssl);
		SSL_free(d->ssl);
		d->ssl = NULL;
	}
}

void dtls_fail(struct ks_dtls *d, const char *why, time_t now)
{
	if (d->state == KS_DTLS_OFF || d->state == KS_DTLS_SLEEP)
		return;
	/* A link that lasted resets the backoff; one that keeps failing waits longer. */
	if (d->state == KS_DTLS_UP && now - d->since >= 2 * (d->dpd > 0 ? d->dpd : 30))
		d->backoff_s = KS_DTLS_RETRY_MIN_S;
	snprintf(d->why, sizeof(d->why), "%s", why);
	ks_warn("dtls", "event=%s reason=\"%s\" retry_in_s=%d",
		d->state == KS_DTLS_UP ? "down" : "attempt_failed", esc(why), d->backoff_s);
	if (d->state == KS_DTLS_UP)
		d->c->dtls_falls++;
	else
		d->c->dtls_failed_attempts++;
	close_ssl(d);
	if (d->state != KS_DTLS_SOCKET)
		d->ops->drop_socket(d->ctx);
	d->retry_at = now + d->backoff_s;
	d->backoff_s =
		d->backoff_s * 2 > KS_DTLS_RETRY_MAX_S ? KS_DTLS_RETRY_MAX_S : d->backoff_s * 2;
	set_state(d, KS_DTLS_SLEEP, now);
}

static void ssl_failed(struct ks_dtls *d, const char *what, time_t now)
{
	char why[160];

	snprintf(why, sizeof(why), "%s: %s", what, ssl_reason());
	dtls_fail(d, why, now);
}

void dtls_set_path_mtu(struct ks_dtls *d, int mtu)
{
	d->path_mtu = mtu > 0 ? mtu : 0;
}

void dtls_start(struct ks_dtls *d, int err, time_t now)
{
	/* The smaller of the gateway's base MTU and our route's (a PPPoE or tunnelled
	 * uplink): a record that needs fragments is lost whole when one is. */
	int mtu = d->path_mtu && d->path_mtu < d->base_mtu ? d->path_mtu : d->base_mtu, rc;

	if (d->state != KS_DTLS_SOCKET) /* a socket that came too late: not ours any more */
		return;
	if (err) { /* no socket to drop: the state says so */
		char why[80];

		snprintf(why, sizeof(why), "no UDP socket: %s",
			 err == -ELOOP ? "its route to the gateway goes into the tunnel" :
			 err == -EAGAIN ? "not now (the monitor gives one a second)" :
					  strerror(-err));
		dtls_fail(d, why, now);
		return;
	}
	/* No suite costs a record less than ChaCha20-Poly1305's header and tag: a path that
	 * leaves no room for the smallest packet under it is refused before a handshake is
	 * spent (the suite's own cost is checked once it is known, handshake_done). */
	if (mtu - (d->ipv6 ? 40 : 20) - 8 - KS_DTLS_MIN_OVERHEAD - 1 < CSTP_MIN_MTU) {
		char why[100];

		snprintf(why, sizeof(why), "the path (MTU %d) leaves DTLS records no room for packets",
			 mtu);
		set_state(d, KS_DTLS_HANDSHAKE, now); /* the socket is ours: dropped with it */
		dtls_fail(d, why, now);
		return;
	}
	d->ssl = SSL_new(d->ssl_ctx);
	if (!d->ssl || dtls_bio_attach(d->ssl, &d->io) || !SSL_set_app_data(d->ssl, d) ||
	    set_session(d) || mtu <= (d->ipv6 ? 40 : 20) + 8 ||
	    !SSL_set_mtu(d->ssl, mtu - (d->ipv6 ? 40 : 20) - 8)) {
		set_state(d, KS_DTLS_HANDSHAKE, now);
		ssl_failed(d, "DTLS setup", now);
		return;
	}
	SSL_set_connect_state(d->ssl);
	set_state(d, KS_DTLS_HANDSHAKE, now);
	ks_dbg("dtls", "event=handshake_start mode=%s mtu=%d",
	       d->keys.mode == KS_DTLS_PSK ? "psk" : "legacy", mtu);
	err_fresh();
	rc = SSL_do_handshake(d->ssl);
	if (rc <= 0 && SSL_get_error(d->ssl, rc) != SSL_ERROR_WANT_READ)
		ssl_failed(d, "DTLS handshake", now);
}

static void handshake_done(struct ks_dtls *d, time_t now)
{
	/* Legacy: only the holder of our secret can have resumed the session. */
	if (d->keys.mode == KS_DTLS_LEGACY && !SSL_session_reused(d->ssl)) {
		dtls_fail(d, "the gateway did not resume the DTLS session (not the gateway?)", now);
		d->retry_at = 0;
		set_state(d, KS_DTLS_OFF, now);
		return;
	}
	/* One record carries the type byte and the packet: no more than the path allows, the
	 * gateway's X-DTLS-MTU, or a record's plaintext. */
	d->data_mtu = (int)DTLS_get_data_mtu(d->ssl) - 1;
	if (d->data_mtu > SSL3_RT_MAX_PLAIN_LENGTH - 1)
		d->data_mtu = SSL3_RT_MAX_PLAIN_LENGTH - 1;
	if (d->dtls_mtu > 0 && d->data_mtu > d->dtls_mtu)
		d->data_mtu = d->dtls_mtu;
	if (d->data_mtu < CSTP_MIN_MTU) {
		dtls_fail(d, "the path leaves DTLS records no room for packets", now);
		return;
	}
	d->last_rx = d->last_tx = d->dpd_ok_at = now;
	d->dpd_sent_at = 0;
	d->c->dtls_handshakes++;
	/* AES-GCM records from here on are kslice's own; other suites stay with OpenSSL. */
	d->fast_on = !dtls_fast_init(&d->fast, d->ssl);
	ks_info("dtls", "event=up version=%s cipher=%s data_mtu=%d mode=%s records=%s aes_gcm=%s",
		SSL_get_version(d->ssl), SSL_get_cipher_name(d->ssl), d->data_mtu,
		d->keys.mode == KS_DTLS_PSK ? "psk" : "legacy", d->fast_on ? "kslice" : "openssl",
		d->fast_on && d->fast.own ? "kslice" : "openssl");
	set_state(d, KS_DTLS_UP, now);
}

/* A record of type + payload, over DTLS. -EIO: DTLS failed (and is down now). */
static int send_record(struct ks_dtls *d, const uint8_t *rec, size_t len)
{
	if (d->fast_on) {
		int err = dtls_fast_seal(&d->fast, &d->out, rec, len);

		if (err == -EIO) {
			dtls_fail(d, "DTLS record sealing failed", time(NULL));
			return -EIO;
		}
		d->last_tx = time(NULL); /* -ENOBUFS: a datagram lost on the way, counted */
		return 0;
	}
	err_fresh();
	if (SSL_write(d->ssl, rec, (int)len) != (int)len) {
		ssl_failed(d, "DTLS write", time(NULL));
		return -EIO;
	}
	d->last_tx = time(NULL);
	return 0;
}

static void send_control(struct ks_dtls *d, uint8_t type, const uint8_t *payload, size_t len)
{
	d->scratch[0] = type;
	if (len)
		memmove(d->scratch + 1, payload, len);
	send_record(d, d->scratch, len + 1);
}

static void on_record(struct ks_dtls *d, const uint8_t *rec, size_t len)
{
	struct ks_cstp_frame f;

	if (!len) {
		d->c->rx_bad_frames++;
		return;
	}
	f = (struct ks_cstp_frame){ .type = rec[0],
				    .len = (uint16_t)(len - 1),
				    .payload = rec + 1 };
	switch (f.type) {
	case CSTP_DPD_REQ: /* answered on the transport it came by, whole */
		d->c->dpd_received++;
		if (len <= (size_t)d->data_mtu + 1)
			send_control(d, CSTP_DPD_RESP, f.payload, f.len);
		break;
	case CSTP_DPD_RESP:
		d->c->dtls_dpd_answered++;
		d->dpd_sent_at = 0;
		d->dpd_ok_at = time(NULL);
		break;
	case CSTP_KEEPALIVE:
		break;
	case CSTP_DATA:
		d->c->dtls_rx_packets++;
		/* fall through */
	default: /* data, compressed data, goodbyes: the session's, whatever the transport */
		cstp_on_datagram_frame(d->cstp, &f, d->codec);
	}
}

/* Application records opened here, record by record; from the first that is not one
 * (an alert, a handshake message), the rest of the datagram is OpenSSL's. Returns how
 * many bytes are left for OpenSSL. */
static size_t open_fast(struct ks_dtls *d, uint8_t *dg, size_t len, time_t now)
{
	size_t off = 0, used;

	while (off < len && d->state == KS_DTLS_UP && !d->cstp->ended) {
		const uint8_t *pt;
		int n = dtls_fast_open(&d->fast, dg + off, len - off, &used, &pt);

		if (n == -EAGAIN)
			return len - off;
		if (n < 0) {
			d->c->dtls_bad_records++; /* forged, replayed or cut: dropped */
			if (used == 0)
				return 0;
		} else {
			d->last_rx = now;
			on_record(d, pt, (size_t)n);
		}
		off += used;
	}
	return 0;
}

void dtls_on_datagram(struct ks_dtls *d, uint8_t *dg, size_t len, time_t now)
{
	if (!d->ssl || (d->state != KS_DTLS_HANDSHAKE && d->state != KS_DTLS_UP))
		return;
	if (d->fast_on) {
		size_t rest = open_fast(d, dg, len, now);

		if (!rest || d->state != KS_DTLS_UP)
			return;
		dg += len - rest;
		len = rest;
	}
	d->io.in = dg;
	d->io.in_len = len;
	err_fresh();
	if (d->state == KS_DTLS_HANDSHAKE) {
		int rc = SSL_do_handshake(d->ssl);

		if (rc == 1)
			handshake_done(d, now);
		else if (SSL_get_error(d->ssl, rc) != SSL_ERROR_WANT_READ)
			ssl_failed(d, "DTLS handshake", now);
	}
	while (d->state == KS_DTLS_UP) {
		int n = SSL_read(d->ssl, d->rx, KS_DGRAM_MAX);

		if (n > 0) {
			d->last_rx = now;
			on_record(d, d->rx, (size_t)n);
			if (d->state != KS_DTLS_UP || d->cstp->ended)
				break;
			continue;
		}
		switch (SSL_get_error(d->ssl, n)) {
		case SSL_ERROR_WANT_READ: /* the datagram is taken (a bad record: dropped) */
			break;
		case SSL_ERROR_ZERO_RETURN:
			dtls_fail(d, "the gateway closed DTLS", now);
			break;
		default:
			ssl_failed(d, "DTLS read", now);
		}
		break;
	}
	d->io.in = NULL;
}

bool dtls_send_packet(struct ks_dtls *d, uint8_t *pkt, size_t len)
{
	const struct ks_stateless_codec *z = cstp_stateless_codec(d->codec);
	size_t zlen;

	if (d->state != KS_DTLS_UP || d->data_mtu <= 0)
		return false;
	if (len > (size_t)d->data_mtu) {
		d->c->dtls_too_big++;
		return false;
	}
	/* Per packet, as over CSTP: only what shrinks goes compressed. A record DTLS could
	 * not take goes over CSTP (the caller's), DTLS being down from then on. */
	if (z && len >= KS_LZ4_MIN_PACKET &&
	    !z->pack(pkt, len, d->scratch + 1, KS_DGRAM_MAX - 1, &zlen)) {
		d->scratch[0] = CSTP_COMPRESSED;
		if (send_record(d, d->scratch, zlen + 1))
			return false;
		d->c->tx_compressed++;
	} else {
		pkt[-1] = CSTP_DATA;
		if (send_record(d, pkt - 1, len + 1))
			return false;
	}
	d->c->tx_packets++;
	d->c->tx_bytes += len;
	d->c->dtls_tx_packets++;
	return true;
}

/* DPD: a probe every half period (answered, it proves both directions; data from the
 * gateway alone does not, a firewall may drop only what we send), sent again each second
 * while unanswered; none answered for half a period: dead, and data goes back to CSTP
 * within the DPD period. */
static void tick_up(struct ks_dtls *d, time_t now)
{
	int half = d->dpd / 2 > 0 ? d->dpd / 2 : 1;

	if (d->dpd > 0) {
		if (d->dpd_sent_at && now - d->dpd_sent_at >= half) {
			dtls_fail(d, "dead peer: no answer to DTLS DPD", now);
			return;
		}
		if ((!d->dpd_sent_at && now - d->dpd_ok_at >= half) ||
		    (d->dpd_sent_at && now > d->last_probe)) {
			send_control(d, CSTP_DPD_REQ, NULL, 0);
			if (!d->dpd_sent_at)
				d->dpd_sent_at = now;
			d->last_probe = now;
			d->c->dtls_dpd_sent++;
		}
	}
	if (d->state == KS_DTLS_UP && d->keepalive > 0 && now - d->last_tx >= d->keepalive) {
		send_control(d, CSTP_KEEPALIVE, NULL, 0);
		d->c->keepalives_sent++;
	}
}

void dtls_tick(struct ks_dtls *d, time_t now)
{
	switch (d->state) {
	case KS_DTLS_SOCKET:
		if (now - d->since >= KS_DTLS_HANDSHAKE_S)
			dtls_fail(d, "no UDP socket came", now);
		break;
	case KS_DTLS_HANDSHAKE:
		if (now - d->since >= KS_DTLS_HANDSHAKE_S)
			dtls_fail(d, "handshake timed out (UDP blocked?)", now);
		else if (err_fresh(), DTLSv1_handle_timeout(d->ssl) < 0)
			ssl_failed(d, "DTLS handshake", now);
		break;
	case KS_DTLS_UP:
		tick_up(d, now);
		break;
	case KS_DTLS_SLEEP:
		if (now >= d->retry_at) {
			set_state(d, KS_DTLS_SOCKET, now);
			d->ops->want_socket(d->ctx);
		}
		break;
	case KS_DTLS_OFF:
		break;
	}
}

int dtls_init(struct ks_dtls *d, const struct ks_dtls_ops *ops, void *ctx, struct ks_cstp *cstp,
	      const struct ks_cstp_params *p, const struct ks_dtls_keys *keys, bool peer_v6,
	      time_t now, struct ks_error *e)
{
	*d = (struct ks_dtls){ .ops = ops,
			       .ctx = ctx,
			       .cstp = cstp,
			       .c = cstp->c,
			       .keys = *keys,
			       .ipv6 = peer_v6,
			       .backoff_s = KS_DTLS_RETRY_MIN_S,
			       .codec = p->dtls_codec,
			       .since = now };
	/* ocserv sends no X-DTLS-DPD when it has none of its own: the CSTP one then. */
	d->dpd = p->dtls_dpd > 0 ? p->dtls_dpd : p->dpd;
	d->keepalive = p->dtls_keepalive > 0 ? p->dtls_keepalive : p->keepalive;
	d->dtls_mtu = p->dtls_mtu;
	d->base_mtu = p->base_mtu > 0 ? p->base_mtu : CSTP_BASE_MTU;
	d->out.bytes.limit = 8u << 20;
	d->io = (struct ks_dgram_io){ .out = &d->out, .mtu_overhead = peer_v6 ? 48 : 28 };
	d->rx = malloc(KS_DGRAM_MAX);
	d->scratch = malloc(KS_DGRAM_MAX);
	d->ssl_ctx = ctx_new(keys);
	if (!d->rx || !d->scratch || !d->ssl_ctx) {
		dtls_fini(d);
		return ks_fail(e, -ENOMEM, "dtls: setup failed: %s", ssl_reason());
	}
	set_state(d, KS_DTLS_SOCKET, now);
	ops->want_socket(ctx);
	return 0;
}

void dtls_fini(struct ks_dtls *d)
{
	close_ssl(d);
	SSL_CTX_free(d->ssl_ctx);
	d->ssl_ctx = NULL;
	OPENSSL_cleanse(&d->keys, sizeof(d->keys));
	dgram_batch_free(&d->out);
	free(d->rx);
	free(d->scratch);
	d->rx = d->scratch = NULL;
	d->state = KS_DTLS_OFF;
}
