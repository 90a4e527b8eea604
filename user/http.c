// SPDX-License-Identifier: GPL-2.0-only
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <openssl/crypto.h>

#include "http.h"
#include "tls.h"

/* The blank line that ends a head: LF LF or LF CR LF. */
static const char *find_head_end(const char *data, size_t len, size_t *head_len)
{
	for (const char *lf = memchr(data, '\n', len); lf;
	     lf = memchr(lf + 1, '\n', len - (size_t)(lf + 1 - data))) {
		size_t i = (size_t)(lf - data);

		if (i + 1 >= len)
			break;
		if (data[i + 1] == '\n') {
			*head_len = i + 2;
			return data + i;
		}
		if (i + 2 < len && data[i + 1] == '\r' && data[i + 2] == '\n') {
			*head_len = i + 3;
			return data + i;
		}
	}
	return NULL;
}

static char *trim(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	end = s + strlen(s);
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		*--end = 0;
	return s;
}

static int parse_status_line(char *line, struct ks_http_resp *r, struct ks_error *e)
{
	char *end;
	long code;

	if (strncmp(line, "HTTP/1.", 7) || !isdigit((unsigned char)line[7]) || line[8] != ' ')
		return ks_fail(e, -EPROTO, "http: bad status line '%.60s'", line);
	code = strtol(line + 9, &end, 10);
	if (end != line + 12 || code < 100 || code > 599)
		return ks_fail(e, -EPROTO, "http: bad status code in '%.60s'", line);
	r->status = (int)code;
	snprintf(r->reason, sizeof(r->reason), "%s", trim(end));
	return 0;
}

int http_parse_head(const char *data, size_t len, struct ks_http_resp *r, size_t *head_len,
		    struct ks_error *e)
{
	size_t hl = 0, count = 0;
	char *line, *save = NULL;
	int err;

	memset(r, 0, sizeof(*r));
	if (!find_head_end(data, len > HTTP_MAX_HEAD ? HTTP_MAX_HEAD : len, &hl)) {
		if (len >= HTTP_MAX_HEAD)
			return ks_fail(e, -EMSGSIZE, "http: response head exceeds %u bytes",
				       HTTP_MAX_HEAD);
		return -EAGAIN;
	}
	if (memchr(data, 0, hl))
		return ks_fail(e, -EPROTO, "http: NUL byte in response head at offset %zu",
			       (size_t)((const char *)memchr(data, 0, hl) - data));
	r->head = strndup(data, hl);
	if (!r->head)
		return -ENOMEM;
	for (size_t i = 0; i < hl; i++)
		count += data[i] == '\n';
	if (count > HTTP_MAX_HEADERS + 2) {
		err = ks_fail(e, -EMSGSIZE, "http: %zu header lines, limit %u", count,
			      HTTP_MAX_HEADERS);
		goto fail;
	}
	r->headers = calloc(count ? count : 1, sizeof(*r->headers));
	if (!r->headers) {
		err = -ENOMEM;
		goto fail;
	}
	line = strtok_r(r->head, "\n", &save);
	err = line ? parse_status_line(trim(line), r, e)
		   : ks_fail(e, -EPROTO, "http: response without a status line");
	if (err)
		goto fail;
	while ((line = strtok_r(NULL, "\n", &save))) {
		char *colon;

		line = trim(line);
		if (!*line)
			break;
		colon = strchr(line, ':');
		if (colon)
			*colon = 0;
		if (!colon || !*trim(line)) {
			err = ks_fail(e, -EPROTO, "http: header line without a name: '%.60s'",
				      colon ? colon + 1 : line);
			goto fail;
		}
		r->headers[r->nheaders].name = trim(line);
		r->headers[r->nheaders].value = trim(colon + 1);
		r->nheaders++;
	}
	*head_len = hl;
	return 0;
fail:
	http_resp_free(r);
	return err;
}

const char *http_header(const struct ks_http_resp *r, const char *name)
{
	for (size_t i = 0; i < r->nheaders; i++)
		if (!strcasecmp(r->headers[i].name, name))
			return r->headers[i].value;
	return NULL;
}

