// SPDX-License-Identifier: GPL-2.0-only
/* Profiles (--config, @NAME): the line format, what is refused and where, and how the
 * profile's words and the command line's combine (the command line wins). */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ks_test.h"
#include "opts.h"
#include "profile.h"

/* A profile file with this text and mode; its path in path. */
static void write_profile(char *path, size_t len, const char *text, size_t n, mode_t mode)
{
	int fd;

	snprintf(path, len, "/tmp/ks-profile-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, text, n) != (ssize_t)n || fchmod(fd, mode))
		abort();
	close(fd);
}

/* connect's options from a profile and a command line; 0 or -errno, e has the message. */
static int parse_with(struct ks_connect_opts *o, const char *text, mode_t mode, char **argv,
		      int argc, struct ks_error *e, char *path, size_t plen)
{
	char *args[16];
	int n = 0;

	write_profile(path, plen, text, strlen(text), mode);
	args[n++] = "connect";
	args[n++] = "--config";
	args[n++] = path;
	for (int i = 0; i < argc; i++)
		args[n++] = argv[i];
	args[n] = NULL;
	return opts_parse_connect(o, n, args, e);
}

void test_profile(void)
{
	struct ks_connect_opts o;
	struct ks_error e = { 0 };
	char path[64], *none[] = { NULL };

	if (test__start_subtest("format: name value, name=value, comments, CRLF")) {
		ASSERT_OK(parse_with(&o, "# a comment\n\n  server  vpn.example.com  \r\n"
				     "user=alice\ntimeout = 7\n\tno-dtls\r\n"
				     "external-browser=firefox --new-window\n",
				     0600, none, 0, &e, path, sizeof(path)), e.msg);
		ASSERT_STREQ(o.host, "vpn.example.com", "server line");
		ASSERT_STREQ(o.user, "alice", "name=value");
		ASSERT_EQ(o.timeout_s, 7, "name = value");
		ASSERT_TRUE(o.no_dtls, "a switch, tab before it, CRLF after");
		ASSERT_STREQ(o.external_browser, "firefox --new-window", "a value with spaces");
		opts_free(&o);
		unlink(path);
	}
	if (test__start_subtest("the command line wins; its server replaces the profile's")) {
		char *argv[] = { "-u", "bob", "--timeout", "9", "other.example.com", "10.1.0.0/16" };

		ASSERT_OK(parse_with(&o, "server vpn.example.com\nuser alice\ntimeout 7\n", 0600,
				     argv, 6, &e, path, sizeof(path)), e.msg);
		ASSERT_STREQ(o.user, "bob", "--user from the command line");
		ASSERT_EQ(o.timeout_s, 9, "--timeout from the command line");
		ASSERT_STREQ(o.host, "other.example.com", "server from the command line");
		ASSERT_EQ(o.n_include, 1, "the prefix after it is still a prefix");
		opts_free(&o);
		unlink(path);
	}
	if (test__start_subtest("errors name the file and the line")) {
		static const struct {
			const char *text, *want;
		} bad[] = {
			{ "server h\nfrobnicate\n", ":2: unknown option 'frobnicate'" },
			{ "server h\nuser\n", ":2: 'user' needs a value" },
			{ "server h\nno-dtls yes\n", ":2: 'no-dtls' takes no value" },
			{ "server h\n\n\ntimeout 0\n", ":4: --timeout: '0' is not 1..3600" },
			{ "server h\nconfig /etc/other\n", ":2: unknown option 'config' in a profile" },
			{ "server h\nuser al\x1bice\n", ":2: control character at column 8" },
			{ "server h\n--user alice\n", ":2: '--user alice' is not an option name" },
			{ "server\n", ":1: 'server' needs a value" },
			{ "server h\nUser alice\n", ":2: 'User alice' is not an option name" },
		};

		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ASSERT_ERR(parse_with(&o, bad[i].text, 0600, none, 0, &e, path, sizeof(path)),
				   bad[i].want);
			KS_CHECK(strstr(e.msg, path) && strstr(e.msg, bad[i].want), "%s: got '%s'",
				 bad[i].want, e.msg);
			opts_free(&o);
			unlink(path);
		}
	}
	if (test__start_subtest("NUL bytes, long lines, big files")) {
		static const char nul[] = "server h\nuser a\0b\n";
		char *big = malloc(KS_PROFILE_MAX_BYTES + 2);
		struct ks_profile p;

		write_profile(path, sizeof(path), nul, sizeof(nul) - 1, 0600);
		ASSERT_ERR(profile_load(&p, path, (const struct option[]){ { 0 } }, false, &e), "NUL");
		KS_CHECK(strstr(e.msg, ":2: NUL byte") != NULL, "NUL: got '%s'", e.msg);
		unlink(path);
		memset(big, '#', KS_PROFILE_MAX_BYTES + 1);
		write_profile(path, sizeof(path), big, KS_PROFILE_MAX_LINE + 1, 0600);
		ASSERT_ERR(profile_load(&p, path, (const struct option[]){ { 0 } }, false, &e), "long line");
		KS_CHECK(strstr(e.msg, ":1: longer than") != NULL, "long line: got '%s'", e.msg);
		unlink(path);
		write_profile(path, sizeof(path), big, KS_PROFILE_MAX_BYTES + 1, 0600);
		ASSERT_EQ(profile_load(&p, path, (const struct option[]){ { 0 } }, false, &e), -EFBIG,
			  "over 64 KiB");
		unlink(path);
		free(big);
	}
	if (test__start_subtest("who may read and write it")) {
		ASSERT_EQ(parse_with(&o, "server h\n", 0620, none, 0, &e, path, sizeof(path)), -EPERM,
			  "group-writable");
		opts_free(&o);
		unlink(path);
		{
			static const struct option t[] = {
				{ "token-secret", required_argument, NULL, 1 }, { 0 }
			};
			static const char text[] = "token-secret @/etc/totp\ntoken-secret env:T\n"
						   "token-secret credential:totp\n";
			struct ks_profile p;

			write_profile(path, sizeof(path), text, sizeof(text) - 1, 0644);
			ASSERT_OK(profile_load(&p, path, t, false, &e), "where a secret is kept is no secret");
			ASSERT_EQ(p.n, 3, "three words");
			ASSERT_STREQ(p.words[2], "--token-secret=credential:totp", "word");
			profile_free(&p);
			unlink(path);
		}
		ASSERT_EQ(parse_with(&o, "server h\nkey-password hunter2\n", 0640, none, 0, &e, path,
				     sizeof(path)), -EPERM, "an inline key password, group-readable");
		opts_free(&o);
		unlink(path);
		ASSERT_EQ(parse_with(&o, "server h\nproxy http://u:pw@p:3128\n", 0604, none, 0, &e,
				     path, sizeof(path)), -EPERM, "a proxy password, world-readable");
		opts_free(&o);
		unlink(path);
		ASSERT_OK(parse_with(&o, "server h\nproxy http://p:3128\n", 0644, none, 0, &e, path,
				     sizeof(path)), "a proxy without a password, world-readable");
		opts_free(&o);
		unlink(path);
	}
	if (test__start_subtest("an unknown short option never shows a profile's word")) {
		char *argv[] = { "-Zv" };

		ASSERT_ERR(parse_with(&o, "server h\ntoken-secret base32:GEZDGNBVGY3TQOJQ\n", 0600,
				      argv, 1, &e, path, sizeof(path)), "-Z");
		KS_CHECK(strstr(e.msg, "unknown option '-Z'") && !strstr(e.msg, "GEZD"),
			 "got '%s'", e.msg);
		opts_free(&o);
		unlink(path);
	}
	if (test__start_subtest("--metrics-file: a .prom file; under sudo, a root profile's only")) {
		char *prom[] = { "--metrics-file", "/var/lib/node/kslice.prom" };
		char *passwd[] = { "--metrics-file", "/etc/passwd" };

		ASSERT_ERR(parse_with(&o, "server h\n", 0600, passwd, 2, &e, path, sizeof(path)),
			   "not .prom");
		KS_CHECK(strstr(e.msg, "not a NAME.prom file") != NULL, "got '%s'", e.msg);
		opts_free(&o);
		unlink(path);
		ASSERT_OK(parse_with(&o, "server h\n", 0600, prom, 2, &e, path, sizeof(path)), e.msg);
		opts_free(&o);
		unlink(path);
		if (getuid() != 0) {
			test__skip("needs root (SUDO_UID is only read by root)");
		} else {
			setenv("SUDO_UID", "65534", 1);
			ASSERT_EQ(parse_with(&o, "server h\n", 0644, prom, 2, &e, path, sizeof(path)),
				  -EPERM, "under sudo, from the command line");
			opts_free(&o);
			unlink(path);
			/* root's profile (this test runs as root): taken */
			ASSERT_OK(parse_with(&o, "server h\nmetrics-file /v/k.prom\n", 0644, none, 0,
					     &e, path, sizeof(path)), e.msg);
			opts_free(&o);
			unlink(path);
			/* --config of root's that the caller could not read: refused, unquoted */
			ASSERT_EQ(parse_with(&o, "hunter2\n", 0600, none, 0, &e, path, sizeof(path)),
				  -EPERM, "root's private file under sudo");
			KS_CHECK(strstr(e.msg, "neither yours nor readable") && !strstr(e.msg, "hunter2"),
				 "got '%s'", e.msg);
			opts_free(&o);
			unlink(path);
			unsetenv("SUDO_UID");
		}
	}
	if (test__start_subtest("@NAME is a name, not a path")) {
		char p[256];

		ASSERT_OK(profile_path("work", p, sizeof(p), &e), e.msg);
		ASSERT_ERR(profile_path("../x", p, sizeof(p), &e), "..");
		ASSERT_ERR(profile_path(".hidden", p, sizeof(p), &e), "leading dot");
		ASSERT_ERR(profile_path("a/b", p, sizeof(p), &e), "slash");
		ASSERT_ERR(profile_path("", p, sizeof(p), &e), "empty");
	}
}

/* connect --help and getopt's table name the same options: a new option cannot go
 * undocumented (test_docs.sh then holds --help and kslice.1 together). */
void test_connect_help_matches_table(void)
{
	const struct option *t = opts_connect_options();
	char *text = NULL, *p;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	opts_connect_usage(f);
	fclose(f);
	for (; t->name; t++) {
		char want[64];

		if (!strcmp(t->name, "no-full-tunnel")) /* the alias, in --split-only's page entry */
			continue;
		snprintf(want, sizeof(want), "--%s", t->name);
		p = strstr(text, want);
		KS_CHECK(p && !(isalnum((unsigned char)p[strlen(want)]) || p[strlen(want)] == '-'),
			 "%s is not in connect --help", want);
	}
	for (p = text; (p = strstr(p, "--")); p += 2) {
		char name[64] = "";
		bool found = false;

		sscanf(p + 2, "%63[a-z0-9-]", name);
		for (t = opts_connect_options(); t->name && !found; t++)
			found = !strcmp(t->name, name);
		KS_CHECK(found || !name[0], "--help names --%s, which connect does not take", name);
	}
	free(text);
}
