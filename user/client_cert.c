// SPDX-License-Identifier: GPL-2.0-only
/* OpenSSL 3.0 reaches PKCS#11 tokens only through the (deprecated) ENGINE API: Debian 12
 * ships libp11's engine, not a pkcs11 provider. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/engine.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "client_cert.h"
#include "esc.h"
#include "privsep.h"
#include "secret.h"
#include "tls.h"

#define CERT_FILE_MAX (1u << 20)
#define PASS_MAX 1024

struct pass_ctx {
	const struct ks_cert_source *src;
	const char *file;
	bool asked;	/* the key was encrypted */
	bool prompt_failed;
	char *typed;	/* a password typed at the prompt, kept for the key after the cert */
};

static bool is_uri(const char *s)
{
	return !strncmp(s, "pkcs11:", 7);
}

/* The whole file, bounded, in memory that is wiped when freed. */
static int read_file(const char *path, uint8_t **out, size_t *len, struct ks_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err = 0;
	struct stat st;
	uint8_t *buf = NULL;
	size_t n = 0;

	if (fd < 0)
		return ks_fail(e, -errno, "certificate: cannot open %s: %s", esc(path),
			       strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		err = ks_fail(e, -EINVAL, "certificate: %s is not a regular file", esc(path));
	else if (st.st_size > CERT_FILE_MAX)
		err = ks_fail(e, -EFBIG, "certificate: %s is larger than %u bytes", esc(path),
			      CERT_FILE_MAX);
	else if (!(buf = OPENSSL_malloc((size_t)st.st_size + 1)))
		err = -ENOMEM;
	while (!err && n < (size_t)st.st_size) {
		ssize_t got = read(fd, buf + n, (size_t)st.st_size - n);

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			err = ks_fail(e, got ? -errno : -EIO, "certificate: reading %s: %s",
				      esc(path), got ? strerror(errno) : "file shrank");
		else
			n += (size_t)got;
	}
	close(fd);
	if (err) {
		OPENSSL_clear_free(buf, n);
		return err;
	}
	*out = buf;
	*len = n;
	return 0;
}

/* The password, asked for only when the key or the PKCS#12 file is encrypted. */
static int password_for(struct pass_ctx *p, char *buf, int size)
{
	const char *pw = p->src->password ? p->src->password : p->typed;
	size_t n;

	p->asked = true;
	if (!pw && p->src->may_prompt && !p->prompt_failed) {
		char label[160];

		snprintf(label, sizeof(label), "Password for %s:", p->file);
		if (auth_prompt(label, true, &p->typed))
			p->prompt_failed = true;
		pw = p->typed;
	}
	if (!pw)
		return -1;
	n = strlen(pw);
	if (n >= (size_t)size)
		return -1;
	memcpy(buf, pw, n);
	return (int)n;
}

static int pem_cb(char *buf, int size, int rwflag, void *u)
{
	(void)rwflag;
	return password_for(u, buf, size);
}

static int need_password(struct pass_ctx *p, struct ks_error *e)
{
	if (p->src->password || p->typed)
		return ks_fail(e, -ENOKEY, "certificate: wrong password for %s", esc(p->file));
	return ks_fail(e, -ENOKEY, "certificate: %s is encrypted and no password was given "
		       "(--key-password-on-stdin, --key-password @FILE)", esc(p->file));
}

static int load_pkcs12(struct ks_client_cert *c, const uint8_t *der, size_t len,
		       struct pass_ctx *p, struct ks_error *e)
{
	const uint8_t *q = der;
	PKCS12 *p12 = d2i_PKCS12(NULL, &q, (long)len);
	char pw[PASS_MAX];
	int n, err = 0;

	if (!p12)
		return -EINVAL;
	/* An unencrypted PKCS#12 has an empty or no password. */
	if (PKCS12_verify_mac(p12, "", 0) == 1)
		n = 0;
	else if (PKCS12_verify_mac(p12, NULL, 0) == 1)
		n = -2;
	else if ((n = password_for(p, pw, sizeof(pw))) < 0 ||
		 (pw[n] = 0, PKCS12_verify_mac(p12, pw, n) != 1))
		err = need_password(p, e);
	if (!err && !PKCS12_parse(p12, n == -2 ? NULL : n ? pw : "", p->src->key ? NULL : &c->key,
				  &c->cert, &c->chain))
		err = ks_fail(e, -ENOKEY, "certificate: %s: PKCS#12: %s", esc(p->file),
			      tls_last_error());
	OPENSSL_cleanse(pw, sizeof(pw));
	PKCS12_free(p12);
	if (!err && !c->cert)
		err = ks_fail(e, -ENOKEY, "certificate: %s holds no certificate", esc(p->file));
	if (!err && sk_X509_num(c->chain) > KS_CERT_CHAIN_MAX)
		err = ks_fail(e, -E2BIG, "certificate: %s: more than %d certificates", esc(p->file),
			      KS_CERT_CHAIN_MAX + 1);
	return err;
}

/* PEM or DER: certificates (the first one is ours), and a key if want_key. */
static int load_file(struct ks_client_cert *c, const char *path, bool want_cert, bool want_key,
		     struct pass_ctx *p, struct ks_error *e)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	BIO *bio;
	X509 *x;
	int err = read_file(path, &buf, &len, e);

	if (err)
		return err;
	p->file = path;
	if (want_cert && len && buf[0] == 0x30) { /* DER: PKCS#12 or one certificate */
		const uint8_t *q = buf;

		err = load_pkcs12(c, buf, len, p, e);
		if (err == -EINVAL && (x = d2i_X509(NULL, &q, (long)len))) {
			c->cert = x;
			err = 0;
		} else if (err == -EINVAL) {
			err = ks_fail(e, -EINVAL, "certificate: %s is neither PEM, PKCS#12 nor a "
				      "DER certificate", esc(path));
		}
		OPENSSL_clear_free(buf, len);
		return err;
	}
	if (!want_cert && len && buf[0] == 0x30) { /* a DER key */
		const uint8_t *q = buf;

		c->key = d2i_AutoPrivateKey(NULL, &q, (long)len);
		OPENSSL_clear_free(buf, len);
		return c->key ? 0 : ks_fail(e, -ENOKEY, "certificate: %s is not a key",
					    esc(path));
	}
	bio = BIO_new_mem_buf(buf, (int)len);
	if (!bio) {
		OPENSSL_clear_free(buf, len);
		return -ENOMEM;
	}
	while (want_cert && (x = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		if (!c->cert) {
			c->cert = x;
		} else if (!c->chain && !(c->chain = sk_X509_new_null())) {
			X509_free(x);
			err = -ENOMEM;
			break;
		} else if (sk_X509_num(c->chain) >= KS_CERT_CHAIN_MAX || !sk_X509_push(c->chain, x)) {
			X509_free(x);
			err = ks_fail(e, -E2BIG, "certificate: %s: more than %d certificates",
				      esc(path), KS_CERT_CHAIN_MAX + 1);
			break;
		}
	}
	ERR_clear_error();
	if (!err && want_cert && !c->cert)
		err = ks_fail(e, -EINVAL, "certificate: %s holds no certificate", esc(path));
	if (!err && want_key) {
		(void)BIO_reset(bio);
		c->key = PEM_read_bio_PrivateKey(bio, NULL, pem_cb, p);
		if (!c->key && p->asked)
			err = need_password(p, e);
		else if (!c->key)
			err = ks_fail(e, -ENOKEY, "certificate: no private key in %s%s", esc(path),
				      want_cert ? " (give it with -k/--sslkey)" : "");
	}
	BIO_free(bio);
	OPENSSL_clear_free(buf, len);
	return err;
}

/* libp11's engine, loaded once and kept for the life of the process: unloading it leaves
 * its method tables behind (LeakSanitizer sees them once the library is gone). */
static ENGINE *token_engine;

/* Its default module is p11-kit's proxy, which knows every installed module (softhsm2,
 * opensc...). The PIN is the key password. */
static int load_token(struct ks_client_cert *c, const char *cert_uri, const char *key_uri,
		      struct pass_ctx *p, struct ks_error *e)
{
	ENGINE *eng = token_engine;
	char pw[PASS_MAX];
	int n;

	if (!eng) {
		ENGINE_load_builtin_engines();
		eng = ENGINE_by_id("pkcs11");
		if (!eng)
			return ks_fail(e, -ENOKEY, "certificate: PKCS#11 URIs need OpenSSL's pkcs11 "
				       "engine (Debian: libengine-pkcs11-openssl)");
		/* Our errors say what failed; libp11's own lines on stderr would repeat it. */
		ENGINE_ctrl_cmd(eng, "QUIET", 0, NULL, NULL, 0);
		if (!ENGINE_init(eng)) {
			ENGINE_free(eng);
			return ks_fail(e, -ENOKEY, "certificate: pkcs11 engine: %s",
				       tls_last_error());
		}
		token_engine = eng;
	}
	p->file = key_uri ? key_uri : cert_uri;
	n = key_uri && (p->src->password || p->src->may_prompt) ? password_for(p, pw, sizeof(pw))
								    : -1;
	if (n >= 0)
		pw[n] = 0;
	if (n >= 0 && !ENGINE_ctrl_cmd_string(eng, "PIN", pw, 0)) {
		OPENSSL_cleanse(pw, sizeof(pw));
		return ks_fail(e, -ENOKEY, "certificate: pkcs11 engine: %s", tls_last_error());
	}
	OPENSSL_cleanse(pw, sizeof(pw));
	if (cert_uri) {
		struct {
			const char *id;
			X509 *cert;
		} q = { cert_uri, NULL };

		if (!ENGINE_ctrl_cmd(eng, "LOAD_CERT_CTRL", 0, &q, NULL, 0) || !q.cert)
			return ks_fail(e, -ENOKEY, "certificate: no certificate at %s (token absent, "
				       "or no such object): %s", esc(cert_uri), tls_last_error());
		c->cert = q.cert;
	}
	if (key_uri) {
		c->key = ENGINE_load_private_key(eng, key_uri, NULL, NULL);
		c->engine = eng; /* the token's key signs through it */
		if (!c->key)
			return ks_fail(e, -ENOKEY, "certificate: no private key at %s (token "
				       "absent, wrong PIN, or no such object): %s", esc(key_uri),
				       tls_last_error());
	}
	return 0;
}

static void describe(struct ks_client_cert *c)
{
	const ASN1_TIME *na = X509_get0_notAfter(c->cert);
	struct tm tm;

	X509_NAME_oneline(X509_get_subject_name(c->cert), c->subject, sizeof(c->subject));
	c->not_after = na && ASN1_TIME_to_tm(na, &tm) ? timegm(&tm) : 0;
}

int client_cert_load(struct ks_client_cert *c, const struct ks_cert_source *src,
		     struct ks_error *e)
{
	struct pass_ctx p = { .src = src };
	const char *key = src->key ? src->key : src->cert;
	int err;

	memset(c, 0, sizeof(*c));
	if (src->key)
		snprintf(c->where, sizeof(c->where), "%s, key %s", src->cert, src->key);
	else
		snprintf(c->where, sizeof(c->where), "%s", src->cert);
	if (strstr(c->where, "pin-value="))
		snprintf(c->where, sizeof(c->where), "a PKCS#11 token (its URI holds a PIN)");
	ERR_clear_error();
	if (is_uri(src->cert) || is_uri(key)) {
		err = load_token(c, is_uri(src->cert) ? src->cert : NULL, is_uri(key) ? key : NULL,
				 &p, e);
		if (!err && !is_uri(src->cert))
			err = load_file(c, src->cert, true, false, &p, e);
		if (!err && !is_uri(key))
			err = load_file(c, key, false, true, &p, e);
	} else {
		err = load_file(c, src->cert, true, !src->key, &p, e);
		if (!err && src->key && !c->key)
			err = load_file(c, src->key, false, true, &p, e);
		else if (!err && !c->key)
			err = ks_fail(e, -ENOKEY, "certificate: no private key in %s (give it with "
				      "-k/--sslkey)", esc(src->cert));
	}
	if (p.typed)
		secret_free(p.typed);
	if (!err && X509_check_private_key(c->cert, c->key) != 1)
		err = ks_fail(e, -ENOKEY, "certificate: the key (%s) does not match the "
			      "certificate (%s)", esc(key), esc(src->cert));
	if (!err && EVP_PKEY_get_base_id(c->key) != EVP_PKEY_RSA &&
	    EVP_PKEY_get_base_id(c->key) != EVP_PKEY_EC)
		err = ks_fail(e, -ENOKEY, "certificate: %s: only RSA and EC keys are supported",
			      esc(key));
	ERR_clear_error();
	if (err) {
		client_cert_free(c);
		return err;
	}
	describe(c);
	return 0;
}

long client_cert_days_left(const struct ks_client_cert *c)
{
	int days = 0, secs = 0;

	if (!ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(c->cert)))
		return 0;
	return days < 0 || secs < 0 ? (long)days - (secs < 0 ? 1 : 0) : days;
}

