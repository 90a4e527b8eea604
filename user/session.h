/* SPDX-License-Identifier: GPL-2.0-only */
/* One VPN session: everything `kslice connect` holds while the tunnel is up. The monitor
 * and the worker (privsep.h) each use their own part: the worker the TLS side (ctx, ssl,
 * early, tunnel, reconnects), the monitor the system side (pins, bpf, split, preload,
 * ctl); params, auth.peer and peer_ip are in both. */
#pragma once
#include <time.h>
#include <openssl/ssl.h>
#include "auth.h"
#include "client_cert.h"
#include "cstp_params.h"
#include "dtls.h"
#include "ctl_server.h"
#include "privsep.h"
#include "opts.h"
#include "pin.h"
#include "preload.h"
#include "split.h"
#include "pathwatch.h"
#include "sd_notify.h"
#include "tun_stats.h"
#include "tun.h"
#include "tunnel.h"

struct ks_session {
	struct ks_connect_opts *o;
	SSL_CTX *ctx;
	SSL *ssl;
	int fd;
	char peer_ip[64];
	char local_ip[64];	/* this end of the gateway connection */
	struct ks_auth_result auth;
	struct ks_cstp_params params;
	struct ks_buf early;
	/* worker: the legacy DTLS master secret sent with the last CONNECT, and the keys its
	 * answer allows (dtls_ready) */
	uint8_t dtls_secret[KS_DTLS_SECRET_LEN];
	int base_mtu; /* worker: the X-CSTP-Base-MTU the session's CONNECTs announce */
	struct ks_dtls_keys dtls_keys;
	bool dtls_ready;
	struct ks_tun tun;
	struct ks_pin_dir pins;
	struct ks_tun_bpf bpf;
	bool bpf_ok;
	bool stop_requested; /* `kslice disconnect` while no tunnel runs (reconnecting) */
	struct ks_split_state split;
	struct ks_preload preload; /* the split object, loading while we log in */
	struct ks_tunnel *tunnel;
	struct ks_privsep ps;	/* the monitor's link to the worker, or the worker's to it */
	char *connect_head;	/* worker: the CONNECT answer's head, for the monitor */
	bool stop_sent;		/* monitor: the worker was told to stop */
	bool worker_down;	/* monitor: the worker is reconnecting */
	bool worker_rekeying;	/* monitor: ... or making a new tunnel for a rekey (up still) */
	unsigned int rekey_sockets;	/* monitor: sockets given for the rekey under way */
	double last_udp_socket_ms;	/* monitor: when the worker last had a DTLS socket */
	double rekey_allowed_ms;	/* monitor: no rekey before (half the gateway's period) */
	int ready_fd;		/* monitor, --background: the launcher waits for a byte */
	int ctl_fd;
	struct ks_ctl_server *ctl;
	char ctl_path[108];
	time_t connected_at;
	unsigned int reconnects;
	double connect_ms; /* launch to tunnel usable */
	/* monitor: a killed predecessor's kill switch is in force; ours replaces it once our
	 * filters are attached, and until then (or if we fail) it stays (fail closed). */
	bool residue_kept;
	bool user_stop;	/* monitor: the user ended it (disconnect, a signal) */
	/* monitor: the session's reconnects, for status (the worker's cause is text from an
	 * unprivileged process: kept bounded, printed escaped) */
	struct {
		unsigned int count;
		char last_cause[200];
		time_t last_at;		/* the last time the tunnel came back */
		double down_since_ms;	/* while down: since when (monotonic ms) */
		double down_total_ms;
	} history;
	bool path_changed; /* worker: the monitor saw the path change: retry at once */
	struct ks_replay replay; /* worker: the login's stdin answers, to log in again */
	struct ks_pathwatch path; /* monitor */
	struct ks_client_cert cert; /* monitor, with -c: the key is here alone */
	struct ks_notify notify;    /* monitor: systemd's Type=notify (sd_notify.h) */
	double metrics_at;	    /* monitor: --metrics-file last written (monotonic ms) */
	bool metrics_failed;	    /* monitor: ... and that failed (said once) */
	bool login_only;	    /* monitor, --authenticate: sockets and signatures only */
	double sso_listen_ms, sso_browse_ms; /* monitor: the last PS_LISTEN, PS_BROWSE */
};

/* Authenticates (or takes the cookie) and opens the CSTP tunnel. -EKEYREJECTED,
 * -EACCES, -EPROTO, network errors; e says what. */
int session_establish(struct ks_session *s, struct ks_error *e);
/* After a lost connection: CONNECT again with the same cookie on a new TLS connection.
 * -EACCES: the gateway no longer takes the cookie; -EADDRNOTAVAIL: it gave another
 * address (the TUN device could not be kept). */
int session_reconnect(struct ks_session *s, struct ks_error *e);
/* The gateway refused the cookie (it restarted, the session expired): log in again with
 * what the first login was given (no person), then reconnect as above. -EPERM: that
 * cannot be done without a person (a terminal prompt, --cookie-on-stdin). */
int session_relogin(struct ks_session *s, struct ks_error *e);
void session_close(struct ks_session *s);
/* A control-socket request (session_ctl.c). */
int session_on_request(void *ctx, const struct ks_ctl_req *req, uid_t uid, struct ks_buf *body,
		       struct ks_error *e);
void session_on_tick(void *ctx);
