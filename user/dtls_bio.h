/* SPDX-License-Identifier: GPL-2.0-only */
/* A datagram BIO over the data path's own buffers (the DTLS twin of tls_bio.h): OpenSSL
 * writes each datagram into a batch that leaves in a few sendmsg calls (UDP_SEGMENT runs),
 * and reads the one datagram the socket just brought, whole. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "buf.h"

/* The largest datagram kslice sends or takes: a DTLS record of the largest tunnel MTU. */
#define KS_DGRAM_MAX 17408
/* What one sendmsg with UDP_SEGMENT may carry (the kernel's UDP_MAX_SEGMENTS, 64 KB). */
#define KS_GSO_MAX_SEGS	 64
#define KS_GSO_MAX_BYTES 65000

/* Datagrams back to back in `bytes`, their lengths in `sizes` (uint16_t each). */
struct ks_dgram_batch {
	struct ks_buf bytes;
	struct ks_buf sizes;
	unsigned int count;
	uint64_t dropped; /* appends refused: the batch was full (counted as loss) */
};

struct ks_dgram_io {
	struct ks_dgram_batch *out; /* where written datagrams go */
	const uint8_t *in;	    /* the datagram to read, or NULL ... */
	size_t in_len;		    /* ... and its length; taken whole by one read */
	unsigned int mtu_overhead;  /* IP + UDP header: 28 or 48 */
};

int dgram_batch_add(struct ks_dgram_batch *b, const void *data, size_t len);
/* Room for one datagram of len bytes at the end of the batch, written in place, then
 * dgram_batch_commit(b, len). NULL: full (the datagram is counted lost). */
uint8_t *dgram_batch_reserve(struct ks_dgram_batch *b, size_t len);
void dgram_batch_commit(struct ks_dgram_batch *b, size_t len);
void dgram_batch_clear(struct ks_dgram_batch *b);
void dgram_batch_free(struct ks_dgram_batch *b);
static inline uint16_t dgram_batch_size(const struct ks_dgram_batch *b, unsigned int i)
{
	uint16_t v;

	__builtin_memcpy(&v, b->sizes.data + 2 * (size_t)i, 2);
	return v;
}

/* One sendmsg: datagrams [first, first + count), `seg` bytes each but the last (which
 * may be shorter), starting at byte `off` of the batch. */
struct ks_dgram_run {
	unsigned int first, count;
	size_t off, len;
	uint16_t seg;
};

/* Cuts the batch into runs the kernel's UDP GSO takes: equal-sized datagrams, the last
 * one no longer, at most KS_GSO_MAX_SEGS and KS_GSO_MAX_BYTES each. Writes at most max
 * runs, returns how many there are (the caller asks again from where it stopped). */
unsigned int dgram_runs(const struct ks_dgram_batch *b, unsigned int from, bool gso,
			struct ks_dgram_run *runs, unsigned int max);

/* Puts a DTLS SSL on a BIO over io (which must outlive it, or be detached first). */
int dtls_bio_attach(SSL *ssl, struct ks_dgram_io *io);
void dtls_bio_detach(SSL *ssl);
