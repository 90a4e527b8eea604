/* SPDX-License-Identifier: GPL-2.0-only */
/* The data path's state, shared by its two halves: the loop, the TUN and TLS (tunnel.c),
 * and the DTLS socket (tunnel_udp.c). Nothing else includes this. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <linux/time_types.h>

#include "cstp.h"
#include "dtls.h"
#include "gro.h"
#include "tls_bio.h"
#include "tunnel.h"
#include "uring.h"

enum op {
	OP_TUN_READ = 1,
	OP_TUN_WRITE,
	OP_SOCK_RECV,
	OP_SOCK_SEND,
	OP_SIGNAL,
	OP_TIMER,
	OP_CTL,
	OP_UDP_RECV,
	OP_UDP_SEND,
	OP_CANCEL,
};

/* One sendmsg of a datagram batch: its header, the bytes, the segment size. */
struct udp_msg {
	struct msghdr mh;
	struct iovec iov;
	union {
		char buf[CMSG_SPACE(sizeof(uint16_t))];
		struct cmsghdr align;
	} cm;
};

#define UD(op, idx) ((uint64_t)(idx) << 8 | (op))

struct ks_tunnel {
	struct ks_tunnel_cfg cfg;
	struct io_uring *ring;	/* the worker's, kept across reconnects */
	unsigned int pending;	/* requests submitted and not finished: reaped at the end */
	struct ks_bufring tunbufs;
	bool tun_multishot;
	int tun_reads_armed;
	int sig_fd;
	struct signalfd_siginfo siginfo;
	struct __kernel_timespec tick;
	struct ks_tls_io io;	/* what OpenSSL reads from and writes to */
	struct ks_cstp cstp;	/* the protocol: frames in and out, DPD, keepalive */
	bool cstp_ok;
	uint8_t *sock_rx;
	uint8_t *plain;
	size_t plain_len;
	bool min_wait;		/* kernel can end a wait after coalesce_us */
	bool busy;		/* the last pass was: coalesce the next wait */
	bool tx_dirty;		/* records written since the last flush */
	struct ks_buf send_q;	/* ciphertext waiting for the socket */
	struct ks_buf inflight;	/* ciphertext the socket is sending */
	size_t inflight_off;
	bool send_busy, recv_armed;
	struct ks_gro gro;	/* what goes to the TUN this pass */
	bool stopping;
	time_t stop_deadline;
	time_t rekey_at;	/* 0: the gateway asked for no rekey */
	enum ks_tunnel_end end;
	char end_reason[400];
	struct ks_counters *c;	/* the session's: they outlive a reconnect */
	/* DTLS (dtls.h): the channel, its socket (udp_gen counts sockets, so completions
	 * of an old one are told apart), the datagrams the socket is sending and their
	 * sendmsg headers (the kernel's until the completions are in). */
	struct ks_dtls dtls;
	bool dtls_ok;
	int udp_fd;
	unsigned int udp_gen;
	bool udp_recv_armed, udp_gso;
	struct msghdr udp_rx_mh; /* the multishot recvmsg's template: control room only */
	struct ks_bufring udpbufs;
	struct ks_dgram_batch udp_inflight;
	struct udp_msg *udp_msgs;
	unsigned int udp_msgs_cap, udp_sends_pending;
	uint64_t udp_cancel;	/* a receive to cancel (its user data, top bit set), or 0 */
};


/* A submission slot (the queue is pushed when full); NULL only if the ring is broken. */
struct io_uring_sqe *tunnel_sqe(struct ks_tunnel *t);

/* tunnel_udp.c: the DTLS channel's socket in the loop. */
void tunnel_udp_setup(struct ks_tunnel *t);
void tunnel_udp_arm(struct ks_tunnel *t);
void tunnel_udp_flush(struct ks_tunnel *t);
void tunnel_udp_on_recv(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int gen);
void tunnel_udp_on_send(struct ks_tunnel *t, const struct io_uring_cqe *cqe, int gen);
/* After the ring is quiet: the socket, the buffer ring, the channel. */
void tunnel_udp_free(struct ks_tunnel *t);
