// SPDX-License-Identifier: GPL-2.0-only
/* The client certificate: loading (PEM, encrypted PEM, PKCS#12, a key that does not match),
 * and TLS handshakes in which the worker's proxy key has the monitor's side sign (RSA with
 * TLS 1.3's PSS and TLS 1.2's PKCS#1 v1.5, ECDSA), with a server that checks it. */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "client_cert.h"
#include "key_proxy.h"
#include "ks_test.h"

static char dir[64];

static EVP_PKEY *new_key(bool rsa)
{
	return rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) :
		     EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

static X509 *self_signed(EVP_PKEY *k, const char *cn, long days)
{
	X509 *x = X509_new();
	X509_NAME *n = X509_get_subject_name(x);

	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), days * 86400);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	return x;
}

static const char *path(const char *name)
{
	static char p[4][128];
	static int i;

	i = (i + 1) % 4;
	snprintf(p[i], sizeof(p[i]), "%s/%s", dir, name);
	return p[i];
}

/* cert and key into NAME (one PEM file), the key encrypted with pass if given. */
static void write_pem(const char *name, X509 *x, EVP_PKEY *k, const char *pass)
{
	FILE *f = fopen(path(name), "w");

	PEM_write_X509(f, x);
	if (k)
		PEM_write_PrivateKey(f, k, pass ? EVP_aes_256_cbc() : NULL, NULL, 0, NULL,
				     (void *)pass);
	fclose(f);
}

static void write_p12(const char *name, X509 *x, EVP_PKEY *k, const char *pass)
{
	PKCS12 *p = PKCS12_create(pass, "kslice", k, x, NULL, 0, 0, 0, 0, 0);
	FILE *f = fopen(path(name), "w");

	i2d_PKCS12_fp(f, p);
	fclose(f);
	PKCS12_free(p);
}

static int load(struct ks_client_cert *c, const char *cert, const char *key, const char *pass,
		struct ks_error *e)
{
	struct ks_cert_source src = { .cert = path(cert), .key = key ? path(key) : NULL,
				      .password = pass };

	return client_cert_load(c, &src, e);
}

static struct ks_client_cert *monitor_side;

/* What the worker's PS_SIGN would get: the same function the monitor runs. */
static int sign_here(void *ctx, enum ks_sign_kind kind, const uint8_t *in, size_t len,
		     uint8_t *out, size_t cap)
{
	struct ks_ps_sign req = { .type = 0, .kind = kind, .len = (uint32_t)len }, ans;

	(void)ctx;
	if (len > sizeof(req.data))
		return -EMSGSIZE;
	memcpy(req.data, in, len);
	client_cert_sign(monitor_side, (const uint8_t *)&req, sizeof(req), &ans);
	if (ans.err)
		return ans.err;
	if (ans.len > cap)
		return -EMSGSIZE;
	memcpy(out, ans.data, ans.len);
	return (int)ans.len;
}

static int accept_any(int ok, X509_STORE_CTX *x)
{
	(void)ok;
	(void)x;
	return 1;
}

/* A handshake through a BIO pair: does the server end up with our certificate? */
static bool handshake(struct ks_client_cert *c, int max_version, const char *sigalgs)
{
	static uint8_t body[KS_CERT_MSG_MAX];
	SSL_CTX *sc = SSL_CTX_new(TLS_server_method()), *cc = SSL_CTX_new(TLS_client_method());
	EVP_PKEY *sk = new_key(false);
	X509 *sx = self_signed(sk, "server", 1);
	SSL *s, *cl;
	BIO *b1, *b2;
	size_t len = 0;
	bool done = false, ok;

	SSL_CTX_use_certificate(sc, sx);
	SSL_CTX_use_PrivateKey(sc, sk);
	SSL_CTX_set_verify(sc, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any);
	SSL_CTX_set_max_proto_version(cc, max_version);
	if (sigalgs)
		SSL_CTX_set1_client_sigalgs_list(cc, sigalgs); /* for our signature only */
	ok = !client_cert_encode(c, body, sizeof(body), &len) &&
	     !key_proxy_install(cc, body, len);
	s = SSL_new(sc);
	cl = SSL_new(cc);
	BIO_new_bio_pair(&b1, 0, &b2, 0);
	SSL_set_bio(s, b1, b1);
	SSL_set_bio(cl, b2, b2);
	SSL_set_accept_state(s);
	SSL_set_connect_state(cl);
	for (int i = 0; ok && i < 20 && !done; i++) {
		int a = SSL_do_handshake(cl), b = SSL_do_handshake(s);

		done = a == 1 && b == 1;
		if ((a != 1 && SSL_get_error(cl, a) == SSL_ERROR_SSL) ||
		    (b != 1 && SSL_get_error(s, b) == SSL_ERROR_SSL))
			break;
	}
	/* TLS 1.3: the server checks the client's certificate after the client is done. */
	if (done) {
		char byte = 'x';

		done = SSL_write(cl, &byte, 1) == 1 && SSL_read(s, &byte, 1) == 1;
	}
	if (!done && getenv("KS_TEST_DEBUG"))
		ERR_print_errors_fp(stderr);
	ok = ok && done && SSL_get0_peer_certificate(s) &&
	     !X509_cmp(SSL_get0_peer_certificate(s), c->cert);
	ERR_clear_error();
	SSL_free(s);
	SSL_free(cl);
	SSL_CTX_free(sc);
	SSL_CTX_free(cc);
	X509_free(sx);
	EVP_PKEY_free(sk);
	return ok;
}

