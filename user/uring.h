/* SPDX-License-Identifier: GPL-2.0-only */
/* Ring setup with the flags the data path wants, and a provided-buffer ring. */
#pragma once
#include <stdbool.h>
#include "uring_compat.h"

struct ks_bufring {
	struct io_uring_buf_ring *br;
	unsigned char *mem;
	unsigned int count; /* power of two */
	unsigned int size;	/* bytes per buffer, headroom included */
	unsigned int headroom;	/* bytes kept free in front of what the kernel writes */
	unsigned short bgid;
};

/* A ring restricted to the data path's operations (user/uring.c): made once per worker,
 * before its seccomp filter forbids io_uring_setup, and kept across reconnects. */
int uring_setup(struct io_uring *ring, unsigned int entries);
/* Cancels and reaps every request in flight (*pending of them) so that the ring can be
 * used again. -EBUSY: some did not finish; the ring must not be reused. */
int uring_quiesce(struct io_uring *ring, unsigned int *pending);
bool uring_has_op(struct io_uring *ring, int op);
int bufring_setup(struct io_uring *ring, struct ks_bufring *b, unsigned short bgid,
		  unsigned int count, unsigned int size, unsigned int headroom);
/* Hands buffer bid back to the kernel. bufring_addr() is the start of the headroom; the
 * kernel's data begins headroom bytes later. */
void bufring_recycle(struct ks_bufring *b, unsigned short bid);
static inline unsigned char *bufring_addr(struct ks_bufring *b, unsigned short bid)
{
	return b->mem + (size_t)bid * b->size;
}
void bufring_free(struct io_uring *ring, struct ks_bufring *b);
/* Batching waits: with IORING_FEAT_MIN_TIMEOUT (kernel 6.12+) a wait for `want` completions
 * ends after min_wait_us once at least one has arrived. */
bool uring_has_min_wait(const struct io_uring *ring);
int uring_submit_and_wait_min(struct io_uring *ring, unsigned int want, unsigned int min_wait_us);
