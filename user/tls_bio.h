/* SPDX-License-Identifier: GPL-2.0-only */
/* A BIO over the data path's own buffers: OpenSSL writes records straight into the send
 * queue and reads ciphertext straight from the socket's receive buffer, one copy fewer
 * each way than memory BIOs. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "buf.h"

struct ks_tls_io {
	struct ks_buf *out;    /* records to send; a failed append is sticky in out->err */
	const uint8_t *in;     /* ciphertext received ... */
	size_t in_len, in_off; /* ... and how much of it OpenSSL has taken */
};

/* Puts the SSL on a BIO over io (which must outlive it, or be detached first). */
int tls_bio_attach(SSL *ssl, struct ks_tls_io *io);
void tls_bio_detach(SSL *ssl);