char *http_head_text(const struct ks_http_resp *r)
{
	struct ks_buf b = { .limit = HTTP_MAX_HEAD };

	buf_printf(&b, "HTTP/1.1 %d %s\r\n", r->status, r->reason);
	for (size_t i = 0; i < r->nheaders; i++)
		buf_printf(&b, "%s: %s\r\n", r->headers[i].name, r->headers[i].value);
	buf_printf(&b, "\r\n");
	if (b.err || buf_reserve(&b, 1)) {
		buf_free(&b);
		return NULL;
	}
	b.data[b.len] = 0;
	return (char *)b.data; /* b's storage is the string */
}

void http_resp_free(struct ks_http_resp *r)
{
	free(r->headers);
	if (r->head)
		OPENSSL_cleanse(r->head, strlen(r->head));
	free(r->head);
	buf_free_secret(&r->body);
	r->headers = NULL;
	r->head = NULL;
	r->nheaders = 0;
}

static int fill(SSL *ssl, struct ks_buf *in, const struct ks_deadline *d, struct ks_error *e)
{
	int n, err = buf_reserve(in, 16384);

	if (err)
		return ks_fail(e, err, "http: response too large");
	n = tls_read_some(ssl, in->data + in->len, 16384, d);
	if (n == -ETIMEDOUT)
		return deadline_fail(d, e);
	if (n < 0)
		return ks_fail(e, n, "http: read from gateway: %s", strerror(-n));
	in->len += (size_t)n;
	return n;
}

/* Chunked transfer coding (RFC 9112 7.1), decoded from in[0..len) into body: 0 when the
 * last chunk arrived, -EAGAIN while incomplete, -EPROTO/-EMSGSIZE (e says where). */
int http_dechunk(const uint8_t *in, size_t len, struct ks_buf *body, struct ks_error *e)
{
	size_t pos = 0;

	body->len = 0;
	return http_dechunk_from(in, len, &pos, body, e);
}

int http_dechunk_from(const uint8_t *in, size_t len, size_t *at, struct ks_buf *body,
		      struct ks_error *e)
{
	size_t pos = *at;

	for (;; *at = pos) {
		const uint8_t *lf = memchr(in + pos, '\n', len - pos);
		size_t size = 0, i = pos, digits = 0;

		if (!lf)
			return len - pos > 1024 ? ks_fail(e, -EPROTO, "http: chunk size line at "
							  "body offset %zu is too long", pos)
						: -EAGAIN;
		for (; i < (size_t)(lf - in) && isxdigit(in[i]); i++, digits++) {
			if (digits == 8) /* > 4 GB: no chunk of ours is */
				return ks_fail(e, -EMSGSIZE, "http: chunk size at body offset "
							     "%zu too large", pos);
			size = size << 4 | (size_t)(isdigit(in[i]) ? in[i] - '0' : (in[i] | 0x20) - 'a' + 10);
		}
		/* Digits, then nothing, an extension (;...) or CR before the LF. */
		if (!digits || (in[i] != ';' && in[i] != '\r' && in + i != lf))
			return ks_fail(e, -EPROTO, "http: bad chunk size line at body offset %zu",
				       pos);
		if (size > HTTP_MAX_BODY)
			return ks_fail(e, -EMSGSIZE, "http: chunk of %zu bytes, limit %u", size,
				       HTTP_MAX_BODY);
		pos = (size_t)(lf - in) + 1;
		if (size == 0)
			return 0; /* trailers, if any, are not needed */
		if (len - pos < size + 2)
			return -EAGAIN;
		if (in[pos + size] == '\r' ? in[pos + size + 1] != '\n' : in[pos + size] != '\n')
			return ks_fail(e, -EPROTO, "http: chunk at body offset %zu does not end in "
						   "CRLF", pos);
		if (buf_append(body, in + pos, size))
			return ks_fail(e, -EMSGSIZE, "http: body exceeds %u bytes", HTTP_MAX_BODY);
		pos += size + (in[pos + size] == '\r' ? 2 : 1);
	}
}

