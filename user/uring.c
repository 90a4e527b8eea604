// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "uring.h"

/* What the data path submits (user/tunnel.c) and registers, and nothing more: a worker
 * that gets subverted cannot open, connect or splice through the ring, which its seccomp
 * filter does not see. An op this kernel does not know is left off the list (the kernel
 * refuses a restriction naming one: READ_MULTISHOT before 6.7). */
static const __u8 allowed_sqe_ops[] = {
	IORING_OP_READ, KS_IORING_OP_READ_MULTISHOT, IORING_OP_WRITE, IORING_OP_RECV,
	IORING_OP_SEND, IORING_OP_TIMEOUT, IORING_OP_POLL_ADD, IORING_OP_ASYNC_CANCEL,
	IORING_OP_SENDMSG, /* DTLS datagrams, with UDP_SEGMENT */
	IORING_OP_RECVMSG, /* ... and in, with UDP GRO's segment size */
};
static const __u8 allowed_register_ops[] = {
	IORING_REGISTER_PROBE, IORING_REGISTER_RING_FDS, IORING_UNREGISTER_RING_FDS,
	IORING_REGISTER_PBUF_RING, IORING_UNREGISTER_PBUF_RING,
};

#define N_RESTRICTIONS \
	(sizeof(allowed_sqe_ops) + sizeof(allowed_register_ops) + 1)

static int restrict_ring(struct io_uring *ring)
{
	struct io_uring_restriction res[N_RESTRICTIONS];
	unsigned int n = 0;
	int err;

	struct io_uring_probe *probe = io_uring_get_probe_ring(ring); /* works while disabled */

	if (!probe)
		return -ENOMEM;
	memset(res, 0, sizeof(res));
	for (size_t i = 0; i < sizeof(allowed_sqe_ops); i++) {
		if (!io_uring_opcode_supported(probe, allowed_sqe_ops[i]))
			continue;
		res[n].opcode = IORING_RESTRICTION_SQE_OP;
		res[n++].sqe_op = allowed_sqe_ops[i];
	}
	io_uring_free_probe(probe);
	for (size_t i = 0; i < sizeof(allowed_register_ops); i++) {
		res[n].opcode = IORING_RESTRICTION_REGISTER_OP;
		res[n++].register_op = allowed_register_ops[i];
	}
	res[n].opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED;
	res[n++].sqe_flags = IOSQE_BUFFER_SELECT;
	/* liburing 2.3 declares io_uring_register_restrictions() but does not export it. */
	if (syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_RESTRICTIONS, res, n) ||
	    syscall(__NR_io_uring_register, ring->ring_fd, IORING_REGISTER_ENABLE_RINGS, NULL, 0))
		err = -errno;
	else
		err = 0;
	return err;
}

int uring_setup(struct io_uring *ring, unsigned int entries)
{
	struct io_uring_params p = { 0 };
	int err;

	/* One thread owns the ring: no cross-thread wakeups, completions run on our wait.
	 * Disabled at first: restrictions can only be registered before the ring runs. */
	p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_CQSIZE |
		  IORING_SETUP_R_DISABLED;
	p.cq_entries = entries * 4;
	err = io_uring_queue_init_params(entries, ring, &p);
	if (err == -EINVAL) {
		memset(&p, 0, sizeof(p));
		p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_CQSIZE | IORING_SETUP_R_DISABLED;
		p.cq_entries = entries * 4;
		err = io_uring_queue_init_params(entries, ring, &p);
	}
	if (err)
		return err;
	err = restrict_ring(ring);
	if (err) {
		io_uring_queue_exit(ring);
		return err;
	}
	io_uring_register_ring_fd(ring);
	return 0;
}

/* Cancels every request still in the ring and reaps the completions, so that the ring
 * can serve the next tunnel: *pending counts submitted requests not yet finished. */
int uring_quiesce(struct io_uring *ring, unsigned int *pending)
{
	struct __kernel_timespec wait = { .tv_sec = 1 };
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	unsigned int head, seen;

	if (!sqe) {
		io_uring_submit(ring);
		sqe = io_uring_get_sqe(ring);
	}
	if (sqe) {
		io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
		io_uring_sqe_set_data64(sqe, UINT64_MAX);
		(*pending)++;
	}
	for (int idle = 0; *pending && idle < 3;) {
		int err = io_uring_submit_and_wait_timeout(ring, &cqe, 1, &wait, NULL);

		if (err == -ETIME)
			idle++;
		else if (err < 0 && err != -EINTR)
			return err;
		seen = 0;
		io_uring_for_each_cqe(ring, head, cqe) {
			if (!(cqe->flags & IORING_CQE_F_MORE) && *pending)
				(*pending)--;
			seen++;
		}
		io_uring_cq_advance(ring, seen);
	}
	return *pending ? -EBUSY : 0;
}

