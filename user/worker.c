// SPDX-License-Identifier: GPL-2.0-only
/* The unprivileged half of `kslice connect` (privsep.h): logs in, opens CSTP, runs the
 * data path and reconnects; everything the gateway sends is parsed here. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "esc.h"
#include "exitcodes.h"
#include "log.h"
#include "worker.h"

/* What a user needs to pin the certificate they were shown, openconnect style. */
static void print_cert_refusal(const struct ks_session *s, const char *why)
{
	const struct ks_tls_peer *p = &s->auth.peer;

	fprintf(stderr, "kslice: %s\n", why);
	if (!p->cert_sha256[0])
		return;
	fprintf(stderr, "  gateway %s presented: %s\n", s->o->host, esc(p->subject));
	if (p->verify_error[0])
		fprintf(stderr, "  CA check: %s\n", p->verify_error);
	fprintf(stderr, "  certificate: %s\n  public key:  %s\n", p->cert_sha256, p->pubkey_sha256);
	fprintf(stderr, "To trust this certificate, add:\n    --servercert %s\n", p->pubkey_sha256);
	ks_err("tls", "event=cert_rejected gateway=%s cert=%s pin=%s", s->o->host, p->cert_sha256,
	       p->pubkey_sha256);
}

int worker_exit_for(int err)
{
	switch (err) {
	case -EKEYREJECTED:
		return KS_EXIT_CERT;
	case -EACCES:
	case -ENOKEY:
		return KS_EXIT_AUTH;
	case -EPROTO:
	case -EBADMSG:
	case -EMSGSIZE:
	case -EPROTONOSUPPORT:
		return KS_EXIT_PROTOCOL;
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ETIMEDOUT:
	case -EIO:
	case -EPIPE:
		return KS_EXIT_NETWORK;
	case -EINVAL:
		return KS_EXIT_USAGE;
	default:
		return KS_EXIT_ERROR;
	}
}

static void publish(struct ks_session *s, enum ks_ps_state state)
{
	struct ks_shared *sh = s->ps.shared;

	sh->state = state;
	sh->reconnects = s->reconnects;
	sh->coalesce_us = tunnel_coalesce_us(s->tunnel);
	snprintf(sh->tls_version, sizeof(sh->tls_version), "%s", s->ssl ? SSL_get_version(s->ssl) : "");
	snprintf(sh->tls_cipher, sizeof(sh->tls_cipher), "%s", s->ssl ? SSL_get_cipher_name(s->ssl) : "");
}

/* Tells the monitor we are connected: the CONNECT answer's head travels with it (the
 * monitor configures the system from it). */
static int send_up(struct ks_session *s, bool reconnect)
{
	size_t head_len = s->connect_head ? strlen(s->connect_head) : 0;
	struct ks_ps_up up = { .type = PS_UP, .head_len = (uint32_t)head_len,
			       .peer = s->auth.peer, .reconnect = reconnect };
	uint8_t *msg;
	int err;

	if (sizeof(up) + head_len > PS_MAX_MSG)
		return -EMSGSIZE;
	snprintf(up.peer_ip, sizeof(up.peer_ip), "%s", s->peer_ip);
	snprintf(up.local_ip, sizeof(up.local_ip), "%s", s->local_ip);
	msg = malloc(sizeof(up) + head_len);
	if (!msg)
		return -ENOMEM;
	memcpy(msg, &up, sizeof(up));
	memcpy(msg + sizeof(up), s->connect_head, head_len);
	err = privsep_send(s->ps.fd, msg, sizeof(up) + head_len);
	free(msg);
	return err;
}

/* A message from the monitor (n bytes, msg[n] writable): STOP and DETACH; GO and the
 * answer to PS_SOCKET are waited for where they are asked for. */
static void monitor_message(struct ks_session *s, char *msg, ssize_t n)
{
	uint32_t type;

	if (n < 4) { /* the monitor is gone: nobody would clean up after us */
		s->stop_requested = true;
		if (s->tunnel)
			tunnel_stop(s->tunnel, "Client is going away");
		return;
	}
	msg[n] = 0;
	memcpy(&type, msg, 4);
	if (type == PS_STOP) {
		s->stop_requested = true;
		if (s->tunnel)
			tunnel_stop(s->tunnel, n > 4 ? msg + 4 : "Client requested disconnect");
	} else if (type == PS_PATH) {
		s->path_changed = true;
		if (s->tunnel)
			tunnel_abort(s->tunnel, n > 4 ? msg + 4 : "changed");
	} else if (type == PS_DETACH && s->ps.devnull >= 0) {
		dup2(s->ps.devnull, 0);
		dup2(s->ps.devnull, 1);
		if (!isatty(2))
			dup2(s->ps.devnull, 2);
	}
}

