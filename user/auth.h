/* SPDX-License-Identifier: GPL-2.0-only */
/* AnyConnect aggregate auth: from nothing to a session cookie. */
#pragma once
#include <stdio.h>
#include <openssl/ssl.h>
#include "opts.h"
#include "strap.h"
#include "xml.h"

struct ks_auth_result {
	char *cookie;	/* the webvpn session token */
	char *banner;	/* pre-login/post-auth banner, if any */
	char *user;	/* who logged in (for logs and status) */
	struct ks_tls_peer peer;
	char peer_ip[64]; /* the address the login talked to (the proxy's through one) */
	struct ks_strap strap; /* the login's STRAP keys (strap.h): the CONNECT proves them */
};

#define KS_ANSWER_MAX 8192 /* bytes of one answer or cookie line from stdin or a terminal */

/* The answers a login read from stdin, kept in locked memory (secret.h) so that the
 * session can log in again without a person when a restarted gateway forgot it (issue
 * #13 §2). A login that prompted someone on the terminal cannot be replayed. */
#define KS_REPLAY_MAX 16
struct ks_replay {
	char *lines[KS_REPLAY_MAX];
	int n;		/* recorded */
	int next;	/* replaying: the next to give */
	bool replaying;
	bool person;	/* a terminal prompt was answered: no replay */
	bool overflow;	/* more answers than kept: no replay */
};
/* Can the login be done again from what was kept (or needs nothing kept)? */
bool auth_replay_possible(const struct ks_replay *r);
/* One line from the terminal on fds 0 and 2 (-ENOTTY if there is none), echo off if
 * hide, into the secret heap (secret_free it). */
int auth_prompt(const char *label, bool hide, char **out);
/* One line of in (stdin is unbuffered), without its newline, into the secret heap. */
int auth_read_line(FILE *in, char **out);
void auth_replay_free(struct ks_replay *r);

/* Where answers come from: the command line, stdin lines, a terminal, the TOTP key. */
struct ks_answers {
	const struct ks_connect_opts *o;
	struct ks_replay *replay; /* recorded into, or replayed from; NULL: neither */
	FILE *in;		/* --passwd-on-stdin lines */
	bool tty;		/* may prompt on /dev/tty */
	int passwords_sent;	/* in earlier stages */
	bool passwd_used;	/* --passwd-file answered a field already */
	uint64_t now;		/* for the TOTP code; 0: time(NULL) */
	const struct ks_strap *strap; /* SAML: the external browser's token opens with it */
};

/* Fills every field of doc: -ENOKEY (with e) when a field cannot be answered. */
int auth_fill_form(struct ks_auth_doc *doc, struct ks_answers *a, struct ks_error *e);
/* -EKEYREJECTED (certificate), -EACCES (login failed), -EPROTO, -ENETUNREACH... */
/* replay: records the stdin answers, or (replay->replaying) gives them again; may be NULL. */
int auth_login(const struct ks_connect_opts *o, SSL_CTX *ctx, struct ks_auth_result *res,
	       struct ks_replay *replay, struct ks_error *e);
/* --cookie-on-stdin: "webvpn=VALUE" or "VALUE". */
int auth_cookie_from(FILE *in, struct ks_auth_result *res, struct ks_error *e);
void auth_result_free(struct ks_auth_result *res);
/* --authenticate: COOKIE, HOST, CONNECT_URL, FINGERPRINT and RESOLVE as shell assignments,
 * as openconnect --authenticate prints them. */
void auth_print_shell(const struct ks_connect_opts *o, const struct ks_auth_result *r,
		      FILE *f);
/* Request headers every gateway request carries. */
void auth_host_header(const struct ks_connect_opts *o, char *out, size_t len);
void auth_common_headers(const struct ks_connect_opts *o, struct ks_buf *req);
