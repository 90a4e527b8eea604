// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>

#include "generated/config.h"
#include "ks_test.h"
#include "opts.h"
#include "tls.h"

void test_server_parsing(void)
{
	static const struct {
		const char *arg, *host, *port, *path;
	} good[] = {
		{ "vpn.example.com", "vpn.example.com", "443", "/" },
		{ "vpn.example.com:8443", "vpn.example.com", "8443", "/" },
		{ "https://vpn.example.com/engineering", "vpn.example.com", "443", "/engineering" },
		{ "[2001:db8::1]:444", "2001:db8::1", "444", "/" },
		{ "198.18.1.1", "198.18.1.1", "443", "/" },
	};
	static const char *const bad[] = { "", "vpn:0", "vpn:70000", "vpn:abc", "ftp://vpn",
					   "[2001:db8::1", "vp n", "vpn/a b", "vpn:443x" };
	struct ks_connect_opts o;
	struct ks_error e;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		test__start_subtest(good[i].arg);
		memset(&o, 0, sizeof(o));
		ASSERT_OK(opts_parse_server(&o, good[i].arg, &e), e.msg);
		ASSERT_STREQ(o.host, good[i].host, "host");
		ASSERT_STREQ(o.port, good[i].port, "port");
		ASSERT_STREQ(o.path, good[i].path, "path");
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i][0] ? bad[i] : "(empty)");
		e.msg[0] = 0;
		ASSERT_EQ(opts_parse_server(&o, bad[i], &e), -EINVAL, "rejected");
		ASSERT_TRUE(strncmp(e.msg, "server:", 7) == 0, "message");
	}
}

static int parse(struct ks_connect_opts *o, struct ks_error *e, int argc, char **argv)
{
	int err = opts_parse_connect(o, argc, argv, e);

	opts_free(o);
	return err;
}

