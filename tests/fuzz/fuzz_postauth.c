// SPDX-License-Identifier: GPL-2.0-only
/* X-CSTP-Post-Auth-XML (Cisco ASA): xml_post_auth_domains() on any bytes, then, as
 * cstp_params.c takes the header, the dynamic split domains it pushes: each must pass
 * both of kslice's domain checks (cstp_params.c valid_domain, dns_name.c
 * dns_domain_normalize), since the DNS side normalizes what the params side let in. */
#include "../../user/cstp_params.c"

#include "dns_name.h"
#include "fuzz.h"

static void check_domains(char **list, size_t n)
{
	char norm[KS_DOMAIN_TEXT_MAX];
	const char *why = NULL;

	FUZZ_CHECK(n <= CSTP_MAX_DOMAINS, "%zu domains", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(!dns_domain_normalize(list[i], norm, &why),
			   "'%s' pushed, dns_domain_normalize says: %s", list[i], why);
		FUZZ_CHECK(!strcmp(norm, list[i]), "'%s' kept, not in its normal form '%s'",
			   list[i], norm);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_cstp_params p = { 0 };
	char *inc = NULL, *exc = NULL, *v;
	int err;

	err = xml_post_auth_domains((const char *)data, size, &inc, &exc);
	FUZZ_CHECK(!err || err == -EINVAL, "err %d", err);
	FUZZ_CHECK(!err || (!inc && !exc), "results after an error");
	if (inc)
		FUZZ_CHECK(strlen(inc) <= 4 * size, "include");
	if (exc)
		FUZZ_CHECK(strlen(exc) <= 4 * size, "exclude");
	free(inc);
	free(exc);

	/* As a header value: a C string. */
	v = fuzz_cstr_all(data, size);
	err = post_auth_xml(&p, v, "X-CSTP-Post-Auth-XML");
	FUZZ_CHECK(!err || err == -EINVAL, "post_auth_xml: %d", err);
	check_domains(p.dyn_include_domains, p.n_dyn_include);
	check_domains(p.dyn_exclude_domains, p.n_dyn_exclude);
	cstp_params_free(&p);
	free(v);
	return 0;
}
