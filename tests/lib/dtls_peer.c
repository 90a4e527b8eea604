// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <openssl/err.h>

#include "dtls_peer.h"

static unsigned int psk_server(SSL *ssl, const char *identity, unsigned char *psk,
			       unsigned int max_psk_len)
{
	struct dtls_peer *p = SSL_get_app_data(ssl);

	if (max_psk_len < KS_DTLS_PSK_LEN)
		return 0;
	memcpy(psk, p->psk, KS_DTLS_PSK_LEN);
	return KS_DTLS_PSK_LEN;
}

/* Legacy: the session the client named, with its master secret, in the server's cache. */
static int add_legacy_session(struct dtls_peer *p, const struct ks_dtls_keys *k)
{
	SSL_SESSION *sess = SSL_SESSION_new();
	const SSL_CIPHER *cipher = NULL;
	STACK_OF(SSL_CIPHER) *list = SSL_get_ciphers(p->ssl);
	int ok;

	for (int i = 0; list && i < sk_SSL_CIPHER_num(list) && !cipher; i++)
		if (!strcmp(SSL_CIPHER_get_name(sk_SSL_CIPHER_value(list, i)), k->cipher))
			cipher = sk_SSL_CIPHER_value(list, i);
	ok = sess && cipher && SSL_SESSION_set1_id(sess, k->session_id, k->session_id_len) &&
	     SSL_SESSION_set_protocol_version(sess, k->version) &&
	     SSL_SESSION_set_cipher(sess, cipher) &&
	     SSL_SESSION_set1_master_key(sess, k->secret, KS_DTLS_SECRET_LEN) &&
	     SSL_CTX_add_session(p->ctx, sess);
	SSL_SESSION_free(sess);
	return ok ? 0 : -EPROTO;
}

int dtls_peer_init(struct dtls_peer *p, const struct ks_dtls_keys *k)
{
	bool psk = k->mode == KS_DTLS_PSK;

	memset(p, 0, sizeof(*p));
	p->io = (struct ks_dgram_io){ .out = &p->out, .mtu_overhead = 28 };
	p->ctx = SSL_CTX_new(DTLS_server_method());
	if (!p->ctx)
		return -ENOMEM;
	SSL_CTX_set_options(p->ctx, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET |
				    (psk ? 0 : SSL_OP_NO_EXTENDED_MASTER_SECRET));
	if (k->version == DTLS1_BAD_VER)
		SSL_CTX_set_security_level(p->ctx, 0);
	SSL_CTX_set_min_proto_version(p->ctx, k->version);
	SSL_CTX_set_max_proto_version(p->ctx, k->version);
	if (!SSL_CTX_set_cipher_list(p->ctx, psk ? "PSK" : k->cipher))
		return -EINVAL;
	if (psk) {
		memcpy(p->psk, k->secret, KS_DTLS_PSK_LEN);
		SSL_CTX_set_psk_server_callback(p->ctx, psk_server);
	}
	p->ssl = SSL_new(p->ctx);
	if (!p->ssl || dtls_bio_attach(p->ssl, &p->io))
		return -ENOMEM;
	SSL_set_app_data(p->ssl, p);
	SSL_set_mtu(p->ssl, 1472);
	SSL_set_accept_state(p->ssl);
	return psk ? 0 : add_legacy_session(p, k);
}

void dtls_peer_free(struct dtls_peer *p)
{
	if (p->ssl) {
		dtls_bio_detach(p->ssl);
		SSL_free(p->ssl);
	}
	SSL_CTX_free(p->ctx);
	dgram_batch_free(&p->out);
	memset(p, 0, sizeof(*p));
}

int dtls_peer_take(struct dtls_peer *p, const uint8_t *dg, size_t len, uint8_t (*rec)[2048],
		   size_t *rec_len, int max)
{
	int n = 0;

	p->io.in = dg;
	p->io.in_len = len;
	if (!p->up) {
		int rc = SSL_do_handshake(p->ssl);

		if (rc == 1)
			p->up = true;
		else if (SSL_get_error(p->ssl, rc) != SSL_ERROR_WANT_READ)
			return -EPROTO;
	}
	while (p->up && n < max) {
		int got = SSL_read(p->ssl, rec[n], 2048);

		if (got <= 0)
			break;
		rec_len[n++] = (size_t)got;
	}
	p->io.in = NULL;
	ERR_clear_error();
	return n;
}

int dtls_peer_send(struct dtls_peer *p, const uint8_t *rec, size_t len)
{
	return SSL_write(p->ssl, rec, (int)len) == (int)len ? 0 : -EIO;
}

void dtls_peer_to_client(struct ks_dgram_batch *from, struct ks_dtls *d, time_t now)
{
	size_t off = 0;

	for (unsigned int i = 0; i < from->count; i++) {
		uint16_t n = dgram_batch_size(from, i);

		dtls_on_datagram(d, from->bytes.data + off, n, now);
		off += n;
	}
	dgram_batch_clear(from);
}
