// SPDX-License-Identifier: GPL-2.0-only
/* HTTP responses: the head parser, the chunked decoder, and http_roundtrip() reading a
 * response (Content-Length, chunked, to EOF, or a CONNECT head with the rest left over)
 * from a fake TLS stream that hands the bytes out in pieces of fuzzed sizes.
 * Input: flags, read size, then the response bytes. */
#include "../../user/http.c"

#include "fake_tls.h"
#include "fuzz.h"

static void check_head(const char *data, size_t len, const struct ks_http_resp *r, size_t hl)
{
	size_t lines = 0;

	FUZZ_CHECK(hl >= 2 && hl <= len && hl <= HTTP_MAX_HEAD, "head_len %zu of %zu", hl, len);
	FUZZ_CHECK(data[hl - 1] == '\n', "head does not end in LF");
	FUZZ_CHECK(r->status >= 100 && r->status <= 599, "status %d", r->status);
	FUZZ_CHECK(strlen(r->reason) < sizeof(r->reason), "reason");
	for (size_t i = 0; i < hl; i++)
		lines += data[i] == '\n';
	FUZZ_CHECK(r->nheaders < lines, "%zu headers from %zu lines", r->nheaders, lines);
	for (size_t i = 0; i < r->nheaders; i++) {
		const char *n = r->headers[i].name, *v = r->headers[i].value;
		size_t nl = strlen(n), vl = strlen(v);

		/* "\r: v" passes the "colon == line" test, then trims to an empty name. */
		FUZZ_CHECK_KNOWN("http-empty-name", nl > 0, "header with an empty name");
		FUZZ_CHECK(!strchr(n, ':') && !strchr(n, '\n'), "name '%s'", n);
		FUZZ_CHECK(!nl || (n[0] != ' ' && n[0] != '\t' && n[nl - 1] != ' ' &&
				   n[nl - 1] != '\t'),
			   "name '%s' not trimmed", n);
		FUZZ_CHECK(!strchr(v, '\n'), "LF in value");
		FUZZ_CHECK(!vl || (v[0] != ' ' && v[0] != '\t' && v[vl - 1] != ' ' &&
				   v[vl - 1] != '\t' && v[vl - 1] != '\r'),
			   "value '%s' not trimmed", v);
		FUZZ_CHECK(n >= r->head && v >= r->head && v + vl <= r->head + hl,
			   "header outside the head storage");
		FUZZ_CHECK(http_header(r, n) != NULL, "http_header('%s') finds nothing", n);
	}
}

/* The head parser, and what an incremental reader relies on: one byte less is -EAGAIN. */
static void fuzz_head(const uint8_t *p, size_t n)
{
	char *data = malloc(n ? n : 1); /* exactly n bytes: ASan sees any read past them */
	struct ks_http_resp r;
	struct ks_error e = { { 0 } };
	size_t hl = 0, hl2 = 0;
	int err;

	memcpy(data, p, n);
	err = http_parse_head(data, n, &r, &hl, &e);
	FUZZ_CHECK(!err || err == -EAGAIN || err == -EPROTO || err == -EMSGSIZE, "err %d", err);
	if (!err) {
		check_head(data, n, &r, hl);
		http_resp_free(&r);
		err = http_parse_head(data, hl - 1, &r, &hl2, &e);
		FUZZ_CHECK(err == -EAGAIN, "head of %zu bytes found in %zu (err %d)", hl, hl - 1,
			   err);
		http_resp_free(&r);
	} else {
		FUZZ_CHECK(!r.head && !r.headers, "storage left after error %d", err);
	}
	free(data);
}

/* http_dechunk() on the same bytes with two different tails past their end: any
 * difference means it read bytes that were never received. */
