// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "esc.h"
#include "ctl.h"
#include "http.h"
#include "log.h"
#include "session.h"
#include "json.h"
#include "split_report.h"
#include "status.h"

static void peer_address(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	out[0] = 0;
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)len);
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
	err = cstp_build_connect(&req, host, o->useragent, s->auth.cookie, hostname, o->ipv6,
				 o->compress != KS_COMPRESS_NONE, 1500);
	if (!err)
		err = http_roundtrip(s->ssl, &req, true, &resp, &s->early, e);
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
	http_resp_free(&resp);
	if (!err)
		peer_address(s->fd, s->peer_ip, sizeof(s->peer_ip));
	return err;
}

int session_establish(struct ks_session *s, struct ks_error *e)
{
	int err;

	s->ctx = tls_ctx_new(&s->o->trust, e);
	if (!s->ctx)
		return -EINVAL;
	if (s->o->cookie_on_stdin) {
		err = auth_cookie_from(stdin, &s->auth, e);
	} else {
		err = auth_login(s->o, s->ctx, &s->auth, e);
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
		return err;
	}
	cstp_params_free(&old);
	s->reconnects++;
	return 0;
}

static void reply_result(struct ks_buf *reply, int err, const char *msg)
{
	struct ks_json j;

	json_init(&j, reply);
	json_obj_open(&j, NULL);
	json_bool(&j, "ok", !err);
	if (err)
		json_str(&j, "error", msg);
	json_obj_close(&j);
	buf_putc(reply, '\n');
}

/* "route add include|exclude PREFIX", "route del include|exclude|any PREFIX". */
static void route_change(struct ks_session *s, const char *req, struct ks_buf *reply)
{
	char verb[4], set[8], arg[128], a[64];
	struct ks_error e = { 0 };
	struct ks_prefix p;
	int err = 0, gone = 0;

	if (sscanf(req, "route %3s %7s %127s", verb, set, arg) != 3 ||
	    (strcmp(verb, "add") && strcmp(verb, "del")) ||
	    (strcmp(set, "include") && strcmp(set, "exclude") && strcmp(set, "any"))) {
		reply_result(reply, -EINVAL, "malformed route request");
		return;
	}
	err = opts_parse_prefix("route", arg, &p, &e);
	if (!err && !s->split.started)
		err = ks_fail(&e, -ENOTCONN, "split tunneling is not active");
	if (!err && !strcmp(verb, "add")) {
		err = split_prefix_add(&s->split, &p, !strcmp(set, "exclude"), KS_ORIGIN_RUNTIME);
		if (err)
			ks_fail(&e, err, "route: cannot add %s: %s", arg,
				err == -E2BIG ? "map full" : strerror(-err));
	} else if (!err) {
		if (strcmp(set, "exclude"))
			gone += !split_prefix_del(&s->split, &p, false);
		if (strcmp(set, "include"))
			gone += !split_prefix_del(&s->split, &p, true);
		if (!gone)
			err = ks_fail(&e, -ENOENT, "route: %s is not in the %s set",
				      prefix_str(&p, a, sizeof(a)),
				      strcmp(set, "any") ? set : "include or exclude");
	}
	if (!err)
		ks_info("ctl", "event=route_%s set=%s prefix=%s", verb, set,
			prefix_str(&p, a, sizeof(a)));
	reply_result(reply, err, e.msg);
}

/* {"version":1, <one report object>} */
static void reply_report(const struct ks_session *s, struct ks_buf *reply,
			 void (*report)(const struct ks_split_state *, struct ks_json *))
{
	struct ks_json j;

	json_init(&j, reply);
	json_obj_open(&j, NULL);
	json_u64(&j, "version", 1);
	report(&s->split, &j);
	json_obj_close(&j);
	buf_putc(reply, '\n');
}

static void route_list(struct ks_session *s, bool json, struct ks_buf *reply)
{
	if (json)
		reply_report(s, reply, split_report_json);
	else
		split_report_routes(&s->split, reply);
}

