// SPDX-License-Identifier: GPL-2.0-only
/* SAML's external-browser listener: the browser's request line (sso_parse_request) and the
 * token it brings (strap_open_token, against a STRAP key of our own). The first byte picks
 * which. A request parses into a blob and a return address without control bytes; a blob
 * that is not ours never opens (AES-GCM), and what is refused says why without a control
 * byte. */
#include "../../user/sso.c"

#include "fuzz.h"

/* sso.c reads a pasted token through auth.c: not driven here. */
int auth_prompt(const char *label, bool hide, char **out)
{
	*out = NULL;
	return -ENOTTY;
}

int auth_read_line(FILE *in, char **out)
{
	*out = NULL;
	return -ENODATA;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ks_strap strap;
	struct ks_error e = { { 0 } };
	char *s, blob[KS_STRAP_BLOB_MAX + 1], ret[SSO_URL_MAX + 1], token[KS_SSO_TOKEN_MAX];
	int err;

	if (!strap_ready(&strap) && strap_init(&strap))
		abort();
	if (size < 1)
		return 0;
	s = fuzz_cstr_all(data + 1, size - 1);
	if (data[0] & 1) {
		err = sso_parse_request(s, blob, sizeof(blob), ret, sizeof(ret));
		FUZZ_CHECK(!err || err == -ENOENT || err == -EBADMSG, "err %d", err);
		if (!err) {
			FUZZ_CHECK(blob[0] && !fuzz_has_ctl(blob) && !fuzz_has_ctl(ret), "blob or return unclean");
			FUZZ_CHECK(!strncmp(s, "GET /api/sso/", 13), "took another path");
		}
	} else {
		err = strap_open_token(&strap, s, token, sizeof(token), &e);
		FUZZ_CHECK(err == -EBADMSG || err == -EMSGSIZE, "a blob nobody encrypted to us "
			   "opened (err %d)", err);
		FUZZ_CHECK(e.msg[0] && !fuzz_has_ctl(e.msg), "message '%s'", e.msg);
	}
	free(s);
	return 0;
}
