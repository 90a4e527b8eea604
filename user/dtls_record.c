// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/kdf.h>
#include <openssl/provider.h>

#include "dtls_record.h"
#include "pkt_field.h"

#define CT_APPLICATION_DATA 23
#define SEQ_MAX ((1ull << 48) - 1)
/* OpenSSL's own records of this epoch (its Finished, a retransmission of it) take the
 * sequence numbers from 0; ours start well above them. */
#define SEQ_FIRST 0x10000

/* RFC 5246 §6.3: the key block, PRF(master, "key expansion", server + client random). */
static int key_block(SSL *ssl, const EVP_MD *md, uint8_t *out, size_t len)
{
	uint8_t master[SSL_MAX_MASTER_KEY_LENGTH], seed[2 * SSL3_RANDOM_SIZE];
	size_t mlen = SSL_SESSION_get_master_key(SSL_get_session(ssl), master, sizeof(master));
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, OSSL_KDF_NAME_TLS1_PRF, NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	OSSL_PARAM params[5];
	int ok;

	SSL_get_server_random(ssl, seed, SSL3_RANDOM_SIZE);
	SSL_get_client_random(ssl, seed + SSL3_RANDOM_SIZE, SSL3_RANDOM_SIZE);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST,
						     (char *)EVP_MD_get0_name(md), 0);
	params[1] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, master, mlen);
	params[2] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, "key expansion", 13);
	params[3] = OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, sizeof(seed));
	params[4] = OSSL_PARAM_construct_end();
	ok = mlen && kctx && EVP_KDF_derive(kctx, out, len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	EVP_KDF_free(kdf);
	OPENSSL_cleanse(master, sizeof(master));
	return ok ? 0 : -EIO;
}

static void aad_init(struct ks_dtls_aad *a)
{
	a->params[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_AAD,
							 a->aad, sizeof(a->aad));
	a->params[1] = OSSL_PARAM_construct_end();
}

static bool allow_own_gcm = true;

/* Whether OpenSSL's AES-GCM would be its default provider's: not in FIPS mode (default
 * properties fips=yes), nor with a FIPS provider loaded, nor another one configured. */
static bool openssl_gcm_is_default(size_t klen)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, klen == 16 ? "AES-128-GCM" : "AES-256-GCM", NULL);
	const OSSL_PROVIDER *p = c ? EVP_CIPHER_get0_provider(c) : NULL;
	bool yes = p && !strcmp(OSSL_PROVIDER_get0_name(p), "default") &&
		   !EVP_default_properties_is_fips_enabled(NULL) &&
		   !OSSL_PROVIDER_available(NULL, "fips");

	EVP_CIPHER_free(c);
	return yes;
}

void dtls_fast_allow_own_gcm(bool allow)
{
	allow_own_gcm = allow;
}

/* kb: client write key, server write key, client salt, server salt (we are the client). */
static int own_gcm_init(struct ks_dtls_fast *f, const uint8_t *kb, size_t klen)
{
	if (aes_gcm_init(&f->seal_key, kb, klen) || aes_gcm_init(&f->open_key, kb + klen, klen))
		return -EIO;
	memcpy(f->seal_salt, kb + 2 * klen, 4);
	memcpy(f->open_salt, kb + 2 * klen + 4, 4);
	f->own = true;
	return 0;
}

