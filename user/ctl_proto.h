/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket's language, one table for the client and the daemon.
 * Request: one line, `WORDS [ARG...]\n`, at most CTL_MAX_REQUEST bytes, words separated
 * by one space. Reply: a status line, `ok\n` or `error MESSAGE\n`, then the body (the
 * text or JSON that the command prints), then EOF. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"

#define CTL_MAX_REQUEST 512
#define CTL_MAX_REPLY (8u << 20)
#define CTL_MAX_ARGS 2

enum ks_ctl_verb {
	CTL_PING,
	CTL_STATUS_JSON,
	CTL_STATUS_TEXT,
	CTL_ROUTE_LIST,
	CTL_ROUTE_LIST_JSON,
	CTL_ROUTE_ADD,		/* include|exclude PREFIX */
	CTL_ROUTE_DEL,		/* include|exclude|any PREFIX */
	CTL_DOMAIN_LIST,
	CTL_DOMAIN_LIST_JSON,
	CTL_DOMAIN_LIST_LEARNED,
	CTL_DOMAIN_ADD,		/* tunnel|learn|exclude DOMAIN */
	CTL_DOMAIN_DEL,		/* DOMAIN */
	CTL_DISCONNECT,
	CTL_STATUS_PROMETHEUS,
	CTL_APP_LIST,
	CTL_APP_LIST_JSON,
	CTL_APP_SET,		/* split|tunnel|direct CGROUP */
	CTL_APP_DEL,		/* CGROUP */
	CTL_VERB_COUNT,
};

struct ks_ctl_req {
	enum ks_ctl_verb verb;
	int nargs;
	char args[CTL_MAX_ARGS][CTL_MAX_REQUEST];
};

/* Changes the tunnel: root only. */
bool ctl_verb_changes(enum ks_ctl_verb verb);
/* One request line (no newline): 0, or -EINVAL with *why set. */
int ctl_parse_request(const char *line, struct ks_ctl_req *req, const char **why);
/* Writes the request line for verb and its arguments (NULL-terminated after nargs);
 * -EINVAL when the count is wrong or an argument has a space, newline or is empty. */
int ctl_format_request(char *out, size_t len, enum ks_ctl_verb verb, const char *arg0,
		       const char *arg1);
/* Splits a reply: 0 with the body, or -EREMOTEIO with the daemon's message in *msg
 * (both point into reply); -EBADMSG for a reply without a status line. */
int ctl_parse_reply(const char *reply, const char **body, const char **msg, size_t *msg_len);
/* The status line + body shape. msg is escaped (esc.h) onto one line. */
void ctl_reply_ok(struct ks_buf *out);
void ctl_reply_error(struct ks_buf *out, const char *msg);
