// SPDX-License-Identifier: GPL-2.0-only
/* Domains: dns_domain_normalize() and the BPF trie key (dns_domain_key /
 * dns_domain_from_key) on each line of the input, and opts_add_domain() collecting them
 * as --domain/--exclude-domain do. A normalized name is lowercase, without empty or long
 * labels or a trailing dot, normalizes to itself, and its key decodes back to it. Any
 * key bytes decode safely. */
#include "../../user/dns_name.c"

#include <ctype.h>
#include <stdlib.h>

#include "dns.h"
#include "fuzz.h"
#include "opts.h"

static void check_normalized(const char *in, const char *out)
{
	char again[KS_DOMAIN_TEXT_MAX], back[KS_DOMAIN_TEXT_MAX];
	struct ks_domain_key key;
	const char *why = NULL;
	size_t n = strlen(out), label = 0;

	FUZZ_CHECK(n >= 1 && n <= 253, "'%s' normalized to %zu bytes", in, n);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)out[i];

		FUZZ_CHECK(!isupper(c), "'%s': upper case in '%s'", in, out);
		if (c == '.') {
			FUZZ_CHECK(label > 0, "'%s' normalized to '%s', with an empty label", in,
				   out);
			label = 0;
		} else {
			FUZZ_CHECK(isalnum(c) || c == '-' || c == '_', "'%s': byte 0x%02x", in, c);
			FUZZ_CHECK(++label <= 63, "'%s': label over 63", in);
		}
	}
	/* "a.." is taken as "a.": its key has an empty label that decodes to nothing. */
	FUZZ_CHECK_KNOWN("domain-dots", label > 0, "'%s' normalized to '%s', ending in a dot", in,
			 out);
	if (!label)
		return;
	FUZZ_CHECK(!dns_domain_normalize(out, again, &why) && !strcmp(again, out),
		   "'%s' does not normalize to itself", out);
	dns_domain_key(out, &key);
	FUZZ_CHECK(key.prefixlen == 8 * (n + 1), "key of '%s' is %u bits", out, key.prefixlen);
	FUZZ_CHECK(!dns_domain_from_key(&key, back) && !strcmp(back, out),
		   "the key of '%s' decodes to something else", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_domain_arg *arr = NULL;
	struct ks_domain_key key = { 0 };
	char out[KS_DOMAIN_TEXT_MAX], *all = fuzz_cstr_all(data, size), *save = NULL;
	size_t n = 0;

	/* Any key: the first two bytes its length in bits. */
	if (size >= 2) {
		size_t kl = size - 2 < KS_DNS_KEY_MAX ? size - 2 : KS_DNS_KEY_MAX;

		key.prefixlen = (uint32_t)(data[0] << 8 | data[1]);
		memcpy(key.name, data + 2, kl);
		if (!dns_domain_from_key(&key, out))
			FUZZ_CHECK(strlen(out) < KS_DOMAIN_TEXT_MAX, "decoded key");
	}
	for (char *line = strtok_r(all, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		const char *why = NULL;
		struct ks_error e = { { 0 } };
		uint32_t flags = line[0] == '!' ? KS_DOMAIN_EXCLUDE : KS_DOMAIN_TUNNEL;
		int err;

		if (!dns_domain_normalize(line, out, &why))
			check_normalized(line, out);
		else
			FUZZ_CHECK(why && *why, "'%s' refused without a reason", line);
		err = opts_add_domain(&arr, &n, "--domain", line + (line[0] == '!'), flags, &e);
		FUZZ_CHECK(!err || (err < 0 && e.msg[0]), "opts_add_domain: %d", err);
	}
	FUZZ_CHECK(n <= CSTP_MAX_DOMAINS, "%zu domains", n);
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++)
			FUZZ_CHECK(strcmp(arr[i].name, arr[j].name), "'%s' twice", arr[i].name);
	free(arr);
	free(all);
	return 0;
}
