// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <openssl/err.h>

#include "cstp.h"
#include "dtls.h"
#include "esc.h"
#include "gro.h"
#include "gso.h"
#include "log.h"
#include "tls.h"
#include "tls_bio.h"
#include "tunnel.h"
#include "tunnel_int.h"

#define RING_ENTRIES 256
#define TUN_BGID 1
#define TUN_BUFS 256		/* power of two */
#define TUN_BUFS_VNET 64	/* ... of 64 KB each, when reads bring super-packets */
#define TUN_READ_VNET (KS_VNET_HDR_LEN + 65535u)
#define TUN_SINGLESHOT_READS 16 /* armed reads when the kernel has no multishot read */
/* TUN writes of one pass: a pass decrypts at most one socket read (SOCK_RX_SIZE), plus
 * room for the open super-packets' 64 KB reservations. */
#define WRITE_ARENA (SOCK_RX_SIZE * 2 + KS_GRO_FLOWS * (64u << 10) + (64u << 10))
#define SOCK_RX_SIZE (256u << 10)
#define PLAIN_RX_SIZE (CSTP_HDR_LEN + CSTP_MAX_PAYLOAD + (64u << 10))
#define SEND_HIGH_WATER (4u << 20) /* stop reading the TUN above this much unsent */
/* Coalescing: a pass that saw this many completions or moved this many bytes is busy; the next wait asks for up
 * to BUSY_WAIT_CQES of them but ends after coalesce_us once one has arrived. */
#define BUSY_PASS_CQES 4
#define BUSY_PASS_BYTES (32u << 10)
#define BUSY_WAIT_CQES 128


struct io_uring_sqe *tunnel_sqe(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(t->ring);

	if (!sqe) { /* SQ full: push what we have and take a fresh slot */
		io_uring_submit(t->ring);
		t->c->submits++;
		sqe = io_uring_get_sqe(t->ring);
	}
	if (sqe)
		t->pending++;
	return sqe;
}

/* Ends the loop; the first cause wins. */
static void finish(struct ks_tunnel *t, enum ks_tunnel_end end, const char *what, const char *arg)
{
	if (t->end)
		return;
	t->end = end;
	if (arg != t->end_reason)
		snprintf(t->end_reason, sizeof(t->end_reason), "%s%s", what, arg ? arg : "");
}

static void arm_tun_read(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe = tunnel_sqe(t);

	if (!sqe)
		return;
	if (t->tun_multishot) {
		io_uring_prep_rw(KS_IORING_OP_READ_MULTISHOT, sqe, t->cfg.tun->fd, NULL, 0, 0);
	} else {
		io_uring_prep_read(sqe, t->cfg.tun->fd, NULL, t->tunbufs.size, 0);
	}
	sqe->flags |= IOSQE_BUFFER_SELECT;
	sqe->buf_group = TUN_BGID;
	io_uring_sqe_set_data64(sqe, UD(OP_TUN_READ, 0));
	t->tun_reads_armed++;
}

static void arm_tun_reads(struct ks_tunnel *t)
{
	int want = t->tun_multishot ? 1 : TUN_SINGLESHOT_READS;

	/* Backpressure: while the socket is behind, leave packets queued in the kernel. */
	if (t->stopping ||
	    t->send_q.len + t->inflight.len + t->dtls.out.bytes.len + t->udp_inflight.bytes.len >
		    SEND_HIGH_WATER)
		return;
	while (t->tun_reads_armed < want)
		arm_tun_read(t);
}

static void arm_recv(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe;

	if (t->recv_armed || t->end)
		return;
	sqe = tunnel_sqe(t);
	if (!sqe)
		return;
	/* OpenSSL takes all it is given before asking for more; keep any rest regardless. */
	t->io.in_len -= t->io.in_off;
	memmove(t->sock_rx, t->sock_rx + t->io.in_off, t->io.in_len);
	t->io.in_off = 0;
	io_uring_prep_recv(sqe, t->cfg.tls_fd, t->sock_rx + t->io.in_len,
			   SOCK_RX_SIZE - t->io.in_len, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_SOCK_RECV, 0));
	t->recv_armed = true;
}

