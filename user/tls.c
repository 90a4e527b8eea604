// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509v3.h>

#include "tls.h"

const char *tls_last_error(void)
{
	static char buf[256];
	unsigned long code = ERR_peek_last_error();

	if (!code)
		return "no OpenSSL error";
	ERR_error_string_n(code, buf, sizeof(buf));
	ERR_clear_error();
	return buf;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int tls_parse_pin(struct ks_pin *pin, const char *spec, struct ks_error *e)
{
	const char *hex = NULL;
	size_t want = 0;

	memset(pin, 0, sizeof(*pin));
	if (!strncasecmp(spec, "pin-sha256:", 11)) {
		const char *b64 = spec + 11;
		uint8_t out[48];
		int n;

		if (strlen(b64) != 44)
			return ks_fail(e, -EINVAL,
				       "--servercert: pin-sha256 wants 44 base64 characters, got %zu",
				       strlen(b64));
		n = EVP_DecodeBlock(out, (const unsigned char *)b64, 44);
		if (n != 33 || b64[43] != '=') /* 32 bytes + 1 of padding */
			return ks_fail(e, -EINVAL, "--servercert: pin-sha256 value is not base64");
		pin->kind = KS_PIN_PUBKEY_SHA256;
		memcpy(pin->hash, out, 32);
		pin->len = 32;
		return 0;
	}
	if (!strncasecmp(spec, "sha256:", 7)) {
		pin->kind = KS_PIN_CERT_SHA256;
		hex = spec + 7;
		want = 32;
	} else if (!strncasecmp(spec, "sha1:", 5)) {
		pin->kind = KS_PIN_CERT_SHA1;
		hex = spec + 5;
		want = 20;
	} else {
		return ks_fail(e, -EINVAL,
			       "--servercert: '%.40s' needs a sha256:, sha1: or pin-sha256: prefix",
			       spec);
	}
	for (size_t i = 0; hex[0] || i < want; i++) {
		int hi, lo;

		if (hex[0] == ':') { /* accept AA:BB:.. as printed by openssl x509 */
			hex++;
			i--;
			continue;
		}
		if (i >= want || !hex[0] || !hex[1])
			return ks_fail(e, -EINVAL, "--servercert: %s hash must be %zu hex bytes",
				       want == 32 ? "sha256" : "sha1", want);
		hi = hexval(hex[0]);
		lo = hexval(hex[1]);
		if (hi < 0 || lo < 0)
			return ks_fail(e, -EINVAL, "--servercert: '%c%c' is not hex", hex[0],
				       hex[1]);
		pin->hash[i] = (uint8_t)(hi << 4 | lo);
		hex += 2;
	}
	pin->len = want;
	return 0;
}

SSL_CTX *tls_ctx_new(const struct ks_tls_trust *trust, struct ks_error *e)
{
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

	if (!ctx) {
		ks_fail(e, -ENOMEM, "tls: SSL_CTX_new: %s", tls_last_error());
		return NULL;
	}
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* We verify after the handshake, so that a failure can print the fingerprints. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (trust->cafile) {
		if (SSL_CTX_load_verify_locations(ctx, trust->cafile, NULL) != 1) {
			ks_fail(e, -ENOENT, "tls: cannot load --cafile %s: %s", trust->cafile,
				tls_last_error());
			SSL_CTX_free(ctx);
			return NULL;
		}
	} else if (!trust->npins) {
		/* 20+ ms to load the system bundle: only when a CA decides, not a pin. */
		SSL_CTX_set_default_verify_paths(ctx);
	}
	return ctx;
}

static void hash_der(const EVP_MD *md, const uint8_t *der, size_t len, uint8_t *out)
{
	unsigned int n;

	EVP_Digest(der, len, out, &n, md, NULL);
}

static int fingerprint(X509 *cert, struct ks_tls_peer *peer, uint8_t cert256[32],
		       uint8_t cert1[20], uint8_t spki256[32])
{
	uint8_t *der = NULL;
	int len = i2d_X509(cert, &der);
	char b64[64];

	if (len <= 0)
		return -EINVAL;
	hash_der(EVP_sha256(), der, (size_t)len, cert256);
	hash_der(EVP_sha1(), der, (size_t)len, cert1);
	OPENSSL_free(der);
	der = NULL;
	len = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	if (len <= 0)
		return -EINVAL;
	hash_der(EVP_sha256(), der, (size_t)len, spki256);
	OPENSSL_free(der);

	strcpy(peer->cert_sha256, "sha256:");
	for (int i = 0; i < 32; i++)
		snprintf(peer->cert_sha256 + 7 + 2 * i, 3, "%02x", cert256[i]);
	EVP_EncodeBlock((unsigned char *)b64, spki256, 32);
	snprintf(peer->pubkey_sha256, sizeof(peer->pubkey_sha256), "pin-sha256:%s", b64);
	X509_NAME_oneline(X509_get_subject_name(cert), peer->subject, sizeof(peer->subject));
	return 0;
}

static bool pin_matches(const struct ks_tls_trust *trust, const uint8_t cert256[32],
			const uint8_t cert1[20], const uint8_t spki256[32])
{
	for (int i = 0; i < trust->npins; i++) {
		const struct ks_pin *p = &trust->pins[i];
		const uint8_t *have = p->kind == KS_PIN_CERT_SHA256 ? cert256 :
				      p->kind == KS_PIN_CERT_SHA1   ? cert1 : spki256;

		if (CRYPTO_memcmp(have, p->hash, p->len) == 0)
			return true;
	}
	return false;
}

/* Trust: any matching pin accepts the certificate (as openconnect's --servercert does);
 * without pins, the chain must verify to the CA store and the name must match. */
static int check_peer(SSL *ssl, const struct ks_tls_trust *trust, struct ks_tls_peer *peer,
		      struct ks_error *e)
{
	uint8_t cert256[32], cert1[20], spki256[32];
	X509 *cert = SSL_get1_peer_certificate(ssl);
	long vr;
	int err;

	if (!cert)
		return ks_fail(e, -EKEYREJECTED, "tls: the gateway presented no certificate");
	err = fingerprint(cert, peer, cert256, cert1, spki256);
	X509_free(cert);
	if (err)
		return ks_fail(e, err, "tls: cannot encode the gateway certificate");
	vr = SSL_get_verify_result(ssl);
	if (vr != X509_V_OK)
		snprintf(peer->verify_error, sizeof(peer->verify_error), "%s",
			 X509_verify_cert_error_string(vr));
	if (trust->npins) {
		if (pin_matches(trust, cert256, cert1, spki256))
			return 0;
		return ks_fail(e, -EKEYREJECTED,
			       "tls: server certificate does not match any --servercert pin");
	}
	if (vr != X509_V_OK)
		return ks_fail(e, -EKEYREJECTED, "tls: server certificate verify failed: %s",
			       peer->verify_error);
	return 0;
}

/* Before our client certificate goes out (the server asked for one; its own certificate is
 * in by then): a server that fails the checks gets none, and no signature. The handshake
 * goes on, for check_peer to refuse it with the fingerprints (exit 3). */
static int before_client_cert(SSL *ssl, void *arg)
{
	struct ks_tls_peer peer = { 0 };

	if (SSL_get_certificate(ssl) && check_peer(ssl, arg, &peer, NULL))
		SSL_certs_clear(ssl);
	return 1;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void deadline_start(struct ks_deadline *d, int secs, const char *what)
{
	*d = (struct ks_deadline){ .end_ms = mono_ms() + (int64_t)secs * 1000, .secs = secs,
				   .what = what };
}

int deadline_fail(const struct ks_deadline *d, struct ks_error *e)
{
	return ks_fail(e, -ETIMEDOUT, "timed out after %d s waiting for %s", d->secs, d->what);
}

static ks_watch_fn watch_fn;
static void *watch_ctx;
static int watch_fd = -1;

void tls_set_watch(int fd, ks_watch_fn fn, void *ctx)
{
	watch_fd = fd;
	watch_fn = fn;
	watch_ctx = ctx;
}

/* poll() on p, and on the watched fd: 1 when p is ready, 0 on timeout, -errno; the watch's
 * verdict (-EINTR, -ENETRESET) when it says to give up the attempt. */
static int wait_for(struct pollfd *p, int timeout_ms)
{
	struct pollfd two[2] = { *p, { .fd = watch_fd, .events = POLLIN } };
	int rc = poll(two, watch_fn && watch_fd >= 0 ? 2 : 1, timeout_ms);

	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	p->revents = two[0].revents;
	if (rc > 0 && two[1].revents) {
		int verdict = watch_fn(watch_ctx);

		if (verdict)
			return verdict;
	}
	return p->revents ? 1 : 0;
}

int tls_wait_fds(const int *fds, int n, short events, int64_t end_ms)
{
	struct pollfd p[4];
	int64_t left = end_ms - mono_ms();
	int m = 0, rc;

	for (int i = 0; i < n && m < 3; i++)
		if (fds[i] >= 0)
			p[m++] = (struct pollfd){ .fd = fds[i], .events = events };
	if (left <= 0)
		return -ETIMEDOUT;
	if (watch_fn && watch_fd >= 0)
		p[m++] = (struct pollfd){ .fd = watch_fd, .events = POLLIN };
	rc = poll(p, (nfds_t)m, (int)(left > 60000 ? 60000 : left));
	if (rc < 0)
		return errno == EINTR ? 0 : -errno;
	if (rc > 0 && watch_fn && watch_fd >= 0 && p[m - 1].revents) {
		int verdict = watch_fn(watch_ctx);

		if (verdict)
			return verdict;
	}
	return rc == 0 && end_ms <= mono_ms() ? -ETIMEDOUT : 0;
}

int64_t tls_mono_ms(void)
{
	return mono_ms();
}

int tls_wait_fd(int fd, short events, int64_t end_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int64_t left = end_ms - mono_ms();
	int rc;

	if (left <= 0)
		return -ETIMEDOUT;
	rc = wait_for(&p, (int)(left > 60000 ? 60000 : left));
	if (rc < 0)
		return rc;
	return rc == 0 && end_ms <= mono_ms() ? -ETIMEDOUT : 0;
}

/* Waits for what OpenSSL wants (after rc from an SSL call) until the deadline: 0 to try
 * again, -ETIMEDOUT, or another -errno / -EPROTO when the call failed for good. */
static int ssl_wait(SSL *ssl, int rc, const struct ks_deadline *d)
{
	int why = SSL_get_error(ssl, rc);
	struct pollfd p = { .fd = SSL_get_fd(ssl) };
	int64_t left = d->end_ms - mono_ms();

	if (why == SSL_ERROR_WANT_READ)
		p.events = POLLIN;
	else if (why == SSL_ERROR_WANT_WRITE)
		p.events = POLLOUT;
	else if (why == SSL_ERROR_ZERO_RETURN)
		return -ECONNRESET;
	else if (why == SSL_ERROR_SYSCALL)
		return errno && errno != EAGAIN ? -errno : -ECONNRESET;
	else
		return -EPROTO;
	if (left <= 0)
		return -ETIMEDOUT;
	rc = wait_for(&p, (int)(left > 60000 ? 60000 : left));
	if (rc < 0)
		return rc;
	return rc == 0 && d->end_ms <= mono_ms() ? -ETIMEDOUT : 0;
}

static ks_socket_fn socket_maker;
static void *socket_maker_ctx;
static const struct ks_proxy *proxy;
static const char *proxy_useragent;

void tls_set_proxy(const struct ks_proxy *p, const char *useragent)
{
	proxy = p && p->set ? p : NULL;
	proxy_useragent = useragent;
}

void tls_set_socket_maker(ks_socket_fn fn, void *ctx)
{
	socket_maker = fn;
	socket_maker_ctx = ctx;
}

static int tcp_socket(const struct addrinfo *ai)
{
	int fd;

	if (socket_maker)
		return socket_maker(socket_maker_ctx, ai->ai_family);
	fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
	return fd < 0 ? -errno : fd;
}

static int tcp_connect(const char *host, const char *port, int timeout_s, struct ks_error *e)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res, *ai;
	int fd = -1, rc, last = -EHOSTUNREACH;
	int64_t end_ms;

	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		return ks_fail(e, -EHOSTUNREACH, "connect: cannot resolve %s: %s", host,
			       gai_strerror(rc));
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd pfd;
		socklen_t sl = sizeof(rc);

		fd = tcp_socket(ai);
		if (fd < 0) {
			last = fd;
			fd = -1;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) && errno != EINPROGRESS)
			goto next;
		pfd = (struct pollfd){ .fd = fd, .events = POLLOUT };
		end_ms = mono_ms() + (int64_t)timeout_s * 1000;
		do
			rc = wait_for(&pfd, (int)(end_ms - mono_ms() > 0 ? end_ms - mono_ms() : 0));
		while (rc == 0 && mono_ms() < end_ms);
		if (rc < 0 && rc != -ETIMEDOUT) { /* given up: the path changed, or a stop */
			close(fd);
			freeaddrinfo(res);
			return ks_fail(e, rc, "connect: %s port %s: %s", host, port,
				       rc == -EINTR ? "stopped" : "the network path changed");
		}
		if (rc != 1) {
			errno = ETIMEDOUT;
			goto next;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &rc, &sl) || rc) {
			errno = rc ? rc : errno;
			goto next;
		}
		break;
