// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <poll.h>
#include <sys/socket.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "esc.h"
#include "proxy.h"
#include "tls.h"


static bool host_char_ok(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '.' || c == '_' || c == ':';
}

static int parse(struct ks_proxy *p, const char *url, char *pass, struct ks_error *e);

/* Messages quote the URL from its host on: the password before it is never shown. */
int proxy_parse(struct ks_proxy *p, const char *url, struct ks_error *e)
{
	char pass[256] = "";
	int err = parse(p, url, pass, e);

	OPENSSL_cleanse(pass, sizeof(pass));
	if (err)
		memset(p, 0, sizeof(*p));
	return err;
}

static int parse(struct ks_proxy *p, const char *url, char *pass, struct ks_error *e)
{
	const char *s = url, *at, *hp, *end, *colon;
	char user[256] = "", cred[520];
	size_t hl;
	long port = 80;

	memset(p, 0, sizeof(*p));
	if (!strncasecmp(s, "http://", 7))
		s += 7;
	else if (strstr(s, "://"))
		return ks_fail(e, -EINVAL, "proxy: '%.*s://': only http:// proxies are supported",
			       (int)(strstr(s, "://") - s < 16 ? strstr(s, "://") - s : 16), esc(s));
	end = s + strcspn(s, "/?#");
	if (*end && strcmp(end, "/"))
		return ks_fail(e, -EINVAL, "proxy: '%s': a path after the address", esc(end));
	at = memrchr(s, '@', (size_t)(end - s));
	hp = at ? at + 1 : s;
	if (at) {
		const char *c = memchr(s, ':', (size_t)(at - s));
		size_t ul = c ? (size_t)(c - s) : (size_t)(at - s);

		if (esc_url_decode(s, ul, user, sizeof(user), false) ||
		    (c && esc_url_decode(c + 1, (size_t)(at - c - 1), pass, 256, false)))
			return ks_fail(e, -EINVAL, "proxy: bad user or password in the URL "
				       "(percent-encode ':', '@', '/'; no control characters)");
	}
	if (*hp == '[') { /* [v6]:port */
		const char *rb = memchr(hp, ']', (size_t)(end - hp));

		if (!rb)
			return ks_fail(e, -EINVAL, "proxy: '%s': no ']'", esc(hp));
		hl = (size_t)(rb - hp - 1);
		memcpy(p->host, hp + 1, hl < sizeof(p->host) ? hl : 0);
		colon = rb + 1 < end && rb[1] == ':' ? rb + 1 : NULL;
		if (rb + 1 < end && !colon)
			return ks_fail(e, -EINVAL, "proxy: '%s': what follows ']'", esc(hp));
	} else {
		colon = memchr(hp, ':', (size_t)(end - hp));
		hl = (size_t)((colon ? colon : end) - hp);
		memcpy(p->host, hp, hl < sizeof(p->host) ? hl : 0);
	}
	if (!hl || hl >= sizeof(p->host))
		return ks_fail(e, -EINVAL, "proxy: '%s': no host, or a host too long", esc(hp));
	p->host[hl] = 0;
	for (size_t i = 0; i < hl; i++)
		if (!host_char_ok(p->host[i]))
			return ks_fail(e, -EINVAL, "proxy: '%s': character %zu of the host", esc(hp),
				       i);
	if (colon) {
		char *pe;

		port = strtol(colon + 1, &pe, 10);
		if (pe != end || colon + 1 == end || port < 1 || port > 65535)
			return ks_fail(e, -EINVAL, "proxy: '%s': the port is not 1..65535", esc(hp));
	}
	snprintf(p->port, sizeof(p->port), "%ld", port);
	snprintf(p->shown, sizeof(p->shown), "http://%s%s%s%s%s:%ld", esc(user), *user ? "@" : "",
		 strchr(p->host, ':') ? "[" : "", p->host, strchr(p->host, ':') ? "]" : "", port);
	if (at) {
		int n = snprintf(cred, sizeof(cred), "%s:%s", user, pass);

		EVP_EncodeBlock((unsigned char *)p->basic, (unsigned char *)cred, n);
		OPENSSL_cleanse(cred, sizeof(cred));
	}
	p->set = true;
	return 0;
}

/* no_proxy: "*", or entries each matching the host itself or (".example.com" or
 * "example.com") a name under it. */
static bool bypassed(const char *list, const char *host)
{
	char item[256];
	size_t hl = strlen(host);

	for (const char *s = list; *s;) {
		size_t n = strcspn(s, ", \t");

		if (n && n < sizeof(item)) {
			size_t il;

			memcpy(item, s, n);
			item[n] = 0;
			il = strlen(item);
			if (!strcmp(item, "*"))
				return true;
			if (item[0] == '.')
				memmove(item, item + 1, il--);
			if (il && (!strcasecmp(host, item) ||
				   (hl > il && host[hl - il - 1] == '.' &&
				    !strcasecmp(host + hl - il, item))))
				return true;
		}
		s += n;
		s += strspn(s, ", \t");
	}
	return false;
}

int proxy_from_env(struct ks_proxy *p, const char *gateway_host, const char **from,
		   struct ks_error *e)
{
	static const char *const vars[] = { "https_proxy", "HTTPS_PROXY", "all_proxy",
					    "ALL_PROXY" };
	const char *no = getenv("no_proxy") ? getenv("no_proxy") : getenv("NO_PROXY");

