/* SPDX-License-Identifier: GPL-2.0-only */
/* The client certificate (-c/--certificate, -k/--sslkey): loaded by the monitor, which alone
 * holds the private key. The worker gets the certificate chain (PS_CERT) and asks the
 * monitor for each handshake's one signature (PS_SIGN, key_proxy.h): a worker taken over by
 * the gateway can make the key sign, once per connection it is given, but never read it.
 * Sources: PEM (certificate, chain, key in one file or two), DER, PKCS#12, and PKCS#11 URIs
 * through OpenSSL's pkcs11 engine (libp11; the token is the monitor's alone). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "error.h"

#define KS_CERT_CHAIN_MAX 8		/* certificates sent after the leaf's */
#define KS_CERT_MSG_MAX (64u << 10)	/* PS_CERT: the chain, DER */
#define KS_CERT_WARN_DAYS 30		/* warn at connect when it expires sooner */
#define KS_SIGN_MAX 1024		/* an 8192-bit RSA signature */
/* Signatures in any minute, whatever the sockets: a login with a certificate request, its
 * CONNECT, a few retries. More is a worker misusing the key. */
#define KS_SIGN_PER_MINUTE 12

/* What the worker's proxy key asks for (privsep.h PS_SIGN). */
enum ks_sign_kind {
	KS_SIGN_RSA_PKCS1 = 1, /* in: a DigestInfo; PKCS#1 v1.5 type 1 (TLS 1.2) */
	KS_SIGN_RSA_RAW,       /* in: an EMSA-PSS block as long as the modulus (TLS 1.3) */
	KS_SIGN_ECDSA,	       /* in: a digest; out: the DER signature */
};

struct ks_ps_sign {
	uint32_t type; /* PS_SIGN, both ways */
	uint32_t kind;
	uint32_t len;
	int32_t err; /* answer: 0 or -errno */
	uint8_t data[KS_SIGN_MAX];
};

struct ks_client_cert {
	X509 *cert;
	STACK_OF(X509) *chain; /* the rest of the file's or token's certificates */
	EVP_PKEY *key;
	void *engine;	       /* ENGINE *, for a PKCS#11 key */
	char where[300];       /* "FILE" or "FILE, key KEYFILE", for messages */
	char subject[256];
	time_t not_after;
	unsigned int budget;   /* signatures allowed now: one per TLS socket given */
	unsigned int signed_count;
	time_t window_start;   /* KS_SIGN_PER_MINUTE */
	unsigned int window_count;
};

struct ks_cert_source {
	const char *cert;     /* FILE or pkcs11: URI */
	const char *key;      /* NULL: in cert */
	const char *password; /* NULL: none given (a terminal prompt if allowed) */
	bool may_prompt;
};

/* Loads certificate and key, and checks that they belong together. -ENOKEY (wrong password,
 * key does not match, token absent...), -ENOENT, -EINVAL; e names the file and the cause. */
int client_cert_load(struct ks_client_cert *c, const struct ks_cert_source *src,
		     struct ks_error *e);
/* Days until it expires (negative: expired), and the warning to log, if any. */
long client_cert_days_left(const struct ks_client_cert *c);
/* PS_CERT's body: the leaf and the chain, each as a 4-byte length and DER. */
int client_cert_encode(const struct ks_client_cert *c, uint8_t *out, size_t cap, size_t *len);
/* PS_SIGN from the worker (n bytes): the answer in ans. Refused (ans->err) when the budget
 * is spent, more than KS_SIGN_PER_MINUTE were made, or the input is not what a TLS
 * handshake signs: a worker that asks so has been subverted (the monitor ends it). */
void client_cert_sign(struct ks_client_cert *c, const uint8_t *msg, size_t n,
		      struct ks_ps_sign *ans);
void client_cert_free(struct ks_client_cert *c);
