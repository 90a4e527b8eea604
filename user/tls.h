/* SPDX-License-Identifier: GPL-2.0-only */
/* TLS to the gateway: connect, trust (CA or pin), fingerprints. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/ssl.h>
#include "error.h"
#include "proxy.h"

#define KS_MAX_PINS 8

enum ks_pin_kind { KS_PIN_CERT_SHA256, KS_PIN_CERT_SHA1, KS_PIN_PUBKEY_SHA256 };

struct ks_pin {
	enum ks_pin_kind kind;
	uint8_t hash[32];
	size_t len;
};

struct ks_tls_trust {
	const char *cafile; /* NULL: system store */
	struct ks_pin pins[KS_MAX_PINS];
	int npins;
};

struct ks_tls_peer {
	char cert_sha256[7 + 64 + 1];	 /* "sha256:<hex>" */
	char pubkey_sha256[80]; /* "pin-sha256:<base64>" */
	char subject[256];
	char verify_error[160]; /* why the CA check failed; empty when it passed */
};

/* Parses `sha256:HEX`, `sha1:HEX` or `pin-sha256:BASE64` (openconnect's --servercert). */
int tls_parse_pin(struct ks_pin *pin, const char *spec, struct ks_error *e);

SSL_CTX *tls_ctx_new(const struct ks_tls_trust *trust, struct ks_error *e);
/* One exchange with the gateway must end by `end_ms` (CLOCK_MONOTONIC), whatever it
 * trickles: a timeout says `timed out after <secs> s waiting for <what>`. */
struct ks_deadline {
	int64_t end_ms;
	int secs;
	const char *what;
};

void deadline_start(struct ks_deadline *d, int secs, const char *what);
/* -ETIMEDOUT with the message above. */
int deadline_fail(const struct ks_deadline *d, struct ks_error *e);

/* TCP connect and TLS handshake with SNI and hostname check, within timeout_s in all.
 * -EKEYREJECTED: certificate not trusted; `peer` says what was presented. The socket is
 * left non-blocking. */
/* Where TCP sockets to the gateway come from: socket() by default; the worker asks the
 * monitor, which marks them as kslice's own (privsep.h, PS_SOCKET). -errno on failure. */
typedef int (*ks_socket_fn)(void *ctx, int family);
void tls_set_socket_maker(ks_socket_fn fn, void *ctx);
/* While connecting and in every exchange, fd is watched too: when it is readable, fn(ctx)
 * says whether to go on (0) or give the attempt up (-EINTR: a stop; -ENETRESET: the
 * network path changed, try again at once). */
typedef int (*ks_watch_fn)(void *ctx);
void tls_set_watch(int fd, ks_watch_fn fn, void *ctx);
/* Every TCP connection to the gateway goes through this HTTP proxy (NULL: none). */
void tls_set_proxy(const struct ks_proxy *p, const char *useragent);
/* poll(fd, events) with the watch above, until end_ms (CLOCK_MONOTONIC): 0 when ready or
 * woken (try again), -ETIMEDOUT, or the watch's verdict. */
int tls_wait_fd(int fd, short events, int64_t end_ms);
/* The same for up to three fds (-1: none). */
int tls_wait_fds(const int *fds, int n, short events, int64_t end_ms);
int64_t tls_mono_ms(void); /* CLOCK_MONOTONIC, ms */
int tls_connect(SSL_CTX *ctx, const struct ks_tls_trust *trust, const char *host,
		const char *port, int timeout_s, SSL **ssl_out, int *fd_out,
		struct ks_tls_peer *peer, struct ks_error *e);
/* The address of fd's peer (or, local, its own) as text; "" if it has none. */
void tls_peer_address(int fd, bool local, char *out, size_t len);
/* The HTTP setup phase: wait (poll) until done or the deadline; -ETIMEDOUT then. */
int tls_write_all(SSL *ssl, const void *data, size_t len, const struct ks_deadline *d);
/* >0 bytes, 0 EOF, <0 -errno */
int tls_read_some(SSL *ssl, void *buf, size_t len, const struct ks_deadline *d);
void tls_free(SSL *ssl, int fd);
const char *tls_last_error(void);
