// SPDX-License-Identifier: GPL-2.0-only
/* The DTLS channel's socket in the io_uring loop: one multishot receive into its own
 * buffer ring (with UDP GRO, a completion may bring many datagrams), the datagrams of a
 * pass sent in UDP_SEGMENT runs, the socket's generation in every request so that
 * completions of a dropped one are told apart. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/udp.h>

#include "esc.h"
#include "log.h"
#include "tunnel_int.h"

#define UDP_BGID 2
#define UDP_BUFS 128 /* power of two */
/* A receive's buffer: io_uring's header, the UDP_GRO control message, and what GRO can
 * make of the gateway's datagrams (64 of them, 64 KB at most). */
#define UDP_CMSG_ROOM CMSG_SPACE(sizeof(int))
#define UDP_BUF_SIZE (sizeof(struct io_uring_recvmsg_out) + UDP_CMSG_ROOM + 65536 + 128)

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

/* The DTLS socket: one multishot recvmsg into its own buffer ring. The template says how
 * much room the control message has; the kernel reads it at each arming. */
void tunnel_udp_arm(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe;

	if (t->udp_fd < 0 || t->udp_recv_armed || t->end)
		return;
	sqe = tunnel_sqe(t);
	if (!sqe)
		return;
	t->udp_rx_mh = (struct msghdr){ .msg_controllen = UDP_CMSG_ROOM };
	io_uring_prep_recvmsg_multishot(sqe, t->udp_fd, &t->udp_rx_mh, 0);
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = UDP_BGID;
	io_uring_sqe_set_data64(sqe, UD(OP_UDP_RECV, t->udp_gen));
	t->udp_recv_armed = true;
}

/* The old socket's receive, cancelled (again at the end of a pass if the ring was full:
 * until then it holds the socket and takes buffers, which are recycled as they come). */
static void cancel_udp_recv(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe;

	if (!t->udp_cancel || !(sqe = tunnel_sqe(t)))
		return;
	io_uring_prep_cancel64(sqe, t->udp_cancel & ~(1ull << 63), 0);
	io_uring_sqe_set_data64(sqe, UD(OP_CANCEL, 0));
	t->udp_cancel = 0;
}

/* The socket is done with: its receive cancelled, its queued datagrams dropped; sends in
 * flight finish on their own (the kernel holds the file until they do). */
static void udp_close(struct ks_tunnel *t)
{
	if (t->udp_fd < 0)
		return;
	if (t->udp_recv_armed)
		t->udp_cancel = UD(OP_UDP_RECV, t->udp_gen) | 1ull << 63;
	cancel_udp_recv(t);
	close(t->udp_fd);
	t->udp_fd = -1;
	t->udp_gen++;
	t->udp_recv_armed = false;
	dgram_batch_clear(&t->dtls.out);
}

static bool udp_msgs_room(struct ks_tunnel *t, unsigned int n)
{
	struct udp_msg *m;

	if (n <= t->udp_msgs_cap)
		return true;
	m = realloc(t->udp_msgs, n * sizeof(*m));
	if (!m)
		return false;
	t->udp_msgs = m;
	t->udp_msgs_cap = n;
	return true;
}

static void prep_udp_run(struct ks_tunnel *t, struct udp_msg *m, const struct ks_dgram_run *r)
{
	struct io_uring_sqe *sqe = tunnel_sqe(t);

	if (!sqe) {
		t->c->udp_dropped += r->count;
		return;
	}
	memset(m, 0, sizeof(*m));
	m->iov = (struct iovec){ .iov_base = t->udp_inflight.bytes.data + r->off,
				 .iov_len = r->len };
	m->mh.msg_iov = &m->iov;
	m->mh.msg_iovlen = 1;
	if (r->count > 1) { /* UDP_SEGMENT: the kernel cuts it into r->seg-byte datagrams */
		struct cmsghdr *cm = (struct cmsghdr *)m->cm.buf;

		m->mh.msg_control = m->cm.buf;
		m->mh.msg_controllen = sizeof(m->cm.buf);
		cm->cmsg_level = SOL_UDP;
		cm->cmsg_type = UDP_SEGMENT;
		cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
		memcpy(CMSG_DATA(cm), &r->seg, sizeof(r->seg));
		t->c->udp_gso_sends++;
	}
	io_uring_prep_sendmsg(sqe, t->udp_fd, &m->mh, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_UDP_SEND, t->udp_gen));
	t->udp_sends_pending++;
	t->c->udp_sends++;
}

