/* SPDX-License-Identifier: GPL-2.0-only */
/* TLS to the gateway: connect, trust (CA or pin), fingerprints. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "error.h"

#define KS_MAX_PINS 8

enum ks_pin_kind { KS_PIN_CERT_SHA256, KS_PIN_CERT_SHA1, KS_PIN_PUBKEY_SHA256 };

struct ks_pin {
	enum ks_pin_kind kind;
	uint8_t hash[32];
	size_t len;
};

struct ks_tls_trust {
	const char *cafile; /* NULL: system store */
	struct ks_pin pins[KS_MAX_PINS];
	int npins;
};

struct ks_tls_peer {
	char cert_sha256[7 + 64 + 1];	 /* "sha256:<hex>" */
	char pubkey_sha256[80]; /* "pin-sha256:<base64>" */
	char subject[256];
	char verify_error[160]; /* why the CA check failed; empty when it passed */
};

/* Parses `sha256:HEX`, `sha1:HEX` or `pin-sha256:BASE64` (openconnect's --servercert). */
int tls_parse_pin(struct ks_pin *pin, const char *spec, struct ks_error *e);

SSL_CTX *tls_ctx_new(const struct ks_tls_trust *trust, struct ks_error *e);
/* TCP connect (timeout in seconds) and TLS handshake with SNI and hostname check.
 * -EKEYREJECTED: certificate not trusted; `peer` says what was presented. */
int tls_connect(SSL_CTX *ctx, const struct ks_tls_trust *trust, const char *host,
		const char *port, int timeout_s, SSL **ssl_out, int *fd_out,
		struct ks_tls_peer *peer, struct ks_error *e);
/* Blocking helpers for the HTTP setup phase. */
int tls_write_all(SSL *ssl, const void *data, size_t len);
int tls_read_some(SSL *ssl, void *buf, size_t len); /* >0 bytes, 0 EOF, <0 -errno */
void tls_free(SSL *ssl, int fd);
const char *tls_last_error(void);
