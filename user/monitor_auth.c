// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "exitcodes.h"
#include "log.h"
#include "monitor.h"
#include "secret.h"
#include "sso.h"
#include "worker.h"

static int load_cert(struct ks_session *s, struct ks_error *e)
{
	const struct ks_connect_opts *o = s->o;
	struct ks_cert_source src = { .cert = o->cert, .key = o->sslkey,
				      .password = o->have_key_pass ? o->key_pass : NULL,
				      .may_prompt = !o->no_tty_prompt && !o->passwd_on_stdin &&
						    !o->cookie_on_stdin };
	long days;
	int err = client_cert_load(&s->cert, &src, e);

	opts_wipe_key_pass(s->o);
	if (err)
		return err;
	days = client_cert_days_left(&s->cert);
	ks_info("auth", "event=client_cert subject=\"%s\" days_left=%ld", esc(s->cert.subject),
		days);
	if (days < 0)
		fprintf(stderr, "kslice: warning: the client certificate %s expired %ld day%s ago; "
			"the gateway will likely refuse it\n", esc(s->cert.subject), -days,
			days == -1 ? "" : "s");
	else if (days < o->cert_warn_days)
		fprintf(stderr, "kslice: warning: the client certificate %s expires in %ld day%s\n",
			esc(s->cert.subject), days, days == 1 ? "" : "s");
	return 0;
}

int monitor_give_cert(struct ks_session *s, struct ks_error *e)
{
	size_t cap = 4 + KS_CERT_MSG_MAX, len = 4;
	uint32_t type = PS_CERT;
	uint8_t *msg;
	int err = load_cert(s, e);

	if (err)
		return err;
	msg = malloc(cap);
	if (!msg)
		return ks_fail(e, -ENOMEM, "certificate: out of memory");
	memcpy(msg, &type, 4);
	err = client_cert_encode(&s->cert, msg, cap, &len);
	if (err)
		err = ks_fail(e, err, "certificate: the chain is larger than %u bytes",
			      KS_CERT_MSG_MAX);
	else if ((err = privsep_send(s->ps.fd, msg, len)))
		err = ks_fail(e, err, "certificate: to the worker: %s", strerror(-err));
	free(msg);
	return err;
}

/* --key-password-on-stdin: stdin's first line. */
int monitor_read_key_pass(struct ks_connect_opts *o, struct ks_error *e)
{
	char *line = NULL;
	int err = auth_read_line(stdin, &line);

	if (err == -ENODATA)
		return ks_fail(e, -EINVAL, "--key-password-on-stdin: nothing on stdin");
	if (err)
		return ks_fail(e, err, "--key-password-on-stdin: %s", strerror(-err));
	if ((size_t)snprintf(o->key_pass, sizeof(o->key_pass), "%s", line) >= sizeof(o->key_pass))
		err = ks_fail(e, -E2BIG, "--key-password-on-stdin: longer than %zu bytes",
			      sizeof(o->key_pass) - 1);
	secret_free(line);
	o->have_key_pass = !err;
	return err;
}


/* Without root: the certificate's key goes into this process's TLS context. */
static int cert_here(struct ks_session *s, struct ks_error *e)
{
	int err = load_cert(s, e);

	if (err)
		return err;
	if (SSL_CTX_use_certificate(s->ctx, s->cert.cert) != 1 ||
	    SSL_CTX_use_PrivateKey(s->ctx, s->cert.key) != 1)
		return ks_fail(e, -ENOKEY, "certificate: %s", tls_last_error());
	for (int i = 0; i < sk_X509_num(s->cert.chain); i++)
		if (SSL_CTX_add1_chain_cert(s->ctx, sk_X509_value(s->cert.chain, i)) != 1)
			return ks_fail(e, -ENOKEY, "certificate: chain: %s", tls_last_error());
	return 0;
}

/* As root: the worker logs in (unprivileged, sandboxed) and prints; this process hands it
 * sockets and signatures until it ends. A signal ends it too. */
static int serve_login(struct ks_session *s, struct ks_error *e)
{
	uint8_t *msg = malloc(PS_MAX_MSG);
	sigset_t stop;
	int sig_fd, rc = KS_EXIT_ERROR;

	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	sig_fd = signalfd(-1, &stop, SFD_CLOEXEC);
	if (!msg || sig_fd < 0) {
		ks_fail(e, -errno, "authenticate: %s: %s", msg ? "signalfd" : "memory",
			strerror(errno));
		free(msg);
		return KS_EXIT_ERROR;
	}
	for (;;) {
		struct pollfd p[2] = { { .fd = s->ps.fd, .events = POLLIN },
				       { .fd = sig_fd, .events = POLLIN } };

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			privsep_send_text(s->ps.fd, PS_STOP, "Client received a signal");
			kill(s->ps.worker, SIGTERM);
			rc = KS_EXIT_ERROR;
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP)) && monitor_on_worker(s, msg, 0, &rc))
			break;
	}
	free(msg);
	close(sig_fd);
	return rc;
}

