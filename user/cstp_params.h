/* SPDX-License-Identifier: GPL-2.0-only */
/* What the gateway pushes in its CONNECT response (X-CSTP-*, X-DTLS-*), typed and checked. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"
#include "http.h"
#include "prefix.h"

#define CSTP_MAX_DNS 8
#define CSTP_MAX_SPLIT 65536
#define CSTP_MAX_DOMAINS 1024
#define CSTP_MIN_MTU 576
#define CSTP_MAX_MTU 16384
/* The path MTU kslice announces (X-CSTP-Base-MTU) when the route says none. */
#define CSTP_BASE_MTU 1500
/* X-CSTP-MTU asked for = base MTU - this: as openconnect, IPv6 + TCP + TLS + CSTP. */
#define CSTP_MTU_OVERHEAD 94

struct ks_ip {
	uint8_t family;
	uint8_t addr[16];
};

/* The compression of CSTP data frames the gateway chose (X-CSTP-Content-Encoding). */
enum ks_codec {
	KS_CODEC_NONE = 0,
	KS_CODEC_DEFLATE,	/* the ASA's: one stream per direction (deflate.h) */
	KS_CODEC_LZ4,		/* "oc-lz4", ocserv's: a block per packet (oc_lz4.h) */
	KS_CODEC_LZS,		/* "lzs": Stac LZS per packet (lzs.h) */
};
const char *cstp_codec_name(enum ks_codec c);

/* What kslice offers (--compression): all, the stateless ones, or one of them. */
enum ks_offer {
	KS_OFFER_NONE,
	KS_OFFER_STATELESS,
	KS_OFFER_ALL,
	KS_OFFER_LZ4,
	KS_OFFER_LZS,
	KS_OFFER_DEFLATE,
};

/* Did kslice offer what the gateway chose? A codec nobody asked for is not run. */
bool cstp_offer_allows(enum ks_offer offer, enum ks_codec codec);

struct ks_cstp_params {
	bool have4, have6;
	struct in_addr addr4, mask4;
	struct in6_addr addr6;
	uint8_t prefix6;
	struct ks_ip dns[CSTP_MAX_DNS];
	int ndns;
	struct ks_ip nbns[CSTP_MAX_DNS];
	int nnbns;
	struct ks_prefix *split_include, *split_exclude;
	size_t n_include, n_exclude;
	char **split_dns;
	size_t n_split_dns;
	char *default_domain;
	/* X-CSTP-Post-Auth-XML <dynamic-split-include-domains> / -exclude- (Cisco ASA) */
	char **dyn_include_domains, **dyn_exclude_domains;
	size_t n_dyn_include, n_dyn_exclude;
	char *banner;
	char *proxy_pac;
	int mtu, base_mtu;
	int dpd, keepalive, idle_timeout, rekey_time, session_timeout, disconnected_timeout;
	char rekey_method[16];
	bool tunnel_all_dns;
	enum ks_codec codec; /* X-CSTP-Content-Encoding */
	bool dtls_offered;
	int dtls_port, dtls_dpd, dtls_keepalive, dtls_mtu;
	char dtls_cipher[64];	  /* X-DTLS-CipherSuite: PSK-NEGOTIATE or a legacy one */
	char dtls12_cipher[64];	  /* X-DTLS12-CipherSuite (legacy, DTLS 1.2) */
	char dtls_session_id[65]; /* legacy: 64 hex */
	char dtls_app_id[65];	  /* PSK: the session's id, up to 64 hex */
	enum ks_codec dtls_codec; /* X-DTLS-Content-Encoding */
	int warnings; /* entries that were rejected and skipped */
};

/* CONNECT request; cookie is the session token. dtls_secret: 48 random bytes, the legacy
 * DTLS master secret, and the DTLS offer (dtls_suites, dtls_suites.h) comes with it;
 * NULL: no DTLS. */
/* The X-CSTP-Base-MTU to announce for the route to the gateway (its MTU, 0: unknown):
 * CSTP_BASE_MTU when unknown or larger, never so small that X-CSTP-MTU falls under
 * CSTP_MIN_MTU. */
int cstp_base_mtu(int route_mtu);
int cstp_build_connect(struct ks_buf *req, const char *host_header, const char *useragent,
		       const char *cookie, const char *hostname, bool ipv6, enum ks_offer offer,
		       int base_mtu, const uint8_t *dtls_secret, uint32_t dtls_suites);
int cstp_parse_response(const struct ks_http_resp *r, struct ks_cstp_params *p,
			struct ks_error *e);
void cstp_params_free(struct ks_cstp_params *p);
