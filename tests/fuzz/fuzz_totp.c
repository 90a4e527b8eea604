// SPDX-License-Identifier: GPL-2.0-only
/* --token-secret: totp_parse_secret() (base32:, 0x, otpauth://totp/, @FILE, raw), and a
 * code from what it accepted. A first byte '@' puts the rest in a memfd read as @FILE.
 * base32_decode() is also run into an output of fuzzed size. */
#include "../../user/totp.c"

#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"

static void check_secret(const struct ks_totp *t)
{
	char code[16];

	FUZZ_CHECK(t->key_len >= 1 && t->key_len <= sizeof(t->key), "key of %zu bytes", t->key_len);
	FUZZ_CHECK(t->digits >= 6 && t->digits <= 10, "digits %u", t->digits);
	FUZZ_CHECK(t->period >= 1 && t->period <= 3600, "period %u", t->period);
	FUZZ_CHECK(t->hash <= KS_TOTP_SHA512, "hash %d", t->hash);
	FUZZ_CHECK(!totp_code(t, 1700000000, code, sizeof(code)), "no code");
	FUZZ_CHECK(strlen(code) == t->digits && strspn(code, "0123456789") == t->digits,
		   "code '%s' for %u digits", code, t->digits);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_error e = { { 0 } };
	struct ks_totp t;
	char *spec, path[64];
	uint8_t *small;
	size_t written = 0, cap;
	int err, fd = -1;

	if (size && data[0] == '@') {
		fd = memfd_create("fuzz-secret", MFD_CLOEXEC);
		FUZZ_CHECK(fd >= 0 && write(fd, data + 1, size - 1) == (ssize_t)(size - 1),
			   "memfd");
		snprintf(path, sizeof(path), "@/proc/self/fd/%d", fd);
		spec = strdup(path);
	} else {
		spec = fuzz_cstr_all(data, size);
	}
	err = totp_parse_secret(&t, spec, &e);
	if (!err) {
		check_secret(&t);
	} else {
		FUZZ_CHECK(err < 0 && e.msg[0], "error %d without a message", err);
		static const uint8_t zero[sizeof(t.key)];

		FUZZ_CHECK(!t.key_len && !memcmp(t.key, zero, sizeof(zero)),
			   "key not wiped after an error");
	}
	totp_wipe(&t);
	if (fd >= 0)
		close(fd);
	free(spec);

	spec = fuzz_cstr_all(data, size);
	cap = size ? data[0] % 33 : 0;
	small = malloc(cap ? cap : 1); /* exactly cap bytes */
	err = base32_decode(spec, small, cap, &written);
	free(small);
	FUZZ_CHECK(err || written <= cap, "%zu bytes written into %zu", written, cap);
	FUZZ_CHECK(!err || err == -EINVAL || err == -EMSGSIZE, "err %d", err);
	free(spec);
	return 0;
}
