// SPDX-License-Identifier: GPL-2.0-only
/* --servercert: tls_parse_pin(). What it accepts prints back (sha256:HEX, sha1:HEX,
 * pin-sha256:BASE64, as kslice shows fingerprints) and parses to the same pin. */
#include "../../user/tls.c"

#include "fuzz.h"

static void check_round_trip(const struct ks_pin *pin)
{
	char text[128];
	struct ks_pin back;
	size_t n = 0;

	if (pin->kind == KS_PIN_PUBKEY_SHA256) {
		n = (size_t)snprintf(text, sizeof(text), "pin-sha256:");
		EVP_EncodeBlock((unsigned char *)text + n, pin->hash, 32);
	} else {
		n = (size_t)snprintf(text, sizeof(text),
				     "%s:", pin->kind == KS_PIN_CERT_SHA256 ? "sha256" : "sha1");
		for (size_t i = 0; i < pin->len; i++)
			n += (size_t)snprintf(text + n, sizeof(text) - n, "%02x", pin->hash[i]);
	}
	FUZZ_CHECK(!tls_parse_pin(&back, text, NULL) && !memcmp(&back, pin, sizeof(back)),
		   "'%s' does not parse back to the same pin", text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = fuzz_cstr_all(data, size);
	struct ks_error e = { { 0 } };
	struct ks_pin pin;
	int err = tls_parse_pin(&pin, spec, &e);

	if (!err) {
		FUZZ_CHECK((pin.kind == KS_PIN_CERT_SHA1 && pin.len == 20) ||
				   (pin.kind != KS_PIN_CERT_SHA1 && pin.len == 32),
			   "kind %d, %zu bytes", pin.kind, pin.len);
		check_round_trip(&pin);
	} else {
		FUZZ_CHECK(err == -EINVAL && e.msg[0], "err %d", err);
	}
	free(spec);
	return 0;
}
