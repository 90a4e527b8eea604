// SPDX-License-Identifier: GPL-2.0-only
/* The CONNECT response: http_parse_head() then cstp_parse_response(). What it accepts
 * must be what the rest of kslice can use: an address, an MTU in range, contiguous
 * masks, prefixes without host bits that print and parse back the same, domains both
 * domain checks accept, bounded lists. Input: the response head (a blank line is added
 * when missing). */
#include "../../user/cstp_params.c"

#include "dns_name.h"
#include "fuzz.h"

static void check_prefixes(const struct ks_prefix *arr, size_t n)
{
	char text[INET6_ADDRSTRLEN + 8];
	struct ks_prefix back;

	FUZZ_CHECK(n <= CSTP_MAX_SPLIT, "%zu prefixes", n);
	for (size_t i = 0; i < n; i++) {
		const struct ks_prefix *p = &arr[i];
		unsigned int max = p->family == AF_INET ? 32 : 128;

		FUZZ_CHECK(p->family == AF_INET || p->family == AF_INET6, "family %u", p->family);
		FUZZ_CHECK(p->len <= max, "length %u", p->len);
		for (unsigned int bit = p->len; bit < max; bit++)
			FUZZ_CHECK(!(p->addr[bit / 8] & (0x80 >> (bit % 8))), "host bit %u set",
				   bit);
		prefix_str(p, text, sizeof(text));
		FUZZ_CHECK(!prefix_parse(text, &back) && !memcmp(&back, p, sizeof(back)),
			   "'%s' does not parse back to the same prefix", text);
	}
}

static void check_domains(char **list, size_t n)
{
	char norm[KS_DOMAIN_TEXT_MAX];
	const char *why = NULL;

	FUZZ_CHECK(n <= CSTP_MAX_DOMAINS, "%zu domains", n);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(!dns_domain_normalize(list[i], norm, &why), "domain '%s' kept: %s",
			   list[i], why);
		FUZZ_CHECK(!strcmp(norm, list[i]), "domain '%s' kept, not in its normal form '%s'",
			   list[i], norm);
	}
}

static void check_params(const struct ks_cstp_params *p, const struct ks_http_resp *r)
{
	FUZZ_CHECK(p->have4 || p->have6, "no address");
	FUZZ_CHECK(p->mtu >= CSTP_MIN_MTU && p->mtu <= CSTP_MAX_MTU, "mtu %d", p->mtu);
	if (p->have4)
		FUZZ_CHECK(p->mask4.s_addr && prefix_mask_len(&p->mask4) >= 0, "netmask %08x",
			   ntohl(p->mask4.s_addr));
	if (p->have6)
		FUZZ_CHECK(p->prefix6 >= 1 && p->prefix6 <= 128, "prefix6 %u", p->prefix6);
	FUZZ_CHECK(p->ndns >= 0 && p->ndns <= CSTP_MAX_DNS && p->nnbns >= 0 &&
			   p->nnbns <= CSTP_MAX_DNS,
		   "dns %d nbns %d", p->ndns, p->nnbns);
	for (int i = 0; i < p->ndns; i++)
		FUZZ_CHECK(p->dns[i].family == AF_INET || p->dns[i].family == AF_INET6, "dns");
	FUZZ_CHECK(p->n_include + p->n_exclude <= r->nheaders, "more prefixes than headers");
	check_prefixes(p->split_include, p->n_include);
	check_prefixes(p->split_exclude, p->n_exclude);
	check_domains(p->split_dns, p->n_split_dns);
	check_domains(p->dyn_include_domains, p->n_dyn_include);
	check_domains(p->dyn_exclude_domains, p->n_dyn_exclude);
	if (p->default_domain)
		for (const char *c = p->default_domain; *c; c++)
			FUZZ_CHECK(isalnum((unsigned char)*c) || strchr(".-_ ,", *c),
				   "default domain '%s'", p->default_domain);
	FUZZ_CHECK(!p->rekey_method[0] || !strcmp(p->rekey_method, "ssl") ||
			   !strcmp(p->rekey_method, "new-tunnel") ||
			   !strcmp(p->rekey_method, "none"),
		   "rekey method '%s'", p->rekey_method);
	if (p->dtls_offered)
		FUZZ_CHECK(strlen(p->dtls_session_id) == 64 &&
				   strspn(p->dtls_session_id, "0123456789abcdefABCDEF") == 64,
			   "session id");
	FUZZ_CHECK(p->dpd >= 0 && p->keepalive >= 0 && p->idle_timeout >= 0 && p->rekey_time >= 0 &&
			   p->session_timeout >= 0 && p->disconnected_timeout >= 0,
		   "negative timer");
	FUZZ_CHECK(p->warnings >= 0, "warnings %d", p->warnings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_http_resp r;
	struct ks_cstp_params p;
	struct ks_error e = { { 0 } };
	char *head = malloc(size + 4);
	size_t hl;
	int err;

	memcpy(head, data, size);
	if (http_parse_head(head, size, &r, &hl, NULL)) {
		memcpy(head + size, "\r\n\r\n", 4);
		if (http_parse_head(head, size + 4, &r, &hl, NULL)) {
			free(head);
			return 0;
		}
	}
	err = cstp_parse_response(&r, &p, &e);
	FUZZ_LOG("cstp params: %d (%s)", err, e.msg);
	if (!err) {
		check_params(&p, &r);
		cstp_params_free(&p);
	} else {
		FUZZ_CHECK(err == -EPROTO || err == -ENOMEM, "err %d", err);
		FUZZ_CHECK(e.msg[0], "error %d without a message", err);
		FUZZ_CHECK(!p.split_include && !p.split_exclude && !p.split_dns && !p.banner &&
				   !p.default_domain && !p.dyn_include_domains,
			   "storage left after an error");
	}
	http_resp_free(&r);
	free(head);
	return 0;
}
