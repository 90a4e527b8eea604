/* SPDX-License-Identifier: GPL-2.0-only */
/* The DTLS data channel apart from any loop (the UDP twin of cstp.h): a handshake keyed
 * from the CSTP session (ocserv's PSK-NEGOTIATE) or from the secret sent in the CONNECT
 * (Cisco's legacy resumption), records in and out, DTLS DPD and keepalive, and falling
 * back to CSTP when UDP stops working, with attempts again later. Datagrams go out
 * through a batch the loop sends (dtls_bio.h); records in come from dtls_on_datagram.
 * Data and goodbyes are dispatched by the CSTP session, so both transports share one
 * set of counters and one codec table. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <openssl/ssl.h>
#include "cstp.h"
#include "cstp_params.h"
#include "dtls_bio.h"
#include "dtls_record.h"
#include "error.h"

enum ks_dtls_state {
	KS_DTLS_OFF = 0, /* not offered, refused by --no-dtls, or not usable */
	KS_DTLS_SOCKET,	 /* waiting for a UDP socket (dtls_start) */
	KS_DTLS_HANDSHAKE,
	KS_DTLS_UP,    /* data goes over DTLS */
	KS_DTLS_SLEEP, /* failed or died: data over CSTP, another attempt later */
};

#define KS_DTLS_SECRET_LEN  48 /* X-DTLS-Master-Secret: 96 hex digits */
#define KS_DTLS_PSK_LEN	    32 /* the exporter's output (EXPORTER-openconnect-psk) */
#define KS_DTLS_HANDSHAKE_S 10 /* an attempt that takes longer has failed */
#define KS_DTLS_RETRY_MIN_S 5  /* ocserv refuses a second hand-off within 3 s */
#define KS_DTLS_RETRY_MAX_S 60 /* openconnect's attempt period */

/* How the keys come about: what the gateway chose in its CONNECT answer. */
enum ks_dtls_mode { KS_DTLS_PSK = 1, KS_DTLS_LEGACY };

struct ks_dtls_keys {
	enum ks_dtls_mode mode;
	int version;			    /* DTLS1_2_VERSION, or DTLS1_BAD_VER (legacy AES-SHA) */
	char cipher[64];		    /* OpenSSL's name (legacy); PSK offers its own list */
	uint8_t secret[KS_DTLS_SECRET_LEN]; /* PSK: 32 bytes; legacy: the master secret */
	uint8_t session_id[32];		    /* legacy X-DTLS-Session-ID, PSK X-DTLS-App-ID */
	size_t session_id_len;
};

struct ks_dtls_ops {
	/* A new UDP socket to the gateway's DTLS port, please: dtls_start() when it comes, or
	 * with -errno when none will. */
	void (*want_socket)(void *ctx);
	/* The socket is of no more use (the loop stops reading it and closes it). */
	void (*drop_socket)(void *ctx);
	/* Data moves to DTLS (up) or back to CSTP. */
	void (*changed)(void *ctx, bool up);
};

struct ks_dtls {
	const struct ks_dtls_ops *ops;
	void *ctx;
	struct ks_cstp *cstp; /* the session: data and goodbyes are dispatched there */
	struct ks_counters *c;
	enum ks_dtls_state state;
	struct ks_dtls_keys keys;
	SSL_CTX *ssl_ctx;
	SSL *ssl;
	struct ks_dtls_fast fast;	/* application records without OpenSSL (dtls_record.h) */
	bool fast_on;
	struct ks_dgram_batch out; /* datagrams for the loop to send */
	struct ks_dgram_io io;
	enum ks_codec codec; /* X-DTLS-Content-Encoding: a stateless one or none */
	int dpd, keepalive;  /* X-DTLS-DPD, X-DTLS-Keepalive (seconds; 0 off) */
	int base_mtu;	     /* X-CSTP-Base-MTU (or what we announced), IP header included */
	int path_mtu;	     /* the route's to the gateway (IP_MTU of the socket), 0: unknown */
	bool ipv6;	     /* the gateway's address family */
	int data_mtu;	     /* the largest packet one record carries */
	int dtls_mtu;	     /* X-DTLS-MTU, 0: none said */
	time_t since;	     /* when the state began */
	time_t last_rx, last_tx, retry_at;
	time_t dpd_sent_at, last_probe, dpd_ok_at; /* the unanswered DPD's first and last */
	int backoff_s;
	char why[160];	  /* the last failure, printable */
	uint8_t *rx;	  /* KS_DGRAM_MAX bytes: a record's plaintext */
	uint8_t *scratch; /* KS_DGRAM_MAX bytes: records built here */
};

/* Which DTLS the gateway's answer allows and the keys for it: PSK from cstp_ssl's
 * exporter, legacy from master (what the CONNECT carried). -ENOTSUP (e says why): no DTLS
 * this session. */
int dtls_keys_from(const struct ks_cstp_params *p, SSL *cstp_ssl,
		   const uint8_t master[KS_DTLS_SECRET_LEN], uint32_t offered,
		   struct ks_dtls_keys *k, struct ks_error *e);
/* keys are copied (and wiped at dtls_fini); peer_v6: the gateway's family. Starts at once
 * (want_socket). */
int dtls_init(struct ks_dtls *d, const struct ks_dtls_ops *ops, void *ctx, struct ks_cstp *cstp,
	      const struct ks_cstp_params *p, const struct ks_dtls_keys *keys, bool peer_v6,
	      time_t now, struct ks_error *e);
void dtls_fini(struct ks_dtls *d);
/* The socket asked for: connected to the gateway; -errno: none could be had. */
void dtls_start(struct ks_dtls *d, int err, time_t now);
/* The MTU of the socket's route to the gateway, before dtls_start: records are sized for
 * the smaller of it and the gateway's base MTU. 0: unknown. */
void dtls_set_path_mtu(struct ks_dtls *d, int mtu);
/* One datagram from the socket, opened in place (its bytes are ours to overwrite). */
void dtls_on_datagram(struct ks_dtls *d, uint8_t *dg, size_t len, time_t now);
/* The socket failed (an ICMP unreachable, a send error): back to CSTP. */
void dtls_fail(struct ks_dtls *d, const char *why, time_t now);
/* A packet over DTLS, when it is up and the packet fits a record; pkt has one writable
 * byte in front of it. false: send it over CSTP instead. */
bool dtls_send_packet(struct ks_dtls *d, uint8_t *pkt, size_t len);
/* Handshake timers, DPD, keepalive, the next attempt; about once a second. */
void dtls_tick(struct ks_dtls *d, time_t now);
static inline bool dtls_up(const struct ks_dtls *d)
{
	return d->state == KS_DTLS_UP;
}
const char *dtls_state_name(enum ks_dtls_state s);