static int openssl_gcm_init(struct ks_dtls_fast *f, const EVP_CIPHER *aead, uint8_t *kb,
			    size_t klen)
{
	f->seal = EVP_CIPHER_CTX_new();
	f->open = EVP_CIPHER_CTX_new();
	if (!f->seal || !f->open || EVP_EncryptInit_ex(f->seal, aead, NULL, kb, NULL) != 1 ||
	    EVP_DecryptInit_ex(f->open, aead, NULL, kb + klen, NULL) != 1)
		return -EIO;
	/* The TLS mode's AAD is a provider parameter: AES-GCM from an engine has none, and
	 * OpenSSL keeps the records then. */
	if (!EVP_CIPHER_get0_provider(EVP_CIPHER_CTX_get0_cipher(f->seal)) ||
	    !EVP_CIPHER_get0_provider(EVP_CIPHER_CTX_get0_cipher(f->open)))
		return -ENOTSUP;
	/* TLS mode: the salt fixed, the explicit nonce from a counter (sealing: it starts
	 * at random, RFC 5288 §3 asks only that it never repeat) or from the record. */
	if (EVP_CIPHER_CTX_ctrl(f->seal, EVP_CTRL_GCM_SET_IV_FIXED, 4, kb + 2 * klen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(f->open, EVP_CTRL_GCM_SET_IV_FIXED, 4, kb + 2 * klen + 4) != 1)
		return -EIO;
	aad_init(&f->seal_aad);
	aad_init(&f->open_aad);
	return 0;
}

int dtls_fast_init(struct ks_dtls_fast *f, SSL *ssl)
{
	const SSL_CIPHER *c = SSL_get_current_cipher(ssl);
	const EVP_CIPHER *aead;
	const EVP_MD *md;
	uint8_t kb[2 * 32 + 2 * 4];
	size_t klen;
	int err;

	memset(f, 0, sizeof(f[0]));
	if (!c || SSL_version(ssl) != DTLS1_2_VERSION)
		return -ENOTSUP;
	switch (SSL_CIPHER_get_cipher_nid(c)) {
	case NID_aes_128_gcm:
		aead = EVP_aes_128_gcm(), klen = 16;
		break;
	case NID_aes_256_gcm:
		aead = EVP_aes_256_gcm(), klen = 32;
		break;
	default:
		return -ENOTSUP;
	}
	md = SSL_CIPHER_get_handshake_digest(c);
	if (!md || key_block(ssl, md, kb, 2 * klen + 8))
		err = -ENOTSUP;
	/* kslice's own AES-GCM unless told otherwise, or the CPU lacks it, or OpenSSL's would
	 * come from another provider than its default one (FIPS: the validated module must
	 * do the cipher) */
	else if (allow_own_gcm && aes_gcm_supported() && openssl_gcm_is_default(klen))
		err = own_gcm_init(f, kb, klen);
	else
		err = openssl_gcm_init(f, aead, kb, klen);
	OPENSSL_cleanse(kb, sizeof(kb));
	if (err) {
		dtls_fast_free(f);
		return err;
	}
	f->version = DTLS1_2_VERSION;
	f->epoch = 1; /* the first (and, without renegotiation, only) encrypted epoch */
	f->next_seq = SEQ_FIRST;
	return 0;
}

void dtls_fast_free(struct ks_dtls_fast *f)
{
	aes_gcm_wipe(&f->seal_key);
	aes_gcm_wipe(&f->open_key);
	OPENSSL_cleanse(f->seal_salt, sizeof(f->seal_salt));
	OPENSSL_cleanse(f->open_salt, sizeof(f->open_salt));
	f->own = false;
	EVP_CIPHER_CTX_free(f->seal);
	EVP_CIPHER_CTX_free(f->open);
	f->seal = f->open = NULL;
}


/* RFC 5246 §6.2.3.3 with RFC 6347 §4.1.2.1: the additional data is the epoch and
 * sequence, type, version and the plaintext's length. */
static void record_aad(uint8_t aad[13], const uint8_t *hdr, size_t plain_len)
{
	memcpy(aad, hdr + 3, 8);
	aad[8] = hdr[0];
	aad[9] = hdr[1];
	aad[10] = hdr[2];
	pkt_put16(aad + 11, plain_len);
}

/* The additional data (epoch and sequence, type, version, length) handed to OpenSSL's
 * TLS mode, which takes the record's length from the header as it stands and works out
 * the plaintext's; then one in-place call seals or opens the whole record (nonce,
 * payload, tag). Two calls a record instead of five, and no IV re-initialisation:
 * OpenSSL's per-call parameter lookups were a fifth of the sealing's cost. The
 * parameter array is made once (aad_init) and points at aad. */
static int set_tls_aad(EVP_CIPHER_CTX *ctx, struct ks_dtls_aad *a, const uint8_t *hdr,
		       size_t len)
{
	record_aad(a->aad, hdr, len);
	return EVP_CIPHER_CTX_set_params(ctx, a->params) == 1 ? 0 : -EIO;
}

int dtls_fast_seal(struct ks_dtls_fast *f, struct ks_dgram_batch *b, const uint8_t *pt,
		   size_t len)
{
	size_t total = KS_DTLS_GCM_OVERHEAD + len;
	uint8_t *rec, *body;

	if (f->next_seq > SEQ_MAX)
		return -EIO; /* never reached: 2^48 records; a new handshake would be due */
	rec = dgram_batch_reserve(b, total);
	if (!rec)
		return -ENOBUFS;
	body = rec + KS_DTLS_HDR_LEN;
	rec[0] = CT_APPLICATION_DATA;
	pkt_put16(rec + 1, f->version);
	pkt_put16(rec + 3, f->epoch);
	pkt_put_be(rec + 5, f->next_seq, 6);
	pkt_put16(rec + 11, len + 8 + 16);
	if (f->own) {
		/* RFC 5288 §3: nonce = salt || explicit part; the explicit part is the record's
		 * epoch and sequence, which never repeat under this key. The plaintext is read
		 * where it lies: no copy into the batch first. */
		uint8_t iv[KS_GCM_IV_LEN], aad[13];

		memcpy(iv, f->seal_salt, 4);
		memcpy(iv + 4, rec + 3, 8);
		memcpy(body, rec + 3, 8);
		record_aad(aad, rec, len);
		if (aes_gcm_seal(&f->seal_key, iv, aad, sizeof(aad), pt, body + 8, len,
				 body + 8 + len))
			return -EIO;
	} else {
		memcpy(body + 8, pt, len);
		/* sealing, OpenSSL's TLS mode takes the length without the tag */
		if (set_tls_aad(f->seal, &f->seal_aad, rec, len + 8) ||
		    EVP_Cipher(f->seal, body, body, (unsigned int)(len + 8 + 16)) <= 0)
			return -EIO;
	}
	f->next_seq++;
	dgram_batch_commit(b, total);
	return 0;
}

/* RFC 6347 §4.1.2.6: a sliding window of the last 64 sequence numbers. */
static bool replayed(const struct ks_dtls_fast *f, uint64_t seq)
{
	if (!f->rx_any || seq > f->rx_top)
		return false;
	if (f->rx_top - seq >= 64)
		return true;
	return f->rx_window >> (f->rx_top - seq) & 1;
}

static void seen(struct ks_dtls_fast *f, uint64_t seq)
{
	if (!f->rx_any || seq > f->rx_top) {
		uint64_t shift = f->rx_any ? seq - f->rx_top : 64;

		f->rx_window = shift >= 64 ? 1 : f->rx_window << shift | 1;
		f->rx_top = seq;
		f->rx_any = true;
	} else {
		f->rx_window |= 1ull << (f->rx_top - seq);
	}
}

int dtls_fast_open(struct ks_dtls_fast *f, uint8_t *rec, size_t avail, size_t *used,
		   const uint8_t **pt)
{
	uint8_t *body = rec + KS_DTLS_HDR_LEN;
	size_t len;
	uint64_t seq;

	*used = 0; /* a header cut or lying about its length: nothing after it is read */
	if (avail < KS_DTLS_HDR_LEN)
		return -EBADMSG;
	len = pkt_get16(rec + 11);
	if (len > avail - KS_DTLS_HDR_LEN)
		return -EBADMSG;
	*used = KS_DTLS_HDR_LEN + len;
	if (rec[0] != CT_APPLICATION_DATA || pkt_get16(rec + 1) != f->version ||
	    pkt_get16(rec + 3) != f->epoch)
		return -EAGAIN;
	if (len < 8 + 16 || len - 24 > KS_DTLS_PLAIN_MAX)
		return -EBADMSG;
	seq = pkt_get_be(rec + 5, 6);
	if (replayed(f, seq))
		return -EBADMSG;
	/* In place: a forged record's bytes are overwritten (what was opened is wiped), which
	 * costs nothing, the record being dropped. */
	if (f->own) {
		uint8_t iv[KS_GCM_IV_LEN], aad[13];

		memcpy(iv, f->open_salt, 4);
		memcpy(iv + 4, body, 8);
		record_aad(aad, rec, len - 24);
		if (aes_gcm_open(&f->open_key, iv, aad, sizeof(aad), body + 8, body + 8, len - 24,
				 body + len - 16))
			return -EBADMSG;
	} else if (set_tls_aad(f->open, &f->open_aad, rec, len) ||
		   EVP_Cipher(f->open, body, body, (unsigned int)len) <= 0) { /* > 0: authentic */
		return -EBADMSG; /* only an authentic record moves the window */
	}
	seen(f, seq);
	*pt = body + 8;
	return (int)(len - 24);
}
