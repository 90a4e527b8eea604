// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <strings.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esc.h"
#include "ctl.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include <openssl/crypto.h>
#include <openssl/rand.h>

/* The address of the connection's far end (local: of this end) as text. */
/* Whether this CONNECT's answer allows DTLS, and its keys (exported from this TLS
 * session, or the secret the CONNECT carried). Without them, data goes over TLS. */
static void dtls_keys(struct ks_session *s)
{
	struct ks_error e = { 0 };

	s->dtls_ready = false;
	if (s->o->no_dtls)
		return;
	if (!cstp_offer_allows(s->o->compress, s->params.dtls_codec))
		ks_fail(&e, -ENOTSUP,
			"the gateway chose %s compression for DTLS, which kslice "
			"did not offer",
			cstp_codec_name(s->params.dtls_codec));
	else if (!dtls_keys_from(&s->params, s->ssl, s->dtls_secret, s->o->dtls_suites,
				 &s->dtls_keys, &e))
		s->dtls_ready = true;
	if (!s->dtls_ready)
		ks_info("dtls", "event=not_used reason=\"%s\"", esc(e.msg));
}

/* The path MTU TCP uses to the gateway (the route's, or less once the path said so), as
 * openconnect reads it: 0 if unknown. */
static int tcp_path_mtu(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) || len < sizeof(ti))
		return 0;
	return ti.tcpi_pmtu > 65535 ? 0 : (int)ti.tcpi_pmtu;
}

static int cstp_connect(struct ks_session *s, struct ks_error *e)
{
	struct ks_connect_opts *o = s->o;
	struct ks_buf req = { 0 };
	struct ks_http_resp resp = { 0 };
	char hostname[64] = "kslice", host[300];
	struct ks_tls_peer peer;
	const char *why;
	int err;

	err = tls_connect(s->ctx, &o->trust, o->host, o->port, o->timeout_s, &s->ssl, &s->fd,
			  &peer, e);
	if (err)
		return err;
	ks_dbg("tls", "event=connected version=%s cipher=%s", SSL_get_version(s->ssl),
	       SSL_get_cipher_name(s->ssl));
	gethostname(hostname, sizeof(hostname) - 1);
	auth_host_header(o, host, sizeof(host));
	/* A fresh legacy master secret for every CONNECT (it keys that session's DTLS). */
	if (!o->no_dtls && RAND_bytes(s->dtls_secret, sizeof(s->dtls_secret)) != 1)
		return ks_fail(e, -EIO, "dtls: no random bytes for the master secret");
	/* The gateway sizes the tunnel and its DTLS records for the base MTU we announce:
	 * the path's, so that over a PPPoE or tunnelled uplink records arrive whole (TLS
	 * alone needs no such care: 1500). Once per session: a reconnect over another path
	 * announces the same, or the gateway would answer another tunnel MTU, which
	 * session_reconnect refuses (the TUN keeps its MTU); records follow the new route
	 * there through the UDP socket's own MTU (dtls_set_path_mtu). */
	if (!s->base_mtu) {
		int path = o->no_dtls ? 0 : tcp_path_mtu(s->fd);

		s->base_mtu = cstp_base_mtu(path);
		ks_dbg("cstp", "event=base_mtu path=%d announced=%d", path, s->base_mtu);
	}
	err = cstp_build_connect(&req, host, o->useragent, s->auth.cookie, hostname, o->ipv6,
				 o->compress, s->base_mtu, o->no_dtls ? NULL : s->dtls_secret,
				 o->dtls_suites);
	/* STRAP: after a login with keys, the CONNECT proves them (and moves to a new one). */
	if (!err && strap_ready(&s->auth.strap) && req.len >= 2) {
		req.len -= 2; /* the blank line, put back after */
		err = strap_connect_headers(&s->auth.strap, s->ssl, &req);
		buf_printf(&req, "\r\n");
		if (err)
			err = ks_fail(e, err, "cstp: cannot sign the STRAP verification");
	}
	if (!err)
		err = http_roundtrip(s->ssl, &req, true, o->timeout_s, &resp, &s->early, e);
	buf_free_secret(&req);
	if (err)
		return err;
	if (resp.status != 200) {
		why = http_header(&resp, "X-Reason");
		if (resp.status == 401 || resp.status == 403)
			err = ks_fail(e, -EACCES, "cstp: gateway refused the session cookie: %d %s%s%s",
				      resp.status, resp.reason, why ? ": " : "", why ? why : "");
		else
			err = ks_fail(e, -EPROTO, "cstp: CONNECT answered %d %s%s%s", resp.status,
				      resp.reason, why ? ": " : "", why ? why : "");
		http_resp_free(&resp);
		return err;
	}
	err = cstp_parse_response(&resp, &s->params, e);
	if (!err && !s->params.base_mtu) /* the gateway said none: what we announced */
		s->params.base_mtu = s->base_mtu;
	if (!err && !cstp_offer_allows(o->compress, s->params.codec))
		err = ks_fail(e, -EPROTO, "cstp: the gateway chose %s compression, which kslice "
			      "did not offer (--compression)", cstp_codec_name(s->params.codec));
	free(s->connect_head);
	s->connect_head = err ? NULL : http_head_text(&resp);
	if (!err && !s->connect_head)
		err = -ENOMEM;
	http_resp_free(&resp);
	if (!err) {
		tls_peer_address(s->fd, false, s->peer_ip, sizeof(s->peer_ip));
		tls_peer_address(s->fd, true, s->local_ip, sizeof(s->local_ip));
		dtls_keys(s);
	}
	return err;
}

