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
#include "uring.h"
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
	/* A new ring would be one that no restriction covers. */
	{
		struct io_uring_params p = { 0 };

		bad |= syscall(__NR_io_uring_setup, 8, &p) >= 0 || errno != EPERM ? 0x80 : 0;
	}
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
					  "64 pipe2, 128 io_uring_setup)");
	unlink("/tmp/ks-sandbox-test");
}

/* One request and its completion's result. */
static int ring_result(struct io_uring *ring, void (*prep)(struct io_uring_sqe *, int), int fd,
		       unsigned char flags)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return -ENOSPC;
	prep(sqe, fd);
	sqe->flags |= flags;
	if (io_uring_submit_and_wait(ring, 1) < 0 || io_uring_peek_cqe(ring, &cqe))
		return -EIO;
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

static char scratch[64];

static void prep_openat(struct io_uring_sqe *sqe, int fd)
{
	(void)fd;
	io_uring_prep_openat(sqe, AT_FDCWD, "/etc/hostname", O_RDONLY, 0);
}

static void prep_read(struct io_uring_sqe *sqe, int fd)
{
	io_uring_prep_read(sqe, fd, scratch, sizeof(scratch), 0);
}

static void prep_nop(struct io_uring_sqe *sqe, int fd)
{
	(void)fd;
	io_uring_prep_nop(sqe);
}

void test_sandbox_ring(void)
{
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	unsigned int pending = 0;
	int sv[2], fds[2];

	test__start_subtest("the worker's ring runs the data path's operations only");
	if (!ASSERT_EQ(uring_setup(&ring, 8), 0, "uring_setup"))
		return;
	ASSERT_EQ(pipe2(fds, O_CLOEXEC), 0, "pipe");
	ASSERT_EQ(write(fds[1], "hello", 5), 5, "write");
	ASSERT_EQ(ring_result(&ring, prep_read, fds[0], 0), 5, "a read works");
	ASSERT_EQ(ring_result(&ring, prep_openat, -1, 0), -EACCES, "openat is refused");
	ASSERT_EQ(ring_result(&ring, prep_nop, -1, 0), -EACCES, "nop is refused (not on the list)");
	ASSERT_EQ(write(fds[1], "x", 1), 1, "write");
	ASSERT_EQ(ring_result(&ring, prep_read, fds[0], IOSQE_IO_LINK), -EACCES,
		  "a linked request is refused (flag not allowed)");
	ASSERT_EQ(io_uring_register_files(&ring, fds, 1), -EACCES,
		  "registering files is refused");

	test__start_subtest("quiesce cancels what waits, and the ring serves again");
	ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0, "socketpair");
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_recv(sqe, sv[0], scratch, sizeof(scratch), 0);
	pending = 1; /* a receive that nothing will ever complete */
	ASSERT_EQ(io_uring_submit(&ring), 1, "submit");
	ASSERT_EQ(uring_quiesce(&ring, &pending), 0, "quiesce");
	ASSERT_EQ(pending, 0, "nothing left in flight");
	ASSERT_EQ(write(sv[1], "y", 1), 1, "write");
	ASSERT_EQ(ring_result(&ring, prep_read, sv[0], 0), 1,
		  "the byte goes to the next request, not the cancelled one");
	close(sv[0]);
	close(sv[1]);
	close(fds[0]);
	close(fds[1]);
	io_uring_queue_exit(&ring);
}
