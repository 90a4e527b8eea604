// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/syscall.h>

#include "exitcodes.h"
#include "privsep.h"
#include "sandbox.h"
#include "secret.h"
#include "tunnel.h"

int privsep_user(struct ks_privsep *ps, const char *user, struct ks_error *e)
{
	struct passwd *pw = getpwnam(user);
	char *end;
	unsigned long n;

	if (pw) {
		ps->uid = pw->pw_uid;
		ps->gid = pw->pw_gid;
	} else {
		n = strtoul(user, &end, 10);
		if (!*user || *end || n == 0 || n >= 0xffffffffUL)
			return ks_fail(e, -EINVAL, "--setuid: no user '%.64s'", user);
		ps->uid = (uid_t)n;
		ps->gid = (gid_t)n;
	}
	if (ps->uid == 0)
		return ks_fail(e, -EINVAL, "--setuid: '%.64s' is root; the worker must not be", user);
	return 0;
}

/* The worker keeps nothing of root: ids, groups, capabilities (all three sets, and it
 * can never regain any), dumpability. */
static int drop_privileges(const struct ks_privsep *ps)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { 0 };

	if (setgroups(0, NULL) || setresgid(ps->gid, ps->gid, ps->gid) ||
	    setresuid(ps->uid, ps->uid, ps->uid))
		return -errno;
	if (syscall(SYS_capset, &h, d) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0))
		return -errno;
	if (!setresuid(0, 0, 0)) /* must be impossible now */
		return -EPERM;
	return 0;
}

/* Before the drop: no terminal of its own (TIOCSTI and friends need a controlling tty,
 * so a subverted worker cannot type into the user's shell), a process group the monitor
 * can end whole, and death with the monitor. (Not RLIMIT_NPROC: io_uring's async
 * workers are counted against it.) */
static int confine(const struct ks_privsep *ps, pid_t monitor)
{
	if (setsid() < 0 || prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0))
		return -errno;
	if (getppid() != monitor) /* it died before PDEATHSIG was armed */
		return -ESRCH;
	return 0;
}

int privsep_fork(struct ks_privsep *ps, struct ks_error *e)
{
	int sv[2], err;
	pid_t pid;

	ps->shared = mmap(NULL, sizeof(*ps->shared), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (ps->shared == MAP_FAILED) {
		ps->shared = NULL;
		return ks_fail(e, -errno, "privsep: shared page: %m");
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv))
		return ks_fail(e, -errno, "privsep: socketpair: %m");
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(sv[0]);
		close(sv[1]);
		return ks_fail(e, err, "privsep: fork: %m");
	}
	if (pid == 0) {
		close(sv[0]);
		ps->fd = sv[1];
		ps->worker = 0;
		secret_heap_init(); /* as root: the locked heap is not inherited locked */
		ps->devnull = open("/dev/null", O_RDWR | O_CLOEXEC); /* for --background */
		err = confine(ps, getppid());
		if (!err)
			err = drop_privileges(ps);
		if (!err)
			ps->ring_err = tunnel_ring_setup(&ps->ring);
		if (!err)
			err = sandbox_worker();
		if (err) {
			/* Never run unconfined; the monitor reads our END and cleans up. */
			struct ks_ps_end end = { .type = PS_END, .exit_code = KS_EXIT_ERROR };

			fprintf(stderr, "kslice: privsep: cannot confine the worker (uid %u): %s\n",
				(unsigned int)ps->uid, strerror(-err));
			privsep_send(ps->fd, &end, sizeof(end));
			_exit(KS_EXIT_ERROR);
		}
		return 0;
	}
	close(sv[1]);
	ps->fd = sv[0];
	ps->worker = pid;
	return 1;
}

int privsep_send(int fd, const void *msg, size_t len)
{
	ssize_t n = send(fd, msg, len, MSG_NOSIGNAL);

	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EMSGSIZE;
}

ssize_t privsep_recv(int fd, void *buf, size_t len)
{
	ssize_t n;

	do
		n = recv(fd, buf, len, MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n > len ? -EMSGSIZE : n;
}

int privsep_send_fd(int fd, const void *msg, size_t len, int pass_fd, int flags)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = (void *)msg, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct cmsghdr *c;
	ssize_t n;

	if (pass_fd >= 0) {
		memset(&u, 0, sizeof(u));
		m.msg_control = u.buf;
		m.msg_controllen = sizeof(u.buf);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	n = sendmsg(fd, &m, MSG_NOSIGNAL | flags);
	return n == (ssize_t)len ? 0 : n < 0 ? -errno : -EMSGSIZE;
}

ssize_t privsep_recv_fd(int fd, void *buf, size_t len, int *got_fd)
{
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			    .msg_controllen = sizeof(u.buf) };
	struct cmsghdr *c;
	ssize_t n;

	*got_fd = -1;
	do
		n = recvmsg(fd, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	/* Exactly one descriptor is taken; any other that came along is closed. */
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		size_t nfd;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
		    c->cmsg_len < CMSG_LEN(0))
			continue;
		nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int one;

			memcpy(&one, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*got_fd < 0)
				*got_fd = one;
			else
				close(one);
		}
	}
	if ((m.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) && *got_fd >= 0) {
		close(*got_fd); /* not a message we asked for: nothing of it is kept */
		*got_fd = -1;
	}
	return m.msg_flags & MSG_TRUNC ? -EMSGSIZE : n;
}

int privsep_send_type(int fd, enum ks_ps_msg type)
{
	uint32_t t = type;

	return privsep_send(fd, &t, sizeof(t));
}

int privsep_send_text(int fd, enum ks_ps_msg type, const char *text)
{
	char msg[4 + 256];
	size_t n = strnlen(text, 255);
	uint32_t t = type;

	memcpy(msg, &t, 4);
	memcpy(msg + 4, text, n);
	msg[4 + n] = 0;
	return privsep_send(fd, msg, 4 + n + 1);
}

void privsep_close(struct ks_privsep *ps)
{
	if (ps->fd > 0)
		close(ps->fd);
	ps->fd = -1;
	if (ps->devnull > 0)
		close(ps->devnull);
	ps->devnull = -1;
	if (ps->shared)
		munmap(ps->shared, sizeof(*ps->shared));
	ps->shared = NULL;
}
