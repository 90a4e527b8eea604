/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker process of `kslice connect` (privsep.h). */
#pragma once
#include "session.h"

/* Runs the gateway's side of the session to its end; the exit code (also sent to the
 * monitor in PS_END). */
int worker_main(struct ks_session *s);
/* The KS_EXIT_* code for a -errno from the login or CONNECT. */
int worker_exit_for(int err);
/* The monitor's next message of type want (the others are taken as they come: STOP,
 * PATH, a late DTLS socket): its length, -EINTR on a stop, -errno. *fd: one that came
 * with it, or -1. */
ssize_t worker_await(struct ks_session *s, uint32_t want, void *msg, size_t cap, int *fd);
/* With -c: waits for the certificate from the monitor (PS_CERT) and makes its signatures
 * the monitor's (PS_SIGN). 0, or the exit code to end with. */
int worker_take_cert(struct ks_session *s);
/* --authenticate: the login alone, then the cookie and the gateway's particulars printed
 * as shell assignments on stdout (auth_print_shell). The exit code. */
int worker_authenticate(struct ks_session *s);
/* SAML's listener and browser come from the monitor (sso.h). */
void worker_login_env(struct ks_session *s);