static int put_der(X509 *x, uint8_t *out, size_t cap, size_t *len)
{
	int n = i2d_X509(x, NULL);
	uint32_t be;
	uint8_t *q;

	if (n <= 0 || *len + 4 + (size_t)n > cap)
		return -E2BIG;
	be = htobe32((uint32_t)n);
	memcpy(out + *len, &be, 4);
	q = out + *len + 4;
	i2d_X509(x, &q);
	*len += 4 + (size_t)n;
	return 0;
}

int client_cert_encode(const struct ks_client_cert *c, uint8_t *out, size_t cap, size_t *len)
{
	int err = put_der(c->cert, out, cap, len);

	for (int i = 0; !err && i < sk_X509_num(c->chain); i++)
		err = put_der(sk_X509_value(c->chain, i), out, cap, len);
	return err;
}

/* RFC 8017 §9.2 note 1: DigestInfo is this prefix, then the digest. */
static bool digest_info(const uint8_t *in, size_t len)
{
	static const uint8_t sha1[] = { 0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e,
					0x03, 0x02, 0x1a, 0x05, 0x00, 0x04, 0x14 };
	static const uint8_t sha2[][2] = { { 4, 28 }, { 1, 32 }, { 2, 48 }, { 3, 64 } };

	if (len == sizeof(sha1) + 20 && !memcmp(in, sha1, sizeof(sha1)))
		return true;
	for (size_t i = 0; i < sizeof(sha2) / sizeof(sha2[0]); i++) {
		const uint8_t h = sha2[i][1], p[] = { 0x30, (uint8_t)(0x11 + h), 0x30, 0x0d, 0x06,
						     0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03,
						     0x04, 0x02, sha2[i][0], 0x05, 0x00, 0x04, h };

		if (len == sizeof(p) + h && !memcmp(in, p, sizeof(p)))
			return true;
	}
	return false;
}