/* A DTLS socket whose route to the gateway goes into the tunnel (its source is the tunnel
 * address: the split programs did not know it for kslice's own) would carry DTLS inside
 * TLS, and loop once DTLS carried itself: refused. */
static bool through_tunnel(const struct ks_session *s, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return false;
	if (ss.ss_family == AF_INET)
		return s->params.have4 &&
		       ((struct sockaddr_in *)&ss)->sin_addr.s_addr == s->params.addr4.s_addr;
	return ss.ss_family == AF_INET6 && s->params.have6 &&
	       !memcmp(&((struct sockaddr_in6 *)&ss)->sin6_addr, &s->params.addr6,
		       sizeof(s->params.addr6));
}

/* The DTLS socket the monitor made: connected here to the gateway's DTLS port. */
static int udp_connect(const struct ks_session *s, int fd)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in a4 = { .sin_family = AF_INET };
	int buf = 4 << 20; /* bursts of records both ways; the kernel caps it (rmem_max) */
	int err;

	a4.sin_port = a6.sin6_port = htons((uint16_t)s->params.dtls_port);
	if (inet_pton(AF_INET, s->peer_ip, &a4.sin_addr) == 1)
		err = connect(fd, (struct sockaddr *)&a4, sizeof(a4));
	else if (inet_pton(AF_INET6, s->peer_ip, &a6.sin6_addr) == 1)
		err = connect(fd, (struct sockaddr *)&a6, sizeof(a6));
	else
		return -EDESTADDRREQ;
	if (err)
		return -errno;
	if (through_tunnel(s, fd))
		return -ELOOP;
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	return 0;
}

/* The answer to a DTLS socket request (want_udp): to the tunnel, which may no longer
 * want it (then it is closed). */
static void udp_answer(struct ks_session *s, const char *msg, ssize_t n, int fd)
{
	struct ks_ps_socket ans;
	int err;

	if ((size_t)n != sizeof(ans)) {
		err = -EPROTO;
	} else {
		memcpy(&ans, msg, sizeof(ans));
		err = ans.err < 0 ? ans.err : fd < 0 ? -EPROTO : 0;
	}
	if (!err)
		err = udp_connect(s, fd);
	if (err && fd >= 0) {
		close(fd);
		fd = -1;
	}
	tunnel_udp_socket(s->tunnel, err ? err : fd);
}

static bool is_udp_answer(const char *msg, ssize_t n)
{
	struct ks_ps_socket ans;

	if ((size_t)n != sizeof(ans))
		return false;
	memcpy(&ans, msg, sizeof(ans));
	return ans.type == PS_SOCKET && ans.sotype == SOCK_DGRAM;
}

static void on_monitor(void *ctx)
{
	struct ks_session *s = ctx;
	char msg[512];
	int fd;
	ssize_t n = privsep_recv_fd(s->ps.fd, msg, sizeof(msg) - 1, &fd);

	if (is_udp_answer(msg, n)) {
		udp_answer(s, msg, n, fd);
		return;
	}
	if (fd >= 0)
		close(fd);
	monitor_message(s, msg, n);
}

/* The tunnel's DTLS channel wants a socket: asked for here, answered in on_monitor. */
static int want_udp(void *ctx)
{
	struct ks_session *s = ctx;
	struct ks_ps_socket req = { .type = PS_SOCKET,
				    .sotype = SOCK_DGRAM,
				    .family = strchr(s->peer_ip, ':') ? AF_INET6 : AF_INET };

	return privsep_send(s->ps.fd, &req, sizeof(req));
}

/* Data moved between DTLS and TLS: status shows which carries it. */
static void on_transport(void *ctx, const char *transport, const char *version, const char *cipher)
{
	struct ks_shared *sh = ((struct ks_session *)ctx)->ps.shared;

	snprintf(sh->transport, sizeof(sh->transport), "%s", transport);
	snprintf(sh->dtls_version, sizeof(sh->dtls_version), "%s", version);
	snprintf(sh->dtls_cipher, sizeof(sh->dtls_cipher), "%s", cipher);
	ks_info("tunnel", "event=transport name=%s", transport);
}