static void arm_simple(struct ks_tunnel *t, enum op op)
{
	struct io_uring_sqe *sqe = tunnel_sqe(t);

	if (!sqe)
		return;
	if (op == OP_SIGNAL)
		io_uring_prep_read(sqe, t->sig_fd, &t->siginfo, sizeof(t->siginfo), 0);
	else if (op == OP_TIMER)
		io_uring_prep_timeout(sqe, &t->tick, 0, 0);
	else /* the caller's fd (the monitor's commands) */
		io_uring_prep_poll_add(sqe, t->cfg.watch_fd, POLLIN);
	io_uring_sqe_set_data64(sqe, UD(op, 0));
}

/* Moves whatever OpenSSL produced into the socket queue and starts a send if idle. */
static void flush_tls(struct ks_tunnel *t)
{
	struct io_uring_sqe *sqe;

	if (t->send_q.err) {
		finish(t, KS_END_ERROR, "send queue overflow", NULL);
		return;
	}
	if (t->send_busy || !t->send_q.len)
		return;
	/* Swap queues: the socket owns `inflight` until its CQE arrives. */
	struct ks_buf tmp = t->inflight;

	t->inflight = t->send_q;
	t->send_q = tmp;
	t->send_q.len = 0;
	t->inflight_off = 0;
	sqe = tunnel_sqe(t);
	if (!sqe) {
		finish(t, KS_END_ERROR, "io_uring: submission queue full", NULL);
		return;
	}
	io_uring_prep_send(sqe, t->cfg.tls_fd, t->inflight.data, t->inflight.len, MSG_NOSIGNAL);
	io_uring_sqe_set_data64(sqe, UD(OP_SOCK_SEND, 0));
	t->send_busy = true;
	t->c->socket_sends++;
}

/* One CSTP frame per TLS record: ocserv parses each record as exactly one frame. The
 * records pile up in the send queue and leave in one send per loop pass. */
static int send_frame(void *ctx, const uint8_t *frame, size_t len)
{
	struct ks_tunnel *t = ctx;
	int n = SSL_write(t->cfg.ssl, frame, (int)len);

	if (n != (int)len) {
		finish(t, KS_END_ERROR, "TLS write failed: ", ERR_reason_error_string(ERR_get_error()));
		return -EIO;
	}
	t->c->tls_writes++;
	t->tx_dirty = true;
	return 0;
}

static void cstp_ended(void *ctx, enum ks_tunnel_end why, const char *reason)
{
	finish(ctx, why, "", reason);
}

/* pkt has CSTP_HDR_LEN bytes of headroom in front of it (the TUN buffer ring's). */
static void on_tun_packet(struct ks_tunnel *t, uint8_t *pkt, size_t len)
{
	if (t->stopping) {
		t->c->tx_dropped++;
		return;
	}
	/* DTLS when it is up and the packet fits a record; else CSTP, which the gateway
	 * answers on until our next DTLS record. */
	if (t->dtls_ok && dtls_send_packet(&t->dtls, pkt, len))
		return;
	cstp_send_packet(&t->cstp, pkt, len);
}

static int on_tun_segment(void *ctx, uint8_t *pkt, size_t len)
{
	struct ks_tunnel *t = ctx;

	on_tun_packet(t, pkt, len);
	return t->end ? -ECANCELED : 0;
}

/* One read of a vnet TUN: a packet or a super-packet, cut to the tunnel's MTU. */
static void on_tun_read_vnet(struct ks_tunnel *t, uint8_t *buf, size_t len)
{
	int n = gso_split(buf, len, (unsigned int)t->cfg.params->mtu, on_tun_segment, t);

	if (n > 1)
		t->c->tx_super_packets++;
	if (n < 0 && n != -ECANCELED) {
		t->c->tx_dropped++;
		ks_dbg("tun", "event=read_dropped len=%zu reason=\"%s\"", len, strerror(-n));
	}
}