static void fuzz_dechunk(const uint8_t *p, size_t n)
{
	static const char tail[] = " 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1\r\n";
	uint8_t *a = malloc(n + 1), *b = malloc(n + sizeof(tail));
	struct ks_buf ba = { .limit = HTTP_MAX_BODY }, bb = { .limit = HTTP_MAX_BODY };
	struct ks_error e = { { 0 } };
	int ea, eb;

	memcpy(a, p, n);
	a[n] = 0;
	memcpy(b, p, n);
	memcpy(b + n, tail, sizeof(tail));
	ea = http_dechunk(a, n, &ba, &e);
	eb = http_dechunk(b, n, &bb, NULL);
	FUZZ_CHECK(ea == eb && ba.len == bb.len && (!ba.len || !memcmp(ba.data, bb.data, ba.len)),
		   "dechunk depends on bytes past the received data: err %d/%d, body %zu/%zu", ea,
		   eb, ba.len, bb.len);
	FUZZ_CHECK(ea || ba.len <= n, "body of %zu from %zu bytes", ba.len, n);
	FUZZ_CHECK(!ea || ea == -EAGAIN || ((ea == -EPROTO || ea == -EMSGSIZE) && e.msg[0]),
		   "err %d '%s'", ea, e.msg);
	/* Resumed after a cut the input chooses (as read_body does, record by record): the
	 * same answer as decoding it at once, unless the first piece was already refused. */
	{
		struct ks_buf bd = { .limit = HTTP_MAX_BODY };
		size_t cut = n ? (size_t)p[n - 1] * n / 256 : 0, at = 0;
		int ed = http_dechunk_from(a, cut, &at, &bd, NULL);

		FUZZ_CHECK(at <= cut, "resumed at %zu of a %zu-byte piece", at, cut);
		if (ed == -EAGAIN) {
			ed = http_dechunk_from(a, n, &at, &bd, NULL);
			FUZZ_CHECK(ed == ea && bd.len == ba.len &&
					   (!bd.len || !memcmp(bd.data, ba.data, bd.len)),
				   "resumed at %zu: err %d, body %zu; at once: err %d, body %zu",
				   cut, ed, bd.len, ea, ba.len);
		}
		buf_free(&bd);
	}
	/* A complete body stays complete, with the same content, when more bytes follow. */
	if (!ea) {
		struct ks_buf bc = { .limit = HTTP_MAX_BODY };

		FUZZ_CHECK(!http_dechunk(b, n + sizeof(tail) - 1, &bc, NULL) && bc.len == ba.len &&
				   (!bc.len || !memcmp(bc.data, ba.data, bc.len)),
			   "trailing bytes change a complete chunked body");
		buf_free(&bc);
	}
	free(a);
	free(b);
	buf_free(&ba);
	buf_free(&bb);
}

static void fuzz_roundtrip(const uint8_t *p, size_t n, bool no_body, uint8_t chunk)
{
	struct ks_buf req = { 0 }, rest = { 0 };
	struct ks_http_resp r, r2;
	struct ks_error e = { { 0 } };
	size_t hl = 0;
	int err;

	buf_printf(&req, "%s / HTTP/1.1\r\n\r\n", no_body ? "CONNECT" : "GET");
	fake_tls_stream(p, n, chunk);
	err = http_roundtrip((SSL *)1, &req, no_body, 20, &r, &rest, &e);
	FUZZ_LOG("roundtrip: %d (%s), status %d, body %zu, rest %zu", err, e.msg, r.status,
		 r.body.len, rest.len);
	FUZZ_CHECK(fake_tls_consumed() <= n, "consumed");
	/* A head that is all there is found, however the bytes were cut into records. */
	if (!http_parse_head((const char *)p, n, &r2, &hl, NULL))
		FUZZ_CHECK(err != -ECONNRESET, "a complete head of %zu bytes not found (%s)", hl,
			   e.msg);
	http_resp_free(&r2);
	if (!err) {
		const char *cl = http_header(&r, "Content-Length");
		const char *te = http_header(&r, "Transfer-Encoding");
		bool chunked = te && !strcasecmp(te, "chunked");
		size_t got = fake_tls_consumed();

		/* The head is the same one the parser finds in the whole input. */
		FUZZ_CHECK(!http_parse_head((const char *)p, n, &r2, &hl, NULL), "head");
		http_resp_free(&r2);
		FUZZ_CHECK(hl <= got, "head %zu past the %zu bytes read", hl, got);
		FUZZ_CHECK(r.body.len <= HTTP_MAX_BODY, "body %zu", r.body.len);
		if (no_body) {
			FUZZ_CHECK(!r.body.len, "CONNECT with a body");
			FUZZ_CHECK(rest.len == got - hl && !memcmp(rest.data, p + hl, rest.len),
				   "rest: %zu bytes, want the %zu read after the head", rest.len,
				   got - hl);
		} else if (r.status == 204 || r.status == 304) {
			FUZZ_CHECK(!r.body.len, "body on %d", r.status);
		} else if (chunked) {
			FUZZ_CHECK(r.body.len <= got - hl, "chunked body %zu from %zu bytes",
				   r.body.len, got - hl);
		} else if (cl) {
			FUZZ_CHECK(r.body.len == strtoul(cl, NULL, 10) && hl + r.body.len <= n &&
					   !memcmp(r.body.data, p + hl, r.body.len),
				   "Content-Length %s, body %zu", cl, r.body.len);
		} else {
			FUZZ_CHECK(r.body.len == n - hl && !memcmp(r.body.data, p + hl, r.body.len),
				   "body to EOF: %zu of %zu", r.body.len, n - hl);
		}
	} else {
		/* A head that is only a blank line: -EPROTO from http.c without a message. */
		FUZZ_CHECK_KNOWN("http-empty-head", err < 0 && e.msg[0],
				 "error %d without a message", err);
	}
	http_resp_free(&r);
	buf_free(&req);
	buf_free(&rest);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in), chunk = fuzz_u8(&in);
	struct ks_http_resp r;
	size_t hl = 0;

	fuzz_head(in.p, in.n);
	if (!http_parse_head((const char *)in.p, in.n, &r, &hl, NULL)) {
		http_resp_free(&r);
		fuzz_dechunk(in.p + hl, in.n - hl);
	} else {
		fuzz_dechunk(in.p, in.n);
	}
	fuzz_roundtrip(in.p, in.n, flags & 1, chunk);
	return 0;
}