ssize_t worker_await(struct ks_session *s, uint32_t want, void *msg, size_t cap, int *fd)
{
	for (;;) {
		ssize_t n = privsep_recv_fd(s->ps.fd, msg, cap - 1, fd);
		uint32_t type = 0;

		if (n >= 4)
			memcpy(&type, msg, 4);
		if (is_udp_answer(msg, n)) { /* a DTLS socket that came late: no tunnel now */
			udp_answer(s, msg, n, *fd);
			continue;
		}
		if (n >= 4 && type == want)
			return n;
		if (*fd >= 0)
			close(*fd);
		*fd = -1;
		monitor_message(s, msg, n < 0 ? 0 : n);
		if (s->stop_requested)
			return -EINTR;
	}
}

/* tls_connect's sockets: made by the monitor and marked as kslice's own there (setting
 * SO_MARK takes a capability this process does not have). */
static int socket_from_monitor(void *ctx, int family)
{
	struct ks_session *s = ctx;
	struct ks_ps_socket req = { .type = PS_SOCKET, .family = family, .sotype = SOCK_STREAM },
			    ans;
	char msg[512];
	int fd, err = privsep_send(s->ps.fd, &req, sizeof(req));
	ssize_t n = err ? err : worker_await(s, PS_SOCKET, msg, sizeof(msg), &fd);

	if (n < 0)
		return (int)n;
	if ((size_t)n != sizeof(ans)) {
		if (fd >= 0)
			close(fd);
		return -EPROTO;
	}
	memcpy(&ans, msg, sizeof(ans));
	if (ans.err || fd < 0) {
		if (fd >= 0)
			close(fd);
		return ans.err < 0 ? ans.err : -EPROTO;
	}
	return fd;
}

/* While a connection is being made (tls.h): the monitor's messages are taken at once, and
 * a stop or a change of the network path gives the attempt up (a SYN sent by a route that
 * has gone would otherwise be waited on for the whole --timeout). */
static int watch_monitor(void *ctx)
{
	struct ks_session *s = ctx;

	s->path_changed = false; /* only what this message says */
	on_monitor(s);
	return s->stop_requested ? -EINTR : s->path_changed ? -ENETRESET : 0;
}

/* Between reconnect attempts: true when told to stop. */
static bool pause_for(struct ks_session *s, int ms)
{
	struct timespec t0, t;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = s->ps.fd, .events = POLLIN };
		long left;

		clock_gettime(CLOCK_MONOTONIC, &t);
		left = ms - ((t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000);
		if (s->stop_requested || left <= 0 || s->path_changed)
			return s->stop_requested;
		if (poll(&p, 1, (int)left) > 0)
			on_monitor(s);
	}
}

/* A lost connection (not a goodbye from the gateway): CONNECT again with the cookie, the
 * TUN device and the BPF state kept, so applications see a pause. Backoff 0.25 s doubling
 * to 8 s; a change of the network path (the monitor's PS_PATH) starts it over at once. */
#define KS_RELOGIN_TRIES 3
#define KS_OTHER_ADDRESS_TRIES 6 /* 0.25 s doubling: about 16 s */

/* The gateway's X-CSTP-Disconnected-Timeout: how long it keeps a session without a
 * connection. Past it the cookie is dead; asking with it is pointless. */
static bool session_forgotten(const struct ks_session *s, time_t down_at, struct ks_error *e)
{
	int keep = s->params.disconnected_timeout;

	if (keep <= 0 || time(NULL) - down_at < keep)
		return false;
	ks_fail(e, -EACCES, "the gateway keeps a disconnected session %d s "
		"(X-CSTP-Disconnected-Timeout), and %ld s have passed", keep,
		(long)(time(NULL) - down_at));
	return true;
}

/* Milliseconds to wait before the next attempt: the backoff, but not past the moment the
 * gateway forgets the session (then a login again is the only way on). */
static int next_wait_ms(const struct ks_session *s, time_t down_at, int backoff_ms)
{
	int keep = s->params.disconnected_timeout;
	long left_ms = keep > 0 ? ((long)(down_at + keep - time(NULL))) * 1000 : backoff_ms;

	return left_ms > 0 && left_ms < backoff_ms ? (int)left_ms : backoff_ms;
}

