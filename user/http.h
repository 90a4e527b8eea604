/* SPDX-License-Identifier: GPL-2.0-only */
/* Just enough HTTP/1.1 for AnyConnect auth and the CSTP CONNECT: bounded in every way. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <openssl/ssl.h>
#include "buf.h"
#include "error.h"

#define HTTP_MAX_HEAD (64u << 10)
#define HTTP_MAX_HEADERS 2048
#define HTTP_MAX_BODY (1u << 20)
#define HTTP_MAX_COOKIES 16

struct ks_http_header {
	char *name;
	char *value;
};

struct ks_http_resp {
	int status;
	char reason[128];
	struct ks_http_header *headers;
	size_t nheaders;
	char *head; /* storage behind headers[] */
	struct ks_buf body;
};

struct ks_cookie_jar {
	char *cookies[HTTP_MAX_COOKIES]; /* "name=value" */
	int n;
};

/* Parses a complete response head (status line + headers up to the blank line) in
 * data[0..len). Returns -EAGAIN if the blank line is not there yet; *head_len is the
 * number of bytes the head took. */
int http_parse_head(const char *data, size_t len, struct ks_http_resp *r, size_t *head_len,
		    struct ks_error *e);
const char *http_header(const struct ks_http_resp *r, const char *name);
/* The parsed head written out again (status line, headers, blank line); malloc'd. */
char *http_head_text(const struct ks_http_resp *r);
/* Chunked body in[0..len) into body: 0 complete, -EAGAIN need more, else an error. */
int http_dechunk(const uint8_t *in, size_t len, struct ks_buf *body, struct ks_error *e);
/* The same, resumed: decoding starts at *at (0 the first time) and appends to body; on
 * -EAGAIN *at is where the chunk still incomplete begins. Called again with more of the
 * same bytes, it gives what http_dechunk gives on all of them. */
int http_dechunk_from(const uint8_t *in, size_t len, size_t *at, struct ks_buf *body,
		      struct ks_error *e);
void http_resp_free(struct ks_http_resp *r);

/* Sends req and reads the response. For CONNECT (no_body), bytes read past the head are
 * left in *rest for the CSTP stream. */
int http_roundtrip(SSL *ssl, const struct ks_buf *req, bool no_body, int timeout_s,
		   struct ks_http_resp *r, struct ks_buf *rest, struct ks_error *e);

/* Takes every Set-Cookie into the jar (replacing by name); a cookie header line out. */
int http_jar_update(struct ks_cookie_jar *jar, const struct ks_http_resp *r);
const char *http_jar_get(const struct ks_cookie_jar *jar, const char *name);
/* -EINVAL for a name or value with a control byte, space, ';', ',', '"' or '\\'. */
int http_jar_set(struct ks_cookie_jar *jar, const char *name, const char *value);
bool http_cookie_valid(const char *s, bool is_name);
void http_jar_header(const struct ks_cookie_jar *jar, struct ks_buf *out);
void http_jar_free(struct ks_cookie_jar *jar);
