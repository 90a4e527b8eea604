// SPDX-License-Identifier: GPL-2.0-only
/* The worker's side of what the monitor does for a login: the client certificate's chain
 * and signatures (client_cert.h), and SAML's loopback listener and browser (sso.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_cert.h"
#include "exitcodes.h"
#include "key_proxy.h"
#include "log.h"
#include "sso.h"
#include "worker.h"

static int sign_by_monitor(void *ctx, enum ks_sign_kind kind, const uint8_t *in, size_t len,
			   uint8_t *out, size_t cap)
{
	struct ks_session *s = ctx;
	struct ks_ps_sign req = { .type = PS_SIGN, .kind = kind, .len = (uint32_t)len }, ans;
	uint8_t msg[sizeof(ans) + 1]; /* worker_await may write the NUL after a message */
	ssize_t n;
	int fd = -1, err;

	if (len > sizeof(req.data))
		return -EMSGSIZE;
	memcpy(req.data, in, len);
	err = privsep_send(s->ps.fd, &req, offsetof(struct ks_ps_sign, data) + len);
	n = err ? err : worker_await(s, PS_SIGN, msg, sizeof(msg), &fd);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return (int)n;
	memset(&ans, 0, sizeof(ans));
	memcpy(&ans, msg, (size_t)n < sizeof(ans) ? (size_t)n : sizeof(ans));
	if ((size_t)n < offsetof(struct ks_ps_sign, data) ||
	    ans.len > (size_t)n - offsetof(struct ks_ps_sign, data) || ans.len > cap)
		return -EPROTO;
	if (ans.err) /* the monitor logged why */
		return ans.err < 0 ? ans.err : -EPROTO;
	memcpy(out, ans.data, ans.len);
	return (int)ans.len;
}

int worker_take_cert(struct ks_session *s)
{
	size_t cap = 4 + KS_CERT_MSG_MAX + 1;
	uint8_t *msg = malloc(cap);
	ssize_t n;
	int fd = -1, err;

	if (!msg)
		return KS_EXIT_ERROR;
	n = worker_await(s, PS_CERT, msg, cap, &fd);
	if (fd >= 0)
		close(fd);
	err = n < 0 ? (int)n : key_proxy_install(s->ctx, msg + 4, (size_t)n - 4);
	free(msg);
	if (err == -EINTR)
		return KS_EXIT_AUTH; /* the monitor could not load it, and said why */
	if (err) {
		ks_err("auth", "event=client_cert_failed reason=\"the monitor's certificate "
		       "message: %s\"", strerror(-err));
		return KS_EXIT_ERROR;
	}
	key_proxy_set_signer(sign_by_monitor, s);
	return 0;
}

static int listen_by_monitor(void *ctx, int fds[2])
{
	struct ks_session *s = ctx;
	int err = privsep_send_type(s->ps.fd, PS_LISTEN), first = -EADDRINUSE;

	fds[0] = fds[1] = -1;
	for (int i = 0; !err && i < 2; i++) {
		struct ks_ps_listen ans;
		uint8_t msg[sizeof(ans) + 1];
		int fd = -1;
		ssize_t n = worker_await(s, PS_LISTEN, msg, sizeof(msg), &fd);

		if (n < 0)
			return (int)n;
		memcpy(&ans, msg, sizeof(ans) <= (size_t)n ? sizeof(ans) : 0);
		if ((size_t)n != sizeof(ans) || (ans.family != AF_INET && ans.family != AF_INET6)) {
			if (fd >= 0)
				close(fd);
			return -EPROTO;
		}
		if (ans.err || fd < 0) {
			first = ans.err < 0 ? ans.err : first;
			if (fd >= 0)
				close(fd);
			continue;
		}
		fds[ans.family == AF_INET6] = fd;
	}
	return err ? err : fds[0] >= 0 || fds[1] >= 0 ? 0 : first;
}

static int browse_by_monitor(void *ctx, const char *url)
{
	struct ks_session *s = ctx;
	size_t len = strlen(url);
	uint8_t *req = malloc(4 + len), msg[sizeof(struct ks_ps_listen) + 1];
	uint32_t type = PS_BROWSE;
	struct ks_ps_listen ans;
	int fd = -1, err;
	ssize_t n;

	if (!req)
		return -ENOMEM;
	memcpy(req, &type, 4);
	memcpy(req + 4, url, len);
	err = privsep_send(s->ps.fd, req, 4 + len);
	free(req);
	n = err ? err : worker_await(s, PS_BROWSE, msg, sizeof(msg), &fd);
	if (fd >= 0)
		close(fd);
	if (n < 0)
		return (int)n;
	if ((size_t)n != sizeof(ans))
		return -EPROTO;
	memcpy(&ans, msg, sizeof(ans));
	return ans.err;
}

void worker_login_env(struct ks_session *s)
{
	sso_set_env(listen_by_monitor, browse_by_monitor, s);
}
