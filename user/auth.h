/* SPDX-License-Identifier: GPL-2.0-only */
/* AnyConnect aggregate auth: from nothing to a session cookie. */
#pragma once
#include <stdio.h>
#include <openssl/ssl.h>
#include "opts.h"
#include "xml.h"

struct ks_auth_result {
	char *cookie;	/* the webvpn session token */
	char *banner;	/* pre-login/post-auth banner, if any */
	char *user;	/* who logged in (for logs and status) */
	struct ks_tls_peer peer;
};

/* Where answers come from: the command line, stdin lines, a terminal, the TOTP key. */
struct ks_answers {
	const struct ks_connect_opts *o;
	FILE *in;		/* --passwd-on-stdin lines */
	bool tty;		/* may prompt on /dev/tty */
	int passwords_sent;	/* in earlier stages */
	uint64_t now;		/* for the TOTP code; 0: time(NULL) */
};

/* Fills every field of doc: -ENOKEY (with e) when a field cannot be answered. */
int auth_fill_form(struct ks_auth_doc *doc, struct ks_answers *a, struct ks_error *e);
/* -EKEYREJECTED (certificate), -EACCES (login failed), -EPROTO, -ENETUNREACH... */
int auth_login(const struct ks_connect_opts *o, SSL_CTX *ctx, struct ks_auth_result *res,
	       struct ks_error *e);
/* --cookie-on-stdin: "webvpn=VALUE" or "VALUE". */
int auth_cookie_from(FILE *in, struct ks_auth_result *res, struct ks_error *e);
void auth_result_free(struct ks_auth_result *res);
/* Request headers every gateway request carries. */
void auth_host_header(const struct ks_connect_opts *o, char *out, size_t len);
void auth_common_headers(const struct ks_connect_opts *o, struct ks_buf *req);
