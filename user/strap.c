// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/kdf.h>
#include <openssl/x509.h>

#include "strap.h"

#define GCM_IV 12
#define GCM_TAG 12 /* the gateway's tags are cut to 96 bits */

static EVP_PKEY *new_key(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

/* The key's SubjectPublicKeyInfo, DER (into der, *len) and base64 (into b64). */
static int spki(EVP_PKEY *k, uint8_t *der, int *len, char *b64)
{
	uint8_t *q = der;
	int n = i2d_PUBKEY(k, NULL);

	if (n <= 0 || n > 128 || i2d_PUBKEY(k, &q) != n)
		return -EIO;
	if (len)
		*len = n;
	EVP_EncodeBlock((uint8_t *)b64, der, n); /* 124 characters for P-256 */
	return 0;
}

int strap_init(struct ks_strap *s)
{
	uint8_t der[128];

	memset(s, 0, sizeof(*s));
	s->sign = new_key();
	s->dh = new_key();
	if (!s->sign || !s->dh || spki(s->sign, der, NULL, s->sign_b64) ||
	    spki(s->dh, der, NULL, s->dh_b64)) {
		strap_free(s);
		return -EIO;
	}
	return 0;
}

bool strap_ready(const struct ks_strap *s)
{
	return s->sign && s->dh;
}

void strap_auth_headers(const struct ks_strap *s, struct ks_buf *out)
{
	if (!strap_ready(s))
		return;
	buf_printf(out, "X-AnyConnect-STRAP-Pubkey: %s\r\n", s->sign_b64);
	buf_printf(out, "X-AnyConnect-STRAP-DH-Pubkey: %s\r\n", s->dh_b64);
}

/* RFC 5929 tls-unique (the client's Finished) up to TLS 1.2, RFC 9266 tls-exporter in 1.3. */
static int channel_binding(SSL *ssl, uint8_t *out, size_t cap, size_t *len)
{
	static const char label[] = "EXPORTER-Channel-Binding";

	if (SSL_version(ssl) >= TLS1_3_VERSION) {
		if (cap < 32 || SSL_export_keying_material(ssl, out, 32, label, sizeof(label) - 1,
							   NULL, 0, 0) != 1)
			return -EIO;
		*len = 32;
		return 0;
	}
	*len = SSL_get_finished(ssl, out, cap);
	return *len > 0 && *len <= cap ? 0 : -EIO;
}

int strap_connect_headers(struct ks_strap *s, SSL *ssl, struct ks_buf *out)
{
	uint8_t data[64 + 128], sig[80];
	char sig_b64[120], next_b64[KS_STRAP_B64_MAX];
	EVP_PKEY *next;
	EVP_MD_CTX *md;
	size_t bl, sl = sizeof(sig);
	int dl, err = -EIO;

	if (!strap_ready(s))
		return 0; /* a session from a cookie: no key to prove */
	if (channel_binding(ssl, data, 64, &bl))
		return -EIO;
	next = new_key();
	md = EVP_MD_CTX_new();
	if (next && md && !spki(next, data + bl, &dl, next_b64) &&
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, s->sign) == 1 &&
	    EVP_DigestSign(md, sig, &sl, data, bl + (size_t)dl) == 1 && sl <= sizeof(sig)) {
		EVP_EncodeBlock((uint8_t *)sig_b64, sig, (int)sl);
		buf_printf(out, "X-AnyConnect-STRAP-Verify: %s\r\n", sig_b64);
		buf_printf(out, "X-AnyConnect-STRAP-Pubkey: %s\r\n", next_b64);
		EVP_PKEY_free(s->sign);
		s->sign = next;
		memcpy(s->sign_b64, next_b64, sizeof(next_b64));
		next = NULL;
		err = 0;
	}
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(next);
	ERR_clear_error();
	return err;
}

/* Standard base64, padded: the decoded bytes, or -1. */
static int unbase64(const char *b64, uint8_t *out, size_t cap)
{
	size_t n = strlen(b64), pad = 0;
	int got;

	if (!n || n % 4 || n / 4 * 3 > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = b64[i];

		if (c == '=' && i >= n - 2)
			pad++;
		else if (!(isalnum((unsigned char)c) || c == '+' || c == '/') || pad)
			return -1;
	}
	got = EVP_DecodeBlock(out, (const uint8_t *)b64, (int)n);
	return got < 0 ? -1 : got - (int)pad;
}

struct blob {
	const uint8_t *v[5];
	size_t len[5];
};

static int parse_blob(const uint8_t *p, size_t n, struct blob *b, struct ks_error *e)
{
	size_t off = 2;

	memset(b, 0, sizeof(*b));
	if (n < 2 || p[0] != 0 || p[1] != 1)
		return ks_fail(e, -EBADMSG, "sso: the token is not version 1 of the format");
	while (off < n) {
		unsigned int tag, len;

		if (n - off < 4)
			return ks_fail(e, -EBADMSG, "sso: the token is cut at byte %zu", off);
		tag = (unsigned int)p[off] << 8 | p[off + 1];
		len = (unsigned int)p[off + 2] << 8 | p[off + 3];
		off += 4;
		if (tag < 1 || tag > 4 || b->v[tag])
			return ks_fail(e, -EBADMSG, "sso: the token's field %u at byte %zu is %s", tag,
				       off - 4, tag < 1 || tag > 4 ? "unknown" : "repeated");
		if (len > n - off)
			return ks_fail(e, -EBADMSG, "sso: the token's field %u (%u bytes) overruns it",
				       tag, len);
		b->v[tag] = p + off;
		b->len[tag] = len;
		off += len;
	}
	for (unsigned int t = 1; t <= 4; t++)
		if (!b->v[t])
			return ks_fail(e, -EBADMSG, "sso: the token has no field %u", t);
	if (b->len[2] != GCM_TAG || b->len[4] != GCM_IV || !b->len[3] ||
	    b->len[3] >= KS_SSO_TOKEN_MAX)
		return ks_fail(e, -EBADMSG, "sso: the token's tag, IV or text has a wrong length");
	return 0;
}