next:
		last = -errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0 && last == -ETIMEDOUT)
		return ks_fail(e, last, "connect: %s port %s: timed out after %d s waiting for the "
			       "TCP connection", host, port, timeout_s);
	if (fd < 0)
		return ks_fail(e, last, "connect: %s port %s: %s", host, port, strerror(-last));
	return fd;
}

int tls_connect(SSL_CTX *ctx, const struct ks_tls_trust *trust, const char *host,
		const char *port, int timeout_s, SSL **ssl_out, int *fd_out,
		struct ks_tls_peer *peer, struct ks_error *e)
{
	struct ks_deadline d;
	int fd, one = 1, err, rc;
	SSL *ssl;

	memset(peer, 0, sizeof(*peer));
	deadline_start(&d, timeout_s, "the TLS handshake");
	fd = proxy ? tcp_connect(proxy->host, proxy->port, timeout_s, e)
		   : tcp_connect(host, port, timeout_s, e);
	if (fd < 0)
		return fd;
	if (proxy && (err = proxy_open(proxy, fd, host, port, proxy_useragent, d.end_ms, e))) {
		if (err == -ETIMEDOUT)
			deadline_fail(&d, e);
		close(fd);
		return err;
	}
	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one))) {
		err = ks_fail(e, -errno, "connect: socket options: %m");
		close(fd);
		return err;
	}
	ssl = SSL_new(ctx);
	if (!ssl) {
		close(fd);
		return ks_fail(e, -ENOMEM, "tls: SSL_new: %s", tls_last_error());
	}
	SSL_set_fd(ssl, fd);
	SSL_set_tlsext_host_name(ssl, host);
	SSL_set_cert_cb(ssl, before_client_cert, (void *)trust);
	if (!trust->npins) {
		struct in6_addr ip;

		/* An address literal is matched against IP SANs, a name against DNS SANs. */
		if (inet_pton(AF_INET, host, &ip) == 1 || inet_pton(AF_INET6, host, &ip) == 1)
			X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host);
		else
			SSL_set1_host(ssl, host);
	}
	/* Non-blocking, with one deadline for the whole handshake. */
	while ((rc = SSL_connect(ssl)) != 1) {
		err = ssl_wait(ssl, rc, &d);
		if (err == -ETIMEDOUT) {
			deadline_fail(&d, e);
			goto fail;
		}
		if (err) {
			err = ks_fail(e, -ECONNREFUSED, "tls: handshake with %s failed: %s", host,
				      ERR_peek_error() ? tls_last_error() :
				      err == -ECONNRESET ? "connection closed by the gateway" :
							    strerror(-err));
			goto fail;
		}
	}
	err = check_peer(ssl, trust, peer, e);
	if (err)
		goto fail;
	*ssl_out = ssl;
	*fd_out = fd;
	return 0;
