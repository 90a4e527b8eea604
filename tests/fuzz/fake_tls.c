// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>

#include "fake_tls.h"
#include "tls.h"

#define FAKE_MAX_RECORDS 32

static struct {
	const uint8_t *rec[FAKE_MAX_RECORDS];
	size_t rec_len[FAKE_MAX_RECORDS];
	size_t nrec, next;
	int conversation;
	const uint8_t *cur;
	size_t cur_len, cur_pos;
	uint8_t chunk;
	uint32_t rng;
	unsigned int requests;
	fake_request_fn on_request;
} g;

static void reset(uint8_t chunk)
{
	memset(&g, 0, sizeof(g));
	g.chunk = chunk;
	g.rng = 0x9e3779b9u ^ chunk;
}

void fake_tls_stream(const uint8_t *data, size_t len, uint8_t chunk)
{
	reset(chunk);
	g.cur = data;
	g.cur_len = len;
}

void fake_tls_records(const uint8_t *data, size_t len, const char *sep, uint8_t chunk)
{
	size_t sl = strlen(sep);

	reset(chunk);
	g.conversation = 1;
	while (g.nrec < FAKE_MAX_RECORDS) {
		const uint8_t *at = memmem(data, len, sep, sl);
		size_t n = at ? (size_t)(at - data) : len;

		g.rec[g.nrec] = data;
		g.rec_len[g.nrec++] = n;
		if (!at)
			break;
		data += n + sl;
		len -= n + sl;
	}
}

void fake_tls_on_request(fake_request_fn fn)
{
	g.on_request = fn;
}

unsigned int fake_tls_requests(void)
{
	return g.requests;
}

size_t fake_tls_consumed(void)
{
	return g.cur_pos;
}

static size_t next_read_size(void)
{
	if (!g.chunk)
		return (size_t)-1;
	g.rng ^= g.rng << 13;
	g.rng ^= g.rng >> 17;
	g.rng ^= g.rng << 5;
	return 1 + g.rng % ((size_t)g.chunk * 8);
}

int tls_read_some(SSL *ssl, void *buf, size_t len, const struct ks_deadline *d)
{
	size_t n = g.cur_len - g.cur_pos, max = next_read_size();

	if (n > len)
		n = len;
	if (n > max)
		n = max;
	if (n)
		memcpy(buf, g.cur + g.cur_pos, n);
	g.cur_pos += n;
	return (int)n;
}

int tls_write_all(SSL *ssl, const void *data, size_t len, const struct ks_deadline *d)
{
	g.requests++;
	if (g.on_request)
		g.on_request(data, len);
	if (g.conversation) {
		g.cur = g.next < g.nrec ? g.rec[g.next] : NULL;
		g.cur_len = g.next < g.nrec ? g.rec_len[g.next] : 0;
		g.cur_pos = 0;
		g.next++;
	}
	return 0;
}

/* Time does not pass here: a fuzzed gateway cannot make kslice wait. */
void deadline_start(struct ks_deadline *d, int secs, const char *what)
{
	*d = (struct ks_deadline){ .end_ms = 0, .secs = secs, .what = what };
}

int deadline_fail(const struct ks_deadline *d, struct ks_error *e)
{
	return ks_fail(e, -ETIMEDOUT, "timed out after %d s waiting for %s", d->secs, d->what);
}

const char *tls_last_error(void)
{
	return "fake tls";
}

int tls_connect(SSL_CTX *ctx, const struct ks_tls_trust *trust, const char *host, const char *port,
		int timeout_s, SSL **ssl_out, int *fd_out, struct ks_tls_peer *peer,
		struct ks_error *e)
{
	if (g.conversation && g.next >= g.nrec)
		return ks_fail(e, -ECONNREFUSED, "fake tls: no response left");
	memset(peer, 0, sizeof(*peer));
	*ssl_out = (SSL *)&g;
	*fd_out = -1;
	return 0;
}

void tls_free(SSL *ssl, int fd)
{
}

/* The rest of user/tls.h that auth.c, sso.c and proxy.c reach: no socket here. */
void tls_peer_address(int fd, bool local, char *out, size_t len)
{
	snprintf(out, len, "%s", local ? "192.0.2.2" : "192.0.2.1");
}

void tls_set_proxy(const struct ks_proxy *p, const char *useragent)
{
}

int tls_wait_fd(int fd, short events, int64_t end_ms)
{
	return -ETIMEDOUT;
}

int tls_wait_fds(const int *fds, int n, short events, int64_t end_ms)
{
	return -ETIMEDOUT;
}

int64_t tls_mono_ms(void)
{
	return 0;
}
