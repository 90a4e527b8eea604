// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>

#include "cstp_params.h"
#include "http.h"
#include "ks_test.h"
#include "log.h"

static char *slurp(const char *rel, size_t *len)
{
	char path[512];
	FILE *f;
	char *data = malloc(1 << 16);

	snprintf(path, sizeof(path), "%s/%s", ks_srcdir(), rel);
	f = fopen(path, "r");
	if (!f || !data) {
		free(data);
		return NULL;
	}
	*len = fread(data, 1, (1 << 16) - 1, f);
	data[*len] = 0;
	fclose(f);
	return data;
}

static int parse_text(const char *text, struct ks_cstp_params *p, struct ks_error *e)
{
	struct ks_http_resp r;
	size_t hl;
	int err = http_parse_head(text, strlen(text), &r, &hl, e);

	if (err)
		return err;
	err = cstp_parse_response(&r, p, e);
	http_resp_free(&r);
	return err;
}

void test_cstp_headers_ocserv(void)
{
	struct ks_cstp_params p;
	struct ks_error e = { 0 };
	char a[64];
	size_t len;
	char *text = slurp("tests/data/ocserv-connect-response.txt", &len);

	log_setup(KS_LOG_ERR, false);
	ASSERT_OK_PTR(text, "captured response");
	if (!text)
		return;
	ASSERT_OK(parse_text(text, &p, &e), e.msg);
	ASSERT_STREQ(inet_ntop(AF_INET, &p.addr4, a, sizeof(a)), "10.77.0.50", "address");
	ASSERT_STREQ(inet_ntop(AF_INET, &p.mask4, a, sizeof(a)), "255.255.255.0", "netmask");
	ASSERT_TRUE(p.have6 && p.prefix6 == 128, "ipv6 address");
	ASSERT_EQ(p.mtu, 1372, "mtu");
	ASSERT_EQ(p.dpd, 60, "dpd");
	ASSERT_EQ(p.keepalive, 30, "keepalive");
	ASSERT_EQ(p.rekey_time, 172800, "rekey");
	ASSERT_STREQ(p.rekey_method, "ssl", "rekey method");
	ASSERT_EQ(p.ndns, 1, "dns");
	ASSERT_EQ(p.n_include, 2, "includes (v4 + v6)");
	ASSERT_STREQ(prefix_str(&p.split_include[0], a, sizeof(a)), "10.78.0.0/24", "include");
	ASSERT_STREQ(prefix_str(&p.split_include[1], a, sizeof(a)), "fd78:78::/64", "include6");
	ASSERT_EQ(p.n_exclude, 1, "exclude");
	ASSERT_STREQ(prefix_str(&p.split_exclude[0], a, sizeof(a)), "10.78.0.200/32", "exclude");
	ASSERT_EQ(p.n_split_dns, 1, "split dns");
	ASSERT_STREQ(p.default_domain, "corp.example", "domain");
	ASSERT_STREQ(p.banner, "Welcome to the kslice test gateway", "banner");
	ASSERT_EQ(p.warnings, 0, "no rejected headers");
	cstp_params_free(&p);
	free(text);
}

static const char base[] = "HTTP/1.1 200 CONNECTED\r\nX-CSTP-Address: 10.0.0.2\r\n"
			   "X-CSTP-MTU: 1400\r\n";