bool uring_has_op(struct io_uring *ring, int op)
{
	struct io_uring_probe *probe = io_uring_get_probe_ring(ring);
	bool ok = probe && io_uring_opcode_supported(probe, op);

	io_uring_free_probe(probe);
	return ok;
}

int bufring_setup(struct io_uring *ring, struct ks_bufring *b, unsigned short bgid,
		  unsigned int count, unsigned int size, unsigned int headroom)
{
	struct io_uring_buf_reg reg = { 0 };
	size_t ring_bytes = count * sizeof(struct io_uring_buf);
	int err;

	memset(b, 0, sizeof(*b));
	b->br = mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, -1, 0);
	if (b->br == MAP_FAILED)
		return -errno;
	/* Page-aligned buffers; posix_memalign, since aligned_alloc wants a size multiple. */
	if (posix_memalign((void **)&b->mem, 4096, (size_t)count * size)) {
		b->mem = NULL;
		munmap(b->br, ring_bytes);
		return -ENOMEM;
	}
	reg.ring_addr = (unsigned long)b->br;
	reg.ring_entries = count;
	reg.bgid = bgid;
	err = io_uring_register_buf_ring(ring, &reg, 0);
	if (err) {
		munmap(b->br, ring_bytes);
		free(b->mem);
		return err;
	}
	b->count = count;
	b->size = size;
	b->headroom = headroom;
	b->bgid = bgid;
	io_uring_buf_ring_init(b->br);
	for (unsigned int i = 0; i < count; i++)
		io_uring_buf_ring_add(b->br, bufring_addr(b, (unsigned short)i) + headroom,
				      size - headroom, (unsigned short)i,
				      io_uring_buf_ring_mask(count), (int)i);
	io_uring_buf_ring_advance(b->br, (int)count);
	return 0;
}

void bufring_recycle(struct ks_bufring *b, unsigned short bid)
{
	io_uring_buf_ring_add(b->br, bufring_addr(b, bid) + b->headroom, b->size - b->headroom, bid,
			      io_uring_buf_ring_mask(b->count), 0);
	io_uring_buf_ring_advance(b->br, 1);
}

void bufring_free(struct io_uring *ring, struct ks_bufring *b)
{
	if (!b->br)
		return;
	io_uring_unregister_buf_ring(ring, b->bgid);
	munmap(b->br, b->count * sizeof(struct io_uring_buf));
	free(b->mem);
	memset(b, 0, sizeof(*b));
}

#define KS_FEAT_MIN_TIMEOUT (1U << 15) /* kernel 6.12+ */

bool uring_has_min_wait(const struct io_uring *ring)
{
	return ring->features & KS_FEAT_MIN_TIMEOUT;
}

/* liburing 2.3 cannot pass min_wait_usec: publish the SQ tail and enter ourselves. */
int uring_submit_and_wait_min(struct io_uring *ring, unsigned int want, unsigned int min_wait_us)
{
	struct {
		__u64 sigmask;
		__u32 sigmask_sz;
		__u32 min_wait_usec;
		__u64 ts;
	} arg = { .min_wait_usec = min_wait_us };
	unsigned int tail = ring->sq.sqe_tail, flags = IORING_ENTER_GETEVENTS | IORING_ENTER_EXT_ARG;
	int fd = ring->ring_fd, ret;

	if (ring->sq.sqe_head != tail) {
		ring->sq.sqe_head = tail;
		io_uring_smp_store_release(ring->sq.ktail, tail);
	}
	if (ring->int_flags & 1) { /* registered ring fd (liburing's INT_FLAG_REG_RING) */
		flags |= IORING_ENTER_REGISTERED_RING;
		fd = ring->enter_ring_fd;
	}
	ret = (int)syscall(__NR_io_uring_enter, fd, tail - IO_URING_READ_ONCE(*ring->sq.khead), want,
			   flags, &arg, sizeof(arg));
	return ret < 0 ? -errno : ret;
}
