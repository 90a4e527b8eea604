// SPDX-License-Identifier: GPL-2.0-only
/* A secret's file (--passwd-file, --token-secret @FILE): its first line, and what is
 * refused, each with a message that names the file. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "ks_test.h"
#include "opts.h"
#include "secret_file.h"

static void put(const char *path, const void *data, size_t len, mode_t mode)
{
	FILE *f = fopen(path, "w");

	KS_CHECK(f && fwrite(data, 1, len, f) == len && !fclose(f), "write %s", path);
	KS_CHECK(!chmod(path, mode), "chmod %s", path);
}

void test_secret_file(void)
{
	static const struct {
		const char *name, *content;
		size_t len;
		mode_t mode;
		int err;
		const char *want; /* the line, or a piece of the message */
	} cases[] = {
		{ "first line, LF", "s3cret pass\nrest", 16, 0600, 0, "s3cret pass" },
		{ "CRLF", "pw\r\n", 4, 0400, 0, "pw" },
		{ "no newline", "pw", 2, 0600, 0, "pw" },
		{ "others may read", "pw\n", 3, 0644, -EPERM, "mode 0644" },
		{ "the group may read", "pw\n", 3, 0640, -EPERM, "mode 0640" },
		{ "others may write", "pw\n", 3, 0602, -EPERM, "others than its owner" },
		{ "empty", "", 0, 0600, -EINVAL, "is empty" },
		{ "empty first line", "\npw\n", 4, 0600, -EINVAL, "is empty" },
		{ "NUL in the line", "p\0w\n", 4, 0600, -EINVAL, "NUL byte" },
		{ "a line past the buffer", "0123456789abcdefghij", 20, 0600, -EMSGSIZE, "longer" },
	};
	char dir[] = "/tmp/ks-secret-XXXXXX", path[64], out[16];
	struct ks_error e;

	KS_CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/pw", dir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err;

		test__start_subtest(cases[i].name);
		unlink(path);
		put(path, cases[i].content, cases[i].len, cases[i].mode);
		memset(&e, 0, sizeof(e));
		memset(out, 'x', sizeof(out));
		err = secret_read_line("--passwd-file", path, true, out, sizeof(out), &e);
		ASSERT_EQ(err, cases[i].err, "result");
		if (!cases[i].err)
			ASSERT_STREQ(out, cases[i].want, "the line");
		else
			KS_CHECK(strstr(e.msg, cases[i].want) && strstr(e.msg, path) &&
					 !memchr(out, 'x', sizeof(out)),
				 "message '%s' (wants '%s' and the path), buffer wiped", e.msg,
				 cases[i].want);
	}
	test__start_subtest("under sudo, a file of root's is not the caller's");
	put(path, "pw\n", 3, 0600);
	setenv("SUDO_UID", "4242", 1);
	ASSERT_EQ(secret_read_line("--passwd-file", path, true, out, sizeof(out), &e), -EPERM,
		  "refused");
	KS_CHECK(strstr(e.msg, "belongs to uid 0") && strstr(e.msg, "uid 4242"), "says so: %s",
		 e.msg);
	unsetenv("SUDO_UID");
	test__start_subtest("not private: any mode is taken (--token-secret @FILE)");
	put(path, "pw\n", 3, 0644);
	ASSERT_OK(secret_read_line("token secret", path, false, out, sizeof(out), &e), "read");
	test__start_subtest("a directory");
	ASSERT_EQ(secret_read_line("--passwd-file", dir, true, out, sizeof(out), &e), -EINVAL,
		  "refused");
	test__start_subtest("a FIFO: refused at once, not waited on");
	unlink(path);
	KS_CHECK(!mkfifo(path, 0600), "mkfifo");
	ASSERT_EQ(secret_read_line("--passwd-file", path, true, out, sizeof(out), &e), -EINVAL,
		  "refused");
	KS_CHECK(strstr(e.msg, "not a regular file") != NULL, "says so: %s", e.msg);
	test__start_subtest("missing");
	unlink(path);
	ASSERT_EQ(secret_read_line("--passwd-file", path, true, out, sizeof(out), &e), -ENOENT,
		  "refused");
	rmdir(dir);
}

/* --passwd-file credential:NAME reads $CREDENTIALS_DIRECTORY/NAME (systemd). */
void test_passwd_file_credential(void)
{
	char dir[] = "/tmp/ks-cred-XXXXXX", path[64];
	struct ks_connect_opts o;
	struct ks_error e = { 0 };
	char *argv[] = { "connect", "--passwd-file", "credential:vpn-pw", "gw.example", NULL };
	char *bad[] = { "connect", "--passwd-file", "credential:../pw", "gw.example", NULL };

	KS_CHECK(mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/vpn-pw", dir);
	put(path, "from systemd\n", 13, 0400);
	setenv("CREDENTIALS_DIRECTORY", dir, 1);
	ASSERT_OK(opts_parse_connect(&o, 4, argv, &e), e.msg);
	KS_CHECK(o.have_passwd && !strcmp(o.passwd, "from systemd"), "the credential's line");
	opts_wipe_passwd(&o);
	KS_CHECK(!o.have_passwd && !o.passwd[0], "wiped");
	opts_free(&o);
	ASSERT_EQ(opts_parse_connect(&o, 4, bad, &e), -EINVAL, "a name with a slash");
	opts_free(&o);
	unsetenv("CREDENTIALS_DIRECTORY");
	ASSERT_EQ(opts_parse_connect(&o, 4, argv, &e), -EINVAL, "no CREDENTIALS_DIRECTORY");
	KS_CHECK(strstr(e.msg, "CREDENTIALS_DIRECTORY"), "says so: %s", e.msg);
	opts_free(&o);
	unlink(path);
	rmdir(dir);
}
