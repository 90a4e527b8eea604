// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ctl_proto.h"
#include "esc.h"

static const struct {
	const char *words;
	int nargs;
	bool changes;
} verbs[CTL_VERB_COUNT] = {
	[CTL_PING] = { "ping", 0, false },
	[CTL_STATUS_JSON] = { "status json", 0, false },
	[CTL_STATUS_TEXT] = { "status text", 0, false },
	[CTL_ROUTE_LIST] = { "route list", 0, false },
	[CTL_ROUTE_LIST_JSON] = { "route list json", 0, false },
	[CTL_ROUTE_ADD] = { "route add", 2, true },
	[CTL_ROUTE_DEL] = { "route del", 2, true },
	[CTL_DOMAIN_LIST] = { "domain list", 0, false },
	[CTL_DOMAIN_LIST_JSON] = { "domain list json", 0, false },
	[CTL_DOMAIN_LIST_LEARNED] = { "domain list learned", 0, false },
	[CTL_DOMAIN_ADD] = { "domain add", 2, true },
	[CTL_DOMAIN_DEL] = { "domain del", 1, true },
	[CTL_DISCONNECT] = { "disconnect", 0, true },
	[CTL_STATUS_PROMETHEUS] = { "status prometheus", 0, false },
	[CTL_APP_LIST] = { "app list", 0, false },
	[CTL_APP_LIST_JSON] = { "app list json", 0, false },
	[CTL_APP_SET] = { "app set", 2, true },
	[CTL_APP_DEL] = { "app del", 1, true },
};

bool ctl_verb_changes(enum ks_ctl_verb verb)
{
	return (unsigned int)verb < CTL_VERB_COUNT && verbs[verb].changes;
}

static bool printable_word(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return n > 0;
}

int ctl_parse_request(const char *line, struct ks_ctl_req *req, const char **why)
{
	size_t len = strnlen(line, CTL_MAX_REQUEST), best = 0;
	int found = -1;

	*why = "request too long";
	if (len >= CTL_MAX_REQUEST)
		return -EINVAL;
	/* The longest table entry that the line starts with, as whole words. */
	for (int v = 0; v < CTL_VERB_COUNT; v++) {
		size_t n = strlen(verbs[v].words);

		if (n > best && !strncmp(line, verbs[v].words, n) && (line[n] == ' ' || !line[n])) {
			best = n;
			found = v;
		}
	}
	*why = "unknown request";
	if (found < 0)
		return -EINVAL;
	memset(req, 0, sizeof(*req));
	req->verb = (enum ks_ctl_verb)found;
	for (const char *p = line + best; *p;) {
		const char *end;

		*why = "malformed request";
		if (*p++ != ' ' || req->nargs == verbs[found].nargs)
			return -EINVAL;
		end = strchr(p, ' ');
		if (!end)
			end = p + strlen(p);
		if (!printable_word(p, (size_t)(end - p)))
			return -EINVAL;
		memcpy(req->args[req->nargs++], p, (size_t)(end - p));
		p = end;
	}
	*why = "missing arguments";
	return req->nargs == verbs[found].nargs ? 0 : -EINVAL;
}

int ctl_format_request(char *out, size_t len, enum ks_ctl_verb verb, const char *arg0,
		       const char *arg1)
{
	const char *args[CTL_MAX_ARGS] = { arg0, arg1 };
	size_t used;
	int n;

	if ((unsigned int)verb >= CTL_VERB_COUNT)
		return -EINVAL;
	n = snprintf(out, len, "%s", verbs[verb].words);
	for (int i = 0; i < CTL_MAX_ARGS; i++) {
		if ((i < verbs[verb].nargs) != (args[i] != NULL))
			return -EINVAL;
		if (!args[i])
			break;
		if (!printable_word(args[i], strlen(args[i])))
			return -EINVAL;
		used = (size_t)n;
		n += snprintf(out + (used < len ? used : len), used < len ? len - used : 0, " %s",
			      args[i]);
	}
	return n < 0 || (size_t)n >= len || (size_t)n >= CTL_MAX_REQUEST ? -ENAMETOOLONG : 0;
}

int ctl_parse_reply(const char *reply, const char **body, const char **msg, size_t *msg_len)
{
	const char *nl = strchr(reply, '\n');

	if (!nl)
		return -EBADMSG;
	*body = nl + 1;
	if (!strncmp(reply, "ok\n", 3))
		return 0;
	if (strncmp(reply, "error ", 6))
		return -EBADMSG;
	*msg = reply + 6;
	*msg_len = (size_t)(nl - *msg);
	return -EREMOTEIO;
}

void ctl_reply_ok(struct ks_buf *out)
{
	buf_append(out, "ok\n", 3);
}

void ctl_reply_error(struct ks_buf *out, const char *msg)
{
	char line[ESC_SHORT_MAX];

	esc_controls(line, sizeof(line), msg, strlen(msg));
	buf_printf(out, "error %s\n", line);
}