fail:
	SSL_free(ssl);
	close(fd);
	return err;
}

void tls_peer_address(int fd, bool local, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	out[0] = 0;
	if ((local ? getsockname : getpeername)(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET)
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len);
	else if (ss.ss_family == AF_INET6)
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, out, (socklen_t)len);
}

int tls_write_all(SSL *ssl, const void *data, size_t len, const struct ks_deadline *d)
{
	const uint8_t *p = data;

	while (len) {
		int n = SSL_write(ssl, p, len > INT32_MAX ? INT32_MAX : (int)len), err;

		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		err = ssl_wait(ssl, n, d);
		if (err)
			return err == -ETIMEDOUT ? err : -EIO;
	}
	return 0;
}

int tls_read_some(SSL *ssl, void *buf, size_t len, const struct ks_deadline *d)
{
	for (;;) {
		int n = SSL_read(ssl, buf, len > INT32_MAX ? INT32_MAX : (int)len), err;

		if (n > 0)
			return n;
		if (SSL_get_error(ssl, n) == SSL_ERROR_ZERO_RETURN)
			return 0;
		err = ssl_wait(ssl, n, d);
		if (err == -ECONNRESET && SSL_get_error(ssl, n) == SSL_ERROR_SYSCALL)
			return 0; /* EOF without close_notify: the caller says what was cut */
		if (err)
			return err;
	}
}

void tls_free(SSL *ssl, int fd)
{
	SSL_free(ssl);
	if (fd >= 0)
		close(fd);
}