/* The gatherer's output: one write, its memory ours until the CQE. */
static void submit_tun_write(void *ctx, uint8_t *data, size_t len, unsigned int segs)
{
	struct ks_tunnel *t = ctx;
	struct io_uring_sqe *sqe = tunnel_sqe(t);

	if (!sqe) {
		gro_write_done(&t->gro);
		t->c->rx_dropped += segs;
		return;
	}
	io_uring_prep_write(sqe, t->cfg.tun->fd, data, (unsigned int)len, 0);
	io_uring_sqe_set_data64(sqe, UD(OP_TUN_WRITE, segs));
}

/* A packet from the gateway: gathered for this pass's TUN writes. */
static int deliver_packet(void *ctx, const uint8_t *pkt, size_t len)
{
	struct ks_tunnel *t = ctx;

	return gro_add(&t->gro, pkt, len);
}

static const struct ks_cstp_ops cstp_ops = {
	.send = send_frame,
	.deliver = deliver_packet,
	.end = cstp_ended,
};

static void parse_plain(struct ks_tunnel *t)
{
	size_t off = cstp_feed(&t->cstp, t->plain, t->plain_len, time(NULL));

	if (off) {
		memmove(t->plain, t->plain + off, t->plain_len - off);
		t->plain_len -= off;
	}
}

static void read_tls(struct ks_tunnel *t)
{
	for (;;) {
		int n = SSL_read(t->cfg.ssl, t->plain + t->plain_len,
				 (int)(PLAIN_RX_SIZE - t->plain_len));

		if (n > 0) {
			t->plain_len += (size_t)n;
			parse_plain(t);
			if (t->end)
				break;
			continue;
		}
		switch (SSL_get_error(t->cfg.ssl, n)) {
		case SSL_ERROR_WANT_READ:
			break;
		case SSL_ERROR_ZERO_RETURN:
			finish(t, KS_END_CLOSED, "gateway closed the TLS session", NULL);
			break;
		default:
			finish(t, KS_END_PROTOCOL, "TLS error: ",
			       ERR_reason_error_string(ERR_get_error()));
		}
		break;
	}
	flush_tls(t); /* post-handshake messages (key updates) may need an answer */
}

/* OpenSSL's view of each TLS message: counts the gateway's KeyUpdates, the proof that a
 * rekey of ours ("update requested") was taken. */
static void on_tls_message(int write_p, int version, int content_type, const void *buf,
			   size_t len, SSL *ssl, void *arg)
{
	struct ks_tunnel *t = arg;

	if (!write_p && content_type == SSL3_RT_HANDSHAKE && len >= 1 &&
	    ((const uint8_t *)buf)[0] == SSL3_MT_KEY_UPDATE)
		t->c->key_updates_received++;
}

/* The gateway's X-CSTP-Rekey-Method, once its Rekey-Time has passed. "ssl" on TLS 1.3 is a
 * KeyUpdate that asks the gateway to update its keys too: the connection stays. Anything
 * else ("new-tunnel", or "ssl" on TLS 1.2, whose renegotiation would stall our writes the
 * way OpenSSL does it) ends this tunnel for a new one on the same cookie (worker.c). */
