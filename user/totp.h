/* SPDX-License-Identifier: GPL-2.0-only */
/* RFC 6238 TOTP (and RFC 4226 HOTP underneath), computed locally so nobody types a code. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "error.h"

enum ks_totp_hash { KS_TOTP_SHA1 = 0, KS_TOTP_SHA256, KS_TOTP_SHA512 };

struct ks_totp {
	uint8_t key[256];
	size_t key_len;
	unsigned int digits; /* 6..10 */
	unsigned int period; /* seconds, 1..3600 */
	enum ks_totp_hash hash;
};

/* SPEC: `base32:SECRET`, `0xHEX`, `otpauth://totp/...?secret=...`, `@FILE` or `env:VAR`
 * (one of the former: the file's first line, the variable's value, which is then wiped and
 * unset), or raw text. Defaults: SHA1, 6 digits, 30 s. */
int totp_parse_secret(struct ks_totp *t, const char *spec, struct ks_error *e);
/* The code for the 8-byte counter (HOTP). out gets digits+1 bytes. */
int hotp_code(const struct ks_totp *t, uint64_t counter, char *out, size_t outlen);
int totp_code(const struct ks_totp *t, uint64_t unix_time, char *out, size_t outlen);
int base32_decode(const char *in, uint8_t *out, size_t outlen, size_t *written);
void totp_wipe(struct ks_totp *t);