static int reconnect(struct ks_session *s, time_t down_at, struct ks_error *e)
{
	time_t deadline = time(NULL) + s->o->reconnect_timeout_s;
	int wait_ms = 250, err = -ETIMEDOUT, relogins = 0, other_address = 0;

	for (int attempt = 1; time(NULL) < deadline; attempt++) {
		ks_warn("tunnel", "event=reconnecting attempt=%d", attempt);
		if (session_forgotten(s, down_at, e))
			err = -EACCES;
		else
			err = session_reconnect(s, e);
		if (err == -EACCES) { /* the gateway forgot the session: log in again, alone */
			char why[sizeof(e->msg)];

			snprintf(why, sizeof(why), "%s", e->msg);
			ks_warn("tunnel", "event=relogin reason=\"%s\"", esc(why));
			err = session_relogin(s, e);
			if (!err) /* a new session: the gateway's limits count from now */
				s->connected_at = time(NULL);
			if (err == -EPERM) /* a person is needed: as before, the session ends */
				err = ks_fail(e, -EACCES, "%.200s; %.100s", why, e->msg);
			/* A gateway just restarted may refuse a login it takes a moment later; the
			 * answers worked before. A few tries, not more (no account lock-out). */
			else if (err == -EACCES && ++relogins < KS_RELOGIN_TRIES)
				err = -EAGAIN;
		}
		/* Another address: the gateway still holds our old connection (its FIN or RST
		 * lost while the path was gone); it lets go of it soon. */
		if (err == -EADDRNOTAVAIL && ++other_address < KS_OTHER_ADDRESS_TRIES)
			err = -EAGAIN;
		if (!err) {
			s->path_changed = false;
			s->reconnects++;
			ks_info("tunnel", "event=reconnected attempt=%d reconnects=%u", attempt,
				s->reconnects);
			return 0;
		}
		ks_warn("tunnel", "event=reconnect_failed attempt=%d reason=\"%s\"", attempt,
			esc(e->msg));
		if (err == -EACCES || err == -EADDRNOTAVAIL || err == -EKEYREJECTED)
			return err;
		if (pause_for(s, next_wait_ms(s, down_at, wait_ms)))
			return -EINTR;
		wait_ms = s->path_changed ? 250 : wait_ms < 8000 ? wait_ms * 2 : 8000;
		s->path_changed = false;
	}
	return ks_fail(e, err, "reconnect: gave up after %d s: %s", s->o->reconnect_timeout_s,
		       e->msg);
}

/* The gateway ended the session: was it one of the timers it announced? Says so if it was. */
static bool ended_by_timer(const struct ks_session *s)
{
	const struct ks_cstp_params *p = &s->params;
	time_t now = time(NULL), idle = now - tunnel_last_data(s->tunnel);

	if (p->session_timeout > 0 && now - s->connected_at >= p->session_timeout) {
		/* How long a session may last (X-CSTP-Session-Timeout). */
		fprintf(stderr, "kslice: session ended by the gateway: its time limit of %d s "
				"was reached (%s); connect again to log in\n",
			p->session_timeout, tunnel_end_reason(s->tunnel));
		ks_info("tunnel", "event=session_timeout limit_s=%d", p->session_timeout);
		return true;
	}
	/* + 2: the data path notes the last packet once a second, in whole seconds. */
	if (p->idle_timeout > 0 && idle + 2 >= p->idle_timeout) {
		/* How long it lets a session carry no packet (X-CSTP-Idle-Timeout). */
		fprintf(stderr, "kslice: session ended by the gateway: no packet went through "
				"the tunnel for %ld s, and its idle limit is %d s (%s); connect "
				"again to log in\n", (long)idle, p->idle_timeout,
			tunnel_end_reason(s->tunnel));
		ks_info("tunnel", "event=idle_timeout limit_s=%d idle_s=%ld", p->idle_timeout,
			(long)idle);
		return true;
	}
	return false;
}

/* X-CSTP-Rekey-Method new-tunnel: CONNECT again with the cookie, no goodbye (that would
 * end the session at the gateway). The system stays as it is, the kill switch up: packets
 * wait in the TUN for the fraction of a second this takes. */
static int rekey_new_tunnel(struct ks_session *s, struct ks_error *e)
{
	int err = privsep_send_type(s->ps.fd, PS_REKEY);

	if (err)
		return ks_fail(e, err, "rekey: the monitor is gone");
	err = session_reconnect(s, e);
	if (err == -EINTR)
		return -EINTR;
	/* A stop that came meanwhile: the loop says goodbye on the new connection. */
	if (err) {
		ks_warn("tunnel", "event=rekey_failed method=new-tunnel reason=\"%s\"", esc(e->msg));
		return err;
	}
	s->ps.shared->c.rekeys++;
	s->ps.shared->c.last_rekey_at = time(NULL);
	ks_info("tunnel", "event=rekeyed method=new-tunnel next_in_s=%d", s->params.rekey_time);
	err = send_up(s, true);
	return err ? ks_fail(e, err, "rekey: telling the monitor: %s", strerror(-err)) : 0;
}

