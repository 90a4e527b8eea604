// SPDX-License-Identifier: GPL-2.0-only
/* The HTTP proxy: a URL (--proxy, https_proxy) and the proxy's answer to CONNECT. The first
 * byte picks which. A URL that parses has a host of name characters, a port of 1..65535,
 * credentials without a control byte, and no password where it is shown; an answer is
 * taken (2xx), or refused with a message that carries no control byte. */
#include "../../user/proxy.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_error e = { { 0 } };
	struct ks_proxy p;
	char *s;
	int err;

	if (size < 1)
		return 0;
	s = fuzz_cstr_all(data + 1, size - 1);
	if (data[0] & 1) {
		struct ks_proxy q = { .shown = "http://h:1" };

		err = proxy_answer(&q, s, strlen(s), "gw", "443", &e);
		FUZZ_CHECK(!err || err == -ENOKEY || err == -ECONNREFUSED || err == -EBADMSG,
			   "err %d", err);
		FUZZ_CHECK(!err || (e.msg[0] && !fuzz_has_ctl(e.msg)), "message '%s'", e.msg);
		FUZZ_CHECK(err || !strncmp(s, "HTTP/1.", 7), "took a non-HTTP answer");
	} else {
		err = proxy_parse(&p, s, &e);
		if (!err) {
			long port = strtol(p.port, NULL, 10);
			uint8_t cred[700];
			int n;

			FUZZ_CHECK(p.set && p.host[0] && port >= 1 && port <= 65535, "host/port");
			for (const char *h = p.host; *h; h++)
				FUZZ_CHECK(host_char_ok(*h), "host character 0x%02x", *h);
			FUZZ_CHECK(!fuzz_has_ctl(p.shown), "shown '%s'", p.shown);
			n = EVP_DecodeBlock(cred, (const uint8_t *)p.basic, (int)strlen(p.basic));
			FUZZ_CHECK(n >= 0, "basic is not base64");
			for (int i = 0; i < n; i++)
				FUZZ_CHECK(cred[i] >= 0x20 || cred[i] == 0, "control byte in credentials");
			if (p.basic[0]) { /* the password never shows */
				char *colon = memchr(cred, ':', (size_t)n);

				FUZZ_CHECK(colon, "credentials without ':'");
			}
		} else {
			FUZZ_CHECK(err == -EINVAL && e.msg[0] && !fuzz_has_ctl(e.msg), "err %d '%s'", err,
				   e.msg);
		}
	}
	free(s);
	return 0;
}