/* "domain add tunnel|learn|exclude DOMAIN", "domain del DOMAIN". */
static void domain_change(struct ks_session *s, const char *req, struct ks_buf *reply)
{
	char verb[4], kind[8], arg[KS_DOMAIN_TEXT_MAX + 8], norm[KS_DOMAIN_TEXT_MAX];
	struct ks_error e = { 0 };
	const char *why = "";
	uint32_t flags;
	int err;

	if (sscanf(req, "domain add %7s %260s", kind, arg) == 2) {
		snprintf(verb, sizeof(verb), "add");
	} else if (sscanf(req, "domain del %260s", arg) == 1) {
		snprintf(verb, sizeof(verb), "del");
		kind[0] = 0;
	} else {
		reply_result(reply, -EINVAL, "malformed domain request");
		return;
	}
	flags = !strcmp(kind, "tunnel")	 ? KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE
		: !strcmp(kind, "learn") ? KS_DOMAIN_TUNNEL
		: !strcmp(kind, "exclude") ? KS_DOMAIN_EXCLUDE
					   : 0;
	err = dns_domain_normalize(arg, norm, &why);
	if (err)
		ks_fail(&e, err, "domain: '%.80s' is not a domain name: %s", arg, why);
	else if (!s->split.dns.on)
		err = ks_fail(&e, -ENOTCONN, "DNS learning is off (--dns off)");
	else if (verb[0] == 'a' && !flags)
		err = ks_fail(&e, -EINVAL, "malformed domain request");
	else if (verb[0] == 'a' && (err = dns_domain_add(&s->split, norm, flags, KS_ORIGIN_RUNTIME)))
		ks_fail(&e, err, "domain: cannot add %s: %s", norm,
			err == -EEXIST ? "it is there with the opposite action (del it first)"
			: err == -E2BIG ? "map full" : strerror(-err));
	else if (verb[0] == 'd' && (err = dns_domain_del(&s->split, norm)))
		ks_fail(&e, err, "domain: %s is not a corporate domain", norm);
	if (!err)
		ks_info("ctl", "event=domain_%s domain=%s", verb, norm);
	reply_result(reply, err, e.msg);
}

static void domain_list(struct ks_session *s, const char *how, struct ks_buf *reply)
{
	if (!strcmp(how, "json"))
		reply_report(s, reply, dns_report_json);
	else
		dns_report_list(&s->split, !strcmp(how, "learned"), reply);
}

void session_on_client(void *ctx, int fd)
{
	struct ks_session *s = ctx;
	struct ks_buf reply = { 0 };
	char line[CTL_MAX_REQUEST];
	unsigned int uid;

	if (ctl_read_request(fd, line, sizeof(line), &uid)) {
		close(fd);
		return;
	}
	if (!strcmp(line, "status") || !strcmp(line, "status json")) {
		status_json(s, &reply);
	} else if (!strcmp(line, "status text")) {
		status_text(s, &reply);
	} else if (!strcmp(line, "route list") || !strcmp(line, "route list json")) {
		route_list(s, !strcmp(line, "route list json"), &reply);
	} else if (!strncmp(line, "domain list", 11)) {
		domain_list(s, line[11] == ' ' ? line + 12 : "", &reply);
	} else if ((!strncmp(line, "route ", 6) || !strncmp(line, "domain ", 7) ||
		    !strcmp(line, "disconnect")) && uid != 0 && uid != getuid()) {
		/* Changes: root or the daemon's own user only. */
		reply_result(&reply, -EPERM, "permission denied");
	} else if (!strncmp(line, "route ", 6)) {
		route_change(s, line, &reply);
	} else if (!strncmp(line, "domain ", 7)) {
		domain_change(s, line, &reply);
	} else if (!strcmp(line, "disconnect")) {
		buf_printf(&reply, "{\"ok\":true,\"pid\":%d}\n", (int)getpid());
		ks_info("ctl", "event=disconnect_requested uid=%u", uid);
		if (s->tunnel)
			tunnel_stop(s->tunnel, "Client requested disconnect");
		else
			s->stop_requested = true; /* between reconnect attempts */
	} else {
		buf_printf(&reply, "{\"ok\":false,\"error\":\"unknown request\"}\n");
	}
	ctl_write_reply(fd, &reply);
	buf_free(&reply);
	close(fd);
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
		stats_bpf_detach(&s->bpf);
	s->bpf_ok = false;
	pin_dir_close(&s->pins);
	tun_close(&s->tun);
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
}
