// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <unistd.h>

#include "ks_test.h"
#include "totp.h"

/* RFC 6238 Appendix B, 8 digits. */
static const struct {
	uint64_t t;
	const char *sha1, *sha256, *sha512;
} vectors[] = {
	{ 59, "94287082", "46119246", "90693936" },
	{ 1111111109, "07081804", "68084774", "25091201" },
	{ 1111111111, "14050471", "67062674", "99943326" },
	{ 1234567890, "89005924", "91819424", "93441116" },
	{ 2000000000, "69279037", "90698825", "38618901" },
	{ 20000000000ULL, "65353130", "77737706", "47863826" },
};

static void check_hash(enum ks_totp_hash h, const char *key)
{
	struct ks_totp t;
	char code[16];

	ASSERT_OK(totp_parse_secret(&t, key, NULL), "parse raw key");
	t.digits = 8;
	t.hash = h;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		const char *want = h == KS_TOTP_SHA1 ? vectors[i].sha1 :
				   h == KS_TOTP_SHA256 ? vectors[i].sha256 : vectors[i].sha512;

		ASSERT_OK(totp_code(&t, vectors[i].t, code, sizeof(code)), "totp_code");
		ASSERT_STREQ(code, want, "RFC 6238 vector");
	}
}

void test_totp_rfc6238(void)
{
	test__start_subtest("sha1");
	check_hash(KS_TOTP_SHA1, "12345678901234567890");
	test__start_subtest("sha256");
	check_hash(KS_TOTP_SHA256, "12345678901234567890123456789012");
	test__start_subtest("sha512");
	check_hash(KS_TOTP_SHA512,
		   "1234567890123456789012345678901234567890123456789012345678901234");
}

void test_totp_secret_formats(void)
{
	struct ks_totp t;
	char code[16], path[] = "/tmp/ks-totp-XXXXXX";
	int fd;

	/* All of these are the RFC key "12345678901234567890". */
	static const char *const same[] = {
		"base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
		"base32:gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
		"0x3132333435363738393031323334353637383930",
		"otpauth://totp/corp:bob?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=corp",
		"12345678901234567890",
	};
	for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
		test__start_subtest(same[i]);
		ASSERT_OK(totp_parse_secret(&t, same[i], NULL), "parse");
		ASSERT_OK(totp_code(&t, 59, code, sizeof(code)), "code");
		ASSERT_STREQ(code, "287082", "6-digit code at t=59");
	}
	test__start_subtest("otpauth params");
	ASSERT_OK(totp_parse_secret(&t, "otpauth://totp/x?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
				       "&digits=8&period=30&algorithm=SHA1", NULL), "parse");
	ASSERT_OK(totp_code(&t, 1111111109, code, sizeof(code)), "code");
	ASSERT_STREQ(code, "07081804", "8 digits via otpauth");

	test__start_subtest("@file");
	fd = mkstemp(path);
	ASSERT_TRUE(fd >= 0 && write(fd, "base32:GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\n", 40) == 40,
		    "write secret file");
	close(fd);
	char spec[64];
	snprintf(spec, sizeof(spec), "@%s", path);
	ASSERT_OK(totp_parse_secret(&t, spec, NULL), "parse @file");
	ASSERT_OK(totp_code(&t, 59, code, sizeof(code)), "code");
	ASSERT_STREQ(code, "287082", "code from file");
	unlink(path);
}

void test_totp_bad_secrets(void)
{
	static const char *const bad[] = {
		"base32:GEZ1", /* '1' is not base32 */
		"base32:",
		"0x123",      /* odd */
		"0xZZ",
		"otpauth://hotp/x?secret=GEZDGNBV",
		"otpauth://totp/x?digits=6",
		"otpauth://totp/x?secret=GEZDGNBV&digits=4",
		"otpauth://totp/x?secret=GEZDGNBV&algorithm=MD5",
		"@/nonexistent/kslice-secret",
		"",
	};
	struct ks_totp t;
	struct ks_error e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i][0] ? bad[i] : "(empty)");
		e.msg[0] = 0;
		ASSERT_ERR(totp_parse_secret(&t, bad[i], &e), "rejected");
		ASSERT_TRUE(strstr(e.msg, "token secret") != NULL, "message names the option");
	}
}