/* RFC 8017 §9.1.2 without the message: is em an EMSA-PSS encoding with a salt as long as
 * the hash (what TLS signs: RFC 8446 §4.2.3), for SHA-256, -384 or -512? A raw private
 * operation on anything else (a ciphertext to decrypt) is refused. */
static bool pss_shaped(const uint8_t *blk, size_t k, int modbits)
{
	const char *mds[] = { "SHA256", "SHA384", "SHA512" };
	size_t embits = (size_t)modbits - 1, emlen = (embits + 7) / 8;
	const uint8_t *em = blk + (k - emlen);
	uint8_t db[KS_SIGN_MAX];

	/* RFC 8017 9.1.2 step 6: the bits above emBits are zero. */
	if (emlen > k || (k > emlen && blk[0]) || em[emlen - 1] != 0xbc ||
	    (em[0] & (uint8_t) ~(0xff >> (8 * emlen - embits))))
		return false;
	for (size_t m = 0; m < sizeof(mds) / sizeof(mds[0]); m++) {
		EVP_MD *md = EVP_MD_fetch(NULL, mds[m], NULL);
		size_t h = md ? (size_t)EVP_MD_get_size(md) : 0, dblen = emlen - h - 1, i;
		bool ok = md && emlen >= 2 * h + 2;

		for (uint32_t ctr = 0, off = 0; ok && off < dblen; ctr++) { /* MGF1 */
			uint8_t c[4] = { (uint8_t)(ctr >> 24), (uint8_t)(ctr >> 16),
					 (uint8_t)(ctr >> 8), (uint8_t)ctr },
				out[EVP_MAX_MD_SIZE];
			EVP_MD_CTX *x = EVP_MD_CTX_new();

			ok = x && EVP_DigestInit_ex(x, md, NULL) &&
			     EVP_DigestUpdate(x, em + dblen, h) && EVP_DigestUpdate(x, c, 4) &&
			     EVP_DigestFinal_ex(x, out, NULL);
			EVP_MD_CTX_free(x);
			for (i = 0; ok && i < h && off < dblen; i++, off++)
				db[off] = em[off] ^ out[i];
		}
		EVP_MD_free(md);
		if (!ok)
			continue;
		db[0] &= (uint8_t)(0xff >> (8 * emlen - embits));
		for (i = 0; i < dblen - h - 1 && !db[i]; i++)
			;
		if (i == dblen - h - 1 && db[i] == 0x01)
			return true;
	}
	return false;
}

