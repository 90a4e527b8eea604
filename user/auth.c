// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>
#include <openssl/err.h>

#include "secret.h"
#include "esc.h"
#include "auth.h"
#include "http.h"
#include "key_proxy.h"
#include "log.h"
#include "sso.h"
#include "tls.h"

#define AUTH_MAX_ROUNDS 10

static bool contains_ci(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle);
}

/* A field that wants a one-time code rather than the password. */
static bool is_code_field(const struct ks_form_field *f)
{
	static const char *const words[] = { "otp", "token", "code", "passcode", "secondary",
					     "verification", "2fa", "pin" };

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (contains_ci(f->name, words[i]) || contains_ci(f->label, words[i]))
			return true;
	return false;
}

/* One line of stdin or the terminal, at most KS_ANSWER_MAX bytes: -ENODATA at end of
 * input, -E2BIG for a longer line (the rest of it is read and dropped, so the next answer
 * starts on the next line). */
static int read_line(FILE *in, char **out)
{
	char *line = secret_alloc(KS_ANSWER_MAX + 1); /* never in an unlocked buffer */
	size_t n = 0;
	bool over = false;
	int c;

	if (!line)
		return -ENOMEM;
	while ((c = getc(in)) != EOF && c != '\n') {
		if (n < KS_ANSWER_MAX)
			line[n++] = (char)c;
		else
			over = true;
	}
	if (c == EOF && !n && !over) {
		secret_free(line);
		return -ENODATA;
	}
	while (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = 0;
	if (over) {
		secret_free(line);
		return -E2BIG;
	}
	*out = secret_strdup(line); /* its own size: the locked heap is small */
	secret_free(line);
	return *out ? 0 : -ENOMEM;
}

/* The terminal is the one on stdin and stderr: the worker that asks has left the
 * session of that terminal (privsep.h), so it cannot open /dev/tty, nor push input. */
int auth_prompt(const char *label, bool hide, char **out)
{
	struct termios old, quiet;
	int err;

	if (!isatty(0) || !isatty(2))
		return -ENOTTY;
	fprintf(stderr, "%s ", esc(label));
	fflush(stderr);
	if (hide && !tcgetattr(0, &old)) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(0, TCSAFLUSH, &quiet);
	} else {
		hide = false;
	}
	err = read_line(stdin, out); /* stdin is unbuffered (secret.c) */
	if (hide) {
		tcsetattr(0, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	return err;
}

int auth_read_line(FILE *in, char **out)
{
	return read_line(in, out);
}

static int prompt_tty(const struct ks_form_field *f, char **out)
{
	return auth_prompt(f->label && *f->label ? f->label : f->name,
			   f->kind == KS_FIELD_PASSWORD, out);
}

bool auth_replay_possible(const struct ks_replay *r)
{
	return !r->person && !r->overflow;
}

void auth_replay_free(struct ks_replay *r)
{
	for (int i = 0; i < r->n; i++)
		secret_free(r->lines[i]);
	memset(r, 0, sizeof(*r));
}

static void record(struct ks_replay *r, const char *line)
{
	if (!r || r->replaying)
		return;
	if (r->n == KS_REPLAY_MAX || !(r->lines[r->n] = secret_strdup(line)))
		r->overflow = true;
	else
		r->n++;
}

static int answer_from_user(const struct ks_form_field *f, struct ks_answers *a, char **out,
			    struct ks_error *e)
{
	const char *what = f->kind == KS_FIELD_PASSWORD ? "password" : "text";
	struct ks_replay *r = a->replay;

	if (r && r->replaying) {
		if (r->next >= r->n)
			return ks_fail(e, -ENOKEY,
				       "auth: logging in again, the gateway asks for '%s' (%s field "
				       "'%s'), more than the first login did",
				       f->label ? f->label : f->name, what, f->name);
		*out = secret_strdup(r->lines[r->next++]);
		return *out ? 0 : -ENOMEM;
	}
	if (a->in) {
		int err = read_line(a->in, out);

		if (err == -E2BIG)
			return ks_fail(e, -EINVAL, "auth: the answer on stdin for '%s' is longer "
				       "than %d bytes", f->label ? f->label : f->name, KS_ANSWER_MAX);
		if (err)
			return ks_fail(e, -ENOKEY,
				       "auth: the gateway asks for '%s' (%s field '%s') but stdin has no more lines",
				       f->label ? f->label : f->name, what, f->name);
		record(r, *out);
		return 0;
	}
	if (a->tty && !prompt_tty(f, out)) {
		if (r)
			r->person = true;
		return 0;
	}
	return ks_fail(e, -ENOKEY,
		       "auth: the gateway asks for '%s' (%s field '%s'); give it with --passwd-on-stdin%s",
		       f->label ? f->label : f->name, what, f->name,
		       f->kind == KS_FIELD_PASSWORD ? ", --passwd-file or --token-secret" : " or --user");
}

static int choose_group(struct ks_form_field *f, const char *want, struct ks_error *e)
{
	char list[256] = "";
	size_t used = 0;

	for (int i = 0; i < f->noptions; i++) {
		const struct ks_form_option *opt = &f->options[i];

		if (want && (!strcasecmp(opt->value, want) || !strcasecmp(opt->label, want)))
			return (f->value = strdup(opt->value)) ? 0 : -ENOMEM;
		if (used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used, "%s%s",
						 i ? ", " : "", opt->label);
	}
	if (want)
		return ks_fail(e, -ENOKEY, "auth: --authgroup '%s' is not offered; groups: %s",
			       want, list);
	if (!f->noptions)
		return ks_fail(e, -EBADMSG, "auth: <select name=\"%s\"> has no options", f->name);
	if (f->noptions > 1)
		ks_info("auth", "event=group_chosen group=\"%s\" offered=\"%s\" hint=--authgroup",
			esc(f->options[0].label), esc(list));
	return (f->value = strdup(f->options[0].value)) ? 0 : -ENOMEM;
}

static int totp_answer(struct ks_answers *a, char **out)
{
	char code[16];
	int err = totp_code(&a->o->totp, a->now ? a->now : (uint64_t)time(NULL), code,
			    sizeof(code));

	if (err)
		return err;
	*out = secret_strdup(code);
	OPENSSL_cleanse(code, sizeof(code));
	return *out ? 0 : -ENOMEM;
}

int auth_fill_form(struct ks_auth_doc *doc, struct ks_answers *a, struct ks_error *e)
{
	int passwords = 0, err = 0;

	for (int i = 0; i < doc->nfields && !err; i++) {
		struct ks_form_field *f = &doc->fields[i];
		char *answer = NULL;

		switch (f->kind) {
		case KS_FIELD_HIDDEN:
			continue;
		case KS_FIELD_SELECT:
			secret_free(f->value);
			f->value = NULL;
			err = choose_group(f, a->o->authgroup, e);
			continue;
		case KS_FIELD_TEXT:
			if (a->o->user && (contains_ci(f->name, "user") ||
					   contains_ci(f->label, "user") || !strcmp(f->name, "login")))
				answer = secret_strdup(a->o->user);
			else
				err = answer_from_user(f, a, &answer, e);
			break;
		case KS_FIELD_SSO:
			if (a->replay) /* a person logged in: not to be done again alone */
				a->replay->person = true;
			err = sso_get_token(a->o, a->strap, doc, &answer, e);
			break;
		case KS_FIELD_PASSWORD:
			/* A code field, or a password asked again after one was sent: TOTP. */
			if (a->o->have_totp && (is_code_field(f) || a->passwords_sent > 0))
				err = totp_answer(a, &answer);
			else if (a->o->have_passwd && !a->passwd_used && !is_code_field(f))
				a->passwd_used = (answer = secret_strdup(a->o->passwd)) != NULL;
			else
				err = answer_from_user(f, a, &answer, e);
			passwords++;
			break;
		}
		if (!err && !answer)
			err = -ENOMEM;
		if (!err) {
			secret_free(f->value);
			f->value = answer;
		}
	}
	a->passwords_sent += passwords;
	return err;
}

void auth_host_header(const struct ks_connect_opts *o, char *out, size_t len)
{
	bool v6 = strchr(o->host, ':'), port = strcmp(o->port, "443");

	snprintf(out, len, "%s%s%s%s%s", v6 ? "[" : "", o->host, v6 ? "]" : "", port ? ":" : "",
		 port ? o->port : "");
}

void auth_common_headers(const struct ks_connect_opts *o, struct ks_buf *req)
{
	char host[300];

	auth_host_header(o, host, sizeof(host));
	buf_printf(req, "Host: %s\r\n", host);
	buf_printf(req, "User-Agent: %s\r\n", o->useragent);
	buf_printf(req, "Accept: */*\r\nAccept-Encoding: identity\r\n");
	buf_printf(req, "X-Transcend-Version: 1\r\nX-Aggregate-Auth: 1\r\n");
	buf_printf(req, "X-AnyConnect-Platform: linux-64\r\nX-Support-HTTP-Auth: true\r\n");
}

/* The form's action, reduced to a path on this gateway: a redirect elsewhere would need
 * a new certificate check, so it is refused. */
static int action_path(const struct ks_connect_opts *o, const char *action, char *out,
		       size_t outlen, struct ks_error *e)
{
	if (!action || !*action) {
		snprintf(out, outlen, "%s", o->path);
		return 0;
	}
	if (!strncasecmp(action, "https://", 8)) {
		const char *host = action + 8, *slash = strchr(host, '/');
		size_t hl = slash ? (size_t)(slash - host) : strlen(host);

		if (strncasecmp(host, o->host, strlen(o->host)) ||
		    (hl != strlen(o->host) && host[strlen(o->host)] != ':'))
			return ks_fail(e, -EPROTO, "auth: form posts to another host (%.*s)", (int)hl,
				       host);
		action = slash ? slash : "/";
	}
	if (action[0] != '/')
		return ks_fail(e, -EPROTO, "auth: form action '%.60s' is not a path", action);
	for (const char *c = action; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == 0x7f)
			return ks_fail(e, -EPROTO, "auth: form action has a control character");
	if (strlen(action) >= outlen)
		return ks_fail(e, -EPROTO, "auth: form action longer than %zu", outlen);
	snprintf(out, outlen, "%s", action);
	return 0;
}

struct auth_conn {
	SSL *ssl;
	int fd;
	bool cert_sent; /* this connection's handshake signed with the client certificate */
	bool cert_ever_sent;
};

/* ocserv (GnuTLS) drops a connection whose client certificate it does not take, untrusted,
 * expired or revoked, without an alert: after a TLS 1.3 handshake, the first request is
 * answered by EOF. After one that presented our certificate, that is what it means. */
static int cert_refused(SSL_CTX *ctx, const char *host, struct ks_error *e)
{
	X509 *x = SSL_CTX_get0_certificate(ctx);
	char subject[200] = "", why[80] = "not trusted by it, or revoked";
	const ASN1_TIME *na = x ? X509_get0_notAfter(x) : NULL;

	if (x)
		X509_NAME_oneline(X509_get_subject_name(x), subject, sizeof(subject));
	if (na && X509_cmp_current_time(na) < 0) {
		BIO *b = BIO_new(BIO_s_mem());
		char when[40] = "";

		if (b && ASN1_TIME_print(b, na))
			when[BIO_read(b, when, sizeof(when) - 1) > 0 ? sizeof(when) - 1 : 0] = 0;
		BIO_free(b);
		snprintf(why, sizeof(why), "it expired on %s", when);
	}
	ERR_clear_error();
	return ks_fail(e, -ENOKEY, "auth: %s refused the client certificate %s (%s): it closed the "
		       "connection after the TLS handshake", host, esc(subject), why);
}

static int post(const struct ks_connect_opts *o, SSL_CTX *ctx, struct auth_conn *c,
		const struct ks_strap *strap, struct ks_cookie_jar *jar, const char *path,
		const struct ks_buf *body, struct ks_http_resp *resp, struct ks_tls_peer *peer,
		struct ks_error *e)
{
	struct ks_buf req = { 0 };
	int err;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool fresh = !c->ssl;

		if (fresh) {
			unsigned int signed_before = key_proxy_signatures();

			err = tls_connect(ctx, &o->trust, o->host, o->port, o->timeout_s, &c->ssl,
					  &c->fd, peer, e);
			c->cert_sent = key_proxy_signatures() != signed_before;
			c->cert_ever_sent |= c->cert_sent;
			if (err == -ECONNREFUSED && c->cert_sent) /* TLS 1.2: in the handshake */
				err = cert_refused(ctx, o->host, e);
			if (err)
				break;
		}
		req.len = 0;
		buf_printf(&req, "POST %s HTTP/1.1\r\n", path);
		auth_common_headers(o, &req);
		strap_auth_headers(strap, &req);
		http_jar_header(jar, &req);
		buf_printf(&req, "Content-Type: application/x-www-form-urlencoded\r\n");
		buf_printf(&req, "Content-Length: %zu\r\n\r\n", body->len);
		buf_append(&req, body->data, body->len);
		err = req.err ? req.err : http_roundtrip(c->ssl, &req, false, o->timeout_s, resp,
									   NULL, e);
		if (err != -ECONNRESET && err != -EPIPE && err != -EIO)
			break;
		if (fresh && c->cert_sent) {
			err = cert_refused(ctx, o->host, e);
			break;
		}
		/* A keep-alive connection the gateway closed: one retry on a fresh one. */
		tls_free(c->ssl, c->fd);
		c->ssl = NULL;
		c->fd = -1;
	}
	buf_free_secret(&req);
	if (!err) {
		err = http_jar_update(jar, resp);
		if (err == -ENOSPC)
			err = ks_fail(e, -EMSGSIZE, "auth: the gateway sets more than %d cookies",
				      HTTP_MAX_COOKIES);
		else if (err)
			err = ks_fail(e, err, "auth: keeping the gateway's cookies: %s",
				      strerror(-err));
		const char *conn = http_header(resp, "Connection");

		if (conn && !strcasecmp(conn, "close")) {
			tls_free(c->ssl, c->fd);
			c->ssl = NULL;
			c->fd = -1;
		}
	}
	return err;
}

static int take_result(struct ks_auth_doc *doc, struct ks_cookie_jar *jar,
		       struct ks_auth_result *res, struct ks_error *e)
{
	const char *cookie = doc->session_token && *doc->session_token ? doc->session_token :
			     http_jar_get(jar, "webvpn");

	if (!cookie || !*cookie)
		return ks_fail(e, -EPROTO, "auth: gateway said complete but sent no session token");
	if (!http_cookie_valid(cookie, false))
		return ks_fail(e, -EPROTO, "auth: the session token has a byte that cannot go in a "
					   "Cookie header (control, space, ';', ',', '\"' or '\\')");
	res->cookie = secret_strdup(cookie);
	if (doc->banner && !res->banner)
		res->banner = strdup(doc->banner);
	return res->cookie ? 0 : -ENOMEM;
}

static bool has_text(const char *s)
{
	return s && *s;
}

static bool says_failed(const char *msg)
{
	static const char *const words[] = { "fail", "incorrect", "invalid", "denied", "wrong",
					     "rejected" };

	for (size_t i = 0; msg && i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasestr(msg, words[i]))
			return true;
	return false;
}

static void log_failed(const struct ks_connect_opts *o, const char *why)
{
	ks_err("auth", "event=login_failed user=\"%s\" gateway=%s reason=\"%s\"", esc(o->user),
	       o->host, esc(why));
}

static void path_reset(const struct ks_connect_opts *o, char *path, size_t len)
{
	snprintf(path, len, "%s", o->path);
}

/* The ASA's <client-cert-request>, as openconnect answers it: with a certificate not yet
 * presented, the init again on a new connection (whose handshake presents it: some ASAs
 * ask only then); without one, the init with <client-cert-fail/>, so that the gateway may
 * offer another way in. Asked again after that: refused. */
static int answer_cert_request(const struct ks_connect_opts *o, SSL_CTX *ctx,
			       struct auth_conn *c, struct ks_client_id *id, int *requests,
			       struct ks_buf *body, struct ks_error *e)
{
	bool have = SSL_CTX_get0_certificate(ctx) != NULL;

	if (++*requests > 1 || (have && c->cert_ever_sent))
		return ks_fail(e, -ENOKEY, "auth: %s asks for a client certificate %s", o->host,
			       !have		   ? "and none was given (-c/--certificate)" :
			       c->cert_ever_sent ? "again after ours was presented: it does not "
						   "take it" :
						   "again, but its handshakes never asked for ours");
	ks_info("auth", "event=client_cert_request gateway=%s have_cert=%s", o->host,
		have ? "yes" : "no");
	tls_free(c->ssl, c->fd);
	c->ssl = NULL;
	c->fd = -1;
	id->cert_fail = !have;
	buf_free_secret(body);
	return xml_build_init(id, body);
}

static int auth_rounds(const struct ks_connect_opts *o, SSL_CTX *ctx, struct auth_conn *c,
		       struct ks_auth_result *res, struct ks_replay *replay, struct ks_error *e)
{
	struct ks_client_id id = { .version = "v9.01", .device_id = "linux-64", .group = o->authgroup };
	struct ks_answers ans = { .o = o, .replay = replay, .strap = &res->strap,
				  .tty = !o->no_tty_prompt && isatty(0) };
	struct ks_cookie_jar jar = { 0 };
	struct ks_buf body = { 0 };
	struct ks_http_resp resp = { 0 };
	struct ks_auth_doc doc = { 0 };
	char path[256], access[600];
	int err = 0, cert_requests = 0;

	if (replay && replay->replaying) {
		replay->next = 0;
		ans.tty = false; /* nobody is asked again */
	} else if (o->passwd_on_stdin) {
		ans.in = stdin;
		ans.tty = false;
	}
	path_reset(o, path, sizeof(path));
	snprintf(access, sizeof(access), "https://%s%s%s%s", o->host,
		 strcmp(o->port, "443") ? ":" : "", strcmp(o->port, "443") ? o->port : "", o->path);
	id.group_access = access;
	err = xml_build_init(&id, &body);
	for (int round = 0; !err && round < AUTH_MAX_ROUNDS; round++) {
		err = post(o, ctx, c, &res->strap, &jar, path, &body, &resp, &res->peer, e);
		buf_free_secret(&body);
		if (err)
			break;
		if (resp.status == 401 || resp.status == 403) {
			bool no_cert = contains_ci(resp.reason, "certificate") &&
				       !SSL_CTX_get0_certificate(ctx);

			log_failed(o, resp.reason);
			err = ks_fail(e, -EACCES, "auth: login failed: HTTP %d %s%s", resp.status,
				      resp.reason,
				      no_cert ? " (the gateway wants a client certificate: "
						"-c/--certificate)" : "");
			break;
		}
		if (resp.status != 200) {
			err = ks_fail(e, -EPROTO, "auth: gateway answered HTTP %d %s", resp.status,
				      resp.reason);
			break;
		}
		err = xml_parse_auth((char *)resp.body.data, resp.body.len, &doc, e);
		http_resp_free(&resp);
		if (err)
			break;
		if (doc.banner && !res->banner)
			res->banner = strdup(doc.banner);
		if (doc.cert_request) {
			err = answer_cert_request(o, ctx, c, &id, &cert_requests, &body, e);
			xml_auth_doc_free(&doc);
			if (err)
				break;
			path_reset(o, path, sizeof(path));
			continue;
		}
		if (doc.type == KS_AUTH_COMPLETE || (doc.session_token && !doc.nfields)) {
			err = take_result(&doc, &jar, res, e);
			break;
		}
		/* A form after our answers that carries an error, or a message saying so (ocserv
		 * puts "Login failed." in <message>): the answer was wrong. */
		if (round > 0 && (has_text(doc.error) || says_failed(doc.message))) {
			const char *why = has_text(doc.error) ? doc.error : doc.message;

			log_failed(o, why);
			err = ks_fail(e, -EACCES, "auth: login failed: %s", escn(why, 160));
			break;
		}
		if (doc.message)
			ks_info("auth", "event=form id=\"%s\" message=\"%s\"", esc(doc.auth_id),
				esc(doc.message));
		err = auth_fill_form(&doc, &ans, e);
		if (!err)
			err = action_path(o, doc.action, path, sizeof(path), e);
		if (!err)
			err = xml_build_reply(&id, &doc, &body);
		xml_auth_doc_free(&doc);
	}
	if (!err && !res->cookie)
		err = ks_fail(e, -EPROTO, "auth: no session after %d rounds", AUTH_MAX_ROUNDS);
	xml_auth_doc_free(&doc);
	http_resp_free(&resp);
	buf_free_secret(&body);
	http_jar_free(&jar);
	return err;
}

int auth_login(const struct ks_connect_opts *o, SSL_CTX *ctx, struct ks_auth_result *res,
	       struct ks_replay *replay, struct ks_error *e)
{
	struct auth_conn c = { .fd = -1 };
	int err;

	memset(res, 0, sizeof(*res));
	if (strap_init(&res->strap))
		return ks_fail(e, -ENOMEM, "auth: cannot make the STRAP keys");
	err = auth_rounds(o, ctx, &c, res, replay, e);
	if (c.fd >= 0)
		tls_peer_address(c.fd, false, res->peer_ip, sizeof(res->peer_ip));
	tls_free(c.ssl, c.fd);
	if (!err && o->user)
		res->user = strdup(o->user);
	if (err) {
		struct ks_tls_peer keep = res->peer;

		auth_result_free(res);
		res->peer = keep;
	}
	return err;
}

/* openconnect --authenticate prints COOKIE as a cookie list ("openconnect_strapkey=...;
 * webvpn=..."); older ones, and people, give "webvpn=VALUE" or the value alone. CSTP
 * wants webvpn's value. NULL if there is none. */
static const char *webvpn_value(char *line)
{
	char *save = NULL;

	if (!strchr(line, '='))
		return line;
	for (char *c = strtok_r(line, ";", &save); c; c = strtok_r(NULL, ";", &save)) {
		while (*c == ' ' || *c == '\t')
			c++;
		if (!strncmp(c, "webvpn=", 7))
			return c + 7;
	}
	return NULL;
}

int auth_cookie_from(FILE *in, struct ks_auth_result *res, struct ks_error *e)
{
	char *line = NULL;
	const char *v;
	int err;

	memset(res, 0, sizeof(*res));
	err = read_line(in, &line);
	if (err == -E2BIG)
		return ks_fail(e, -EINVAL, "--cookie-on-stdin: the line is longer than %d bytes",
			       KS_ANSWER_MAX);
	if (err || !*line) {
		secret_free(line);
		return ks_fail(e, -ENOKEY, "--cookie-on-stdin: no cookie on stdin");
	}
	v = webvpn_value(line);
	if (!v || !*v) {
		secret_free(line);
		return ks_fail(e, -EINVAL, "--cookie-on-stdin: no webvpn cookie in the line");
	}
	for (const char *c = v; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == ';' || *c == 0x7f) {
			secret_free(line);
			return ks_fail(e, -EINVAL, "--cookie-on-stdin: invalid character at %zu",
				       (size_t)(c - v));
		}
	res->cookie = secret_strdup(v);
	secret_free(line);
	return res->cookie ? 0 : -ENOMEM;
}

/* 'text', a quote inside as '\'' : safe to eval. */
static void shell_var(FILE *f, const char *name, const char *a, const char *b)
{
	fprintf(f, "%s='", name);
	for (const char *t = a; t && *t; t++)
		fputs(*t == '\'' ? "'\\''" : (char[]){ *t, 0 }, f);
	for (const char *t = b; t && *t; t++)
		fputs(*t == '\'' ? "'\\''" : (char[]){ *t, 0 }, f);
	fputs("'\n", f);
}

void auth_print_shell(const struct ks_connect_opts *o, const struct ks_auth_result *r, FILE *f)
{
	char url[600], resolve[256 + 80];
	bool port = strcmp(o->port, "443");
	/* Through a proxy the address we talked to is the proxy's: the gateway's name stays. */
	const char *ip = !o->proxy.set && r->peer_ip[0] ? r->peer_ip : o->host;

	snprintf(url, sizeof(url), "https://%s%s%s%s", o->host, port ? ":" : "",
		 port ? o->port : "", o->path);
	snprintf(resolve, sizeof(resolve), "%s:%.63s", o->host, ip);
	shell_var(f, "COOKIE", "webvpn=", r->cookie);
	shell_var(f, "HOST", ip, NULL);
	shell_var(f, "CONNECT_URL", url, NULL);
	shell_var(f, "FINGERPRINT", r->peer.pubkey_sha256, NULL);
	if (!o->proxy.set)
		shell_var(f, "RESOLVE", resolve, NULL);
	fflush(f);
}

void auth_result_free(struct ks_auth_result *res)
{
	secret_free(res->cookie);
	free(res->banner);
	free(res->user);
	strap_free(&res->strap);
	memset(res, 0, sizeof(*res));
}
