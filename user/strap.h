/* SPDX-License-Identifier: GPL-2.0-only */
/* STRAP, the AnyConnect client's key pairs for SAML single sign-on (as openconnect 9 does
 * it; docs/protocol-notes.md "SAML"): two P-256 keys made at login. The DH key's public
 * half goes to the gateway with every auth request (X-AnyConnect-STRAP-DH-Pubkey); in the
 * external-browser flow the gateway encrypts the SSO token to it (ECDH, HKDF-SHA256 "AC_ECIES",
 * AES-256-GCM) and the browser brings it back. The signing key's public half goes with it
 * (X-AnyConnect-STRAP-Pubkey); the CONNECT proves possession (X-AnyConnect-STRAP-Verify:
 * ECDSA over the TLS channel binding and the next public key). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include "buf.h"
#include "error.h"

#define KS_STRAP_B64_MAX 160	  /* base64 of a P-256 SubjectPublicKeyInfo (124) */
#define KS_STRAP_BLOB_MAX 4096	  /* an encrypted token, base64 */
#define KS_SSO_TOKEN_MAX 1024	  /* a decrypted token */

struct ks_strap {
	EVP_PKEY *sign; /* ECDSA P-256 */
	EVP_PKEY *dh;	/* ECDH P-256 */
	char sign_b64[KS_STRAP_B64_MAX];
	char dh_b64[KS_STRAP_B64_MAX];
};

/* Both key pairs, new. 0 or -ENOMEM/-EIO. */
int strap_init(struct ks_strap *s);
bool strap_ready(const struct ks_strap *s);
/* The two auth-phase headers (X-AnyConnect-STRAP-Pubkey, -DH-Pubkey) into out. */
void strap_auth_headers(const struct ks_strap *s, struct ks_buf *out);
/* The CONNECT's X-AnyConnect-STRAP-Verify and X-AnyConnect-STRAP-Pubkey for a TLS session:
 * a new signing key, its public half signed with the old one after the channel binding
 * (the client's Finished, tls-unique, up to TLS 1.2; RFC 9266's exporter in TLS 1.3). */
int strap_connect_headers(struct ks_strap *s, SSL *ssl, struct ks_buf *out);
/* The external browser's blob (base64, standard alphabet, already URL-decoded): version 1,
 * then TLVs (1: the gateway's ephemeral P-256 key, SPKI; 2: a 12-byte GCM tag; 3: the
 * ciphertext; 4: a 12-byte IV). The token into out (alphanumeric, NUL-terminated).
 * -EBADMSG with e saying what and where. */
int strap_open_token(const struct ks_strap *s, const char *b64, char *out, size_t cap,
		     struct ks_error *e);
void strap_free(struct ks_strap *s);
