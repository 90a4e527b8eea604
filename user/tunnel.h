/* SPDX-License-Identifier: GPL-2.0-only */
/* The data path: one io_uring loop moving packets between the TUN device and CSTP/TLS. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include "buf.h"
#include "counters.h"
#include "cstp_params.h"
#include "dtls.h"
#include "deflate.h"
#include "gro.h"
#include "tun.h"
#include "uring.h"

struct ks_tunnel;

struct ks_tunnel_cfg {
	struct io_uring *ring;		/* from tunnel_ring_setup(): the tunnel borrows it */
	SSL *ssl;
	int tls_fd;
	struct ks_tun *tun;
	const struct ks_cstp_params *params;
	const struct ks_buf *early;	/* plaintext read past the CONNECT response head */
	struct ks_counters *counters;	/* the session's, kept across reconnects */
	int watch_fd;			/* another fd to watch (the monitor's commands), or -1 */
	void (*on_watch)(void *ctx);	/* watch_fd is readable */
	void *watch_ctx;
	void (*on_tick)(void *tick_ctx);	/* once a second, in the loop */
	void *tick_ctx;
	int ready_fd;			/* written once the loop runs (--background), or -1 */
	unsigned int coalesce_us;	/* under load, wait this long to gather completions */
	/* DTLS (dtls.h), NULL: data over TLS only. want_udp(watch_ctx) asks for a UDP socket
	 * connected to the gateway's DTLS port, which comes back by tunnel_udp_socket();
	 * on_transport(watch_ctx, "dtls" or "tls", version, cipher) when data moves. */
	const struct ks_dtls_keys *dtls;
	bool peer_v6;
	int (*want_udp)(void *ctx);	/* 0, or -errno: no socket will come */
	void (*on_transport)(void *ctx, const char *transport, const char *version,
			     const char *cipher);
};

/* The ring every tunnel of a worker runs on (restricted: user/uring.c). 0 or -errno. */
int tunnel_ring_setup(struct io_uring *ring);
struct ks_tunnel *tunnel_new(const struct ks_tunnel_cfg *cfg, struct ks_error *e);
/* Runs until the session ends; returns why. */
enum ks_tunnel_end tunnel_run(struct ks_tunnel *t);
void tunnel_stop(struct ks_tunnel *t, const char *reason);
/* The socket want_udp asked for (fd), or why there is none (-errno). Taken in any case:
 * closed when the tunnel no longer wants it (t may be NULL). */
void tunnel_udp_socket(struct ks_tunnel *t, int fd);
/* Ends the loop at once, no goodbye (the path is gone): tunnel_run returns KS_END_CLOSED. */
void tunnel_abort(struct ks_tunnel *t, const char *reason);
const struct ks_counters *tunnel_counters(const struct ks_tunnel *t);
const char *tunnel_end_reason(const struct ks_tunnel *t);
/* When the last packet went either way (the gateway's idle timer counts those only). */
time_t tunnel_last_data(const struct ks_tunnel *t);
/* The coalescing in force: 0 when off or the kernel cannot end a wait early. */
unsigned int tunnel_coalesce_us(const struct ks_tunnel *t);
const char *tunnel_end_name(enum ks_tunnel_end end);
/* 0, or -EBUSY when requests stayed stuck in the ring: it must not be used again. */
int tunnel_free(struct ks_tunnel *t);
