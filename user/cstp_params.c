// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esc.h"
#include "cstp_params.h"
#include "dns_name.h"
#include "dtls_suites.h"
#include "xml.h"
#include "log.h"

const char *cstp_codec_name(enum ks_codec c)
{
	static const char *const names[] = { "none", "deflate", "oc-lz4", "lzs" };

	return (unsigned int)c < sizeof(names) / sizeof(names[0]) ? names[c] : "?";
}

bool cstp_offer_allows(enum ks_offer offer, enum ks_codec codec)
{
	switch (codec) {
	case KS_CODEC_NONE:
		return true;
	case KS_CODEC_DEFLATE:
		return offer == KS_OFFER_ALL || offer == KS_OFFER_DEFLATE;
	case KS_CODEC_LZ4:
		return offer == KS_OFFER_ALL || offer == KS_OFFER_STATELESS || offer == KS_OFFER_LZ4;
	case KS_CODEC_LZS:
		return offer == KS_OFFER_ALL || offer == KS_OFFER_STATELESS || offer == KS_OFFER_LZS;
	}
	return false;
}

static void dtls_headers(struct ks_buf *req, enum ks_offer offer, const uint8_t *secret,
			 uint32_t suites)
{
	/* Deflate is CSTP's only: a datagram lost would break its stream. */
	static const char *const accept[] = {
		[KS_OFFER_STATELESS] = "oc-lz4,lzs",
		[KS_OFFER_ALL] = "oc-lz4,lzs",
		[KS_OFFER_LZ4] = "oc-lz4",
		[KS_OFFER_LZS] = "lzs",
	};

	buf_printf(req, "X-DTLS-Master-Secret: ");
	for (int i = 0; i < 48; i++)
		buf_printf(req, "%02X", secret[i]);
	buf_printf(req, "\r\n");
	dtls_suites_offer(req, suites);
	if ((size_t)offer < sizeof(accept) / sizeof(accept[0]) && accept[offer])
		buf_printf(req, "X-DTLS-Accept-Encoding: %s\r\n", accept[offer]);
}

int cstp_base_mtu(int route_mtu)
{
	if (route_mtu <= 0 || route_mtu > CSTP_BASE_MTU)
		return CSTP_BASE_MTU;
	return route_mtu < CSTP_MIN_MTU + CSTP_MTU_OVERHEAD ? CSTP_MIN_MTU + CSTP_MTU_OVERHEAD
							    : route_mtu;
}

int cstp_build_connect(struct ks_buf *req, const char *host_header, const char *useragent,
		       const char *cookie, const char *hostname, bool ipv6, enum ks_offer offer,
		       int base_mtu, const uint8_t *dtls_secret, uint32_t dtls_suites)
{
	/* In kslice's order of preference: LZ4 costs a fraction of deflate's CPU. */
	static const char *const accept[] = {
		[KS_OFFER_STATELESS] = "oc-lz4,lzs",
		[KS_OFFER_ALL] = "oc-lz4,lzs,deflate;q=0.9",
		[KS_OFFER_LZ4] = "oc-lz4",
		[KS_OFFER_LZS] = "lzs",
		[KS_OFFER_DEFLATE] = "deflate",
	};

	buf_printf(req, "CONNECT /CSCOSSLC/tunnel HTTP/1.1\r\n");
	buf_printf(req, "Host: %s\r\nUser-Agent: %s\r\n", host_header, useragent);
	buf_printf(req, "Cookie: webvpn=%s\r\n", cookie);
	buf_printf(req, "X-CSTP-Version: 1\r\nX-CSTP-Hostname: %s\r\n", hostname);
	if (offer != KS_OFFER_NONE)
		buf_printf(req, "X-CSTP-Accept-Encoding: %s\r\n", accept[offer]);
	buf_printf(req, "X-CSTP-Base-MTU: %d\r\nX-CSTP-MTU: %d\r\n", base_mtu,
		   base_mtu - CSTP_MTU_OVERHEAD);
	buf_printf(req, "X-CSTP-Address-Type: %s\r\n", ipv6 ? "IPv6,IPv4" : "IPv4");
	if (dtls_secret)
		dtls_headers(req, offer, dtls_secret, dtls_suites);
	if (ipv6)
		buf_printf(req, "X-CSTP-Full-IPv6-Capability: true\r\n");
	buf_printf(req, "X-AnyConnect-Platform: linux-64\r\n\r\n");
	return req->err;
}

static int parse_int(const char *s, int min, int max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -EINVAL;
	*out = (int)v;
	return 0;
}