static int do_sign(struct ks_client_cert *c, const struct ks_ps_sign *req, uint8_t *out,
		   size_t *outlen)
{
	int base = EVP_PKEY_get_base_id(c->key), pad = 0;
	EVP_PKEY_CTX *pc;
	int err = 0;

	switch (req->kind) {
	case KS_SIGN_RSA_PKCS1:
		if (base != EVP_PKEY_RSA || !digest_info(req->data, req->len))
			return -EPERM;
		pad = RSA_PKCS1_PADDING;
		break;
	case KS_SIGN_RSA_RAW:
		if (base != EVP_PKEY_RSA || req->len != (uint32_t)EVP_PKEY_get_size(c->key) ||
		    !pss_shaped(req->data, req->len, EVP_PKEY_get_bits(c->key)))
			return -EPERM;
		pad = RSA_NO_PADDING;
		break;
	case KS_SIGN_ECDSA:
		if (base != EVP_PKEY_EC || req->len < 20 || req->len > 64)
			return -EPERM;
		break;
	default:
		return -EPERM;
	}
	pc = EVP_PKEY_CTX_new(c->key, c->engine);
	if (!pc || EVP_PKEY_sign_init(pc) != 1 ||
	    (pad && EVP_PKEY_CTX_set_rsa_padding(pc, pad) != 1) ||
	    EVP_PKEY_sign(pc, out, outlen, req->data, req->len) != 1)
		err = -EIO;
	EVP_PKEY_CTX_free(pc);
	return err;
}

