// SPDX-License-Identifier: GPL-2.0-only
/* Domain names as the command line, the gateway and the BPF trie see them. */
#include <errno.h>

#include "dns_name.h"
#include "ks_test.h"

void test_dns_domain_names(void)
{
	static const struct {
		const char *in, *out;
	} good[] = {
		{ "corp.example", "corp.example" },
		{ "Corp.EXAMPLE.", "corp.example" },
		{ "*.corp.example", "corp.example" },
		{ "_ldap._tcp.corp.example", "_ldap._tcp.corp.example" },
		{ "localhost", "localhost" },
	};
	static const struct {
		const char *in, *why;
	} bad[] = {
		{ "", "empty name" },	       { ".", "empty name" },
		{ "a..b", "empty label" },     { ".corp.example", "empty label" },
		{ "corp example", "not a letter" }, { "corp/example", "not a letter" },
		{ "*", "not a letter" },       { "caf\xc3\xa9.example", "not a letter" },
		{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.x", "longer than 63" },
	};
	char out[KS_DOMAIN_TEXT_MAX], long_name[300];
	const char *why;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		test__start_subtest(good[i].in);
		ASSERT_OK(dns_domain_normalize(good[i].in, out, &why), good[i].in);
		ASSERT_STREQ(out, good[i].out, "normalized");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i].in[0] ? bad[i].in : "(empty)");
		why = "";
		ASSERT_EQ(dns_domain_normalize(bad[i].in, out, &why), -EINVAL, "rejected");
		ASSERT_TRUE(strstr(why, bad[i].why) != NULL, "says why");
	}
	test__start_subtest("253 characters accepted, 254 refused");
	memset(long_name, 'a', sizeof(long_name));
	for (int i = 63; i < 300; i += 64)
		long_name[i] = '.';
	long_name[253] = 0;
	ASSERT_OK(dns_domain_normalize(long_name, out, &why), "253");
	long_name[253] = 'a';
	long_name[254] = 0;
	ASSERT_EQ(dns_domain_normalize(long_name, out, &why), -EINVAL, "254");
}

void test_dns_domain_keys(void)
{
	struct ks_domain_key k;
	char out[KS_DOMAIN_TEXT_MAX];

	test__start_subtest("labels reversed, length-prefixed");
	dns_domain_key("jira.corp.example", &k);
	ASSERT_EQ(k.prefixlen, 18 * 8, "18 bytes");
	ASSERT_TRUE(!memcmp(k.name, "\7example\4corp\4jira", 18), "\\7example\\4corp\\4jira");
	ASSERT_OK(dns_domain_from_key(&k, out), "decoded");
	ASSERT_STREQ(out, "jira.corp.example", "round trip");

	test__start_subtest("a domain's key is a prefix of its names', not of look-alikes'");
	struct ks_domain_key d, n;

	dns_domain_key("corp.example", &d);
	dns_domain_key("notcorp.example", &n);
	ASSERT_TRUE(memcmp(d.name, n.name, d.prefixlen / 8) != 0, "notcorp.example");
	dns_domain_key("a.corp.example", &n);
	ASSERT_TRUE(!memcmp(d.name, n.name, d.prefixlen / 8), "a.corp.example");

	test__start_subtest("malformed keys are refused");
	memset(&k, 0, sizeof(k));
	ASSERT_EQ(dns_domain_from_key(&k, out), -EINVAL, "empty");
	k.prefixlen = 12;
	ASSERT_EQ(dns_domain_from_key(&k, out), -EINVAL, "not whole bytes");
	k.prefixlen = 3 * 8;
	memcpy(k.name, "\5ab", 3);
	ASSERT_EQ(dns_domain_from_key(&k, out), -EINVAL, "label overruns");
	memcpy(k.name, "\0ab", 3);
	ASSERT_EQ(dns_domain_from_key(&k, out), -EINVAL, "zero-length label");
	k.prefixlen = 257 * 8;
	ASSERT_EQ(dns_domain_from_key(&k, out), -EINVAL, "too long");
}