static void rekey(struct ks_tunnel *t, time_t now)
{
	const struct ks_cstp_params *p = t->cfg.params;

	if (!strcmp(p->rekey_method, "ssl") && SSL_version(t->cfg.ssl) >= TLS1_3_VERSION) {
		if (SSL_key_update(t->cfg.ssl, SSL_KEY_UPDATE_REQUESTED) == 1 &&
		    SSL_do_handshake(t->cfg.ssl) == 1) {
			t->c->rekeys++;
			t->c->last_rekey_at = now;
			t->rekey_at = now + p->rekey_time;
			ks_info("tunnel", "event=rekeyed method=ssl next_in_s=%d", p->rekey_time);
			flush_tls(t);
			return;
		}
		const char *why = ERR_reason_error_string(ERR_get_error());

		ks_warn("tunnel", "event=rekey_failed method=ssl reason=\"%s\"",
			why ? why : "unknown");
	}
	t->rekey_at = 0;
	finish(t, KS_END_REKEY, "rekey: a new tunnel, as the gateway asks", NULL);
}

static void on_tick(struct ks_tunnel *t)
{
	time_t now = time(NULL);

	if (t->cfg.on_tick)
		t->cfg.on_tick(t->cfg.tick_ctx);
	if (t->stopping) {
		if (now >= t->stop_deadline)
			finish(t, KS_END_LOCAL, "disconnect (gateway did not take the goodbye)", NULL);
		return;
	}
	cstp_tick(&t->cstp, now);
	if (t->dtls_ok && !t->end)
		dtls_tick(&t->dtls, now);
	if (t->rekey_at && now >= t->rekey_at && !t->end)
		rekey(t, now);
}

void tunnel_stop(struct ks_tunnel *t, const char *reason)
{
	if (t->stopping || t->end)
		return;
	ks_info("tunnel", "event=disconnecting reason=\"%s\"", esc(reason));
	t->stopping = true;
	t->stop_deadline = time(NULL) + 2;
	snprintf(t->end_reason, sizeof(t->end_reason), "%s", reason);
	cstp_send_disconnect(&t->cstp, reason);
	SSL_shutdown(t->cfg.ssl);
	flush_tls(t);
}

void tunnel_abort(struct ks_tunnel *t, const char *reason)
{
	finish(t, KS_END_CLOSED, "network path: ", reason);
}

/* One handler per io_uring operation: the completion, and the index the request carried. */
static void on_tun_read(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	int res = cqe->res;

	t->c->tun_read_cqes++;
	if (!(cqe->flags & IORING_CQE_F_MORE))
		t->tun_reads_armed--;
	if (res > 0 && (cqe->flags & IORING_CQE_F_BUFFER)) {
		unsigned short bid = (unsigned short)(cqe->flags >> IORING_CQE_BUFFER_SHIFT);
		uint8_t *data = bufring_addr(&t->tunbufs, bid) + t->tunbufs.headroom;

		if (t->cfg.tun->vnet)
			on_tun_read_vnet(t, data, (size_t)res);
		else
			on_tun_packet(t, data, (size_t)res);
		bufring_recycle(&t->tunbufs, bid);
	} else if (res < 0 && res != -ENOBUFS && res != -EAGAIN && res != -EINTR) {
		finish(t, KS_END_ERROR, "TUN read failed: ", strerror(-res));
	}
}

static void on_tun_write(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int segs)
{
	gro_write_done(&t->gro);
	t->c->tun_writes++;
	if (cqe->res < 0)
		t->c->rx_dropped += (uint64_t)segs; /* the segments it carried */
}

static void on_sock_recv(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	int res = cqe->res;

	t->recv_armed = false;
	t->c->socket_recvs++;
	if (res <= 0) {
		if (res != -EAGAIN && res != -EINTR)
			finish(t, KS_END_CLOSED, "gateway connection ",
			       res == 0 ? "closed" : strerror(-res));
		return;
	}
	t->io.in_len += (size_t)res; /* cstp_feed notes the time of what it reads */
	read_tls(t);
}

