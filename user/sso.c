// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "auth.h"
#include "esc.h"
#include "log.h"
#include "secret.h"
#include "sso.h"
#include "tls.h"

#define SSO_URL_MAX 4096
#define SSO_CONN_MS 5000 /* one browser request, from accept to its blank line */

static ks_sso_listen_fn env_listen;
static ks_sso_browse_fn env_browse;
static void *env_ctx;

void sso_set_env(ks_sso_listen_fn listen_fn, ks_sso_browse_fn browse_fn, void *ctx)
{
	env_listen = listen_fn;
	env_browse = browse_fn;
	env_ctx = ctx;
}

bool sso_url_ok(const char *url)
{
	size_t n = strnlen(url, SSO_URL_MAX + 1);

	if (n > SSO_URL_MAX || strncasecmp(url, "https://", 8) || n == 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || (unsigned char)url[i] >= 0x7f)
			return false;
	return true;
}


int sso_parse_request(const char *line, char *blob, size_t blen, char *ret, size_t rlen)
{
	size_t n = strlen(line), tl;
	const char *target = line + 4, *q, *end;

	blob[0] = ret[0] = 0;
	if (n < 15 || strncmp(line, "GET /", 5) ||
	    (strcmp(line + n - 9, " HTTP/1.1") && strcmp(line + n - 9, " HTTP/1.0")))
		return -EBADMSG;
	tl = n - 9 - 4;
	if (tl < 9 || strncmp(target, "/api/sso/", 9))
		return -ENOENT;
	end = target + tl;
	q = memchr(target, '?', tl);
	if (esc_url_decode(target + 9, (size_t)((q ? q : end) - target - 9), blob, blen, true) ||
	    !blob[0])
		return -EBADMSG;
	for (const char *p = q ? q + 1 : end; p < end;) {
		const char *amp = memchr(p, '&', (size_t)(end - p)), *pe = amp ? amp : end;

		if (pe - p > 7 && !strncmp(p, "return=", 7) &&
		    esc_url_decode(p + 7, (size_t)(pe - p - 7), ret, rlen, true))
			return -EBADMSG;
		p = amp ? amp + 1 : end;
	}
	return 0;
}

/* --- without a monitor: this process listens and launches ------------------------------ */

static int listen_here(void *ctx, int fds[2])
{
	(void)ctx;
	return sso_listen_loopback(fds);
}

