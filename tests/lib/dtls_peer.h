/* SPDX-License-Identifier: GPL-2.0-only */
/* An in-process DTLS gateway for tests and fuzzing: OpenSSL's DTLS server, keyed as ocserv
 * keys it (PSK-NEGOTIATE: the PSK is the exporter's 32 bytes, the identity ignored) or as
 * a legacy gateway does (the session the client's X-DTLS-Master-Secret made, in the
 * server's cache, resumed). It speaks through the same datagram batches as kslice's
 * channel (user/dtls_bio.h), so the two are pumped into each other without sockets. */
#pragma once
#include <stdbool.h>
#include <openssl/ssl.h>
#include "dtls.h"

struct dtls_peer {
	SSL_CTX *ctx;
	SSL *ssl;
	struct ks_dgram_batch out;	/* what the gateway sends */
	struct ks_dgram_io io;
	uint8_t psk[KS_DTLS_PSK_LEN];
	bool up;
};

/* keys: what the client was given (the same secret on both sides). 0 or -errno. */
int dtls_peer_init(struct dtls_peer *p, const struct ks_dtls_keys *keys);
void dtls_peer_free(struct dtls_peer *p);
/* One datagram from the client: handshake, then records read into rec (cap bytes each,
 * at most max records); returns how many were read, or -errno on a fatal error. */
int dtls_peer_take(struct dtls_peer *p, const uint8_t *dg, size_t len, uint8_t (*rec)[2048],
		   size_t *rec_len, int max);
/* One record (type byte and payload) to the client. 0 or -EIO. */
int dtls_peer_send(struct dtls_peer *p, const uint8_t *rec, size_t len);
/* Moves every datagram queued in from into the client channel d, then clears from. */
void dtls_peer_to_client(struct ks_dgram_batch *from, struct ks_dtls *d, time_t now);
