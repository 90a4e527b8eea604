/* SPDX-License-Identifier: GPL-2.0-only */
/* DTLS 1.2 AES-GCM application records, sealed and opened here rather than by OpenSSL's
 * record layer, once OpenSSL has done the handshake: a record is a nonce, one AEAD call
 * with a context kept per direction, written straight into the datagram batch. OpenSSL's
 * per-record cost (its record state machine, provider parameter lookups, a copy through
 * the BIO) was most of kslice's user time per packet. Everything else (handshake
 * messages, alerts, other ciphers) stays with OpenSSL. RFC 6347 §4.1 (records, replay
 * window), RFC 5288 (AES-GCM nonce and AAD), RFC 5246 §6.3 (key block). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/ssl.h>
#include "aes_gcm.h"
#include "dtls_bio.h"

#define KS_DTLS_HDR_LEN 13	/* type, version, epoch, sequence (48 bits), length */
#define KS_DTLS_GCM_OVERHEAD (KS_DTLS_HDR_LEN + 8 + 16) /* explicit nonce, tag */
#define KS_DTLS_MIN_OVERHEAD (KS_DTLS_HDR_LEN + 16) /* ChaCha20-Poly1305: a tag, no nonce */
#define KS_DTLS_PLAIN_MAX 16384 /* a record's plaintext, at most (RFC 6347 §4.1) */

/* A record's additional data, and OpenSSL's parameter array that points at it. */
struct ks_dtls_aad {
	uint8_t aad[13];
	OSSL_PARAM params[2];
};

/* Not to be copied once initialised: the parameter arrays point into it. */
struct ks_dtls_fast {
	/* kslice's AES-GCM where the CPU runs it (aes_gcm.h), else OpenSSL's TLS mode */
	bool own;
	struct ks_gcm_key seal_key, open_key;
	uint8_t seal_salt[4], open_salt[4];
	EVP_CIPHER_CTX *seal, *open;
	struct ks_dtls_aad seal_aad, open_aad;
	uint16_t version, epoch;
	uint64_t next_seq;	/* of the records we send */
	uint64_t rx_top;	/* the highest sequence opened ... */
	uint64_t rx_window;	/* ... and which of the 64 below it were (bit i: rx_top - i) */
	bool rx_any;
};

/* Keys from ssl's finished handshake. -ENOTSUP: not DTLS 1.2 with AES-GCM (OpenSSL then
 * keeps every record). */
int dtls_fast_init(struct ks_dtls_fast *f, SSL *ssl);
/* Tests: false makes the next dtls_fast_init keep OpenSSL's AES-GCM on any CPU. */
void dtls_fast_allow_own_gcm(bool allow);
void dtls_fast_free(struct ks_dtls_fast *f);
/* One application-data record of len plaintext bytes, appended to the batch as a datagram
 * of its own. 0, -ENOBUFS (the batch is full: a datagram lost) or -EIO. */
int dtls_fast_seal(struct ks_dtls_fast *f, struct ks_dgram_batch *b, const uint8_t *pt,
		   size_t len);
/* The record at rec (avail bytes of datagram from there), opened in place: its length in
 * *used (0: the header is cut or its length runs past the datagram, nothing more to
 * read). Returns the plaintext's length, at *pt (inside the record), -EAGAIN: not an
 * application record of this epoch (OpenSSL's to read, left untouched), -EBADMSG:
 * forged, cut or replayed (dropped; its bytes may be overwritten). */
int dtls_fast_open(struct ks_dtls_fast *f, uint8_t *rec, size_t avail, size_t *used,
		   const uint8_t **pt);
