/* SPDX-License-Identifier: GPL-2.0-only */
/* The login options a fuzz input picks (fuzz_auth, fuzz_login): bit 1 a user name, bit 2
 * a group, bit 4 a TOTP key (RFC 6238's SHA1 test key). Include after user/opts.h. */
#pragma once
#include <stdbool.h>

static inline void fuzz_login_opts(struct ks_connect_opts *o, unsigned int flags)
{
	o->user = flags & 1 ? "alice" : NULL;
	o->authgroup = flags & 2 ? "Contractors" : NULL;
	if (flags & 4) {
		o->have_totp = true;
		o->totp = (struct ks_totp){
			.key = "12345678901234567890", .key_len = 20, .digits = 6, .period = 30
		};
	}
}