/* The gateway's ephemeral key: a P-256 point. */
static EVP_PKEY *peer_key(const uint8_t *der, size_t len)
{
	const uint8_t *q = der;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &q, (long)len);
	char group[32] = "";

	if (k && (q != der + len || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
		  !EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, group,
						  sizeof(group), NULL) ||
		  strcmp(group, "prime256v1"))) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* ECDH, then HKDF-SHA256 without salt, info "AC_ECIES": the AES-256 key. */
static int derive(EVP_PKEY *mine, EVP_PKEY *peer, uint8_t key[32])
{
	uint8_t secret[32];
	size_t sl = sizeof(secret), kl = 32;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(mine, NULL), *h = NULL;
	int ok = c && EVP_PKEY_derive_init(c) == 1 && EVP_PKEY_derive_set_peer(c, peer) == 1 &&
		 EVP_PKEY_derive(c, secret, &sl) == 1 && sl == sizeof(secret);

	h = ok ? EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, NULL) : NULL;
	ok = ok && h && EVP_PKEY_derive_init(h) == 1 &&
	     EVP_PKEY_CTX_set_hkdf_md(h, EVP_sha256()) == 1 &&
	     EVP_PKEY_CTX_set1_hkdf_key(h, secret, (int)sl) == 1 &&
	     EVP_PKEY_CTX_add1_hkdf_info(h, (const uint8_t *)"AC_ECIES", 8) == 1 &&
	     EVP_PKEY_derive(h, key, &kl) == 1 && kl == 32;
	OPENSSL_cleanse(secret, sizeof(secret));
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_CTX_free(h);
	return ok ? 0 : -EIO;
}

int strap_open_token(const struct ks_strap *s, const char *b64, char *out, size_t cap,
		     struct ks_error *e)
{
	uint8_t raw[KS_STRAP_BLOB_MAX], key[32], pt[KS_SSO_TOKEN_MAX];
	struct blob b;
	EVP_PKEY *peer = NULL;
	EVP_CIPHER_CTX *c = NULL;
	int n, m = 0, fin = 0, err;

	if (!s->dh)
		return ks_fail(e, -EBADMSG, "sso: no STRAP key to open the token with");
	if (strlen(b64) > KS_STRAP_BLOB_MAX || (n = unbase64(b64, raw, sizeof(raw))) < 0)
		return ks_fail(e, -EBADMSG, "sso: the token is not base64 (at most %d characters)",
			       KS_STRAP_BLOB_MAX);
	err = parse_blob(raw, (size_t)n, &b, e);
	if (err)
		return err;
	peer = peer_key(b.v[1], b.len[1]);
	if (!peer)
		return ks_fail(e, -EBADMSG, "sso: the token's key is not a P-256 public key");
	err = derive(s->dh, peer, key) ? -EIO : 0;
	c = err ? NULL : EVP_CIPHER_CTX_new();
	if (!err && (!c || EVP_DecryptInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL) != 1 ||
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, GCM_IV, NULL) != 1 ||
		     EVP_DecryptInit_ex(c, NULL, NULL, key, b.v[4]) != 1 ||
		     EVP_DecryptUpdate(c, pt, &m, b.v[3], (int)b.len[3]) != 1 ||
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, (void *)b.v[2]) != 1 ||
		     EVP_DecryptFinal_ex(c, pt + m, &fin) != 1))
		err = -EBADMSG;
	EVP_CIPHER_CTX_free(c);
	EVP_PKEY_free(peer);
	OPENSSL_cleanse(key, sizeof(key));
	ERR_clear_error();
	if (err)
		return ks_fail(e, -EBADMSG, "sso: the token does not open with our key (not for "
			       "this login, or altered)");
	m += fin;
	for (int i = 0; i < m; i++)
		if (!isalnum(pt[i])) {
			OPENSSL_cleanse(pt, sizeof(pt));
			return ks_fail(e, -EBADMSG, "sso: the token has a byte that is not a letter "
				       "or digit at %d", i);
		}
	if ((size_t)m >= cap) {
		OPENSSL_cleanse(pt, sizeof(pt));
		return ks_fail(e, -EMSGSIZE, "sso: the token is longer than %zu bytes", cap - 1);
	}
	memcpy(out, pt, (size_t)m);
	out[m] = 0;
	OPENSSL_cleanse(pt, sizeof(pt));
	return 0;
}

void strap_free(struct ks_strap *s)
{
	EVP_PKEY_free(s->sign);
	EVP_PKEY_free(s->dh);
	memset(s, 0, sizeof(*s));
}
