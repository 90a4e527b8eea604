/* SPDX-License-Identifier: GPL-2.0-only */
/* The worker process of `kslice connect` (privsep.h). */
#pragma once
#include "session.h"

/* Runs the gateway's side of the session to its end; the exit code (also sent to the
 * monitor in PS_END). */
int worker_main(struct ks_session *s);
/* The KS_EXIT_* code for a -errno from the login or CONNECT. */
int worker_exit_for(int err);