static int say_failed(const struct ks_error *e, int rc)
{
	fprintf(stderr, "kslice: %s\n", e->msg);
	ks_err("main", "event=authenticate_failed exit=%d reason=\"%s\"", rc, esc(e->msg));
	return rc;
}

int monitor_authenticate(struct ks_session *s, struct ks_error *e)
{
	int err;

	if (geteuid() != 0) { /* no privilege: nothing to separate */
		if (s->o->cert && (err = cert_here(s, e)))
			return say_failed(e, KS_EXIT_AUTH);
		return worker_authenticate(s);
	}
	err = privsep_fork(&s->ps, e);
	if (err == 0) {
		opts_wipe_key_pass(s->o);
		return worker_main(s);
	}
	if (err < 0)
		return say_failed(e, KS_EXIT_ERROR);
	s->login_only = true;
	opts_wipe_passwd(s->o);
	totp_wipe(&s->o->totp);
	if (s->o->cert && (err = monitor_give_cert(s, e))) {
		privsep_send_text(s->ps.fd, PS_STOP, "Client certificate not usable");
		return say_failed(e, KS_EXIT_AUTH);
	}
	err = serve_login(s, e);
	return err == KS_EXIT_ERROR && e->msg[0] ? say_failed(e, err) : err;
}

#define SSO_INTERVAL_MS 10000 /* at most one listener and one browser this often */

static double mono_now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1000 + (double)t.tv_nsec / 1e6;
}

/* Whom the browser runs as: the user behind sudo, else the worker's user; never root. */
static void browser_user(const struct ks_session *s, uid_t *uid, gid_t *gid)
{
	const char *u = getenv("SUDO_UID"), *g = getenv("SUDO_GID");
	unsigned long vu = u ? strtoul(u, NULL, 10) : 0, vg = g ? strtoul(g, NULL, 10) : 0;

	if (vu > 0 && vu < 0x7fffffff && vg > 0 && vg < 0x7fffffff) {
		*uid = (uid_t)vu;
		*gid = (gid_t)vg;
	} else {
		*uid = s->ps.uid;
		*gid = s->ps.gid;
	}
}

int monitor_sso(struct ks_session *s, uint32_t type, const uint8_t *msg, size_t n)
{
	struct ks_ps_listen ans = { .type = type };
	bool connecting = !s->split.started || s->worker_down;
	double now = mono_now_ms();

	if (!connecting || !s->o->external_browser)
		return -EPROTO;
	if (type == PS_LISTEN) {
		int fds[2];

		if (n != 4 || (s->sso_listen_ms && now - s->sso_listen_ms < SSO_INTERVAL_MS))
			return -EPROTO;
		s->sso_listen_ms = now;
		ans.err = sso_listen_loopback(fds);
		for (int i = 0; i < 2; i++) {
			ans.family = i ? AF_INET6 : AF_INET;
			privsep_send_fd(s->ps.fd, &ans, sizeof(ans), fds[i], MSG_DONTWAIT);
			if (fds[i] >= 0)
				close(fds[i]);
		}
		return 0;
	}
	{
		char url[4100];
		uid_t uid;
		gid_t gid;

		/* Only after a listener, once a while, and a URL fit for a browser (it is the
		 * gateway's choice: https, printable, no spaces). */
		if (n < 5 || n - 4 >= sizeof(url) || !s->sso_listen_ms ||
		    now - s->sso_listen_ms > 60000 ||
		    (s->sso_browse_ms && now - s->sso_browse_ms < SSO_INTERVAL_MS))
			return -EPROTO;
		memcpy(url, msg + 4, n - 4);
		url[n - 4] = 0;
		if (!sso_url_ok(url))
			return -EPROTO;
		s->sso_browse_ms = now;
		browser_user(s, &uid, &gid);
		ans.err = sso_spawn_browser(s->o->external_browser, url, uid, gid);
		ks_info("auth", "event=sso_browser_started uid=%u err=%d", (unsigned int)uid, ans.err);
		privsep_send_fd(s->ps.fd, &ans, sizeof(ans), -1, MSG_DONTWAIT);
		return 0;
	}
}
