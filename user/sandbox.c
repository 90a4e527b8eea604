// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <linux/if_tun.h>
#include <unistd.h>

#include "sandbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define KS_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define KS_SANITIZED 1
#endif
#endif

static const int plain[] = {
	SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev), SCMP_SYS(pread64),
	SCMP_SYS(close), SCMP_SYS(fstat), SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(lseek),
	SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap), SCMP_SYS(brk),
	SCMP_SYS(madvise), SCMP_SYS(mlock), SCMP_SYS(munlock), SCMP_SYS(futex),
	SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
	SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid), SCMP_SYS(uname),
	SCMP_SYS(getrandom), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres),
	SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(gettimeofday), SCMP_SYS(time),
	SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(io_uring_enter),
	SCMP_SYS(io_uring_register), SCMP_SYS(connect), SCMP_SYS(bind), SCMP_SYS(sendto),
	SCMP_SYS(accept4), /* SAML: the browser's request to the monitor's loopback listener */
	SCMP_SYS(sendmsg), SCMP_SYS(sendmmsg), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
	SCMP_SYS(recvmmsg), SCMP_SYS(setsockopt), SCMP_SYS(getsockopt), SCMP_SYS(getsockname),
	SCMP_SYS(getpeername), SCMP_SYS(shutdown), SCMP_SYS(fcntl), SCMP_SYS(dup),
	SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(signalfd4), SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigreturn), SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall), SCMP_SYS(sched_getaffinity), SCMP_SYS(sched_yield),
	SCMP_SYS(exit), SCMP_SYS(exit_group),
};

static const unsigned long tty_ioctls[] = { TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
					    FIONREAD, FIONBIO, FIOCLEX };
static const int families[] = { AF_INET, AF_INET6, AF_UNIX, AF_NETLINK };

#ifdef KS_SANITIZED
/* The sanitizers' runtime needs more than the worker (LeakSanitizer stops the world with
 * clone and ptrace at exit, reads /proc, ...): a build made for testing gets a denylist
 * of what a subverted worker would want most, the allowlist being the release build's. */
int sandbox_worker(void)
{
	static const int denied[] = { SCMP_SYS(execve), SCMP_SYS(execveat), SCMP_SYS(fork),
				      SCMP_SYS(vfork), SCMP_SYS(io_uring_setup) };
	static const unsigned long denied_ioctls[] = { TIOCSTI, TUNSETPERSIST, TUNSETOWNER,
						       TUNSETGROUP, TUNSETIFF };
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ALLOW);
	int err = f ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < sizeof(denied) / sizeof(denied[0]); i++)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), denied[i], 0);
	for (size_t i = 0; !err && i < sizeof(denied_ioctls) / sizeof(denied_ioctls[0]); i++)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, denied_ioctls[i]));
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, AF_PACKET));
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_NE, (scmp_datum_t)getpid()));
	if (!err)
		err = seccomp_load(f);
	seccomp_release(f);
	(void)plain;
	(void)tty_ioctls;
	(void)families;
	return err;
}
#else
int sandbox_worker(void)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	int err = f ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < sizeof(plain) / sizeof(plain[0]); i++)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, plain[i], 0);
	/* Files only for reading (getaddrinfo's /etc files and NSS modules). */
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(openat), 1,
				       SCMP_A2(SCMP_CMP_MASKED_EQ, O_ACCMODE, O_RDONLY));
	for (size_t i = 0; !err && i < sizeof(tty_ioctls) / sizeof(tty_ioctls[0]); i++)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				       SCMP_A1(SCMP_CMP_EQ, tty_ioctls[i]));
	for (size_t i = 0; !err && i < sizeof(families) / sizeof(families[0]); i++)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(socket), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)families[i]));
	/* abort() and the like signal the process itself, no one else. */
	if (!err)
		err = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (!err)
		err = seccomp_load(f);
	seccomp_release(f);
	return err;
}
#endif