/* The datagrams DTLS wrote this pass leave in a few sendmsg calls, one batch at a time. */
void tunnel_udp_flush(struct ks_tunnel *t)
{
	struct ks_dgram_batch *out = &t->dtls.out, tmp;
	struct ks_dgram_run runs[32];
	unsigned int from = 0, used = 0, n;

	if (!t->dtls_ok)
		return;
	cancel_udp_recv(t);
	t->c->udp_dropped += out->dropped;
	out->dropped = 0;
	if (t->udp_sends_pending || !out->count)
		return;
	if (t->udp_fd < 0 || !udp_msgs_room(t, out->count)) {
		t->c->udp_dropped += t->udp_fd < 0 ? 0 : out->count;
		dgram_batch_clear(out);
		return;
	}
	tmp = t->udp_inflight; /* the kernel reads this batch until its completions are in */
	t->udp_inflight = *out;
	*out = tmp;
	dgram_batch_clear(out);
	while (from < t->udp_inflight.count) {
		n = dgram_runs(&t->udp_inflight, from, t->udp_gso, runs, 32);
		for (unsigned int i = 0; i < n; i++)
			prep_udp_run(t, &t->udp_msgs[used++], &runs[i]);
		from = runs[n - 1].first + runs[n - 1].count;
	}
	if (!t->udp_sends_pending)
		dgram_batch_clear(&t->udp_inflight);
}

static void dtls_want_socket(void *ctx)
{
	struct ks_tunnel *t = ctx;

	int err = t->cfg.want_udp ? t->cfg.want_udp(t->cfg.watch_ctx) : -ENOTSUP;

	if (err)
		dtls_start(&t->dtls, err, time(NULL));
}

static void dtls_drop_socket(void *ctx)
{
	udp_close(ctx);
}

static void dtls_changed(void *ctx, bool up)
{
	struct ks_tunnel *t = ctx;

	if (t->cfg.on_transport)
		t->cfg.on_transport(t->cfg.watch_ctx, up ? "dtls" : "tls",
				    up ? SSL_get_version(t->dtls.ssl) : "",
				    up ? SSL_get_cipher_name(t->dtls.ssl) : "");
}

static const struct ks_dtls_ops dtls_ops = {
	.want_socket = dtls_want_socket,
	.drop_socket = dtls_drop_socket,
	.changed = dtls_changed,
};

/* The MTU of the connected socket's route (the interface's, or a smaller one the path
 * reported): 0 if the kernel does not say. */
static int route_mtu(int fd, bool v6)
{
	int mtu = 0;
	socklen_t len = sizeof(mtu);

	if (getsockopt(fd, v6 ? IPPROTO_IPV6 : IPPROTO_IP, v6 ? IPV6_MTU : IP_MTU, &mtu, &len))
		return 0;
	return mtu;
}

void tunnel_udp_socket(struct ks_tunnel *t, int fd)
{
	if (!t || !t->dtls_ok || t->dtls.state != KS_DTLS_SOCKET || t->end) {
		if (fd >= 0)
			close(fd);
		return;
	}
	if (fd >= 0) {
		int one = 1;

		udp_close(t);
		t->udp_fd = fd;
		t->udp_gso = true;
		/* The gateway's datagrams, merged by the NIC's GRO where it does UDP: one
		 * completion for many. Kernels without it: a datagram each, as before. */
		if (setsockopt(fd, SOL_UDP, UDP_GRO, &one, sizeof(one)))
			ks_dbg("dtls", "event=udp_gro_off reason=\"%s\"", strerror(errno));
		dtls_set_path_mtu(&t->dtls, route_mtu(fd, t->cfg.peer_v6));
	}
	dtls_start(&t->dtls, fd < 0 ? fd : 0, time(NULL));
	tunnel_udp_arm(t);
}

/* UDP GRO's segment size, if the kernel merged datagrams: 0 if not. */
static size_t gro_segment(struct io_uring_recvmsg_out *o, struct msghdr *mh)
{
	for (struct cmsghdr *cm = io_uring_recvmsg_cmsg_firsthdr(o, mh); cm;
	     cm = io_uring_recvmsg_cmsg_nexthdr(o, mh, cm)) {
		int seg;

		if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(seg))) {
			memcpy(&seg, CMSG_DATA(cm), sizeof(seg));
			return seg > 0 ? (size_t)seg : 0;
		}
	}
	return 0;
}

/* One receive: a datagram, or with UDP GRO datagrams of seg bytes each (the last may be
 * shorter), each handed to DTLS on its own: records never span datagrams. */
static void on_datagrams(struct ks_tunnel *t, uint8_t *p, size_t len, size_t seg)
{
	time_t now = time(NULL);

	if (!seg || seg > len)
		seg = len;
	if (seg < len)
		t->c->udp_gro_recvs++;
	for (size_t off = 0; off < len; off += seg) {
		t->c->udp_recvs++;
		dtls_on_datagram(&t->dtls, p + off, len - off < seg ? len - off : seg, now);
	}
}

