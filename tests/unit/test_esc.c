// SPDX-License-Identifier: GPL-2.0-only
#include "esc.h"
#include "json.h"
#include "ks_test.h"

static const char *e(const char *in, size_t len, size_t cap)
{
	static char out[256];

	esc_text(out, cap, in, len);
	return out;
}

void test_esc_text(void)
{
	static const struct {
		const char *name, *in, *want;
		size_t len;
	} cases[] = {
		{ "plain text stays", "Welcome to VPN", "Welcome to VPN", 14 },
		{ "ESC sequences", "\x1b[2J\x1b]0;t\x07", "\\x1b[2J\\x1b]0;t\\x07", 10 },
		{ "CR LF TAB", "a\r\nb\tc", "a\\r\\nb\\tc", 6 },
		{ "forged log line", "x\nlevel=err sub=auth event=login_failed user=\"root\"",
		  "x\\nlevel=err sub=auth event=login_failed user=\\\"root\\\"", 51 },
		{ "backslash", "a\\b", "a\\\\b", 3 },
		{ "NUL and DEL", "a\0b\x7f", "a\\x00b\\x7f", 4 },
		{ "valid UTF-8 stays", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92",
		  "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x94\x92", 14 },
		{ "invalid UTF-8", "\xff\xfe", "\\xff\\xfe", 2 },
		{ "overlong and surrogate", "\xc0\xaf\xed\xa0\x80", "\\xc0\\xaf\\xed\\xa0\\x80", 5 },
		{ "C1 control (CSI)", "\xc2\x9b" "2J", "\\xc2\\x9b2J", 4 },
		{ "truncated sequence", "ab\xe2\x82", "ab\\xe2\\x82", 4 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		test__start_subtest(cases[i].name);
		ASSERT_STREQ(e(cases[i].in, cases[i].len, 256), cases[i].want, cases[i].name);
	}
	test__start_subtest("cut never splits an escape and says so");
	ASSERT_STREQ(e("abcdef", 6, 7), "abcdef", "exact fit");
	ASSERT_STREQ(e("abcdefg", 7, 7), "abc...", "cut");
	ASSERT_STREQ(e("\x1b\x1b\x1b", 3, 10), "\\x1b...", "escape kept whole");
	ASSERT_STREQ(e("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac", 9, 8), "\xe2\x82\xac...", "UTF-8 kept whole");
	ASSERT_STREQ(e("abc", 3, 3), "", "no room for text and dots");
	test__start_subtest("esc() of NULL and of a long string");
	ASSERT_STREQ(esc(NULL), "", "NULL");
	char big[2000];
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	ASSERT_TRUE(strlen(esc(big)) < ESC_SHORT_MAX, "bounded");
	ASSERT_TRUE(!strchr(esc(big), '\n'), "no newline survives");
}

void test_json_strings(void)
{
	struct ks_buf b = { 0 };
	struct ks_json j;

	test__start_subtest("controls, DEL, C1 escaped; invalid UTF-8 replaced; UTF-8 kept");
	json_init(&j, &b);
	json_obj_open(&j, NULL);
	json_str(&j, "t", "a\x1b[2J\x7f\xc2\x9b\xff\"\\\n\xc3\xa9");
	json_obj_close(&j);
	ASSERT_STREQ(buf_cstr(&b), "{\"t\":\"a\\u001b[2J\\u007f\\u009b\\ufffd\\\"\\\\\\n\xc3\xa9\"}",
		     "json");
	buf_free(&b);
}