void test_cstp_headers_malformed(void)
{
	static const struct {
		const char *name, *extra;
		int err;	/* 0: accepted with a warning */
		const char *in_msg;
	} cases[] = {
		{ "bad address", "X-CSTP-Address: 10.0.0.300\r\n", -EPROTO, "X-CSTP-Address" },
		{ "mtu too big", "X-CSTP-MTU: 99999\r\n", -EPROTO, "X-CSTP-MTU" },
		{ "mtu not a number", "X-CSTP-MTU: 14OO\r\n", -EPROTO, "X-CSTP-MTU" },
		{ "non-contiguous netmask", "X-CSTP-Netmask: 255.0.255.0\r\n", -EPROTO, "Netmask" },
		{ "unknown compression", "X-CSTP-Content-Encoding: lzo\r\n", -EPROTO, "Content-Encoding" },
		{ "bad split include is skipped", "X-CSTP-Split-Include: 10.1.0.0/33\r\n", 0, NULL },
		{ "host bits set is skipped", "X-CSTP-Split-Include: 10.1.0.1/255.255.0.0\r\n", 0, NULL },
		{ "bad dpd is skipped", "X-CSTP-DPD: -5\r\n", 0, NULL },
		{ "bad split dns is skipped", "X-CSTP-Split-DNS: bad..name\r\n", 0, NULL },
		{ "bad dtls session id is skipped", "X-DTLS-Session-ID: 12\r\n", 0, NULL },
	};
	struct ks_cstp_params p;
	struct ks_error e;
	char text[1024];

	log_setup(KS_LOG_ERR, false);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test__start_subtest(cases[i].name);
		snprintf(text, sizeof(text), "%s%s\r\n", base, cases[i].extra);
		e.msg[0] = 0;
		int err = parse_text(text, &p, &e);

		ASSERT_EQ(err, cases[i].err, cases[i].name);
		if (cases[i].in_msg)
			ASSERT_TRUE(strstr(e.msg, cases[i].in_msg) != NULL, "message names the header");
		if (!err) {
			ASSERT_EQ(p.warnings, 1, "counted as rejected");
			cstp_params_free(&p);
		}
	}
	test__start_subtest("no address at all");
	ASSERT_EQ(parse_text("HTTP/1.1 200 OK\r\nX-CSTP-MTU: 1400\r\n\r\n", &p, &e), -EPROTO,
		  "no address");
	test__start_subtest("too many split includes");
	size_t n = 70000, cap = strlen(base) + n * 48 + 8, off;
	char *big = malloc(cap);

	off = (size_t)snprintf(big, cap, "%s", base);
	for (size_t k = 0; k < n; k++)
		off += (size_t)snprintf(big + off, cap - off, "X-CSTP-Split-Include: 10.%zu.%zu.0/24\r\n",
					(k >> 8) & 255, k & 255);
	snprintf(big + off, cap - off, "\r\n");
	struct ks_http_resp r;
	size_t hl;

	/* The head limit refuses it before any allocation per entry. */
	ASSERT_EQ(http_parse_head(big, strlen(big), &r, &hl, &e), -EMSGSIZE, "head too large");
	free(big);
}

void test_cstp_post_auth_domains(void)
{
	static const char base[] = "HTTP/1.1 200 OK\r\nX-CSTP-Address: 10.77.0.50\r\n"
				   "X-CSTP-MTU: 1400\r\n";
	struct ks_cstp_params p;
	struct ks_error e = { 0 };
	char text[2048];

	log_setup(KS_LOG_ERR, false);
	test__start_subtest("ASA dynamic split domains, CDATA, comma and space separated");
	snprintf(text, sizeof(text),
		 "%sX-CSTP-Post-Auth-XML: <?xml version=\"1.0\" encoding=\"UTF-8\"?>"
		 "<config-auth client=\"vpn\" type=\"complete\"><version who=\"sg\">9.12</version>"
		 "<config><opaque is-for=\"vpn-client\"><custom-attr>"
		 "<dynamic-split-exclude-domains><![CDATA[zoom.us, webex.com]]></dynamic-split-exclude-domains>"
		 "<dynamic-split-include-domains><![CDATA[sf.example,bad..name,crm.example]]></dynamic-split-include-domains>"
		 "</custom-attr></opaque></config></config-auth>\r\n"
		 "X-CSTP-Default-Domain: corp.example lab.corp.example\r\n\r\n",
		 base);
	ASSERT_OK(parse_text(text, &p, &e), e.msg);
	ASSERT_EQ(p.n_dyn_include, 2, "two includes, the bad name skipped");
	ASSERT_STREQ(p.n_dyn_include > 1 ? p.dyn_include_domains[1] : NULL, "crm.example", "second");
	ASSERT_EQ(p.n_dyn_exclude, 2, "two excludes");
	ASSERT_STREQ(p.n_dyn_exclude ? p.dyn_exclude_domains[0] : NULL, "zoom.us", "first");
	ASSERT_EQ(p.warnings, 1, "the bad name counted");
	ASSERT_STREQ(p.default_domain, "corp.example lab.corp.example", "default domains kept");
	cstp_params_free(&p);

	test__start_subtest("malformed post-auth XML is skipped, the session goes on");
	snprintf(text, sizeof(text), "%sX-CSTP-Post-Auth-XML: <config-auth><dynamic-split\r\n\r\n",
		 base);
	ASSERT_OK(parse_text(text, &p, &e), e.msg);
	ASSERT_EQ(p.n_dyn_include + p.n_dyn_exclude, 0, "nothing taken");
	ASSERT_EQ(p.warnings, 1, "counted as rejected");
	cstp_params_free(&p);

	test__start_subtest("post-auth XML without dynamic domains");
	snprintf(text, sizeof(text), "%sX-CSTP-Post-Auth-XML: <config-auth><config/></config-auth>\r\n\r\n",
		 base);
	ASSERT_OK(parse_text(text, &p, &e), e.msg);
	ASSERT_EQ(p.n_dyn_include + p.n_dyn_exclude + (size_t)p.warnings, 0, "nothing, no warning");
	cstp_params_free(&p);
}

