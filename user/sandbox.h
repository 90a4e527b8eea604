/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker's seccomp allowlist (privsep.h): what talking TLS/HTTP/CSTP, reading a
 * prompt and running the io_uring data path need, and nothing else. A call outside the
 * list fails with EPERM: no exec, no new process, no ptrace, no file opened for writing,
 * no ioctl but the terminal's and FIONREAD/FIONBIO (no TIOCSTI, no TUNSETPERSIST), no
 * socket families but IPv4, IPv6, Unix and netlink (getaddrinfo), no signal to another
 * process, no new io_uring ring. Seccomp does not see what goes through a ring: the one
 * ring the worker has is made before this filter and restricted to the data path's
 * operations (user/uring.c); see docs/security.md. */
#pragma once

/* After the privilege drop (no_new_privs is set). 0 or -errno. */
int sandbox_worker(void);
