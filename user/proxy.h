/* SPDX-License-Identifier: GPL-2.0-only */
/* An HTTP proxy between kslice and the gateway (--proxy, https_proxy): the TLS connection
 * goes through CONNECT, with Basic credentials if the URL has them. DTLS does not (a proxy
 * carries no UDP). */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"

#define KS_PROXY_HEAD_MAX 8192 /* the proxy's answer to CONNECT, head only */

struct ks_proxy {
	bool set;
	char host[256]; /* a name, or an address (IPv6 without brackets) */
	char port[6];
	char shown[300]; /* http://[user@]host:port: for logs and status, no password */
	/* "user:password" in base64 (Proxy-Authorization: Basic), or empty */
	char basic[700];
};

/* http://[user[:password]@]host[:port][/] (user and password percent-encoded; port 80 by
 * default). -EINVAL with e saying what is wrong. */
int proxy_parse(struct ks_proxy *p, const char *url, struct ks_error *e);
/* https_proxy, HTTPS_PROXY, all_proxy, ALL_PROXY (the first set), unless gateway_host
 * matches no_proxy/NO_PROXY (a comma list of names, domain suffixes, addresses, or "*").
 * 0 with p->set false when there is none; *from names the variable. */
int proxy_from_env(struct ks_proxy *p, const char *gateway_host, const char **from,
		   struct ks_error *e);
/* The CONNECT request for host:port. */
int proxy_request(const struct ks_proxy *p, const char *host, const char *port,
		  const char *useragent, struct ks_buf *out);
/* The answer's head (len bytes, up to and including the blank line): 0 for 2xx; -ENOKEY
 * for 407 or 401 (credentials wanted, or refused); -ECONNREFUSED for any other status;
 * -EBADMSG when it is not HTTP. */
int proxy_answer(const struct ks_proxy *p, const char *head, size_t len, const char *host,
		 const char *port, struct ks_error *e);
/* On fd, connected to the proxy (non-blocking): CONNECT host:port, and its answer's head
 * read, nothing after it, by end_ms (CLOCK_MONOTONIC). 0: fd now reaches the gateway. */
int proxy_open(const struct ks_proxy *p, int fd, const char *host, const char *port,
	       const char *useragent, int64_t end_ms, struct ks_error *e);
void proxy_wipe(struct ks_proxy *p);
