// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <openssl/bio.h>

#include "tls_bio.h"

static int io_write(BIO *b, const char *data, size_t len, size_t *written)
{
	struct ks_tls_io *io = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (buf_append(io->out, data, len))
		return 0;
	*written = len;
	return 1;
}

static int io_read(BIO *b, char *data, size_t len, size_t *got)
{
	struct ks_tls_io *io = BIO_get_data(b);
	size_t n = io->in_len - io->in_off;

	BIO_clear_retry_flags(b);
	if (!n) { /* "try again": the next socket read brings more */
		BIO_set_retry_read(b);
		return 0;
	}
	if (n > len)
		n = len;
	memcpy(data, io->in + io->in_off, n);
	io->in_off += n;
	*got = n;
	return 1;
}

static long io_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct ks_tls_io *io = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
		return 1;
	case BIO_CTRL_PENDING:
		return io ? (long)(io->in_len - io->in_off) : 0;
	default:
		return 0;
	}
}

static int io_create(BIO *b)
{
	BIO_set_init(b, 1);
	return 1;
}

int bio_attach_ops(SSL *ssl, BIO_METHOD **cache, const char *name, const struct ks_bio_ops *ops,
		   void *data)
{
	BIO *b;

	if (!*cache) {
		BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, name);

		if (m && (!BIO_meth_set_write_ex(m, ops->write) || !BIO_meth_set_read_ex(m, ops->read) ||
			  !BIO_meth_set_ctrl(m, ops->ctrl) || !BIO_meth_set_create(m, io_create))) {
			BIO_meth_free(m);
			m = NULL;
		}
		*cache = m;
	}
	b = *cache ? BIO_new(*cache) : NULL;
	if (!b)
		return -ENOMEM;
	BIO_set_data(b, data);
	/* One BIO both ways: SSL_set_bio takes a single reference for rbio == wbio. */
	SSL_set_bio(ssl, b, b);
	return 0;
}

int tls_bio_attach(SSL *ssl, struct ks_tls_io *io)
{
	static BIO_METHOD *m;
	static const struct ks_bio_ops ops = { io_write, io_read, io_ctrl };

	return bio_attach_ops(ssl, &m, "kslice data path", &ops, io);
}

void tls_bio_detach(SSL *ssl)
{
	if (ssl)
		SSL_set_bio(ssl, NULL, NULL);
}