static void on_sock_send(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	int res = cqe->res;

	if (res < 0 && res != -EAGAIN && res != -EINTR) {
		t->send_busy = false;
		finish(t, KS_END_CLOSED, "send to gateway failed: ", strerror(-res));
		return;
	}
	t->inflight_off += res > 0 ? (size_t)res : 0;
	if (t->inflight_off < t->inflight.len) { /* short send: the rest, in order */
		struct io_uring_sqe *sqe = tunnel_sqe(t);

		if (!sqe) {
			finish(t, KS_END_ERROR, "io_uring: submission queue full", NULL);
			return;
		}
		io_uring_prep_send(sqe, t->cfg.tls_fd, t->inflight.data + t->inflight_off,
				   t->inflight.len - t->inflight_off, MSG_NOSIGNAL);
		io_uring_sqe_set_data64(sqe, UD(OP_SOCK_SEND, 0));
		return;
	}
	t->inflight.len = 0;
	t->send_busy = false;
	flush_tls(t);
	if (t->stopping && !t->send_busy)
		finish(t, KS_END_LOCAL, "", t->end_reason);
}

static void on_signal(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	if (cqe->res == sizeof(t->siginfo)) {
		int sig = (int)t->siginfo.ssi_signo;

		tunnel_stop(t, sig == SIGINT ? "Client received SIGINT" :
			       sig == SIGHUP ? "Client received SIGHUP" :
					       "Client received SIGTERM");
	}
	arm_simple(t, OP_SIGNAL);
}

static void on_timer(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	on_tick(t);
	arm_simple(t, OP_TIMER);
}

static void on_ctl(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int idx)
{
	if (cqe->res > 0)
		t->cfg.on_watch(t->cfg.watch_ctx);
	if (!t->end)
		arm_simple(t, OP_CTL);
}

static void on_cqe(struct ks_tunnel *t, const struct io_uring_cqe *cqe)
{
	static void (*const handlers[])(struct ks_tunnel *, const struct io_uring_cqe *, int) = {
		[OP_TUN_READ] = on_tun_read,   [OP_TUN_WRITE] = on_tun_write,
		[OP_SOCK_RECV] = on_sock_recv, [OP_SOCK_SEND] = on_sock_send,
		[OP_SIGNAL] = on_signal,       [OP_TIMER] = on_timer,
		[OP_CTL] = on_ctl,
		[OP_UDP_RECV] = tunnel_udp_on_recv,
		[OP_UDP_SEND] = tunnel_udp_on_send,
	};
	uint64_t ud = io_uring_cqe_get_data64(cqe);
	unsigned int op = (unsigned int)(ud & 0xff);

	if (op < sizeof(handlers) / sizeof(handlers[0]) && handlers[op])
		handlers[op](t, cqe, (int)(ud >> 8));
}

