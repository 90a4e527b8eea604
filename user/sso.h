/* SPDX-License-Identifier: GPL-2.0-only */
/* SAML single sign-on, the ASA's single-sign-on-v2 (docs/protocol-notes.md "SAML"): the
 * login page opens in the user's browser, and the token comes back either to a listener
 * on the loopback (127.0.0.1 and ::1 port 29786, "external browser": the gateway sends the
 * browser to http://localhost:29786/api/sso/<token encrypted to our STRAP key>) or on
 * stdin, from a person who logged in elsewhere (--sso-token-on-stdin). */
#pragma once
#include "opts.h"
#include "strap.h"
#include "xml.h"

#define KS_SSO_PORT 29786
#define KS_SSO_REQUEST_MAX 8192 /* the browser's request head */

/* Listening TCP sockets on 127.0.0.1 and [::1] port 29786 into fds[0..1] (-1 where none);
 * 0 if at least one listens. */
typedef int (*ks_sso_listen_fn)(void *ctx, int fds[2]);
/* The URL opened in the user's browser, as the user (never root). */
typedef int (*ks_sso_browse_fn)(void *ctx, const char *url);
/* The worker's way to both (through the monitor); without it, this process does them. */
void sso_set_env(ks_sso_listen_fn listen, ks_sso_browse_fn browse, void *ctx);

/* The token for doc's <input type="sso">, into *token (secret heap). -ENOKEY when nothing
 * can get it (no --external-browser, no --sso-token-on-stdin, no terminal), -ETIMEDOUT when
 * the browser never came back; e says so. */
int sso_get_token(const struct ks_connect_opts *o, const struct ks_strap *strap,
		  const struct ks_auth_doc *doc, char **token, struct ks_error *e);

/* Exported for the fuzzer and the tests: the browser's request line "GET /api/sso/BLOB
 * [?return=URL] HTTP/1.x" into the URL-decoded blob and return URL (empty if none). 0, or
 * -ENOENT for another path (answered 404), -EBADMSG. */
int sso_parse_request(const char *line, char *blob, size_t blen, char *ret, size_t rlen);
/* The launcher the monitor and the in-process flow use: fork, become uid/gid, exec
 * command with url. */
int sso_spawn_browser(const char *command, const char *url, uid_t uid, gid_t gid);
/* The two listening sockets (127.0.0.1 and ::1, port 29786, backlog 4): 0 when at least
 * one listens. */
int sso_listen_loopback(int fds[2]);
/* Is url one to open in a browser: https://, printable, without spaces, at most 4 KiB? */
bool sso_url_ok(const char *url);