void client_cert_sign(struct ks_client_cert *c, const uint8_t *msg, size_t n,
		      struct ks_ps_sign *ans)
{
	struct ks_ps_sign req;
	size_t outlen = sizeof(ans->data);

	memset(ans, 0, sizeof(*ans));
	ans->type = PS_SIGN;
	if (n < offsetof(struct ks_ps_sign, data) || n > sizeof(req)) {
		ans->err = -EPROTO;
		return;
	}
	memcpy(&req, msg, n);
	ans->kind = req.kind;
	if (req.len > n - offsetof(struct ks_ps_sign, data))
		ans->err = -EPROTO;
	else if (!c->key)
		ans->err = -ENOKEY;
	else if (!c->budget)
		ans->err = -EPERM;
	else if (time(NULL) - c->window_start >= 60) {
		c->window_start = time(NULL);
		c->window_count = 0;
	}
	if (!ans->err && ++c->window_count > KS_SIGN_PER_MINUTE)
		ans->err = -EPERM;
	if (ans->err)
		return;
	c->budget--;
	ans->err = do_sign(c, &req, ans->data, &outlen);
	ans->len = ans->err ? 0 : (uint32_t)outlen;
	if (!ans->err)
		c->signed_count++;
	ERR_clear_error();
}

void client_cert_free(struct ks_client_cert *c)
{
	EVP_PKEY_free(c->key);
	X509_free(c->cert);
	sk_X509_pop_free(c->chain, X509_free);
	memset(c, 0, sizeof(*c)); /* the engine stays (token_engine) */
}