static int push_prefix(struct ks_prefix **arr, size_t *n, const struct ks_prefix *p)
{
	struct ks_prefix *na;

	if (*n >= CSTP_MAX_SPLIT)
		return -E2BIG;
	if ((*n & (*n - 1)) == 0) { /* grow at powers of two */
		na = realloc(*arr, (*n ? *n * 2 : 16) * sizeof(**arr));
		if (!na)
			return -ENOMEM;
		*arr = na;
	}
	(*arr)[(*n)++] = *p;
	return 0;
}

static int push_domains(struct ks_cstp_params *p, char ***list, size_t *n, const char *value,
			const char *hdr)
{
	char *copy = strdup(value), *save = NULL;

	if (!copy)
		return -ENOMEM;
	for (char *d = strtok_r(copy, " ,\t\r\n", &save); d; d = strtok_r(NULL, " ,\t\r\n", &save)) {
		char **na, norm[KS_DOMAIN_TEXT_MAX];
		const char *why;

		if (dns_domain_normalize(d, norm, &why)) {
			ks_warn("cstp", "event=header_rejected header=%s value=\"%s\" reason=\"not a domain name: %s\"",
				hdr, escn(d, 64), why);
			p->warnings++;
			continue;
		}
		if (*n >= CSTP_MAX_DOMAINS)
			break;
		na = realloc(*list, (*n + 1) * sizeof(*na));
		if (!na || !(na[*n] = strdup(norm))) {
			free(copy);
			if (na)
				*list = na;
			return -ENOMEM;
		}
		*list = na;
		(*n)++;
	}
	free(copy);
	return 0;
}

/* Only the ASA's dynamic split domains are read from it; the rest is for its own client. */
static int post_auth_xml(struct ks_cstp_params *p, const char *v, const char *hdr)
{
	char *inc, *exc;
	int err = xml_post_auth_domains(v, strlen(v), &inc, &exc);

	if (err)
		return err;
	if (inc)
		err = push_domains(p, &p->dyn_include_domains, &p->n_dyn_include, inc, hdr);
	if (exc && !err)
		err = push_domains(p, &p->dyn_exclude_domains, &p->n_dyn_exclude, exc, hdr);
	free(inc);
	free(exc);
	return err;
}

static int push_ip(struct ks_ip *arr, int *n, const char *value)
{
	struct ks_ip ip = { 0 };

	if (inet_pton(AF_INET, value, ip.addr) == 1)
		ip.family = AF_INET;
	else if (inet_pton(AF_INET6, value, ip.addr) == 1)
		ip.family = AF_INET6;
	else
		return -EINVAL;
	if (*n < CSTP_MAX_DNS)
		arr[(*n)++] = ip;
	return 0;
}

static int set_str(char **dst, const char *value)
{
	free(*dst);
	*dst = strdup(value);
	return *dst ? 0 : -ENOMEM;
}

