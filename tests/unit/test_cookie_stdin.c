// SPDX-License-Identifier: GPL-2.0-only
/* --cookie-on-stdin: what openconnect --authenticate prints (a cookie list), the older
 * "webvpn=VALUE", a bare value; and what is refused. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "ks_test.h"
#include "secret.h"

static int from(const char *text, struct ks_auth_result *res)
{
	struct ks_error e = { 0 };
	FILE *f = fmemopen((void *)text, strlen(text), "r");
	int err;

	if (!f)
		return -errno;
	err = auth_cookie_from(f, res, &e);
	fclose(f);
	return err;
}

void test_cookie_stdin(void)
{
	struct ks_auth_result r;

	test__start_subtest("the forms a cookie comes in");
	ASSERT_OK(from("openconnect_strapkey=AbC+/=; webvpn=Zm9v+/bar=\n", &r), "cookie list");
	ASSERT_STREQ(r.cookie, "Zm9v+/bar=", "webvpn's value taken from the list");
	auth_result_free(&r);
	ASSERT_OK(from("webvpn=Zm9v\n", &r), "webvpn=VALUE");
	ASSERT_STREQ(r.cookie, "Zm9v", "its value");
	auth_result_free(&r);
	ASSERT_OK(from("Zm9vYmFy\n", &r), "a bare value");
	ASSERT_STREQ(r.cookie, "Zm9vYmFy", "as it is");
	auth_result_free(&r);

	test__start_subtest("refused: no webvpn in a list, control bytes, an empty line");
	ASSERT_EQ(from("openconnect_strapkey=AbC; other=1\n", &r), -EINVAL, "no webvpn=");
	ASSERT_EQ(from("webvpn=ab\tcd\n", &r), -EINVAL, "a tab in the value");
	ASSERT_EQ(from("webvpn=\n", &r), -EINVAL, "an empty value");
	ASSERT_EQ(from("\n", &r), -ENOKEY, "an empty line");

	test__start_subtest("a line longer than KS_ANSWER_MAX is refused, not read into memory");
	{
		static char big[KS_ANSWER_MAX + 100];

		memset(big, 'A', sizeof(big) - 2);
		big[sizeof(big) - 2] = '\n';
		ASSERT_EQ(from(big, &r), -EINVAL, "refused");
		big[KS_ANSWER_MAX] = '\n'; /* exactly the limit: taken */
		big[KS_ANSWER_MAX + 1] = 0;
		ASSERT_OK(from(big, &r), "a line of exactly KS_ANSWER_MAX bytes");
		ASSERT_EQ(strlen(r.cookie), KS_ANSWER_MAX, "whole");
		auth_result_free(&r);
	}

	test__start_subtest("--authenticate output: shell assignments, a quote escaped");
	{
		struct ks_connect_opts o = { .host = "vpn.example", .port = "8443", .path = "/grp" };
		struct ks_auth_result a = { .cookie = (char *)"a'b" };
		char *out = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&out, &len);

		snprintf(a.peer.pubkey_sha256, sizeof(a.peer.pubkey_sha256), "pin-sha256:X=");
		snprintf(a.peer_ip, sizeof(a.peer_ip), "192.0.2.7");
		auth_print_shell(&o, &a, f);
		fclose(f);
		ASSERT_STREQ(out,
			     "COOKIE='webvpn=a'\\''b'\nHOST='192.0.2.7'\n"
			     "CONNECT_URL='https://vpn.example:8443/grp'\n"
			     "FINGERPRINT='pin-sha256:X='\nRESOLVE='vpn.example:192.0.2.7'\n",
			     "what a shell sources");
		free(out);
	}
}