int sso_listen_loopback(int fds[2])
{
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(KS_SSO_PORT),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(KS_SSO_PORT),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	int one = 1;

	fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	fds[1] = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	for (int i = 0; i < 2; i++) {
		if (fds[i] < 0)
			continue;
		setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (i)
			setsockopt(fds[i], IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		if (bind(fds[i], i ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
			 i ? sizeof(a6) : sizeof(a4)) ||
		    listen(fds[i], 4)) {
			close(fds[i]);
			fds[i] = -1;
		}
	}
	return fds[0] >= 0 || fds[1] >= 0 ? 0 : -EADDRINUSE;
}

static const char *browser_command;

static int browse_here(void *ctx, const char *url)
{
	(void)ctx;
	return sso_spawn_browser(browser_command, url, getuid(), getgid());
}

int sso_spawn_browser(const char *command, const char *url, uid_t uid, gid_t gid)
{
	pid_t child = fork(), done;
	int status = 0;

	if (child < 0)
		return -errno;
	if (child == 0) {
		/* Twice: the browser belongs to init, not to us (no zombie to reap). */
		if (fork() == 0) {
			struct passwd *pw = getpwuid(uid);
			int null = open("/dev/null", O_RDWR);
			char *script;

			setsid();
			if (null >= 0) {
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			if (setgroups(0, NULL) || setgid(gid) || setuid(uid) || (uid && !getuid()))
				_exit(126);
			if (pw) {
				setenv("HOME", pw->pw_dir, 1);
				setenv("USER", pw->pw_name, 1);
				setenv("LOGNAME", pw->pw_name, 1);
			}
			/* COMMAND as the user wrote it (words, options); the URL is "$1", never
			 * read by the shell as code. */
			if (asprintf(&script, "exec %s \"$1\"", command) < 0)
				_exit(127);
			execl("/bin/sh", "sh", "-c", script, "sh", url, (char *)NULL);
			_exit(127);
		}
		_exit(0);
	}
	do
		done = waitpid(child, &status, 0);
	while (done < 0 && errno == EINTR);
	return done == child && WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ECHILD;
}

/* --- the listener ------------------------------------------------------------------- */

static void reply(int fd, const char *status, const char *extra, const char *body)
{
	char buf[SSO_URL_MAX + 512];
	int n = snprintf(buf, sizeof(buf),
			 "HTTP/1.1 %s\r\n%sContent-Type: text/html; charset=utf-8\r\n"
			 "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
			 status, extra, strlen(body), body);

	if (n > 0 && (size_t)n < sizeof(buf))
		(void)!send(fd, buf, (size_t)n, MSG_NOSIGNAL);
}

/* One browser request's head, by its deadline: the request line into line. */
static int read_request(int fd, char *line, size_t cap)
{
	char head[KS_SSO_REQUEST_MAX];
	size_t have = 0;
	int64_t end = tls_mono_ms() + SSO_CONN_MS;

	for (;;) {
		ssize_t n = recv(fd, head + have, sizeof(head) - 1 - have, 0);
		char *eol;

		if (n == 0)
			return -ECONNRESET;
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -errno;
		if (n > 0) {
			have += (size_t)n;
			head[have] = 0;
			if (strstr(head, "\r\n\r\n") || strstr(head, "\n\n")) {
				eol = head + strcspn(head, "\r\n");
				*eol = 0;
				if ((size_t)(eol - head) >= cap)
					return -EMSGSIZE;
				memcpy(line, head, (size_t)(eol - head) + 1);
				return 0;
			}
			if (have == sizeof(head) - 1)
				return -EMSGSIZE;
			continue;
		}
		n = tls_wait_fd(fd, POLLIN, end);
		if (n)
			return (int)n;
	}
}

/* One connection to the listener: the token, or why not (the listener goes on). */
static int take_connection(int fd, const struct ks_strap *strap, char *token, size_t cap,
			   struct ks_error *e)
{
	char line[KS_SSO_REQUEST_MAX], blob[KS_STRAP_BLOB_MAX + 1], ret[SSO_URL_MAX + 1];
	char loc[SSO_URL_MAX + 32];
	int err = read_request(fd, line, sizeof(line));

	if (err)
		return ks_fail(e, err, "sso: a connection to the listener sent no request");
	err = sso_parse_request(line, blob, sizeof(blob), ret, sizeof(ret));
	if (err == -ENOENT) {
		reply(fd, "404 Not Found", "", "");
		return ks_fail(e, err, "sso: a request for another path");
	}
	if (!err)
		err = strap_open_token(strap, blob, token, cap, e);
	else
		ks_fail(e, err, "sso: a malformed request to the listener");
	if (err) {
		reply(fd, "400 Bad Request", "", "<html><body>kslice: this sign-in was not "
						 "accepted.</body></html>");
		return err;
	}
	if (ret[0] && sso_url_ok(ret)) { /* back to the gateway's last page, as openconnect */
		snprintf(loc, sizeof(loc), "Location: %s\r\n", ret);
		reply(fd, "302 Found", loc, "");
	} else {
		reply(fd, "200 OK", "", "<html><title>Success</title><body>kslice: signed in. "
					"You may close this page.</body></html>");
	}
	return 0;
}

static int wait_browser(const struct ks_connect_opts *o, const struct ks_strap *strap,
			int fds[2], char *token, size_t cap, struct ks_error *e)
{
	int64_t end = tls_mono_ms() + (int64_t)o->sso_timeout_s * 1000;

	for (;;) {
		int err = 0;

		for (int i = 0; i < 2 && !err; i++) {
			int c = fds[i] < 0 ? -1 : accept4(fds[i], NULL, NULL,
							  SOCK_CLOEXEC | SOCK_NONBLOCK);
			struct ks_error why = { 0 };

			if (c < 0)
				continue;
			err = take_connection(c, strap, token, cap, &why) ? 0 : 1;
			close(c);
			if (!err)
				ks_warn("auth", "event=sso_listener_refused reason=\"%s\"",
					esc(why.msg));
		}
		if (err)
			return 0;
		err = tls_wait_fds(fds, 2, POLLIN, end);
		if (err == -ETIMEDOUT) /* a login not done: exit 4 */
			return ks_fail(e, -ENOKEY, "sso: the browser did not come back within %d s "
				       "(--sso-timeout); log in in the browser that opened, or use "
				       "--sso-token-on-stdin", o->sso_timeout_s);
		if (err)
			return ks_fail(e, err, "sso: waiting for the browser: %s",
				       err == -EINTR ? "stopped" : "the network path changed");
	}
}

static int external_browser(const struct ks_connect_opts *o, const struct ks_strap *strap,
			    const struct ks_auth_doc *doc, char *token, size_t cap,
			    struct ks_error *e)
{
	int fds[2] = { -1, -1 }, err;

	if (!doc->sso_browser_mode || strcmp(doc->sso_browser_mode, "external"))
		return ks_fail(e, -ENOKEY, "sso: this gateway ends its SAML login in an embedded "
			       "browser, which kslice has not: use --sso-token-on-stdin");
	browser_command = o->external_browser;
	err = env_listen ? env_listen(env_ctx, fds) : listen_here(NULL, fds);
	if (err)
		return ks_fail(e, err, "sso: cannot listen on port %d of the loopback: %s",
			       KS_SSO_PORT, strerror(-err));
	ks_info("auth", "event=sso_browser url=\"%s\" command=\"%s\"", esc(doc->sso_login),
		esc(o->external_browser));
	err = env_browse ? env_browse(env_ctx, doc->sso_login) : browse_here(NULL, doc->sso_login);
	if (err)
		ks_fail(e, err, "sso: could not start the browser (%s)", esc(o->external_browser));
	else
		err = wait_browser(o, strap, fds, token, cap, e);
	for (int i = 0; i < 2; i++) /* the listener closes at once */
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

/* A token pasted: the token itself, or the http://localhost:29786/api/sso/... address the
 * browser ended at (decrypted here). */
static int pasted(const struct ks_strap *strap, const char *line, char *token, size_t cap,
		  struct ks_error *e)
{
	static const char *const hosts[] = { "http://localhost:29786/", "http://127.0.0.1:29786/",
					     "http://[::1]:29786/" };
	char req[KS_SSO_REQUEST_MAX], blob[KS_STRAP_BLOB_MAX + 1], ret[SSO_URL_MAX + 1];
	size_t n = strlen(line);

	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		size_t hl = strlen(hosts[i]);

		if (strncmp(line, hosts[i], hl))
			continue;
		if ((size_t)snprintf(req, sizeof(req), "GET /%s HTTP/1.1", line + hl) >= sizeof(req) ||
		    sso_parse_request(req, blob, sizeof(blob), ret, sizeof(ret)))
			return ks_fail(e, -EBADMSG, "sso: the address is not /api/sso/<token>");
		return strap_open_token(strap, blob, token, cap, e);
	}
	if (!n || n >= cap)
		return ks_fail(e, -EBADMSG, "sso: the token is empty or longer than %zu bytes",
			       cap - 1);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)line[i]))
			return ks_fail(e, -EBADMSG, "sso: the token has a byte that is not a letter "
				       "or digit at %zu", i);
	memcpy(token, line, n + 1);
	return 0;
}

