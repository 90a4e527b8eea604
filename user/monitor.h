/* SPDX-License-Identifier: GPL-2.0-only */
/* The monitor's side of `kslice connect` (privsep.h), across cmd_connect.c (the session)
 * and monitor_auth.c (credentials, --authenticate). */
#pragma once
#include <stdint.h>
#include "session.h"

/* The worker's next message (msg: PS_MAX_MSG bytes); 1 when it ended (its code in *rc),
 * 0 to go on. */
int monitor_on_worker(struct ks_session *s, uint8_t *msg, double t0, int *rc);
/* -c: the certificate and key loaded here (the worker never sees the key), warnings of
 * its expiry, the chain sent to the worker (PS_CERT). 0 or -errno with e. */
int monitor_give_cert(struct ks_session *s, struct ks_error *e);
/* --key-password-on-stdin: stdin's first line, before the fork. */
int monitor_read_key_pass(struct ks_connect_opts *o, struct ks_error *e);
/* --authenticate: a login and nothing else; the exit code. As root, the login runs in an
 * unprivileged worker as always; otherwise here, with no privilege to drop. */
int monitor_authenticate(struct ks_session *s, struct ks_error *e);
/* PS_LISTEN and PS_BROWSE (n bytes): answered; -EPROTO when out of turn (a violation). */
int monitor_sso(struct ks_session *s, uint32_t type, const uint8_t *msg, size_t n);
