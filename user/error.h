/* SPDX-License-Identifier: GPL-2.0-only */
/* Functions return 0 or -errno; those parsing untrusted input also fill a ks_error with
 * what was wrong and where, and the caller at the edge reports it once. */
#pragma once
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "esc.h"

struct ks_error {
	char msg[320];
};

static inline __attribute__((format(printf, 3, 4))) int ks_fail(struct ks_error *e, int err,
								   const char *fmt, ...)
{
	char raw[sizeof(e->msg)];
	va_list ap;

	if (e) {
		/* Messages quote what the gateway sent: no control byte reaches a terminal. */
		va_start(ap, fmt);
		vsnprintf(raw, sizeof(raw), fmt, ap);
		va_end(ap);
		esc_controls(e->msg, sizeof(e->msg), raw, strlen(raw));
	}
	return err;
}