void tunnel_udp_on_recv(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int gen)
{
	bool current = (unsigned int)gen == t->udp_gen;
	int res = cqe->res;

	if (current && !(cqe->flags & IORING_CQE_F_MORE))
		t->udp_recv_armed = false;
	if (cqe->flags & IORING_CQE_F_BUFFER) {
		unsigned short bid = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		uint8_t *buf = bufring_addr(&t->udpbufs, bid);
		struct io_uring_recvmsg_out *o =
			current && res > 0 ? io_uring_recvmsg_validate(buf, res, &t->udp_rx_mh)
					   : NULL;

		if (o && (o->flags & MSG_TRUNC)) {
			t->c->rx_oversized++; /* cut to the buffer: no record to read */
		} else if (o && o->payloadlen) {
			size_t got = io_uring_recvmsg_payload_length(o, res, &t->udp_rx_mh);

			if (got > o->payloadlen)
				got = o->payloadlen;
			on_datagrams(t, io_uring_recvmsg_payload(o, &t->udp_rx_mh), got,
				     gro_segment(o, &t->udp_rx_mh));
		}
		bufring_recycle(&t->udpbufs, bid);
		return;
	}
	/* Out of buffers or cancelled: armed again (or not) at the end of the pass. */
	if (current && res < 0 && res != -ENOBUFS && res != -EAGAIN && res != -EINTR &&
	    res != -ECANCELED) {
		char why[80];

		snprintf(why, sizeof(why), "UDP receive: %s", strerror(-res));
		dtls_fail(&t->dtls, why, time(NULL));
	}
}

void tunnel_udp_on_send(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int gen)
{
	int res = cqe->res;

	t->udp_sends_pending--;
	if (res < 0) {
		t->c->udp_send_errors++;
		if ((unsigned int)gen != t->udp_gen) {
			/* an old socket's: nothing to do */
		} else if (t->udp_gso && (res == -EIO || res == -EINVAL || res == -EOPNOTSUPP)) {
			t->udp_gso = false; /* a path without UDP GSO: one datagram a send */
			ks_warn("dtls", "event=udp_gso_off reason=\"%s\"", strerror(-res));
		} else if (res == -ECONNREFUSED || res == -ENETUNREACH || res == -EHOSTUNREACH ||
			   res == -EBADF || res == -ENOTCONN) {
			/* No DTLS there, or no path: CSTP at once. Anything else (a firewall's
			 * EPERM, a full queue) is a datagram lost, and DPD judges the link. */
			char why[80];

			snprintf(why, sizeof(why), "UDP send: %s", strerror(-res));
			dtls_fail(&t->dtls, why, time(NULL));
		}
	}
	if (!t->udp_sends_pending) {
		dgram_batch_clear(&t->udp_inflight);
		tunnel_udp_flush(t);
	}
}

/* The DTLS channel, when the CONNECT answer allows it: its receive buffers, then the
 * first attempt (which asks for a socket). Without it, data goes over TLS: the session
 * does not end for it. */
void tunnel_udp_setup(struct ks_tunnel *t)
{
	const struct ks_cstp_params *p = t->cfg.params;
	struct ks_error e = { 0 };
	int err;

	/* Room for what UDP GRO merges (64 KB), whatever the MTU: a buffer too small for a
	 * merged receive would lose its datagrams. Pages a plain datagram never reaches are
	 * never touched. */
	err = bufring_setup(t->ring, &t->udpbufs, UDP_BGID, UDP_BUFS, UDP_BUF_SIZE, 0);
	if (err) {
		ks_warn("dtls", "event=not_used reason=\"buffer ring: %s\"", strerror(-err));
		return;
	}
	t->udp_inflight.bytes.limit = 8u << 20;
	t->dtls_ok = true; /* before dtls_init: its first attempt may call back */
	err = dtls_init(&t->dtls, &dtls_ops, t, &t->cstp, p, t->cfg.dtls, t->cfg.peer_v6,
			time(NULL), &e);
	if (err) {
		t->dtls_ok = false;
		bufring_free(t->ring, &t->udpbufs);
		ks_warn("dtls", "event=not_used reason=\"%s\"", esc(e.msg));
	}
}

void tunnel_udp_free(struct ks_tunnel *t)
{
	if (t->udp_fd >= 0)
		close(t->udp_fd);
	t->udp_fd = -1;
	if (t->dtls_ok) {
		bufring_free(t->ring, &t->udpbufs);
		dtls_fini(&t->dtls);
		t->dtls_ok = false;
	}
	dgram_batch_free(&t->udp_inflight);
	free(t->udp_msgs);
	t->udp_msgs = NULL;
}