static int read_body(SSL *ssl, struct ks_http_resp *r, struct ks_buf *in,
		     const struct ks_deadline *d, struct ks_error *e)
{
	const char *cl = http_header(r, "Content-Length");
	const char *te = http_header(r, "Transfer-Encoding");
	int n, err;

	r->body.limit = HTTP_MAX_BODY;
	if (r->status == 204 || r->status == 304)
		return 0;
	if (te && !strcasecmp(te, "chunked")) {
		size_t at = 0; /* each byte decoded once, however the gateway cuts its records */

		r->body.len = 0;
		while ((err = http_dechunk_from(in->data, in->len, &at, &r->body, e)) == -EAGAIN)
			if ((n = fill(ssl, in, d, e)) <= 0)
				return n ? n : ks_fail(e, -EPROTO, "http: EOF inside chunked body");
		return err;
	}
	if (cl) {
		char *end;
		unsigned long want = strtoul(cl, &end, 10);

		if (*end || want > HTTP_MAX_BODY)
			return ks_fail(e, -EMSGSIZE, "http: Content-Length '%.20s' invalid or > %u",
				       cl, HTTP_MAX_BODY);
		while (in->len < want)
			if ((n = fill(ssl, in, d, e)) <= 0)
				return n ? n : ks_fail(e, -EPROTO, "http: EOF after %zu of %lu body bytes",
						       in->len, want);
		return buf_append(&r->body, in->data, want);
	}
	while ((n = fill(ssl, in, d, e)) > 0)
		if (in->len > HTTP_MAX_BODY)
			return ks_fail(e, -EMSGSIZE, "http: body exceeds %u bytes", HTTP_MAX_BODY);
	return n < 0 ? n : buf_append(&r->body, in->data, in->len);
}

int http_roundtrip(SSL *ssl, const struct ks_buf *req, bool no_body, int timeout_s,
		   struct ks_http_resp *r, struct ks_buf *rest, struct ks_error *e)
{
	struct ks_buf in = { .limit = HTTP_MAX_HEAD + HTTP_MAX_BODY + 65536 };
	const char *line = (const char *)req->data, *sp;
	size_t head_len = 0, n_what;
	char what[160];
	struct ks_deadline d;
	int err, n;

	/* "the answer to POST /path": method and path of our request line. */
	sp = memchr(line, ' ', req->len);
	sp = sp ? memchr(sp + 1, ' ', req->len - (size_t)(sp + 1 - line)) : NULL;
	n_what = sp ? (size_t)(sp - line) : 0;
	snprintf(what, sizeof(what), "the answer to %.*s", (int)(n_what < 120 ? n_what : 120), line);
	deadline_start(&d, timeout_s, what);
	memset(r, 0, sizeof(*r));
	err = tls_write_all(ssl, req->data, req->len, &d);
	if (err == -ETIMEDOUT)
		return deadline_fail(&d, e);
	if (err)
		return ks_fail(e, -EIO, "http: cannot send request: %s", tls_last_error());
	/* The head is parsed once it is whole; until then only the bytes that came last are
	 * looked at (a gateway that sends a byte per record costs linear time, not square). */
	for (size_t scanned = 0;;) {
		size_t from = scanned > 2 ? scanned - 2 : 0, probe;

		if (in.len >= HTTP_MAX_HEAD || (in.len > from && find_head_end((char *)in.data + from,
										 in.len - from, &probe))) {
			err = http_parse_head((char *)in.data, in.len, r, &head_len, e);
			break;
		}
		scanned = in.len; /* what the next read brings is new */
		n = fill(ssl, &in, &d, e);
		if (n <= 0) {
			err = n ? n : ks_fail(e, -ECONNRESET, "http: gateway closed the connection");
			goto out;
		}
	}
	if (err)
		goto out;
	buf_consume(&in, head_len);
	if (no_body) {
		if (rest)
			err = buf_append(rest, in.data, in.len);
	} else {
		err = read_body(ssl, r, &in, &d, e);
	}
	if (err)
		http_resp_free(r);
out:
	buf_free_secret(&in);
	return err;
}

