// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "secret_file.h"
#include "totp.h"

int base32_decode(const char *in, uint8_t *out, size_t outlen, size_t *written)
{
	uint32_t acc = 0;
	int bits = 0;
	size_t n = 0;

	for (const char *p = in; *p; p++) {
		int v;
		char c = (char)toupper((unsigned char)*p);

		if (c == '=' || c == ' ' || c == '-')
			continue;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= '2' && c <= '7')
			v = c - '2' + 26;
		else
			return -EINVAL;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			if (n >= outlen)
				return -EMSGSIZE;
			out[n++] = (uint8_t)(acc >> (bits - 8));
			bits -= 8;
		}
	}
	*written = n;
	return 0;
}

static int hex_decode(const char *in, uint8_t *out, size_t outlen, size_t *written)
{
	size_t len = strlen(in), n = 0;

	if (len % 2)
		return -EINVAL;
	for (size_t i = 0; i < len; i += 2) {
		char pair[3] = { in[i], in[i + 1], 0 };

		if (!isxdigit((unsigned char)in[i]) || !isxdigit((unsigned char)in[i + 1]))
			return -EINVAL;
		if (n >= outlen)
			return -EMSGSIZE;
		out[n++] = (uint8_t)strtoul(pair, NULL, 16);
	}
	*written = n;
	return 0;
}

/* Reads `key=value` parameters of an otpauth:// URI (no percent-decoding needed for
 * base32, digits, period or algorithm names). */
static int parse_otpauth(struct ks_totp *t, const char *uri, struct ks_error *e)
{
	const char *q = strchr(uri, '?');
	char secret[512] = "";
	char *copy, *save = NULL;
	int err = 0;

	if (strncasecmp(uri, "otpauth://totp/", 15))
		return ks_fail(e, -EINVAL, "token secret: only otpauth://totp/ URIs are supported");
	if (!q)
		return ks_fail(e, -EINVAL, "token secret: otpauth URI has no parameters");
	copy = strdup(q + 1);
	if (!copy)
		return -ENOMEM;
	for (char *kv = strtok_r(copy, "&", &save); kv && !err; kv = strtok_r(NULL, "&", &save)) {
		char *v = strchr(kv, '=');
		unsigned long n;

		if (!v)
			continue;
		*v++ = 0;
		if (!strcasecmp(kv, "secret")) {
			snprintf(secret, sizeof(secret), "%s", v);
		} else if (!strcasecmp(kv, "digits")) {
			n = strtoul(v, NULL, 10);
			if (n < 6 || n > 10)
				err = ks_fail(e, -EINVAL, "token secret: digits=%s not in 6..10", v);
			t->digits = (unsigned int)n;
		} else if (!strcasecmp(kv, "period")) {
			n = strtoul(v, NULL, 10);
			if (n < 1 || n > 3600)
				err = ks_fail(e, -EINVAL, "token secret: period=%s not in 1..3600", v);
			t->period = (unsigned int)n;
		} else if (!strcasecmp(kv, "algorithm")) {
			if (!strcasecmp(v, "SHA1"))
				t->hash = KS_TOTP_SHA1;
			else if (!strcasecmp(v, "SHA256"))
				t->hash = KS_TOTP_SHA256;
			else if (!strcasecmp(v, "SHA512"))
				t->hash = KS_TOTP_SHA512;
			else
				err = ks_fail(e, -EINVAL, "token secret: algorithm=%s unknown", v);
		}
	}
	OPENSSL_cleanse(copy, strlen(copy));
	free(copy);
	if (!err && !secret[0])
		err = ks_fail(e, -EINVAL, "token secret: otpauth URI has no secret=");
	if (!err && base32_decode(secret, t->key, sizeof(t->key), &t->key_len))
		err = ks_fail(e, -EINVAL, "token secret: secret= is not valid base32");
	OPENSSL_cleanse(secret, sizeof(secret));
	return err;
}

