/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker's stand-in for the client certificate's private key (client_cert.h): a key
 * with the certificate's public half whose private operation is done elsewhere, by the
 * monitor that holds the key. OpenSSL's libssl signs with it as with any key. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "client_cert.h"

/* Signs in (kind: enum ks_sign_kind) into out: the signature's length, or -errno. */
typedef int (*ks_sign_fn)(void *ctx, enum ks_sign_kind kind, const uint8_t *in, size_t len,
			  uint8_t *out, size_t cap);

/* How many signatures were made: a handshake that made one presented the certificate. */
unsigned int key_proxy_signatures(void);
/* One signer for the process (the worker has one certificate). */
void key_proxy_set_signer(ks_sign_fn fn, void *ctx);
/* A key for cert's public key (RSA or EC) that signs through the signer; NULL if the key
 * type is not supported. */
EVP_PKEY *key_proxy_new(X509 *cert);
/* PS_CERT's body (client_cert_encode) into ctx: its certificate, chain and proxy key. */
int key_proxy_install(SSL_CTX *ctx, const uint8_t *body, size_t len);