/* Spaces and tabs around a cookie's name or value (nothing else is trimmed: a CR makes
 * the cookie invalid). */
static char *trim_blanks(char *s)
{
	char *end;

	while (*s == ' ' || *s == '\t')
		s++;
	for (end = s + strlen(s); end > s && (end[-1] == ' ' || end[-1] == '\t');)
		*--end = 0;
	return s;
}

bool http_cookie_valid(const char *s, bool is_name)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f || *s == ';' || *s == ',' ||
		    *s == '"' || *s == '\\' || (is_name && *s == '='))
			return false;
	return true;
}

int http_jar_set(struct ks_cookie_jar *jar, const char *name, const char *value)
{
	size_t nlen = strlen(name);
	char *c;
	int i;

	/* Cookies go back into our request heads (and the CONNECT): no byte that could end
	 * a header line or start another cookie. */
	if (!*name || !http_cookie_valid(name, true) || !http_cookie_valid(value, false))
		return -EINVAL;
	if (asprintf(&c, "%s=%s", name, value) < 0)
		return -ENOMEM;
	for (i = 0; i < jar->n; i++) {
		if (!strncmp(jar->cookies[i], name, nlen) && jar->cookies[i][nlen] == '=') {
			OPENSSL_cleanse(jar->cookies[i], strlen(jar->cookies[i]));
			free(jar->cookies[i]);
			jar->cookies[i] = c;
			return 0;
		}
	}
	if (jar->n == HTTP_MAX_COOKIES) {
		free(c);
		return -ENOSPC;
	}
	jar->cookies[jar->n++] = c;
	return 0;
}

int http_jar_update(struct ks_cookie_jar *jar, const struct ks_http_resp *r)
{
	for (size_t i = 0; i < r->nheaders; i++) {
		char name[128], *value, *eq, *semi;
		int err;

		if (strcasecmp(r->headers[i].name, "Set-Cookie"))
			continue;
		value = strdup(r->headers[i].value);
		if (!value)
			return -ENOMEM;
		semi = strchr(value, ';');
		if (semi)
			*semi = 0;
		eq = strchr(value, '=');
		err = 0;
		if (eq && eq != value && (size_t)(eq - value) < sizeof(name)) {
			memcpy(name, value, (size_t)(eq - value));
			name[eq - value] = 0;
			err = http_jar_set(jar, trim_blanks(name), trim_blanks(eq + 1));
			if (err == -EINVAL)
				err = 0; /* a cookie we could not send back: ignored */
		}
		OPENSSL_cleanse(value, strlen(value));
		free(value);
		if (err)
			return err;
	}
	return 0;
}

const char *http_jar_get(const struct ks_cookie_jar *jar, const char *name)
{
	size_t nlen = strlen(name);

	for (int i = 0; i < jar->n; i++)
		if (!strncmp(jar->cookies[i], name, nlen) && jar->cookies[i][nlen] == '=')
			return jar->cookies[i] + nlen + 1;
	return NULL;
}

void http_jar_header(const struct ks_cookie_jar *jar, struct ks_buf *out)
{
	int emitted = 0;

	for (int i = 0; i < jar->n; i++) {
		const char *v = strchr(jar->cookies[i], '=') + 1;

		if (!*v) /* an empty value is the gateway deleting the cookie */
			continue;
		buf_printf(out, "%s%s", emitted++ ? "; " : "Cookie: ", jar->cookies[i]);
	}
	if (emitted)
		buf_append(out, "\r\n", 2);
}

void http_jar_free(struct ks_cookie_jar *jar)
{
	for (int i = 0; i < jar->n; i++) {
		OPENSSL_cleanse(jar->cookies[i], strlen(jar->cookies[i]));
		free(jar->cookies[i]);
	}
	jar->n = 0;
}