int session_establish(struct ks_session *s, struct ks_error *e)
{
	int err;

	if (!s->ctx)
		s->ctx = tls_ctx_new(&s->o->trust, e);
	if (!s->ctx)
		return -EINVAL;
	if (s->o->cookie_on_stdin) {
		err = auth_cookie_from(stdin, &s->auth, e);
	} else {
		err = auth_login(s->o, s->ctx, &s->auth, &s->replay, e);
		if (!err)
			ks_info("auth", "event=login_ok user=\"%s\" gateway=%s", esc(s->o->user),
				s->o->host);
	}
	if (err)
		return err;
	if (s->auth.banner)
		ks_info("auth", "event=banner text=\"%s\"", esc(s->auth.banner));
	return cstp_connect(s, e);
}

int session_reconnect(struct ks_session *s, struct ks_error *e)
{
	struct ks_cstp_params old = s->params;
	int err;

	if (!s->auth.cookie) /* a login again that failed on the way: no cookie to offer */
		return ks_fail(e, -EACCES, "reconnect: no session cookie");
	tls_free(s->ssl, s->fd);
	s->ssl = NULL;
	s->fd = -1;
	buf_free_secret(&s->early);
	memset(&s->params, 0, sizeof(s->params));
	err = cstp_connect(s, e);
	if (!err && (old.have4 != s->params.have4 ||
		     (old.have4 && old.addr4.s_addr != s->params.addr4.s_addr) ||
		     old.have6 != s->params.have6 ||
		     (old.have6 && memcmp(&old.addr6, &s->params.addr6, sizeof(old.addr6))) ||
		     old.mtu != s->params.mtu))
		err = ks_fail(e, -EADDRNOTAVAIL,
			      "reconnect: the gateway assigned another address or MTU");
	if (err) {
		cstp_params_free(&s->params);
		s->params = old;
		/* A session on another address is not ours to keep: let the gateway free it. */
		tls_free(s->ssl, s->fd);
		s->ssl = NULL;
		s->fd = -1;
		return err;
	}
	cstp_params_free(&old);
	return 0;
}

int session_relogin(struct ks_session *s, struct ks_error *e)
{
	struct ks_tls_peer peer = s->auth.peer;
	int err;

	if (s->o->cookie_on_stdin || !auth_replay_possible(&s->replay))
		return ks_fail(e, -EPERM, "logging in again needs a person (%s)",
			       s->o->cookie_on_stdin ? "the cookie came from stdin" :
						       "the first login asked on the terminal");
	auth_result_free(&s->auth);
	s->replay.replaying = true;
	err = auth_login(s->o, s->ctx, &s->auth, &s->replay, e);
	if (err) {
		s->auth.peer = peer; /* what status shows of the gateway */
		return err;
	}
	ks_info("auth", "event=relogin_ok user=\"%s\" gateway=%s", esc(s->o->user), s->o->host);
	return session_reconnect(s, e);
}

void session_on_tick(void *ctx)
{
	struct ks_session *s = ctx;

	split_tick(&s->split);
}

void session_close(struct ks_session *s)
{
	tunnel_free(s->tunnel);
	s->tunnel = NULL;
	split_stop(&s->split);
	preload_free(&s->preload);
	if (s->bpf_ok)
		tun_stats_detach(&s->bpf);
	s->bpf_ok = false;
	pin_dir_close(&s->pins);
	if (s->ps.worker > 0)
		tun_delete(&s->tun);
	else
		tun_close(&s->tun);
	ctl_server_free(s->ctl);
	s->ctl = NULL;
	ctl_unlisten(s->ctl_fd, s->ctl_path);
	s->ctl_fd = -1;
	tls_free(s->ssl, s->fd);
	s->ssl = NULL;
	s->fd = -1;
	SSL_CTX_free(s->ctx);
	s->ctx = NULL;
	cstp_params_free(&s->params);
	auth_result_free(&s->auth);
	buf_free_secret(&s->early);
	free(s->connect_head);
	s->connect_head = NULL;
	OPENSSL_cleanse(s->dtls_secret, sizeof(s->dtls_secret));
	OPENSSL_cleanse(&s->dtls_keys, sizeof(s->dtls_keys));
	client_cert_free(&s->cert);
	privsep_close(&s->ps);
}
