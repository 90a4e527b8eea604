// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <openssl/bio.h>

#include "dtls_bio.h"
#include "tls_bio.h"

uint8_t *dgram_batch_reserve(struct ks_dgram_batch *b, size_t len)
{
	if (!len || len > KS_DGRAM_MAX || b->bytes.err || b->sizes.err ||
	    buf_reserve(&b->bytes, len) || buf_reserve(&b->sizes, sizeof(uint16_t))) {
		/* A full batch loses the datagram, as a full socket buffer would; the batch
		 * itself stays usable. */
		b->bytes.err = b->sizes.err = 0;
		b->dropped++;
		return NULL;
	}
	return b->bytes.data + b->bytes.len;
}

void dgram_batch_commit(struct ks_dgram_batch *b, size_t len)
{
	uint16_t n = (uint16_t)len;

	b->bytes.len += len; /* reserved: no failure possible */
	buf_append(&b->sizes, &n, sizeof(n));
	b->count++;
}

int dgram_batch_add(struct ks_dgram_batch *b, const void *data, size_t len)
{
	uint8_t *p = dgram_batch_reserve(b, len);

	if (!p)
		return -ENOBUFS;
	memcpy(p, data, len);
	dgram_batch_commit(b, len);
	return 0;
}

void dgram_batch_clear(struct ks_dgram_batch *b)
{
	b->bytes.len = b->sizes.len = 0;
	b->bytes.err = b->sizes.err = 0;
	b->count = 0;
}

void dgram_batch_free(struct ks_dgram_batch *b)
{
	buf_free(&b->bytes);
	buf_free(&b->sizes);
	b->count = 0;
}

unsigned int dgram_runs(const struct ks_dgram_batch *b, unsigned int from, bool gso,
			struct ks_dgram_run *runs, unsigned int max)
{
	size_t off = 0;
	unsigned int n = 0, i;

	for (i = 0; i < from && i < b->count; i++)
		off += dgram_batch_size(b, i);
	while (i < b->count && n < max) {
		struct ks_dgram_run r = { .first = i, .off = off, .seg = dgram_batch_size(b, i) };

		/* Equal sizes go on; a shorter one ends the run (the kernel allows it last). */
		do {
			uint16_t sz = dgram_batch_size(b, i);

			if (r.count && (sz > r.seg || r.len + sz > KS_GSO_MAX_BYTES))
				break;
			r.len += sz;
			r.count++;
			i++;
			if (sz < r.seg)
				break;
		} while (gso && i < b->count && r.count < KS_GSO_MAX_SEGS);
		off += r.len;
		runs[n++] = r;
	}
	return n;
}

static int dg_write(BIO *b, const char *data, size_t len, size_t *written)
{
	struct ks_dgram_io *io = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	/* A datagram that cannot be queued is lost on the way, which DTLS is made for. */
	dgram_batch_add(io->out, data, len);
	*written = len;
	return 1;
}

static int dg_read(BIO *b, char *data, size_t len, size_t *got)
{
	struct ks_dgram_io *io = BIO_get_data(b);

	BIO_clear_retry_flags(b);
	if (!io->in) { /* "try again": the next datagram comes with the next completion */
		BIO_set_retry_read(b);
		return 0;
	}
	/* Whole or not at all: a cut datagram would be taken for a broken record. */
	if (io->in_len > len) {
		io->in = NULL;
		BIO_set_retry_read(b);
		return 0;
	}
	memcpy(data, io->in, io->in_len);
	*got = io->in_len;
	io->in = NULL;
	return 1;
}

static long dg_ctrl(BIO *b, int cmd, long num, void *ptr)
{
	struct ks_dgram_io *io = BIO_get_data(b);

	switch (cmd) {
	case BIO_CTRL_FLUSH:
	case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT: /* the loop's tick drives the timers */
		return 1;
	case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
		return io ? (long)io->mtu_overhead : 28;
	case BIO_CTRL_PENDING:
		return io && io->in ? (long)io->in_len : 0;
	default: /* WPENDING 0, no MTU to query (SSL_set_mtu says it), no timer expired */
		return 0;
	}
}

int dtls_bio_attach(SSL *ssl, struct ks_dgram_io *io)
{
	static BIO_METHOD *m;
	static const struct ks_bio_ops ops = { dg_write, dg_read, dg_ctrl };

	return bio_attach_ops(ssl, &m, "kslice datagrams", &ops, io);
}

void dtls_bio_detach(SSL *ssl)
{
	tls_bio_detach(ssl);
}