void test_connect_options(void)
{
	struct ks_connect_opts o;
	struct ks_error e;

	test__start_subtest("openconnect spellings");
	char secret[] = "base32:GEZDGNBV";
	char *ok[] = { "connect", "-u", "bob", "--passwd-on-stdin", "--servercert",
		       "pin-sha256:PVCD54quzV9PFuP1XIPGGhzAT5rkW2rncQBw66M4jLo=", "--token-mode",
		       "totp", "--token-secret", secret, "-i", "work0", "--authgroup",
		       "eng", "gw.example:8443" };
	ASSERT_OK(parse(&o, &e, 15, ok), e.msg);
	ASSERT_TRUE(!memchr(secret, 'G', sizeof(secret)), "--token-secret wiped from argv");
	ASSERT_STREQ(o.ifname, "work0", "interface");
	ASSERT_EQ(o.trust.npins, 1, "pin");
	ASSERT_TRUE(o.have_totp, "totp");
	ASSERT_STREQ(o.port, "8443", "port");

	static const struct {
		const char *name, *msg;
		int argc;
		char *argv[6];
	} bad[] = {
		{ "no server", "no SERVER", 1, { "connect" } },
		{ "unknown option", "unknown option", 3, { "connect", "--frobnicate", "gw" } },
		{ "missing value", "missing value", 2, { "connect", "--cafile" } },
		{ "bad interface", "interface name", 4, { "connect", "-i", "a/b", "gw" } },
		{ "long interface", "interface name", 4, { "connect", "-i", "abcdefghijklmnopq", "gw" } },
		{ "token mode", "--token-mode", 6, { "connect", "--token-mode", "hotp", "--token-secret", "x", "gw" } },
		{ "mode without secret", "--token-secret", 4, { "connect", "--token-mode", "totp", "gw" } },
		{ "bad pin", "--servercert", 4, { "connect", "--servercert", "md5:00", "gw" } },
		{ "positional neither prefix nor name", "'gw 2' is not a domain name", 3, { "connect", "gw1", "gw 2" } },
		{ "domain with empty label", "--domain: 'corp..example' is not a domain name: empty label", 4, { "connect", "--domain", "corp..example", "gw" } },
		{ "domain label over 63", "a label longer than 63", 4, { "connect", "--domain", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example", "gw" } },
		{ "domain with a slash", "--learn-domain: 'corp/example'", 4, { "connect", "--learn-domain", "corp/example", "gw" } },
		{ "domain empty", "empty name", 4, { "connect", "--exclude-domain", "", "gw" } },
		{ "domain both ways", "'corp.example' is also given as the opposite", 6, { "connect", "--domain", "corp.example", "--exclude-domain", "Corp.Example.", "gw" } },
		{ "dns mode", "--dns: 'sometimes' is not auto", 4, { "connect", "--dns", "sometimes", "gw" } },
		{ "dns ttl zero", "--dns-ttl-max: '0'", 4, { "connect", "--dns-ttl-max", "0", "gw" } },
		{ "dns grace junk", "--dns-grace: '5s'", 4, { "connect", "--dns-grace", "5s", "gw" } },
		{ "host bits set", "bad prefix length, or address bits set", 4, { "connect", "--include", "10.1.2.3/16", "gw" } },
		{ "prefix too long", "bad prefix length", 4, { "connect", "--exclude", "10.0.0.0/33", "gw" } },
		{ "v6 prefix too long", "bad prefix length", 4, { "connect", "--include", "fd00::/129", "gw" } },
		{ "not a prefix", "--exclude: 'corp' is not", 4, { "connect", "--exclude", "corp", "gw" } },
		{ "positional junk", "'10.0.0.0/8x'", 3, { "connect", "gw", "10.0.0.0/8x" } },
		{ "mark not one bit", "--mark: '0x3' is not a single bit", 4, { "connect", "--mark", "0x3", "gw" } },
		{ "mark zero", "--mark", 4, { "connect", "--mark", "0", "gw" } },
		{ "table main", "--table: '254'", 4, { "connect", "--table", "254", "gw" } },
		{ "table junk", "--table", 4, { "connect", "--table", "12a", "gw" } },
		{ "rule pref", "--rule-pref: '40000'", 4, { "connect", "--rule-pref", "40000", "gw" } },
		{ "bad timeout", "--timeout", 4, { "connect", "--timeout", "0", "gw" } },
		{ "bad reconnect timeout", "--reconnect-timeout", 4, { "connect", "--reconnect-timeout", "-1", "gw" } },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i].name);
		e.msg[0] = 0;
		ASSERT_ERR(parse(&o, &e, bad[i].argc, (char **)bad[i].argv), bad[i].name);
		ASSERT_TRUE(strstr(e.msg, bad[i].msg) != NULL, "message names the problem");
	}
}

