// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ctl_server.h"
#include "log.h"

struct client {
	int fd;			/* -1: free slot */
	uid_t uid;
	int64_t deadline_ms;
	char req[CTL_MAX_REQUEST];
	size_t req_len;
	struct ks_buf reply;	/* status line + body, once the request is complete */
	size_t sent;
};

struct ks_ctl_server {
	int listen_fd, ep;
	ks_ctl_handler fn;
	void *ctx;
	struct client c[CTL_MAX_CLIENTS];
	struct ks_ctl_stats st;
};

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct ks_ctl_server *ctl_server_new(int listen_fd, ks_ctl_handler fn, void *ctx)
{
	struct ks_ctl_server *s = calloc(1, sizeof(*s));
	struct epoll_event ev = { .events = EPOLLIN, .data.u32 = CTL_MAX_CLIENTS };

	if (!s)
		return NULL;
	s->listen_fd = listen_fd;
	s->fn = fn;
	s->ctx = ctx;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		s->c[i].fd = -1;
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, listen_fd, &ev)) {
		int err = errno;

		ctl_server_free(s);
		errno = err;
		return NULL;
	}
	return s;
}

int ctl_server_fd(const struct ks_ctl_server *s)
{
	return s->ep;
}

const struct ks_ctl_stats *ctl_server_stats(const struct ks_ctl_server *s)
{
	return &s->st;
}

static void drop(struct ks_ctl_server *s, struct client *c)
{
	epoll_ctl(s->ep, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	buf_free(&c->reply);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static int used_by_users(const struct ks_ctl_server *s)
{
	int n = 0;

	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		n += s->c[i].fd >= 0 && s->c[i].uid != 0;
	return n;
}

static void accept_all(struct ks_ctl_server *s)
{
	for (;;) {
		int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK), slot = -1;
		struct ucred cred;
		socklen_t cl = sizeof(cred);

		if (fd < 0)
			return; /* EAGAIN, or an error that the next event retries */
		int same_uid = 0;

		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl)) {
			close(fd);
			continue;
		}
		for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
			if (s->c[i].fd < 0 && slot < 0)
				slot = i;
			same_uid += s->c[i].fd >= 0 && s->c[i].uid == cred.uid;
		}
		/* One user cannot take every slot, and users together not the last two: the
		 * others, and root, still get their answer. */
		if (slot < 0 || (cred.uid != 0 && (same_uid >= CTL_MAX_PER_UID ||
						   used_by_users(s) >= CTL_MAX_CLIENTS - 2))) {
			s->st.dropped_full++;
			close(fd); /* the client reads EOF at once: "did not answer" */
			continue;
		}
		struct client *c = &s->c[slot];
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP, .data.u32 = (uint32_t)slot };

		c->fd = fd;
		c->uid = cred.uid;
		c->deadline_ms = now_ms() + CTL_CLIENT_MS;
		c->reply.limit = CTL_MAX_REPLY;
		if (epoll_ctl(s->ep, EPOLL_CTL_ADD, fd, &ev))
			drop(s, c);
	}
}

static void answer(struct ks_ctl_server *s, struct client *c)
{
	struct ks_buf body = { .limit = CTL_MAX_REPLY - 512 };
	struct ks_error e = { 0 };
	struct ks_ctl_req req;
	const char *why;
	int err;

	c->req[c->req_len] = 0;
	err = ctl_parse_request(c->req, &req, &why);
	if (err) {
		s->st.malformed++;
		ks_fail(&e, err, "%s", why);
	} else if (ctl_verb_changes(req.verb) && c->uid != 0 && c->uid != getuid()) {
		s->st.refused++;
		err = ks_fail(&e, -EPERM, "permission denied: changes are for root");
	} else {
		err = s->fn(s->ctx, &req, c->uid, &body, &e);
	}
	if (err)
		ctl_reply_error(&c->reply, e.msg[0] ? e.msg : strerror(-err));
	else if (body.err)
		ctl_reply_error(&c->reply, "reply too large");
	else {
		ctl_reply_ok(&c->reply);
		buf_append(&c->reply, body.data, body.len);
	}
	buf_free(&body);
	s->st.served++;
	/* From now on only writes matter. */
	epoll_ctl(s->ep, EPOLL_CTL_MOD, c->fd,
		  &(struct epoll_event){ .events = EPOLLOUT, .data.u32 = (uint32_t)(c - s->c) });
}

/* 0 while the client is still wanted, -1 when it is done with or gone. */
static int on_readable(struct ks_ctl_server *s, struct client *c)
{
	while (!c->reply.len) {
		ssize_t r = recv(c->fd, c->req + c->req_len, sizeof(c->req) - 1 - c->req_len, 0);
		char *nl;

		if (r < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		if (r == 0)
			return -1; /* gone before its request was whole */
		nl = memchr(c->req + c->req_len, '\n', (size_t)r);
		c->req_len += (size_t)r;
		if (nl) {
			c->req_len = (size_t)(nl - c->req);
			answer(s, c);
		} else if (c->req_len == sizeof(c->req) - 1) {
			s->st.malformed++;
			return -1;
		}
	}
	return 0;
}

static int on_writable(struct client *c)
{
	while (c->sent < c->reply.len) {
		ssize_t w = send(c->fd, c->reply.data + c->sent, c->reply.len - c->sent,
				 MSG_NOSIGNAL | MSG_DONTWAIT);

		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->sent += (size_t)w;
	}
	return -1; /* all sent: close, the client reads EOF as the end of the reply */
}

void ctl_server_run(struct ks_ctl_server *s)
{
	struct epoll_event ev[CTL_MAX_CLIENTS + 1];
	int64_t now;
	int n = epoll_wait(s->ep, ev, CTL_MAX_CLIENTS + 1, 0);

	for (int i = 0; i < n; i++) {
		uint32_t slot = ev[i].data.u32;
		struct client *c;

		if (slot == CTL_MAX_CLIENTS) {
			accept_all(s);
			continue;
		}
		c = &s->c[slot];
		if (c->fd < 0)
			continue;
		bool answered = c->reply.len;
		int r = answered ? on_writable(c) : on_readable(s, c);

		if (!r && !answered && c->reply.len)
			r = on_writable(c); /* answered this pass: most replies fit at once */
		if (r < 0)
			drop(s, c);
	}
	now = now_ms();
	for (int i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (s->c[i].fd >= 0 && now >= s->c[i].deadline_ms) {
			s->st.dropped_slow++;
			ks_dbg("ctl", "event=client_dropped uid=%u reason=\"too slow\"",
			       (unsigned int)s->c[i].uid);
			drop(s, &s->c[i]);
		}
	}
}

void ctl_server_free(struct ks_ctl_server *s)
{
	if (!s)
		return;
	for (int i = 0; i < CTL_MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0)
			drop(s, &s->c[i]);
	if (s->ep >= 0)
		close(s->ep);
	free(s);
}
