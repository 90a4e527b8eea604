// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "dtls_suites.h"
#include "esc.h"

/* In kslice's order of preference: ocserv's PSK-NEGOTIATE, then the legacy resumption
 * suites (DTLS 1.2 AES-GCM, then AES-SHA on DTLS 1.0 for older ASAs). */
static const struct ks_dtls_suite suites[] = {
	{ "PSK-NEGOTIATE", false, NULL, KS_DTLS_VER_1_2 },
	{ "OC-DTLS1_2-AES256-GCM", false, "AES256-GCM-SHA384", KS_DTLS_VER_1_2 },
	{ "OC-DTLS1_2-AES128-GCM", false, "AES128-GCM-SHA256", KS_DTLS_VER_1_2 },
	{ "AES256-SHA", false, "AES256-SHA", KS_DTLS_VER_BAD },
	{ "AES128-SHA", false, "AES128-SHA", KS_DTLS_VER_BAD },
	{ "ECDHE-RSA-AES256-GCM-SHA384", true, "ECDHE-RSA-AES256-GCM-SHA384", KS_DTLS_VER_1_2 },
	{ "ECDHE-RSA-AES128-GCM-SHA256", true, "ECDHE-RSA-AES128-GCM-SHA256", KS_DTLS_VER_1_2 },
	{ "AES256-GCM-SHA384", true, "AES256-GCM-SHA384", KS_DTLS_VER_1_2 },
	{ "AES128-GCM-SHA256", true, "AES128-GCM-SHA256", KS_DTLS_VER_1_2 },
};
_Static_assert(sizeof(suites) / sizeof(suites[0]) == 9, "KS_DTLS_SUITES_ALL");

const struct ks_dtls_suite *dtls_suite_find(const char *name, bool dtls12, uint32_t *bit)
{
	for (unsigned int i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		if (suites[i].dtls12 == dtls12 && !strcmp(suites[i].name, name)) {
			*bit = 1u << i;
			return &suites[i];
		}
	return NULL;
}

int dtls_suites_parse(const char *list, uint32_t *mask, struct ks_error *e)
{
	char name[64];
	const char *p = list;

	*mask = 0;
	while (*p) {
		size_t n = strcspn(p, ":,");
		uint32_t bit;

		if (!n || n >= sizeof(name))
			return ks_fail(e, -EINVAL, "--dtls-ciphers: '%s' is not a list of suites",
				       escn(list, 80));
		memcpy(name, p, n);
		name[n] = 0;
		if (!dtls_suite_find(name, false, &bit) && !dtls_suite_find(name, true, &bit))
			return ks_fail(e, -EINVAL, "--dtls-ciphers: '%s' is not a suite kslice runs "
				       "(PSK-NEGOTIATE, OC-DTLS1_2-AES256-GCM, OC-DTLS1_2-AES128-GCM, "
				       "AES256-SHA, AES128-SHA, or a DTLS 1.2 one: "
				       "[ECDHE-RSA-]AES{256-GCM-SHA384,128-GCM-SHA256})", esc(name));
		*mask |= bit;
		p += n + (p[n] != 0);
	}
	return *mask ? 0 : ks_fail(e, -EINVAL, "--dtls-ciphers: no suite given");
}

void dtls_suites_offer(struct ks_buf *req, uint32_t mask)
{
	for (int dtls12 = 0; dtls12 <= 1; dtls12++) {
		bool first = true;

		for (unsigned int i = 0; i < sizeof(suites) / sizeof(suites[0]); i++) {
			if (suites[i].dtls12 != dtls12 || !(mask & 1u << i))
				continue;
			buf_printf(req, "%s%s", first ? (dtls12 ? "X-DTLS12-CipherSuite: " :
							   "X-DTLS-CipherSuite: ") : ":",
				   suites[i].name);
			first = false;
		}
		if (!first)
			buf_printf(req, "\r\n");
	}
}
