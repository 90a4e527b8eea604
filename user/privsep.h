/* SPDX-License-Identifier: GPL-2.0-only */
/* Privilege separation, as OpenSSH does it. `kslice connect` is two processes:
 * - the monitor (root) owns what needs privilege: the TUN device's configuration, BPF
 *   programs and maps, policy rules, uplink filters, the control socket, the cleanup;
 * - the worker (forked before the gateway is contacted, then an unprivileged user with no
 *   capabilities and no_new_privs) talks to the gateway and parses everything it sends:
 *   TLS, HTTP, XML, the CONNECT answer, CSTP, compressed data; it moves packets through
 *   the TUN fd it inherited.
 * They talk over a SOCK_SEQPACKET pair (messages below) and share one read-mostly page
 * that the worker writes its counters into (status reads it). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "counters.h"
#include "error.h"
#include "tls.h"
#include "uring.h"

#define PS_MAX_MSG (72u << 10) /* an UP message carries the CONNECT answer's head */

enum ks_ps_msg {
	/* worker -> monitor */
	PS_UP = 1,	/* connected: struct ks_ps_up, then the CONNECT answer's head */
	PS_DOWN,	/* connection lost, reconnecting: fail closed; why follows as text */
	PS_READY,	/* the data path runs */
	PS_END,		/* struct ks_ps_end: the session is over, exit with this code */
	PS_SOCKET,	/* struct ks_ps_socket: a TCP (or, for DTLS, UDP) socket to the
			 * gateway, please; the answer is the same struct, with the socket
			 * attached (SCM_RIGHTS) or err set: one marked as kslice's own
			 * (split.h, own_mark) */
	/* monitor -> worker */
	PS_GO,		/* the system is set up: run the data path */
	PS_STOP,	/* reason text follows: disconnect and end */
	PS_DETACH,	/* --background: stop writing to the terminal */
	PS_PATH,	/* reason text follows: the network path changed; reconnect now (or,
			 * between attempts, try again now) */
	/* worker -> monitor */
	PS_REKEY,	/* a new tunnel for a rekey: PS_SOCKET and PS_UP follow (the kill
			 * switch stays up: packets wait in the TUN), or PS_DOWN if it failed */
	/* monitor -> worker, first of all with -c: the client certificate and its chain
	 * (client_cert.h), which the worker waits for before it connects */
	PS_CERT,
	/* worker -> monitor, and the answer back: struct ks_ps_sign (client_cert.h), the
	 * client certificate's signature for a TLS handshake; one per TCP socket given */
	PS_SIGN,
	/* worker -> monitor, SAML's external browser (sso.h), only while logging in: */
	PS_LISTEN,	/* listening sockets on 127.0.0.1 and [::1] port 29786, please: two
			 * answers, struct ks_ps_listen, each with its socket or err */
	PS_BROWSE,	/* the URL that follows, opened in the user's browser as the user:
			 * answered with struct ks_ps_listen (family 0) */
};

struct ks_ps_listen {
	uint32_t type;
	int32_t family;
	int32_t err;
};

struct ks_ps_up {
	uint32_t type;
	uint32_t head_len;
	char peer_ip[64];
	char local_ip[64];	/* this end: the monitor watches its path (pathwatch.h) */
	struct ks_tls_peer peer;
	uint32_t reconnect;	/* 0 the first time */
};

struct ks_ps_socket {
	uint32_t type;
	int32_t family;	/* AF_INET or AF_INET6 */
	int32_t sotype;	/* SOCK_STREAM (TLS) or SOCK_DGRAM (DTLS) */
	int32_t err;	/* answer: 0 (a socket is attached) or -errno */
};

struct ks_ps_end {
	uint32_t type;
	int32_t exit_code;
	char reason[320];
};

enum ks_ps_state { PS_STATE_CONNECTING = 0, PS_STATE_CONNECTED, PS_STATE_RECONNECTING };

/* Written by the worker, read by the monitor (a torn read only skews a counter). */
struct ks_shared {
	struct ks_counters c;
	uint32_t state;
	uint32_t reconnects;
	uint32_t coalesce_us;
	char tls_version[16];
	char tls_cipher[64];
	char transport[8];	/* what carries data: "dtls" or "tls" */
	char dtls_version[16];
	char dtls_cipher[64];
};

struct ks_privsep {
	int fd;			/* our end of the pair */
	pid_t worker;		/* in the monitor; 0 in the worker */
	struct ks_shared *shared;
	int devnull;		/* worker: /dev/null, opened before the sandbox forbids it */
	uid_t uid;		/* the worker's */
	gid_t gid;
	/* worker: its only io_uring ring, restricted to the data path's operations and made
	 * before the sandbox forbids io_uring_setup; ring_err is why there is none. */
	struct io_uring ring;
	int ring_err;
};

/* Looks the user up (name or number): -EINVAL if there is none. */
int privsep_user(struct ks_privsep *ps, const char *user, struct ks_error *e);
/* Forks. Returns 1 in the monitor, 0 in the worker (which runs with the user's ids, no
 * capabilities and no_new_privs from here on), or -errno. */
int privsep_fork(struct ks_privsep *ps, struct ks_error *e);
int privsep_send(int fd, const void *msg, size_t len);
/* With a file descriptor attached (pass_fd >= 0; flags: MSG_DONTWAIT), and what receives
 * one: *got_fd is the descriptor that came with the message (any more are closed), or -1. */
int privsep_send_fd(int fd, const void *msg, size_t len, int pass_fd, int flags);
ssize_t privsep_recv_fd(int fd, void *buf, size_t len, int *got_fd);
/* A whole message into buf: its length, 0 at EOF, -errno. */
ssize_t privsep_recv(int fd, void *buf, size_t len);
/* Type-only and text messages. */
int privsep_send_type(int fd, enum ks_ps_msg type);
int privsep_send_text(int fd, enum ks_ps_msg type, const char *text);
void privsep_close(struct ks_privsep *ps);
