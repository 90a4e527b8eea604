// SPDX-License-Identifier: GPL-2.0-only
/* HTTP proxy: the URL (credentials percent-decoded, IPv6, ports), the environment with
 * no_proxy, the CONNECT request, and the proxy's answer. */
#include <errno.h>
#include <stdlib.h>

#include "ks_test.h"
#include "proxy.h"

void test_proxy(void)
{
	struct ks_proxy p;
	struct ks_error e = { 0 };
	struct ks_buf b = { 0 };
	const char *from;

	if (test__start_subtest("parse")) {
		ASSERT_OK(proxy_parse(&p, "http://proxy.corp:3128", &e), e.msg);
		ASSERT_STREQ(p.host, "proxy.corp", "host");
		ASSERT_STREQ(p.port, "3128", "port");
		ASSERT_STREQ(p.basic, "", "no credentials");
		ASSERT_OK(proxy_parse(&p, "proxy.corp", &e), e.msg);
		ASSERT_STREQ(p.port, "80", "default port");
		/* "al ice" : "p@ss:w" -> Basic base64("al ice:p@ss:w") */
		ASSERT_OK(proxy_parse(&p, "http://al%20ice:p%40ss%3Aw@[fd00::1]:8080/", &e), e.msg);
		ASSERT_STREQ(p.host, "fd00::1", "v6 host");
		ASSERT_STREQ(p.port, "8080", "v6 port");
		ASSERT_STREQ(p.basic, "YWwgaWNlOnBAc3M6dw==", "Basic credentials");
		ASSERT_STREQ(p.shown, "http://al ice@[fd00::1]:8080", "shown without the password");
		ASSERT_ERR(proxy_parse(&p, "socks5://h:1080", &e), "socks");
		ASSERT_ERR(proxy_parse(&p, "http://h:0", &e), "port 0");
		ASSERT_ERR(proxy_parse(&p, "http://h:65536", &e), "port too big");
		ASSERT_ERR(proxy_parse(&p, "http://h:", &e), "empty port");
		ASSERT_ERR(proxy_parse(&p, "http://h/path", &e), "a path");
		ASSERT_ERR(proxy_parse(&p, "http://u:%0d%0aX@h", &e), "CRLF in the password");
		ASSERT_ERR(proxy_parse(&p, "http://u:%4@h", &e), "a cut escape");
		ASSERT_ERR(proxy_parse(&p, "http://h\r\nX:1", &e), "CRLF in the host");
		ASSERT_ERR(proxy_parse(&p, "http://[fd00::1", &e), "no ]");
		ASSERT_ERR(proxy_parse(&p, "http://", &e), "no host");
		/* A refused URL's message never carries its password. */
		ASSERT_ERR(proxy_parse(&p, "http://u:SeCrEt@h:99999", &e), "bad port");
		ASSERT_TRUE(!strstr(e.msg, "SeCrEt"), e.msg);
		ASSERT_ERR(proxy_parse(&p, "socks5://u:SeCrEt@h:1080", &e), "socks");
		ASSERT_TRUE(!strstr(e.msg, "SeCrEt"), e.msg);
		ASSERT_ERR(proxy_parse(&p, "http://u:SeCrEt@h/x", &e), "a path");
		ASSERT_TRUE(!strstr(e.msg, "SeCrEt"), e.msg);
		ASSERT_ERR(proxy_parse(&p, "http://u:SeCrEt@h\x01:1", &e), "bad host");
		ASSERT_TRUE(!strstr(e.msg, "SeCrEt"), e.msg);
	}
	if (test__start_subtest("environment")) {
		unsetenv("HTTPS_PROXY");
		unsetenv("all_proxy");
		unsetenv("ALL_PROXY");
		setenv("https_proxy", "http://p.example:3128", 1);
		unsetenv("no_proxy");
		unsetenv("NO_PROXY");
		ASSERT_OK(proxy_from_env(&p, "vpn.corp.example", &from, &e), e.msg);
		ASSERT_TRUE(p.set && !strcmp(from, "https_proxy"), "https_proxy taken");
		setenv("no_proxy", "localhost, .corp.example", 1);
		ASSERT_OK(proxy_from_env(&p, "vpn.corp.example", &from, &e), e.msg);
		ASSERT_TRUE(!p.set, "a no_proxy suffix");
		ASSERT_OK(proxy_from_env(&p, "corp.example", &from, &e), e.msg);
		ASSERT_TRUE(!p.set, "the domain itself");
		ASSERT_OK(proxy_from_env(&p, "notcorp.example", &from, &e), e.msg);
		ASSERT_TRUE(p.set, "not a suffix on a label boundary");
		setenv("no_proxy", "*", 1);
		ASSERT_OK(proxy_from_env(&p, "anything", &from, &e), e.msg);
		ASSERT_TRUE(!p.set, "*");
		unsetenv("no_proxy");
		setenv("https_proxy", "ftp://x", 1);
		ASSERT_ERR(proxy_from_env(&p, "vpn", &from, &e), "a bad variable");
		ASSERT_TRUE(strstr(e.msg, "https_proxy") != NULL, e.msg);
		unsetenv("https_proxy");
		ASSERT_OK(proxy_from_env(&p, "vpn", &from, &e), e.msg);
		ASSERT_TRUE(!p.set && !from, "none");
	}
	if (test__start_subtest("request_and_answer")) {
		ASSERT_OK(proxy_parse(&p, "http://u:pw@h:1", &e), e.msg);
		ASSERT_OK(proxy_request(&p, "fd00::2", "443", "AnyConnect", &b), "request");
		ASSERT_STREQ(buf_cstr(&b),
			     "CONNECT [fd00::2]:443 HTTP/1.1\r\nHost: [fd00::2]:443\r\n"
			     "User-Agent: AnyConnect\r\nProxy-Authorization: Basic dTpwdw==\r\n"
			     "Proxy-Connection: keep-alive\r\n\r\n",
			     "the CONNECT");
		buf_free(&b);
#define ANSWER(s) proxy_answer(&p, s, sizeof(s) - 1, "gw", "443", &e)
		ASSERT_OK(ANSWER("HTTP/1.1 200 Connection established\r\n\r\n"), "200");
		ASSERT_OK(ANSWER("HTTP/1.0 200\n\n"), "200, bare LF, no reason");
		ASSERT_EQ(ANSWER("HTTP/1.1 407 Proxy Authentication Required\r\n\r\n"), -ENOKEY, "407");
		ASSERT_TRUE(strstr(e.msg, "refused the credentials") != NULL, e.msg);
		ASSERT_EQ(ANSWER("HTTP/1.1 403 Access violation\r\n\r\n"), -ECONNREFUSED, "403");
		ASSERT_TRUE(strstr(e.msg, "refused CONNECT to gw:443: 403 Access violation") != NULL,
			    e.msg);
		ASSERT_EQ(ANSWER("HTTP/1.1 502 \x1b[2Jbad\r\n\r\n"), -ECONNREFUSED, "502");
		ASSERT_TRUE(!strchr(e.msg, 0x1b), "the reason escaped");
		ASSERT_EQ(ANSWER("SSH-2.0-OpenSSH\r\n\r\n"), -EBADMSG, "not HTTP");
		ASSERT_EQ(ANSWER("HTTP/1.1 20"), -EBADMSG, "cut");
		ASSERT_EQ(ANSWER("HTTP/1.1 2000 x\r\n\r\n"), -EBADMSG, "four digits");
	}
}