void test_split_options(void)
{
	struct ks_connect_opts o;
	struct ks_error e;
	char a[64];

	test__start_subtest("--include, --exclude and vpn-slice positional prefixes");
	char *argv[] = { "connect", "--include", "10.1.0.0/255.255.0.0", "gw.example", "192.0.2.5",
			 "fd00:1::/48", "--exclude", "10.1.99.0/24", "--split-only", "--mark",
			 "0x800", "--table", "4242", "--rule-pref", "1200" };
	ASSERT_OK(opts_parse_connect(&o, 15, argv, &e), e.msg);
	ASSERT_STREQ(o.host, "gw.example", "server");
	ASSERT_EQ(o.n_include, 3, "three includes");
	ASSERT_STREQ(prefix_str(&o.include[0], a, sizeof(a)), "10.1.0.0/16", "netmask form");
	ASSERT_STREQ(prefix_str(&o.include[1], a, sizeof(a)), "192.0.2.5/32", "bare address");
	ASSERT_STREQ(prefix_str(&o.include[2], a, sizeof(a)), "fd00:1::/48", "ipv6");
	ASSERT_EQ(o.n_exclude, 1, "one exclude");
	ASSERT_TRUE(o.split_only, "--split-only");
	ASSERT_EQ(o.mark, 0x800, "mark");
	ASSERT_EQ(o.table, 4242, "table");
	ASSERT_EQ(o.rule_pref, 1200, "rule pref");
	opts_free(&o);

	test__start_subtest("--domain, --learn-domain, --exclude-domain, names after SERVER");
	char *argv3[] = { "connect", "--domain", "*.Corp.Example.", "gw", "jira.other.example",
			  "--learn-domain", "mail.publiccorp.example", "--exclude-domain",
			  "video.corp.example", "--domain", "corp.example", "--dns", "bpf",
			  "--dns-ttl-max", "60", "--dns-grace", "0" };
	ASSERT_OK(opts_parse_connect(&o, 17, argv3, &e), e.msg);
	ASSERT_EQ(o.n_domains, 4, "four domains, the repeat merged");
	ASSERT_STREQ(o.domains[0].name, "corp.example", "normalized: no *., case, dot");
	ASSERT_EQ(o.domains[0].flags, KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE, "--domain");
	ASSERT_EQ(o.domains[1].flags, KS_DOMAIN_TUNNEL, "--learn-domain");
	ASSERT_EQ(o.domains[2].flags, KS_DOMAIN_EXCLUDE, "--exclude-domain");
	ASSERT_STREQ(o.domains[3].name, "jira.other.example", "positional name, after options");
	ASSERT_EQ(o.domains[3].flags, KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE, "like --domain");
	ASSERT_EQ(o.dns_mode, KS_DNS_BPF, "--dns bpf");
	ASSERT_EQ(o.dns_ttl_max, 60, "ttl max");
	ASSERT_EQ(o.dns_grace, 0, "grace");
	ASSERT_EQ(o.n_include, 0, "no prefix from a name");
	opts_free(&o);

	test__start_subtest("defaults from Kconfig; --no-full-tunnel alias");
	char *argv2[] = { "connect", "--no-full-tunnel", "gw" };
	ASSERT_OK(opts_parse_connect(&o, 3, argv2, &e), e.msg);
	ASSERT_TRUE(o.split_only, "--no-full-tunnel");
	ASSERT_EQ(o.mark, CONFIG_SPLIT_MARK, "mark");
	ASSERT_EQ(o.table, CONFIG_SPLIT_TABLE, "table");
	ASSERT_EQ(o.n_include + o.n_exclude, 0, "no prefixes");
	ASSERT_EQ(o.dns_mode, KS_DNS_AUTO, "dns auto");
	ASSERT_EQ(o.dns_ttl_max, CONFIG_DNS_TTL_MAX, "ttl max");
	ASSERT_EQ(o.dns_grace, CONFIG_DNS_GRACE, "grace");
	opts_free(&o);
}

void test_servercert_pins(void)
{
	struct ks_pin pin;
	struct ks_error e;

	test__start_subtest("sha256 hex, plain and with colons");
	ASSERT_OK(tls_parse_pin(&pin, "sha256:60002571a1509c3144e0456cd7bfa94d5b73db10eaf9e848b7e35fa3068bd08b", &e), e.msg);
	ASSERT_EQ(pin.kind, KS_PIN_CERT_SHA256, "kind");
	ASSERT_EQ(pin.hash[0], 0x60, "first byte");
	ASSERT_OK(tls_parse_pin(&pin, "SHA256:60:00:25:71:a1:50:9c:31:44:e0:45:6c:d7:bf:a9:4d:5b:73:db:10:ea:f9:e8:48:b7:e3:5f:a3:06:8b:d0:8b", &e), e.msg);
	test__start_subtest("pin-sha256");
	ASSERT_OK(tls_parse_pin(&pin, "pin-sha256:PVCD54quzV9PFuP1XIPGGhzAT5rkW2rncQBw66M4jLo=", &e), e.msg);
	ASSERT_EQ(pin.kind, KS_PIN_PUBKEY_SHA256, "kind");
	ASSERT_EQ(pin.hash[0], 0x3d, "first byte");
	static const char *const bad[] = { "6000257", "sha256:6000", "sha256:zz002571a1509c3144e0456cd7bfa94d5b73db10eaf9e848b7e35fa3068bd08b",
					   "sha256:60002571a1509c3144e0456cd7bfa94d5b73db10eaf9e848b7e35fa3068bd08b00",
					   "pin-sha256:short", "pin-sha256:!!!D54quzV9PFuP1XIPGGhzAT5rkW2rncQBw66M4jLo=" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		test__start_subtest(bad[i]);
		ASSERT_ERR(tls_parse_pin(&pin, bad[i], &e), "rejected");
	}
}