int sso_get_token(const struct ks_connect_opts *o, const struct ks_strap *strap,
		  const struct ks_auth_doc *doc, char **token, struct ks_error *e)
{
	char *buf, *line = NULL;
	bool tty = !o->no_tty_prompt && isatty(0) && isatty(2);
	int err;

	if (!doc->sso_login || !sso_url_ok(doc->sso_login))
		return ks_fail(e, -EBADMSG, "sso: the gateway's <sso-v2-login> is missing or not an "
			       "https:// address");
	if (!o->external_browser && !o->sso_token_on_stdin && !tty)
		return ks_fail(e, -ENOKEY, "sso: the gateway asks for single sign-on (SAML): give "
			       "--external-browser or --sso-token-on-stdin");
	buf = secret_alloc(KS_SSO_TOKEN_MAX);
	if (!buf)
		return -ENOMEM;
	if (o->external_browser) {
		err = external_browser(o, strap, doc, buf, KS_SSO_TOKEN_MAX, e);
	} else {
		fprintf(stderr, "kslice: single sign-on: log in at\n  %s\nthen give the token, or "
			"the http://localhost:%d/... address the browser ended at:\n",
			esc(doc->sso_login), KS_SSO_PORT);
		err = o->sso_token_on_stdin ? auth_read_line(stdin, &line)
					    : auth_prompt("SSO token:", true, &line);
		if (err)
			ks_fail(e, -ENOKEY, "sso: no token on %s", o->sso_token_on_stdin ? "stdin" :
											   "the terminal");
		else
			err = pasted(strap, line, buf, KS_SSO_TOKEN_MAX, e);
		secret_free(line);
	}
	if (err) {
		secret_free(buf);
		return err == -EBADMSG ? -EACCES : err;
	}
	*token = buf;
	return 0;
}