void test_http_head(void)
{
	struct ks_http_resp r;
	struct ks_error e;
	size_t hl;

	test__start_subtest("complete");
	const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nSet-Cookie: a=b; path=/\r\n\r\nhello";
	ASSERT_OK(http_parse_head(ok, sizeof(ok) - 1, &r, &hl, &e), "parse");
	ASSERT_EQ(r.status, 200, "status");
	ASSERT_EQ(hl, sizeof(ok) - 1 - 5, "head length");
	ASSERT_STREQ(http_header(&r, "content-length"), "5", "case-insensitive lookup");
	struct ks_cookie_jar jar = { 0 };
	ASSERT_OK(http_jar_update(&jar, &r), "cookies");
	ASSERT_STREQ(http_jar_get(&jar, "a"), "b", "cookie value");
	http_jar_free(&jar);
	http_resp_free(&r);

	static const struct {
		const char *name, *text;
		int err;
	} bad[] = {
		{ "incomplete", "HTTP/1.1 200 OK\r\nX: y\r\n", -EAGAIN },
		{ "not http", "SSH-2.0-OpenSSH\r\n\r\n", -EPROTO },
		{ "bad code", "HTTP/1.1 2x0 OK\r\n\r\n", -EPROTO },
		{ "code out of range", "HTTP/1.1 999 OK\r\n\r\n", -EPROTO },
		{ "header without colon", "HTTP/1.1 200 OK\r\nbroken\r\n\r\n", -EPROTO },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i].name);
		ASSERT_EQ(http_parse_head(bad[i].text, strlen(bad[i].text), &r, &hl, &e), bad[i].err,
			  bad[i].name);
	}
	test__start_subtest("NUL byte");
	const char nul[] = "HTTP/1.1 200 OK\r\nX: a\0b\r\n\r\n";
	ASSERT_EQ(http_parse_head(nul, sizeof(nul) - 1, &r, &hl, &e), -EPROTO, "nul");
	test__start_subtest("endless head");
	char *big = malloc(HTTP_MAX_HEAD + 10);
	memset(big, 'a', HTTP_MAX_HEAD + 10);
	ASSERT_EQ(http_parse_head(big, HTTP_MAX_HEAD + 10, &r, &hl, &e), -EMSGSIZE, "oversized");
	free(big);
}

/* A codec the gateway chose but kslice did not offer is refused (session.c). */
void test_cstp_offer_allows(void)
{
	ASSERT_TRUE(cstp_offer_allows(KS_OFFER_NONE, KS_CODEC_NONE), "none, none");
	ASSERT_TRUE(!cstp_offer_allows(KS_OFFER_NONE, KS_CODEC_DEFLATE), "none, deflate");
	ASSERT_TRUE(!cstp_offer_allows(KS_OFFER_NONE, KS_CODEC_LZS), "none, lzs");
	ASSERT_TRUE(!cstp_offer_allows(KS_OFFER_LZ4, KS_CODEC_LZS), "oc-lz4 asked, lzs");
	ASSERT_TRUE(!cstp_offer_allows(KS_OFFER_STATELESS, KS_CODEC_DEFLATE), "stateless, deflate");
	ASSERT_TRUE(cstp_offer_allows(KS_OFFER_STATELESS, KS_CODEC_LZS), "stateless, lzs");
	ASSERT_TRUE(cstp_offer_allows(KS_OFFER_ALL, KS_CODEC_DEFLATE), "all, deflate");
	ASSERT_TRUE(cstp_offer_allows(KS_OFFER_DEFLATE, KS_CODEC_DEFLATE), "deflate, deflate");
	ASSERT_TRUE(!cstp_offer_allows(KS_OFFER_DEFLATE, KS_CODEC_LZ4), "deflate asked, oc-lz4");
}