static int run_tunnel(struct ks_session *s, struct ks_error *e)
{
	struct ks_tunnel_cfg cfg = {
		.tun = &s->tun,
		.params = &s->params,
		.early = &s->early,
		.counters = &s->ps.shared->c,
		.watch_fd = s->ps.fd,
		.on_watch = on_monitor,
		.watch_ctx = s,
		.ready_fd = -1,
		.coalesce_us = s->o->coalesce_us,
		.want_udp = want_udp,
		.on_transport = on_transport,
	};
	enum ks_tunnel_end end;
	char last_cause[200];
	time_t down_at;
	int err;

	if (s->ps.ring_err) {
		ks_fail(e, s->ps.ring_err, "tunnel: io_uring setup: %s", strerror(-s->ps.ring_err));
		return KS_EXIT_ERROR;
	}
	cfg.ring = &s->ps.ring;
	for (;;) {
		if (s->o->force_dpd_s)
			s->params.dpd = s->o->force_dpd_s;
		cfg.ssl = s->ssl;
		cfg.tls_fd = s->fd;
		cfg.dtls = s->dtls_ready ? &s->dtls_keys : NULL;
		cfg.peer_v6 = strchr(s->peer_ip, ':') != NULL;
		on_transport(s, "tls", "", "");
		s->tunnel = tunnel_new(&cfg, e);
		if (!s->tunnel)
			return KS_EXIT_ERROR;
		publish(s, PS_STATE_CONNECTED);
		privsep_send_type(s->ps.fd, PS_READY);
		if (s->stop_requested) /* a stop that came before the loop */
			tunnel_stop(s->tunnel, "Client requested disconnect");
		end = tunnel_run(s->tunnel);
		ks_info("tunnel", "event=ended cause=%s reason=\"%s\" uptime_s=%ld",
			tunnel_end_name(end), esc(tunnel_end_reason(s->tunnel)),
			(long)(time(NULL) - s->connected_at));
		if (end == KS_END_REKEY && s->stop_requested) {
			/* A stop that met the rekey: the goodbye goes on the connection we still
			 * have (a new tunnel on it stops at once, as a stop before the loop). */
			err = tunnel_free(s->tunnel);
			s->tunnel = NULL;
			buf_free_secret(&s->early); /* its frames were taken already */
			if (!err)
				continue;
			ks_fail(e, err, "tunnel: io_uring requests would not end");
			return KS_EXIT_ERROR;
		}
		if (s->stop_requested || (end != KS_END_REKEY && (!s->o->reconnect_timeout_s ||
								  (end != KS_END_CLOSED && end != KS_END_DPD))))
			break;
		snprintf(last_cause, sizeof(last_cause), "%s: %s", tunnel_end_name(end),
			 tunnel_end_reason(s->tunnel));
		err = tunnel_free(s->tunnel);
		s->tunnel = NULL;
		if (err) {
			ks_fail(e, err, "tunnel: io_uring requests would not end");
			return KS_EXIT_ERROR;
		}
		down_at = time(NULL);
		if (end == KS_END_REKEY) {
			err = rekey_new_tunnel(s, e);
			if (!err)
				continue;
			if (err == -EINTR)
				return KS_EXIT_OK;
			if (!s->o->reconnect_timeout_s) { /* reconnects are off: so is this */
				fprintf(stderr, "kslice: session lost: %s\n", e->msg);
				return worker_exit_for(err);
			}
			snprintf(last_cause, sizeof(last_cause), "rekey: %.180s", e->msg);
		}
		publish(s, PS_STATE_RECONNECTING);
		/* Fail closed while there is no tunnel; the cause goes to status's history. */
		privsep_send_text(s->ps.fd, PS_DOWN, last_cause);
		err = reconnect(s, down_at, e);
		if (err == -EINTR)
			return KS_EXIT_OK;
		if (err == -EACCES) { /* a restarted gateway, or an expired session */
			fprintf(stderr, "kslice: session lost: the gateway no longer knows this "
					"session (restarted, or the session expired); connect again to "
					"log in (%s)\n", e->msg);
			ks_err("tunnel", "event=session_unknown reason=\"%s\"", esc(e->msg));
			return KS_EXIT_AUTH;
		}
		if (err) {
			fprintf(stderr, "kslice: session lost: %s\n", e->msg);
			return KS_EXIT_GATEWAY;
		}
		if (send_up(s, true))
			return KS_EXIT_ERROR;
	}
	switch (end) {
	case KS_END_LOCAL:
		return KS_EXIT_OK;
	case KS_END_GATEWAY_DISCONNECT:
	case KS_END_GATEWAY_TERMINATE:
		if (!ended_by_timer(s))
			fprintf(stderr, "kslice: session ended by the gateway: %s\n",
				tunnel_end_reason(s->tunnel));
		return KS_EXIT_GATEWAY;
	case KS_END_CLOSED: /* with reconnects off */
	case KS_END_DPD:
		fprintf(stderr, "kslice: session ended by the gateway: %s\n",
			tunnel_end_reason(s->tunnel));
		return KS_EXIT_GATEWAY;
	case KS_END_PROTOCOL:
		return KS_EXIT_PROTOCOL;
	default:
		return KS_EXIT_ERROR;
	}
}