void test_client_cert(void)
{
	EVP_PKEY *rsa = new_key(true), *ec = new_key(false), *other = new_key(false);
	X509 *rx = self_signed(rsa, "alice rsa", 400), *ex = self_signed(ec, "alice ec", 10);
	struct ks_client_cert c;
	struct ks_error e = { 0 };

	snprintf(dir, sizeof(dir), "/tmp/ks-cert-XXXXXX");
	if (!mkdtemp(dir)) {
		test__skip("mkdtemp");
		return;
	}
	key_proxy_set_signer(sign_here, NULL);
	monitor_side = &c;
	write_pem("rsa.pem", rx, rsa, NULL);
	write_pem("ec.pem", ex, ec, NULL);
	write_pem("ec-enc.pem", ex, ec, "s3cret");
	write_pem("ec-cert.pem", ex, NULL, NULL);
	write_pem("other.pem", ex, other, NULL);
	write_p12("ec.p12", ex, ec, "p12pass");

	if (test__start_subtest("pem_rsa_tls13_pss")) {
		if (ASSERT_OK(load(&c, "rsa.pem", NULL, NULL, &e), e.msg)) {
			ASSERT_TRUE(strstr(c.subject, "alice rsa") != NULL, c.subject);
			ASSERT_TRUE(client_cert_days_left(&c) >= 398, "days left");
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_3_VERSION, NULL), "TLS 1.3 with RSA-PSS");
			ASSERT_EQ(c.signed_count, 1, "one signature");
			ASSERT_EQ(c.budget, 0, "budget spent");
			ASSERT_TRUE(!handshake(&c, TLS1_3_VERSION, NULL), "no budget: refused");
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_2_VERSION, "RSA+SHA256"), "TLS 1.2 PKCS#1");
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_2_VERSION, "rsa_pss_rsae_sha384"),
				    "TLS 1.2 PSS SHA-384");
			client_cert_free(&c);
		}
	}
	if (test__start_subtest("pem_ec_encrypted")) {
		ASSERT_EQ(load(&c, "ec-enc.pem", NULL, NULL, &e), -ENOKEY, "no password");
		ASSERT_TRUE(strstr(e.msg, "encrypted") != NULL, e.msg);
		ASSERT_EQ(load(&c, "ec-enc.pem", NULL, "wrong", &e), -ENOKEY, "wrong password");
		ASSERT_TRUE(strstr(e.msg, "wrong password") != NULL, e.msg);
		if (ASSERT_OK(load(&c, "ec-enc.pem", NULL, "s3cret", &e), e.msg)) {
			ASSERT_TRUE(client_cert_days_left(&c) <= 10, "days left");
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_3_VERSION, NULL), "TLS 1.3 ECDSA");
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_2_VERSION, NULL), "TLS 1.2 ECDSA");
			client_cert_free(&c);
		}
	}
	if (test__start_subtest("separate_key_and_mismatch")) {
		if (ASSERT_OK(load(&c, "ec-cert.pem", "ec.pem", NULL, &e), e.msg))
			client_cert_free(&c);
		ASSERT_EQ(load(&c, "ec-cert.pem", NULL, NULL, &e), -ENOKEY, "no key");
		ASSERT_TRUE(strstr(e.msg, "no private key") != NULL, e.msg);
		ASSERT_EQ(load(&c, "ec-cert.pem", "rsa.pem", NULL, &e), -ENOKEY, "wrong key");
		ASSERT_TRUE(strstr(e.msg, "does not match") != NULL, e.msg);
		ASSERT_EQ(load(&c, "other.pem", NULL, NULL, &e), -ENOKEY, "other key, one file");
		ASSERT_EQ(load(&c, "missing.pem", NULL, NULL, &e), -ENOENT, "no file");
		ASSERT_TRUE(strstr(e.msg, "missing.pem") != NULL, e.msg);
	}
	if (test__start_subtest("pkcs12")) {
		ASSERT_EQ(load(&c, "ec.p12", NULL, "nope", &e), -ENOKEY, "wrong password");
		ASSERT_TRUE(strstr(e.msg, "wrong password") != NULL, e.msg);
		ASSERT_EQ(load(&c, "ec.p12", NULL, NULL, &e), -ENOKEY, "no password");
		if (ASSERT_OK(load(&c, "ec.p12", NULL, "p12pass", &e), e.msg)) {
			c.budget = 1;
			ASSERT_TRUE(handshake(&c, TLS1_3_VERSION, NULL), "PKCS#12 key signs");
			client_cert_free(&c);
		}
	}
	if (test__start_subtest("sign_refuses_non_tls_input")) {
		if (ASSERT_OK(load(&c, "rsa.pem", NULL, NULL, &e), e.msg)) {
			uint8_t out[KS_SIGN_MAX], in[256];

			/* A raw private operation on anything but a PSS block (a ciphertext to
			 * decrypt) and PKCS#1 on anything but a DigestInfo are refused. */
			RAND_bytes(in, sizeof(in));
			in[0] &= 0x3f;
			c.budget = 1;
			ASSERT_EQ(sign_here(NULL, KS_SIGN_RSA_RAW, in, sizeof(in), out, sizeof(out)),
				  -EPERM, "random block, raw");
			c.budget = 1;
			ASSERT_EQ(sign_here(NULL, KS_SIGN_RSA_PKCS1, in, 51, out, sizeof(out)),
				  -EPERM, "not a DigestInfo");
			c.budget = 1;
			ASSERT_EQ(sign_here(NULL, KS_SIGN_ECDSA, in, 32, out, sizeof(out)), -EPERM,
				  "ECDSA with an RSA key");
			client_cert_free(&c);
		}
	}
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(other);
	X509_free(rx);
	X509_free(ex);
	for (const char **f = (const char *[]){ "rsa.pem", "ec.pem", "ec-enc.pem", "ec-cert.pem",
					       "other.pem", "ec.p12", NULL };
	     *f; f++)
		unlink(path(*f));
	rmdir(dir);
}
