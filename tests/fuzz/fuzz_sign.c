// SPDX-License-Identifier: GPL-2.0-only
/* PS_SIGN as the monitor takes it from the worker (client_cert_sign): any bytes, against an
 * RSA and an EC key. The monitor signs only what a TLS handshake signs (a DigestInfo, an
 * EMSA-PSS block, an ECDSA digest), once per budget, and what it signs verifies. */
#include "../../user/client_cert.c"

#include "fuzz.h"

/* client_cert.c prompts for a key password only when loading a file: never here. */
int auth_prompt(const char *label, bool hide, char **out)
{
	(void)label;
	(void)hide;
	*out = NULL;
	return -ENOTTY;
}

static struct ks_client_cert keys[2];

static void setup(void)
{
	for (int i = 0; i < 2; i++) {
		keys[i].key = i ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") :
				  EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
		if (!keys[i].key)
			abort();
	}
}

/* Independently of client_cert.c: a DER DigestInfo (X509_SIG) of SHA-1 or SHA-2, whole. */
static bool is_digest_info(const uint8_t *in, size_t len)
{
	const uint8_t *q = in;
	X509_SIG *sig = d2i_X509_SIG(NULL, &q, (long)len);
	const X509_ALGOR *alg;
	const ASN1_OCTET_STRING *dig;
	const EVP_MD *md;
	bool ok;

	if (!sig)
		return false;
	X509_SIG_get0(sig, &alg, &dig);
	md = EVP_get_digestbyobj(alg->algorithm);
	ok = q == in + len && md && EVP_MD_get_size(md) == ASN1_STRING_length(dig) &&
	     EVP_MD_get_size(md) >= 20;
	X509_SIG_free(sig);
	return ok;
}

/* Independently: EMSA-PSS shape (RFC 8017 9.1.2 steps 4-10, without the message) with
 * OpenSSL's MGF1, for a 2048-bit modulus, salt as long as the hash. */
static bool is_pss(const uint8_t *em, size_t len)
{
	const EVP_MD *mds[] = { EVP_sha256(), EVP_sha384(), EVP_sha512() };
	uint8_t db[256];

	if (len != 256 || em[255] != 0xbc || (em[0] & 0x80))
		return false;
	for (int m = 0; m < 3; m++) {
		size_t h = (size_t)EVP_MD_get_size(mds[m]), dblen = 256 - h - 1, i;

		if (PKCS1_MGF1(db, (long)dblen, em + dblen, (long)h, mds[m]))
			return false;
		for (i = 0; i < dblen; i++)
			db[i] ^= em[i];
		db[0] &= 0x7f;
		for (i = 0; i < dblen - h - 1 && !db[i]; i++)
			;
		if (i == dblen - h - 1 && db[i] == 1)
			return true;
	}
	return false;
}

static bool verifies(EVP_PKEY *k, const struct ks_ps_sign *req, const struct ks_ps_sign *ans)
{
	EVP_PKEY_CTX *pc = EVP_PKEY_CTX_new(k, NULL);
	uint8_t back[KS_SIGN_MAX];
	size_t blen = sizeof(back);
	bool ok = false;

	if (!pc)
		return false;
	if (req->kind == KS_SIGN_RSA_RAW) /* the public operation gives the block back */
		ok = EVP_PKEY_verify_recover_init(pc) == 1 &&
		     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_NO_PADDING) == 1 &&
		     EVP_PKEY_verify_recover(pc, back, &blen, ans->data, ans->len) == 1 &&
		     blen == req->len && !memcmp(back, req->data, blen);
	else
		ok = EVP_PKEY_verify_init(pc) == 1 &&
		     (req->kind != KS_SIGN_RSA_PKCS1 ||
		      EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PADDING) == 1) &&
		     EVP_PKEY_verify(pc, ans->data, ans->len, req->data, req->len) == 1;
	EVP_PKEY_CTX_free(pc);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;
	struct ks_ps_sign req = { 0 }, ans, again;
	struct ks_client_cert *c;

	if (!ready) {
		setup();
		ready = true;
	}
	if (size < 1)
		return 0;
	c = &keys[data[0] & 1];
	c->budget = 1;
	c->signed_count = 0;
	c->window_count = 0; /* the per-minute cap is not what this target looks at */
	memcpy(&req, data + 1, size - 1 < sizeof(req) ? size - 1 : sizeof(req));
	client_cert_sign(c, data + 1, size - 1, &ans);
	FUZZ_CHECK(ans.type == PS_SIGN, "answer type %u", ans.type);
	FUZZ_CHECK(ans.len <= sizeof(ans.data), "answer length %u", ans.len);
	if (ans.err) {
		FUZZ_CHECK(ans.len == 0 && c->signed_count == 0, "refused, yet %u bytes", ans.len);
		return 0;
	}
	FUZZ_CHECK(c->budget == 0 && c->signed_count == 1, "budget %u", c->budget);
	FUZZ_CHECK(req.kind == KS_SIGN_ECDSA || req.kind == KS_SIGN_RSA_PKCS1 ||
			   req.kind == KS_SIGN_RSA_RAW, "kind %u signed", req.kind);
	FUZZ_CHECK(req.kind != KS_SIGN_RSA_PKCS1 || is_digest_info(req.data, req.len),
		   "PKCS#1 over something that is not a DigestInfo");
	FUZZ_CHECK(req.kind != KS_SIGN_RSA_RAW || is_pss(req.data, req.len),
		   "a raw RSA operation on something that is not an EMSA-PSS block");
	FUZZ_CHECK(verifies(c->key, &req, &ans), "the signature does not verify");
	client_cert_sign(c, data + 1, size - 1, &again);
	FUZZ_CHECK(again.err == -EPERM, "a second signature on one budget: %d", again.err);
	ERR_clear_error();
	return 0;
}