int totp_parse_secret(struct ks_totp *t, const char *spec, struct ks_error *e)
{
	char line[1024];
	int err = 0;

	memset(t, 0, sizeof(*t));
	t->digits = 6;
	t->period = 30;
	t->hash = KS_TOTP_SHA1;
	if (!strncmp(spec, "env:", 4)) {
		char *v = getenv(spec + 4);

		if (!v || !*v)
			return ks_fail(e, -EINVAL, "token secret: environment variable %.64s is not set",
				       spec + 4);
		if (strlen(v) >= sizeof(line))
			return ks_fail(e, -EMSGSIZE, "token secret: %.64s is too long", spec + 4);
		snprintf(line, sizeof(line), "%s", v);
		/* Wiped in place (that is what /proc/PID/environ shows), then removed. */
		OPENSSL_cleanse(v, strlen(v));
		unsetenv(spec + 4);
		spec = line;
	} else if (spec[0] == '@') {
		err = secret_read_line("token secret", spec + 1, false, line, sizeof(line), e);
		if (err)
			return err;
		spec = line;
		if (spec[0] == '@') {
			err = ks_fail(e, -EINVAL, "token secret: file %s points to another file",
				      line + 1);
			goto out;
		}
	}
	if (!strncasecmp(spec, "base32:", 7)) {
		if (base32_decode(spec + 7, t->key, sizeof(t->key), &t->key_len))
			err = ks_fail(e, -EINVAL, "token secret: not valid base32 after 'base32:'");
	} else if (!strncasecmp(spec, "0x", 2)) {
		if (hex_decode(spec + 2, t->key, sizeof(t->key), &t->key_len))
			err = ks_fail(e, -EINVAL,
				      "token secret: not an even number of hex digits after '0x'");
	} else if (!strncasecmp(spec, "otpauth:", 8)) {
		err = parse_otpauth(t, spec, e);
	} else {
		t->key_len = strlen(spec);
		if (t->key_len > sizeof(t->key))
			err = ks_fail(e, -EMSGSIZE, "token secret: longer than %zu bytes",
				      sizeof(t->key));
		else
			memcpy(t->key, spec, t->key_len);
	}
	if (!err && t->key_len == 0)
		err = ks_fail(e, -EINVAL, "token secret: empty key");
out:
	OPENSSL_cleanse(line, sizeof(line));
	if (err)
		totp_wipe(t);
	return err;
}

int hotp_code(const struct ks_totp *t, uint64_t counter, char *out, size_t outlen)
{
	static const uint32_t pow10[] = { 1, 10, 100, 1000, 10000, 100000, 1000000,
					  10000000, 100000000, 1000000000 };
	const EVP_MD *md = t->hash == KS_TOTP_SHA512 ? EVP_sha512() :
			   t->hash == KS_TOTP_SHA256 ? EVP_sha256() : EVP_sha1();
	uint8_t msg[8], mac[EVP_MAX_MD_SIZE];
	unsigned int mac_len = 0, off;
	uint64_t bin;

	if (t->digits < 6 || t->digits > 10 || outlen < t->digits + 1)
		return -EINVAL;
	for (int i = 7; i >= 0; i--, counter >>= 8)
		msg[i] = (uint8_t)counter;
	if (!HMAC(md, t->key, (int)t->key_len, msg, sizeof(msg), mac, &mac_len))
		return -EIO;
	off = mac[mac_len - 1] & 0x0f;
	bin = ((uint64_t)(mac[off] & 0x7f) << 24) | ((uint64_t)mac[off + 1] << 16) |
	      ((uint64_t)mac[off + 2] << 8) | mac[off + 3];
	/* 10 digits exceed 2^31: the truncated value is printed zero-padded as is. */
	if (t->digits < 10)
		bin %= pow10[t->digits];
	snprintf(out, outlen, "%0*llu", (int)t->digits, (unsigned long long)bin);
	OPENSSL_cleanse(mac, sizeof(mac));
	return 0;
}

int totp_code(const struct ks_totp *t, uint64_t unix_time, char *out, size_t outlen)
{
	if (!t->period)
		return -EINVAL;
	return hotp_code(t, unix_time / t->period, out, outlen);
}

void totp_wipe(struct ks_totp *t)
{
	OPENSSL_cleanse(t, sizeof(*t));
}