static int setup_fds(struct ks_tunnel *t, struct ks_error *e)
{
	sigset_t mask;
	int fl;

	/* io_uring polls non-blocking sockets; a blocking one would be punted to a worker. */
	fl = fcntl(t->cfg.tls_fd, F_GETFL);
	if (fl < 0 || fcntl(t->cfg.tls_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return ks_fail(e, -errno, "tunnel: socket flags: %m");
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	t->sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (t->sig_fd < 0)
		return ks_fail(e, -errno, "tunnel: signalfd: %m");
	return 0;
}

int tunnel_ring_setup(struct io_uring *ring)
{
	return uring_setup(ring, RING_ENTRIES);
}

struct ks_tunnel *tunnel_new(const struct ks_tunnel_cfg *cfg, struct ks_error *e)
{
	struct ks_tunnel *t = calloc(1, sizeof(*t));
	int err;

	if (!t) {
		ks_fail(e, -ENOMEM, "tunnel: out of memory");
		return NULL;
	}
	t->cfg = *cfg;
	t->c = cfg->counters;
	t->sig_fd = -1;
	t->udp_fd = -1;
	t->tick.tv_sec = 1;
	t->send_q.limit = t->inflight.limit = 64u << 20;
	t->sock_rx = malloc(SOCK_RX_SIZE);
	t->plain = malloc(PLAIN_RX_SIZE);
	if (!t->sock_rx || !t->plain ||
	    gro_init(&t->gro, WRITE_ARENA, cfg->tun->vnet, true, submit_tun_write, t,
		     &t->c->rx_gro)) {
		ks_fail(e, -ENOMEM, "tunnel: out of memory");
		goto fail;
	}
	if (cstp_init(&t->cstp, &cstp_ops, t, t->c, cfg->params->mtu, cfg->params->dpd,
		      cfg->params->keepalive, cfg->params->codec, time(NULL))) {
		ks_fail(e, -ENOMEM, "tunnel: out of memory (CSTP state, compression)");
		goto fail;
	}
	t->cstp_ok = true;
	if (cfg->params->rekey_time > 0 && (!strcmp(cfg->params->rekey_method, "ssl") ||
					    !strcmp(cfg->params->rekey_method, "new-tunnel")))
		t->rekey_at = time(NULL) + cfg->params->rekey_time;
	/* Only where a KeyUpdate will be asked for: OpenSSL calls it for every record. */
	if (t->rekey_at && !strcmp(cfg->params->rekey_method, "ssl") &&
	    SSL_version(cfg->ssl) >= TLS1_3_VERSION) {
		SSL_set_msg_callback_arg(cfg->ssl, t);
		SSL_set_msg_callback(cfg->ssl, on_tls_message);
	}
	if (setup_fds(t, e))
		goto fail;
	if (!cfg->ring) {
		ks_fail(e, -EINVAL, "tunnel: no io_uring ring");
		goto fail;
	}
	t->ring = cfg->ring;
	if (cfg->tun->vnet) /* the CSTP header goes where the virtio header was */
		err = bufring_setup(t->ring, &t->tunbufs, TUN_BGID, TUN_BUFS_VNET,
				    TUN_READ_VNET + 64, 0);
	else
		err = bufring_setup(t->ring, &t->tunbufs, TUN_BGID, TUN_BUFS,
				    (unsigned int)(CSTP_HDR_LEN + cfg->params->mtu + 64), CSTP_HDR_LEN);
	if (err) {
		ks_fail(e, err, "tunnel: provided buffer ring: %s", strerror(-err));
		goto fail;
	}
	if (cfg->dtls)
		tunnel_udp_setup(t);
	t->tun_multishot = uring_has_op(t->ring, KS_IORING_OP_READ_MULTISHOT);
	t->min_wait = cfg->coalesce_us && uring_has_min_wait(t->ring);
	t->io = (struct ks_tls_io){ .out = &t->send_q, .in = t->sock_rx };
	err = tls_bio_attach(cfg->ssl, &t->io);
	if (err) {
		t->io.out = NULL;
		ks_fail(e, err, "tunnel: TLS BIO: %s", strerror(-err));
		goto fail;
	}
	return t;
fail:
	tunnel_free(t);
	return NULL;
}

enum ks_tunnel_end tunnel_run(struct ks_tunnel *t)
{
	struct io_uring_cqe *cqe;
	char names[64];
	unsigned int head, seen;
	uint64_t pass_start;

	/* Frames that arrived with the CONNECT response come first. */
	if (t->cfg.early && t->cfg.early->len) {
		memcpy(t->plain, t->cfg.early->data, t->cfg.early->len);
		t->plain_len = t->cfg.early->len;
		parse_plain(t);
	}
	read_tls(t); /* records OpenSSL already holds */
	gro_flush(&t->gro); /* ... their packets go out with the first submit */
	arm_recv(t);
	arm_tun_reads(t);
	arm_simple(t, OP_SIGNAL);
	arm_simple(t, OP_TIMER);
	if (t->cfg.watch_fd >= 0)
		arm_simple(t, OP_CTL);
	ks_info("tunnel", "event=datapath_ready tun_read=%s bufs=%u offloads=%s gro=%s coalesce_us=%u",
		t->tun_multishot ? "multishot" : "singleshot", t->tunbufs.count,
		t->cfg.tun->vnet ? tun_offload_names(t->cfg.tun, names, sizeof(names)) : "none",
		t->gro.coalesce ? "on" : "off", tunnel_coalesce_us(t));
	if (t->cfg.ready_fd >= 0) {
		(void)!write(t->cfg.ready_fd, "1", 1);
		close(t->cfg.ready_fd);
		t->cfg.ready_fd = -1;
	}
	while (!t->end) {
		int err = t->busy ? uring_submit_and_wait_min(t->ring, BUSY_WAIT_CQES,
							       t->cfg.coalesce_us)
				  : io_uring_submit_and_wait(t->ring, 1);

		t->c->submits++;
		if (err < 0 && err != -EINTR && err != -ETIME && err != -EBUSY) {
			finish(t, KS_END_ERROR, "io_uring: ", strerror(-err));
			break;
		}
		seen = 0;
		pass_start = t->c->tx_bytes + t->c->rx_bytes;
		io_uring_for_each_cqe(t->ring, head, cqe) {
			if (!(cqe->flags & IORING_CQE_F_MORE))
				t->pending--;
			on_cqe(t, cqe);
			seen++;
		}
		io_uring_cq_advance(t->ring, seen);
		gro_flush(&t->gro); /* the pass's super-packets go out with the next submit */
		t->busy = t->min_wait && (seen >= BUSY_PASS_CQES ||
					  t->c->tx_bytes + t->c->rx_bytes - pass_start >= BUSY_PASS_BYTES);
		/* One send for every record this batch produced. */
		if (t->tx_dirty && !t->end) {
			flush_tls(t);
			t->tx_dirty = false;
			t->cstp.last_tx = time(NULL);
		}
		tunnel_udp_flush(t);
		if (!t->end) {
			arm_recv(t);
			tunnel_udp_arm(t);
			arm_tun_reads(t);
		}
	}
	return t->end;
}

const struct ks_counters *tunnel_counters(const struct ks_tunnel *t)
{
	static const struct ks_counters none; /* between reconnect attempts */

	return t ? t->c : &none;
}

unsigned int tunnel_coalesce_us(const struct ks_tunnel *t)
{
	return t && t->min_wait ? t->cfg.coalesce_us : 0;
}

time_t tunnel_last_data(const struct ks_tunnel *t)
{
	return t->cstp.last_data;
}

const char *tunnel_end_reason(const struct ks_tunnel *t)
{
	return t->end_reason;
}

const char *tunnel_end_name(enum ks_tunnel_end end)
{
	static const char *const names[] = { "none", "local", "gateway_disconnect",
					     "gateway_terminate", "closed", "dead_peer",
					     "protocol_error", "local_error", "rekey" };

	return (unsigned int)end < sizeof(names) / sizeof(names[0]) ? names[end] : "?";
}

int tunnel_free(struct ks_tunnel *t)
{
	int err = 0;

	if (!t)
		return 0;
	if (t->io.out)
		tls_bio_detach(t->cfg.ssl); /* the BIO points into this tunnel's buffers */
	if (t->cfg.ssl) /* ... and the callback's argument is this tunnel */
		SSL_set_msg_callback(t->cfg.ssl, NULL);
	/* Nothing of ours may stay in the ring: the next tunnel reuses it. If something does,
	 * the kernel may still read or write our buffers: leave all of them allocated. */
	if (t->ring)
		err = uring_quiesce(t->ring, &t->pending);
	if (err) {
		ks_err("tunnel", "event=ring_stuck pending=%u", t->pending);
		return err;
	}
	if (t->ring)
		bufring_free(t->ring, &t->tunbufs);
	tunnel_udp_free(t);
	if (t->sig_fd >= 0)
		close(t->sig_fd);
	if (t->cstp_ok)
		cstp_fini(&t->cstp);
	free(t->sock_rx);
	free(t->plain);
	gro_free(&t->gro);
	buf_free(&t->send_q);
	buf_free(&t->inflight);
	free(t);
	return 0;
}
