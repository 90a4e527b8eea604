// SPDX-License-Identifier: GPL-2.0-only
/* The worker's seccomp allowlist, loaded in a child: what a subverted worker would try
 * fails with EPERM, what the worker does still works. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "sandbox.h"
#include "ks_test.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

/* Each check is one bit of the child's exit status: 0 means all held. */
static int confined_child(void)
{
	char *argv[] = { "/bin/false", NULL }; /* if exec worked, the child exits 1 */
	int bad = 0, fds[2], one = 1;
	char c = 'x';

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || sandbox_worker())
		return 0x7f;
	/* Still allowed: what the worker does. */
	/* Not on the list (the sanitizers need it: only in the plain build). */
	bad |= !SANITIZED && pipe2(fds, O_CLOEXEC) == 0 ? 0x40 : 0;
	bad |= socket(AF_INET, SOCK_STREAM, 0) < 0 ? 0x01 : 0;
	bad |= ioctl(0, FIONBIO, &one) < 0 && errno == EPERM ? 0x01 : 0;
	/* Refused. */
	execve(argv[0], argv, NULL);
	bad |= errno != EPERM ? 0x02 : 0;
	bad |= socket(AF_PACKET, SOCK_RAW, 0) >= 0 || errno != EPERM ? 0x04 : 0;
	bad |= ioctl(0, TIOCSTI, &c) == 0 || errno != EPERM ? 0x08 : 0;
	bad |= syscall(SYS_tgkill, getppid(), getppid(), 0) == 0 || errno != EPERM ? 0x10 : 0;
	if (!SANITIZED) { /* the sanitizers need fork and files of their own */
		bad |= open("/tmp/ks-sandbox-test", O_WRONLY | O_CREAT, 0600) >= 0 ||
				       errno != EPERM ? 0x20 : 0;
		bad |= fork() == 0 ? 0x20 : (errno != EPERM ? 0x20 : 0);
	}
	bad |= open("/dev/null", O_RDONLY | O_CLOEXEC) < 0 ? 0x01 : 0;
	return bad;
}

void test_sandbox_worker(void)
{
	int status = 0;
	pid_t pid;

	test__start_subtest("exec, fork, raw sockets, TIOCSTI, signals to others, writes: EPERM");
	pid = fork();
	if (pid == 0)
		_exit(confined_child());
	ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid");
	ASSERT_TRUE(WIFEXITED(status), "exited (not killed)");
	ASSERT_EQ(WEXITSTATUS(status), 0, "every check held (bits: 1 allowed call failed, "
					  "2 exec, 4 AF_PACKET, 8 TIOCSTI, 16 tgkill, 32 write/fork, "
					  "64 pipe2)");
	unlink("/tmp/ks-sandbox-test");
}
