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

/* A source/sink BIO of our own: its three methods, the method made once into *cache. */
struct ks_bio_ops {
	int (*write)(BIO *b, const char *data, size_t len, size_t *written);
	int (*read)(BIO *b, char *data, size_t len, size_t *got);
	long (*ctrl)(BIO *b, int cmd, long num, void *ptr);
};
/* Puts ssl on a new BIO of these methods whose data is `data`. 0 or -ENOMEM. */
int bio_attach_ops(SSL *ssl, BIO_METHOD **cache, const char *name, const struct ks_bio_ops *ops,
		   void *data);

/* Puts the SSL on a BIO over io (which must outlive it, or be detached first). */
int tls_bio_attach(SSL *ssl, struct ks_tls_io *io);
void tls_bio_detach(SSL *ssl);
