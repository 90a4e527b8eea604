// SPDX-License-Identifier: GPL-2.0-only
/* A whole login (auth_login) against a gateway made of fuzz input: the responses to
 * kslice's requests, separated by FUZZ_SEP, read in pieces of fuzzed sizes. Every
 * request kslice writes must be well-formed (request line, CRLF headers, Content-Length,
 * an XML body), and a login that succeeds has a session cookie fit for a header.
 * Input: flags, read size, then the responses. */
#include "../../user/auth.c"

#include <libxml/parser.h>

#include "fake_tls.h"
#include "fuzz.h"
#include "fuzz_opts.h"

#define FUZZ_SEP "\n=====\n"

static const char stdin_lines[] = "secret-1\nsecret-2\nsecret-3\nsecret-4\n";

static void check_request(const uint8_t *req, size_t len)
{
	const char *r = (const char *)req, *head_end, *cl;
	size_t head, body, path_len;
	xmlDocPtr x;

	head_end = memmem(r, len, "\r\n\r\n", 4);
	FUZZ_CHECK(head_end, "request without the blank line");
	head = (size_t)(head_end - r) + 4;
	body = len - head;
	FUZZ_CHECK(!strncmp(r, "POST /", 6), "request line '%.40s'", r);
	path_len = strcspn(r + 5, " \r\n");
	for (size_t i = 0; i < path_len; i++)
		FUZZ_CHECK((unsigned char)r[5 + i] > ' ' && r[5 + i] != 0x7f, "path");
	FUZZ_CHECK(!strncmp(r + 5 + path_len, " HTTP/1.1\r\n", 11), "request line '%.*s'",
		   (int)(path_len + 16), r);
	for (size_t i = 0; i < head; i++) {
		FUZZ_CHECK(r[i] != '\n' || (i && r[i - 1] == '\r'), "bare LF at %zu of the head",
			   i);
		/* Cookie values are taken from Set-Cookie as they are. */
		FUZZ_CHECK_KNOWN("cookie-ctl", r[i] != '\r' || r[i + 1] == '\n',
				 "bare CR at %zu of the head:\n%.*s", i, (int)head, r);
	}
	cl = memmem(r, head, "\r\nContent-Length: ", 18);
	FUZZ_CHECK(cl && strtoul(cl + 18, NULL, 10) == body, "Content-Length");
	x = xmlReadMemory(r + head, (int)body, "req.xml", NULL,
			  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	FUZZ_CHECK(x, "request body is not XML:\n%.*s", (int)body, r + head);
	xmlFreeDoc(x);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in), chunk = fuzz_u8(&in);
	struct ks_connect_opts o = { .host = "vpn.example.com",
				     .port = "443",
				     .path = "/",
				     .useragent = "AnyConnect Linux_64 4.10",
				     .no_tty_prompt = true,
				     .timeout_s = 1 };
	struct ks_auth_result res;
	struct ks_error e = { { 0 } };
	FILE *saved = stdin;
	int err;

	fuzz_login_opts(&o, flags);
	if (flags & 8)
		snprintf(o.path, sizeof(o.path), "/Employees");
	/* --passwd-on-stdin: auth.c reads stdin, which is this string for the run. */
	o.passwd_on_stdin = flags & 16;
	if (o.passwd_on_stdin)
		stdin = fmemopen((void *)stdin_lines, sizeof(stdin_lines) - 1, "r");
	fake_tls_records(in.p, in.n, FUZZ_SEP, chunk);
	fake_tls_on_request(check_request);
	err = auth_login(&o, NULL, &res, NULL, &e);
	if (o.passwd_on_stdin) {
		fclose(stdin);
		stdin = saved;
	}
	FUZZ_LOG("login: %d (%s), %u requests, cookie '%s'", err, e.msg, fake_tls_requests(),
		 err ? "" : res.cookie);
	FUZZ_CHECK(fake_tls_requests() <= 2 * AUTH_MAX_ROUNDS, "%u requests", fake_tls_requests());
	if (!err) {
		FUZZ_CHECK(res.cookie && *res.cookie, "login without a cookie");
		/* It becomes "Cookie: webvpn=%s\r\n" in the CONNECT request. */
		FUZZ_CHECK_KNOWN("cookie-ctl", !fuzz_has_ctl(res.cookie),
				 "session cookie with a control character");
		FUZZ_CHECK(!o.user || (res.user && !strcmp(res.user, o.user)), "user");
	} else {
		FUZZ_CHECK(!res.cookie && !res.banner && !res.user, "result left after error %d",
			   err);
		FUZZ_CHECK_KNOWN("http-empty-head", e.msg[0], "error %d without a message", err);
	}
	auth_result_free(&res);
	return 0;
}