/* Waits for the monitor's GO (the system is set up) or STOP; false if not going on. */
static bool wait_go(struct ks_session *s)
{
	char msg[512];
	uint32_t type;
	ssize_t n;

	for (;;) {
		n = privsep_recv(s->ps.fd, msg, sizeof(msg) - 1);
		if (n < 4)
			return false;
		memcpy(&type, msg, 4);
		if (type == PS_GO)
			return true;
		if (type == PS_STOP)
			return false;
	}
}

/* A failed login or CONNECT: said once, here; the exit code. */
static int login_failed(struct ks_session *s, int err, const struct ks_error *e,
			const char *event)
{
	int rc = worker_exit_for(err);

	if (err == -EKEYREJECTED) {
		print_cert_refusal(s, e->msg);
		return KS_EXIT_CERT;
	}
	fprintf(stderr, "kslice: %s\n", e->msg);
	ks_err("main", "event=%s exit=%d reason=\"%s\"", event, rc, esc(e->msg));
	return rc;
}

int worker_authenticate(struct ks_session *s)
{
	struct ks_error e = { 0 };
	int err;

	tls_set_proxy(&s->o->proxy, s->o->useragent);
	err = auth_login(s->o, s->ctx, &s->auth, &s->replay, &e);
	auth_replay_free(&s->replay); /* no second login: the answers go now */
	if (err)
		return login_failed(s, err, &e, "authenticate_failed");
	ks_info("auth", "event=login_ok user=\"%s\" gateway=%s", esc(s->o->user), s->o->host);
	auth_print_shell(s->o, &s->auth, stdout);
	return KS_EXIT_OK;
}

static int worker_run(struct ks_session *s)
{
	struct ks_error e = { 0 };
	int err, rc;

	if (s->o->authenticate)
		return worker_authenticate(s);
	err = session_establish(s, &e);
	if (err)
		return login_failed(s, err, &e, "connect_failed");
	s->connected_at = time(NULL);
	if (send_up(s, false) || !wait_go(s))
		return KS_EXIT_ERROR; /* the monitor said why, or is gone */
	rc = run_tunnel(s, &e);
	if (rc == KS_EXIT_ERROR && e.msg[0])
		ks_err("main", "event=failed reason=\"%s\"", esc(e.msg));
	return rc;
}

int worker_main(struct ks_session *s)
{
	struct ks_ps_end end = { .type = PS_END };

	mlock(&s->o->totp, sizeof(s->o->totp)); /* kept for reconnects: never swapped */
	mlock(s->o->passwd, sizeof(s->o->passwd));
	tls_set_socket_maker(socket_from_monitor, s);
	tls_set_watch(s->ps.fd, watch_monitor, s);
	tls_set_proxy(&s->o->proxy, s->o->useragent);
	worker_login_env(s);
	if (s->o->proxy.set)
		ks_info("main", "event=proxy proxy=%s from=%s dtls=no", s->o->proxy.shown,
			s->o->proxy_from);
	end.exit_code = s->o->cert ? worker_take_cert(s) : 0;
	if (!end.exit_code)
		end.exit_code = worker_run(s);
	privsep_send(s->ps.fd, &end, sizeof(end));
	tunnel_free(s->tunnel);
	s->tunnel = NULL;
	tls_free(s->ssl, s->fd);
	s->ssl = NULL;
	s->fd = -1;
	auth_replay_free(&s->replay); /* the kept answers: wiped */
	return end.exit_code;
}
