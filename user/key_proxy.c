// SPDX-License-Identifier: GPL-2.0-only
/* OpenSSL 3.0 lets a key's private operation happen elsewhere through an RSA_METHOD or
 * EC_KEY_METHOD (deprecated) or a whole provider; a key with such a method is "foreign" and
 * takes the legacy path, which calls it. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <openssl/ec.h>
#include <openssl/rsa.h>
#include <openssl/ssl.h>

#include "key_proxy.h"

static ks_sign_fn signer;
static void *signer_ctx;
static RSA_METHOD *rsa_meth;
static EC_KEY_METHOD *ec_meth;
static unsigned int signatures;

unsigned int key_proxy_signatures(void)
{
	return signatures;
}

void key_proxy_set_signer(ks_sign_fn fn, void *ctx)
{
	signer = fn;
	signer_ctx = ctx;
}

/* libssl's RSA signatures come here already padded: a DigestInfo for PKCS#1 v1.5 (TLS 1.2)
 * or a whole EMSA-PSS block (TLS 1.3), to be raised to the private exponent. */
static int rsa_priv_enc(int flen, const unsigned char *from, unsigned char *to, RSA *rsa,
			int padding)
{
	enum ks_sign_kind kind = padding == RSA_PKCS1_PADDING ? KS_SIGN_RSA_PKCS1 :
				 padding == RSA_NO_PADDING    ? KS_SIGN_RSA_RAW :
								0;
	int size = RSA_size(rsa), n;

	if (!kind || !signer || flen < 0 || size <= 0)
		return -1;
	n = signer(signer_ctx, kind, from, (size_t)flen, to, (size_t)size);
	signatures += n == size;
	return n == size ? n : -1;
}

static ECDSA_SIG *ec_sign_sig(const unsigned char *dgst, int dlen, const BIGNUM *kinv,
			      const BIGNUM *r, EC_KEY *eckey)
{
	uint8_t der[160];
	const uint8_t *q = der;
	int n;

	(void)kinv;
	(void)r;
	(void)eckey;
	if (!signer || dlen < 0)
		return NULL;
	n = signer(signer_ctx, KS_SIGN_ECDSA, dgst, (size_t)dlen, der, sizeof(der));
	signatures += n > 0;
	return n > 0 ? d2i_ECDSA_SIG(NULL, &q, n) : NULL;
}

static bool methods(void)
{
	if (!rsa_meth) {
		rsa_meth = RSA_meth_dup(RSA_get_default_method());
		if (!rsa_meth || !RSA_meth_set1_name(rsa_meth, "kslice monitor") ||
		    !RSA_meth_set_priv_enc(rsa_meth, rsa_priv_enc) ||
		    !RSA_meth_set_flags(rsa_meth, RSA_meth_get_flags(rsa_meth) | RSA_FLAG_EXT_PKEY))
			return false;
	}
	if (!ec_meth) {
		int (*sign)(int, const unsigned char *, int, unsigned char *, unsigned int *,
			    const BIGNUM *, const BIGNUM *, EC_KEY *) = NULL;
		int (*setup)(EC_KEY *, BN_CTX *, BIGNUM **, BIGNUM **) = NULL;

		ec_meth = EC_KEY_METHOD_new(EC_KEY_get_default_method());
		if (!ec_meth)
			return false;
		/* The default sign() encodes what sign_sig() returns. */
		EC_KEY_METHOD_get_sign(ec_meth, &sign, &setup, NULL);
		EC_KEY_METHOD_set_sign(ec_meth, sign, setup, ec_sign_sig);
	}
	return true;
}

EVP_PKEY *key_proxy_new(X509 *cert)
{
	EVP_PKEY *pub = X509_get0_pubkey(cert), *k = NULL;

	if (!pub || !methods())
		return NULL;
	if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_RSA) {
		RSA *rsa = EVP_PKEY_get1_RSA(pub);

		if (rsa && RSA_set_method(rsa, rsa_meth) && (k = EVP_PKEY_new()) &&
		    EVP_PKEY_assign_RSA(k, rsa))
			return k;
		RSA_free(rsa);
	} else if (EVP_PKEY_get_base_id(pub) == EVP_PKEY_EC) {
		EC_KEY *ec = EVP_PKEY_get1_EC_KEY(pub);

		if (ec && EC_KEY_set_method(ec, ec_meth) && (k = EVP_PKEY_new()) &&
		    EVP_PKEY_assign_EC_KEY(k, ec))
			return k;
		EC_KEY_free(ec);
	}
	EVP_PKEY_free(k);
	return NULL;
}

/* One certificate of PS_CERT's body at *off: a 4-byte length, then DER. */
static X509 *next_cert(const uint8_t *body, size_t len, size_t *off)
{
	const uint8_t *q;
	uint32_t n;
	X509 *x;

	if (len - *off < 4)
		return NULL;
	memcpy(&n, body + *off, 4);
	n = be32toh(n);
	if (n == 0 || n > len - *off - 4)
		return NULL;
	q = body + *off + 4;
	x = d2i_X509(NULL, &q, (long)n);
	if (x && q != body + *off + 4 + n) { /* trailing bytes: not what the monitor sends */
		X509_free(x);
		return NULL;
	}
	*off += 4 + n;
	return x;
}

int key_proxy_install(SSL_CTX *ctx, const uint8_t *body, size_t len)
{
	size_t off = 0;
	X509 *leaf = next_cert(body, len, &off), *x;
	EVP_PKEY *k = leaf ? key_proxy_new(leaf) : NULL;
	int err = leaf && k ? 0 : -EPROTO, n = 0;

	if (!err && (SSL_CTX_use_certificate(ctx, leaf) != 1 || SSL_CTX_use_PrivateKey(ctx, k) != 1))
		err = -EPROTO;
	while (!err && off < len) {
		if (++n > KS_CERT_CHAIN_MAX || !(x = next_cert(body, len, &off)))
			err = -EPROTO;
		else if (SSL_CTX_add0_chain_cert(ctx, x) != 1) {
			X509_free(x);
			err = -EPROTO;
		}
	}
	X509_free(leaf);
	EVP_PKEY_free(k);
	return err;
}
