// SPDX-License-Identifier: GPL-2.0-only
/* PREFIX on the command line: opts_parse_prefix() (prefix_parse underneath, which
 * also reads the gateway's X-CSTP-Split-*). What it accepts has no host bits, prints
 * back with prefix_str() to the same prefix, and for IPv4 means the same with a dotted
 * netmask. */
#include "../../user/opts.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = fuzz_cstr_all(data, size), text[INET6_ADDRSTRLEN + 20], a[INET6_ADDRSTRLEN];
	struct ks_prefix p, back;
	struct ks_error e = { { 0 } };
	int err = opts_parse_prefix("--include", arg, &p, &e);

	if (!err) {
		unsigned int max = p.family == AF_INET ? 32 : 128;

		FUZZ_CHECK(p.family == AF_INET || p.family == AF_INET6, "family %u", p.family);
		FUZZ_CHECK(p.len <= max, "length %u", p.len);
		for (unsigned int bit = p.len; bit < max; bit++)
			FUZZ_CHECK(!(p.addr[bit / 8] & (0x80 >> (bit % 8))), "host bit %u", bit);
		prefix_str(&p, text, sizeof(text));
		FUZZ_CHECK(!opts_parse_prefix("--include", text, &back, NULL) &&
				   !memcmp(&back, &p, sizeof(p)),
			   "'%s' (from '%s') parses to another prefix", text, arg);
		if (p.family == AF_INET) {
			uint32_t m = p.len ? ~0u << (32 - p.len) : 0;

			inet_ntop(AF_INET, p.addr, a, sizeof(a));
			snprintf(text, sizeof(text), "%s/%u.%u.%u.%u", a, m >> 24, (m >> 16) & 255,
				 (m >> 8) & 255, m & 255);
			FUZZ_CHECK(!prefix_parse(text, &back) && !memcmp(&back, &p, sizeof(p)),
				   "'%s' is not the same as /%u", text, p.len);
		}
	} else {
		FUZZ_CHECK(err == -EINVAL && e.msg[0], "err %d", err);
	}
	free(arg);
	return 0;
}