	memset(p, 0, sizeof(*p));
	*from = NULL;
	for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
		const char *v = getenv(vars[i]);

		if (!v || !*v)
			continue;
		*from = vars[i];
		if (no && bypassed(no, gateway_host))
			return 0;
		return proxy_parse(p, v, e) ? ks_fail(e, -EINVAL, "%s: %s", vars[i], e->msg) : 0;
	}
	return 0;
}

int proxy_request(const struct ks_proxy *p, const char *host, const char *port,
		  const char *useragent, struct ks_buf *out)
{
	bool v6 = strchr(host, ':') != NULL;

	buf_printf(out, "CONNECT %s%s%s:%s HTTP/1.1\r\nHost: %s%s%s:%s\r\n", v6 ? "[" : "", host,
		   v6 ? "]" : "", port, v6 ? "[" : "", host, v6 ? "]" : "", port);
	if (useragent)
		buf_printf(out, "User-Agent: %s\r\n", useragent);
	if (p->basic[0])
		buf_printf(out, "Proxy-Authorization: Basic %s\r\n", p->basic);
	buf_printf(out, "Proxy-Connection: keep-alive\r\n\r\n");
	return out->err;
}

int proxy_answer(const struct ks_proxy *p, const char *head, size_t len, const char *host,
		 const char *port, struct ks_error *e)
{
	char reason[96] = "";
	size_t eol = 0;
	int status = 0;

	while (eol < len && head[eol] != '\r' && head[eol] != '\n')
		eol++;
	if (eol < 12 || strncmp(head, "HTTP/1.", 7) || (head[7] != '0' && head[7] != '1') ||
	    head[8] != ' ' || !isdigit((unsigned char)head[9]) ||
	    !isdigit((unsigned char)head[10]) || !isdigit((unsigned char)head[11]) ||
	    (eol > 12 && head[12] != ' '))
		return ks_fail(e, -EBADMSG, "proxy %s: its answer to CONNECT is not HTTP",
			       p->shown);
	status = (head[9] - '0') * 100 + (head[10] - '0') * 10 + (head[11] - '0');
	if (eol > 13)
		esc_controls(reason, sizeof(reason), head + 13, eol - 13);
	if (status >= 200 && status < 300)
		return 0;
	/* 407; tinyproxy answers wrong credentials with 401. */
	if (status == 407 || status == 401)
		return ks_fail(e, -ENOKEY, "proxy %s: %s (%d %s)", p->shown,
			       p->basic[0] ? "refused the credentials" :
					     "wants credentials: http://USER:PASSWORD@host:port",
			       status, reason);
	return ks_fail(e, -ECONNREFUSED, "proxy %s refused CONNECT to %s:%s: %d %s", p->shown,
		       host, port, status, reason);
}

/* Does buf[0..n) end with the blank line that ends a head? */
static bool head_done(const char *buf, size_t n)
{
	return (n >= 2 && !memcmp(buf + n - 2, "\n\n", 2)) ||
	       (n >= 4 && !memcmp(buf + n - 4, "\r\n\r\n", 4));
}

int proxy_open(const struct ks_proxy *p, int fd, const char *host, const char *port,
	       const char *useragent, int64_t end_ms, struct ks_error *e)
{
	struct ks_buf req = { 0 };
	char head[KS_PROXY_HEAD_MAX];
	size_t sent = 0, have = 0;
	bool end = false;
	int err = proxy_request(p, host, port, useragent, &req);

	while (!err && sent < req.len) {
		ssize_t n = send(fd, req.data + sent, req.len - sent, MSG_NOSIGNAL);

		if (n > 0)
			sent += (size_t)n;
		else if (n < 0 && errno != EAGAIN && errno != EINTR)
			err = ks_fail(e, -errno, "proxy %s: sending CONNECT: %s", p->shown,
				      strerror(errno));
		else
			err = tls_wait_fd(fd, POLLOUT, end_ms);
	}
	buf_free_secret(&req); /* it carried the credentials */
	/* A byte at a time up to the blank line (a hundred or so): the gateway's TLS bytes
	 * that may follow are not ours to take. */
	while (!err && !end) {
		ssize_t n = recv(fd, head + have, 1, 0);

		if (n == 0)
			return ks_fail(e, -ECONNRESET, "proxy %s closed the connection before "
				       "answering CONNECT", p->shown);
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return ks_fail(e, -errno, "proxy %s: %s", p->shown, strerror(errno));
		if (n < 0) {
			err = tls_wait_fd(fd, POLLIN, end_ms);
			continue;
		}
		end = head_done(head, ++have);
		if (!end && have == sizeof(head))
			return ks_fail(e, -EMSGSIZE, "proxy %s: its answer's head is longer than %d "
				       "bytes", p->shown, KS_PROXY_HEAD_MAX);
	}
	if (err == -ETIMEDOUT)
		return -ETIMEDOUT; /* tls_connect says what was waited for */
	if (err)
		return ks_fail(e, err, "proxy %s: %s", p->shown,
			       err == -EINTR ? "stopped" : "the network path changed");
	return proxy_answer(p, head, have, host, port, e);
}

void proxy_wipe(struct ks_proxy *p)
{
	OPENSSL_cleanse(p, sizeof(*p));
}