static int parse_addr6(struct ks_cstp_params *p, const char *v)
{
	char host[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(v, '/');
	size_t n = slash ? (size_t)(slash - v) : strlen(v);
	int len = 128;

	if (n >= sizeof(host))
		return -EINVAL;
	memcpy(host, v, n);
	host[n] = 0;
	if (inet_pton(AF_INET6, host, &p->addr6) != 1)
		return -EINVAL;
	if (slash && parse_int(slash + 1, 1, 128, &len))
		return -EINVAL;
	p->prefix6 = (uint8_t)len;
	p->have6 = true;
	return 0;
}

/* A cipher name: letters, digits, '-' and '_' only (it reaches logs and OpenSSL). */
static int set_token(char *out, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (!n || n >= cap ||
	    strspn(v, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		      "0123456789-_") != n)
		return -EINVAL;
	memcpy(out, v, n + 1);
	return 0;
}

/* One header; -EINVAL means "this value is bad" and the caller decides if that is fatal. */
static int parse_one(struct ks_cstp_params *p, const char *name, const char *v)
{
	struct ks_prefix pf;
	int err;

	if (!strcasecmp(name, "X-CSTP-Address")) {
		if (strchr(v, ':'))
			return parse_addr6(p, v);
		if (inet_pton(AF_INET, v, &p->addr4) != 1)
			return -EINVAL;
		p->have4 = true;
	} else if (!strcasecmp(name, "X-CSTP-Netmask")) {
		if (strchr(v, ':'))
			return 0; /* v6 netmask: the prefix comes with X-CSTP-Address-IP6 */
		if (inet_pton(AF_INET, v, &p->mask4) != 1 || prefix_mask_len(&p->mask4) < 0)
			return -EINVAL;
	} else if (!strcasecmp(name, "X-CSTP-Address-IP6")) {
		return parse_addr6(p, v);
	} else if (!strcasecmp(name, "X-CSTP-DNS") || !strcasecmp(name, "X-CSTP-DNS-IP6")) {
		return push_ip(p->dns, &p->ndns, v);
	} else if (!strcasecmp(name, "X-CSTP-NBNS")) {
		return push_ip(p->nbns, &p->nnbns, v);
	} else if (!strncasecmp(name, "X-CSTP-Split-Include", 20) ||
		   !strncasecmp(name, "X-CSTP-Split-Exclude", 20)) {
		bool inc = !strncasecmp(name + 13, "Include", 7);

		if (prefix_parse(v, &pf))
			return -EINVAL;
		err = inc ? push_prefix(&p->split_include, &p->n_include, &pf) :
			    push_prefix(&p->split_exclude, &p->n_exclude, &pf);
		return err;
	} else if (!strcasecmp(name, "X-CSTP-Split-DNS")) {
		return push_domains(p, &p->split_dns, &p->n_split_dns, v, name);
	} else if (!strcasecmp(name, "X-CSTP-Default-Domain")) {
		/* Some gateways list several, space separated: keep the text, check each. */
		for (const char *c = v; *c; c++)
			if (!isalnum((unsigned char)*c) && !strchr(".-_ ,", *c))
				return -EINVAL;
		return set_str(&p->default_domain, v);
	} else if (!strcasecmp(name, "X-CSTP-Post-Auth-XML")) {
		return post_auth_xml(p, v, name);
	} else if (!strcasecmp(name, "X-CSTP-Banner")) {
		return set_str(&p->banner, v);
	} else if (!strcasecmp(name, "X-CSTP-MSIE-Proxy-PAC-URL")) {
		return set_str(&p->proxy_pac, v);
	} else if (!strcasecmp(name, "X-CSTP-MTU")) {
		return parse_int(v, CSTP_MIN_MTU, CSTP_MAX_MTU, &p->mtu);
	} else if (!strcasecmp(name, "X-CSTP-Base-MTU")) {
		return parse_int(v, CSTP_MIN_MTU, 65535, &p->base_mtu);
	} else if (!strcasecmp(name, "X-CSTP-DPD")) {
		return parse_int(v, 0, 86400, &p->dpd);
	} else if (!strcasecmp(name, "X-CSTP-Keepalive")) {
		return parse_int(v, 0, 86400, &p->keepalive);
	} else if (!strcasecmp(name, "X-CSTP-Idle-Timeout")) {
		return !strcasecmp(v, "none") ? 0 : parse_int(v, 0, INT_MAX, &p->idle_timeout);
	} else if (!strcasecmp(name, "X-CSTP-Session-Timeout")) {
		return !strcasecmp(v, "none") ? 0 : parse_int(v, 0, INT_MAX, &p->session_timeout);
	} else if (!strcasecmp(name, "X-CSTP-Disconnected-Timeout")) {
		return !strcasecmp(v, "none") ? 0 : parse_int(v, 0, INT_MAX, &p->disconnected_timeout);
	} else if (!strcasecmp(name, "X-CSTP-Rekey-Time")) {
		return parse_int(v, 0, INT_MAX, &p->rekey_time);
	} else if (!strcasecmp(name, "X-CSTP-Rekey-Method")) {
		if (strcmp(v, "ssl") && strcmp(v, "new-tunnel") && strcmp(v, "none"))
			return -EINVAL;
		snprintf(p->rekey_method, sizeof(p->rekey_method), "%s", v);
	} else if (!strcasecmp(name, "X-CSTP-Tunnel-All-DNS")) {
		p->tunnel_all_dns = !strcasecmp(v, "true");
	} else if (!strcasecmp(name, "X-CSTP-Content-Encoding")) {
		if (!strcasecmp(v, "oc-lz4"))
			p->codec = KS_CODEC_LZ4;
		else if (!strcasecmp(v, "lzs"))
			p->codec = KS_CODEC_LZS;
		else if (!strcasecmp(v, "deflate"))
			p->codec = KS_CODEC_DEFLATE;
		else
			return -EPROTONOSUPPORT;
	} else if (!strcasecmp(name, "X-DTLS-Session-ID")) {
		if (strlen(v) != 64 || strspn(v, "0123456789abcdefABCDEF") != 64)
			return -EINVAL;
		memcpy(p->dtls_session_id, v, 65);
		p->dtls_offered = true;
	} else if (!strcasecmp(name, "X-DTLS-Port")) {
		return parse_int(v, 1, 65535, &p->dtls_port);
	} else if (!strcasecmp(name, "X-DTLS-DPD")) {
		return parse_int(v, 0, 86400, &p->dtls_dpd);
	} else if (!strcasecmp(name, "X-DTLS-Keepalive")) {
		return parse_int(v, 0, 86400, &p->dtls_keepalive);
	} else if (!strcasecmp(name, "X-DTLS-MTU")) {
		return parse_int(v, CSTP_MIN_MTU, CSTP_MAX_MTU, &p->dtls_mtu);
	} else if (!strcasecmp(name, "X-DTLS-CipherSuite")) {
		return set_token(p->dtls_cipher, sizeof(p->dtls_cipher), v);
	} else if (!strcasecmp(name, "X-DTLS12-CipherSuite")) {
		return set_token(p->dtls12_cipher, sizeof(p->dtls12_cipher), v);
	} else if (!strcasecmp(name, "X-DTLS-App-ID")) {
		size_t n = strlen(v);

		if (!n || n > 64 || n % 2 || strspn(v, "0123456789abcdefABCDEF") != n)
			return -EINVAL;
		memcpy(p->dtls_app_id, v, n + 1);
	} else if (!strcasecmp(name, "X-DTLS-Content-Encoding")) {
		if (!strcasecmp(v, "oc-lz4"))
			p->dtls_codec = KS_CODEC_LZ4;
		else if (!strcasecmp(v, "lzs"))
			p->dtls_codec = KS_CODEC_LZS;
		else /* not a per-packet codec: DTLS is not used (dtls.c) */
			p->dtls_codec = KS_CODEC_DEFLATE;
	}
	return 0;
}

int cstp_parse_response(const struct ks_http_resp *r, struct ks_cstp_params *p,
			struct ks_error *e)
{
	int err = 0;

	memset(p, 0, sizeof(*p));
	for (size_t i = 0; i < r->nheaders && !err; i++) {
		const char *name = r->headers[i].name, *v = r->headers[i].value;
		bool core;
		int rc;

		if (strncasecmp(name, "X-CSTP-", 7) && strncasecmp(name, "X-DTLS-", 7) &&
		    strncasecmp(name, "X-DTLS12-", 9))
			continue;
		if (strlen(v) > 4096 && strcasecmp(name, "X-CSTP-Post-Auth-XML") &&
		    strcasecmp(name, "X-CSTP-Banner")) {
			rc = -EMSGSIZE;
		} else {
			rc = parse_one(p, name, v);
		}
		if (!rc)
			continue;
		/* Without an address, an MTU or an agreed encoding there is no tunnel. */
		core = !strcasecmp(name, "X-CSTP-Address") || !strcasecmp(name, "X-CSTP-MTU") ||
		       !strcasecmp(name, "X-CSTP-Address-IP6") || rc == -EPROTONOSUPPORT ||
		       !strcasecmp(name, "X-CSTP-Netmask") || rc == -ENOMEM;
		if (core)
			err = ks_fail(e, rc == -ENOMEM ? rc : -EPROTO,
				      "cstp: header %s: value '%.80s' is invalid", name, v);
		else {
			p->warnings++;
			ks_warn("cstp", "event=header_rejected header=\"%s\" value=\"%s\" reason=\"%s\"",
				esc(name), escn(v, 80), rc == -E2BIG ? "too many entries" :
					 rc == -EMSGSIZE ? "too long" : "invalid value");
		}
	}
	if (!err && !p->have4 && !p->have6)
		err = ks_fail(e, -EPROTO, "cstp: gateway assigned no address (X-CSTP-Address)");
	if (!err && !p->mtu)
		err = ks_fail(e, -EPROTO, "cstp: gateway sent no X-CSTP-MTU");
	if (!err && p->have4 && !p->mask4.s_addr)
		p->mask4.s_addr = htonl(0xffffffff);
	if (err)
		cstp_params_free(p);
	return err;
}

void cstp_params_free(struct ks_cstp_params *p)
{
	free(p->split_include);
	free(p->split_exclude);
	for (size_t i = 0; i < p->n_split_dns; i++)
		free(p->split_dns[i]);
	free(p->split_dns);
	for (size_t i = 0; i < p->n_dyn_include; i++)
		free(p->dyn_include_domains[i]);
	free(p->dyn_include_domains);
	for (size_t i = 0; i < p->n_dyn_exclude; i++)
		free(p->dyn_exclude_domains[i]);
	free(p->dyn_exclude_domains);
	free(p->default_domain);
	free(p->banner);
	free(p->proxy_pac);
	memset(p, 0, sizeof(*p));
}
