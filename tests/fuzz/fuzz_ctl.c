// SPDX-License-Identifier: GPL-2.0-only
/* The control socket's language (user/ctl_proto.c), both ways: the daemon parsing a
 * request line from any local user, and the client parsing the daemon's reply. A request
 * that parses is exactly what ctl_format_request() writes for it; an error reply built
 * from any message stays one status line with an empty body; a parsed reply points into
 * what was received. Input: the request line (up to the first newline), and the whole
 * input as a reply and as an error message. */
#include "../../user/ctl_proto.c"

#include <stdlib.h>

#include "fuzz.h"

static void fuzz_request(const char *line)
{
	struct ks_ctl_req req, back;
	const char *why = NULL;
	char out[CTL_MAX_REQUEST + 16];
	int err = ctl_parse_request(line, &req, &why);

	if (err) {
		FUZZ_CHECK(err == -EINVAL && why && *why, "err %d", err);
		return;
	}
	FUZZ_CHECK((unsigned int)req.verb < CTL_VERB_COUNT && req.nargs == verbs[req.verb].nargs,
		   "verb %d with %d arguments", req.verb, req.nargs);
	for (int i = 0; i < req.nargs; i++)
		FUZZ_CHECK(printable_word(req.args[i], strlen(req.args[i])), "argument %d", i);
	err = ctl_format_request(out, sizeof(out), req.verb, req.nargs > 0 ? req.args[0] : NULL,
				 req.nargs > 1 ? req.args[1] : NULL);
	FUZZ_CHECK(!err && !strcmp(out, line), "'%s' formats back as '%s' (%d)", line, out, err);
	FUZZ_CHECK(!ctl_parse_request(out, &back, &why) && back.verb == req.verb &&
			   back.nargs == req.nargs &&
			   !memcmp(back.args, req.args, sizeof(req.args)),
		   "'%s' parses to another request", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *all = fuzz_cstr_all(data, size), *line = fuzz_cstr_all(data, size);
	const char *body = NULL, *msg = NULL, *b2 = NULL, *m2 = NULL;
	struct ks_buf out = { 0 };
	size_t msg_len = 0, m2_len = 0;
	int err;

	line[strcspn(line, "\n")] = 0;
	fuzz_request(line);

	err = ctl_parse_reply(all, &body, &msg, &msg_len);
	FUZZ_CHECK(!err || err == -EREMOTEIO || err == -EBADMSG, "reply: %d", err);
	if (err != -EBADMSG)
		FUZZ_CHECK(body > all && body <= all + strlen(all) && body[-1] == '\n', "body");
	if (err == -EREMOTEIO)
		FUZZ_CHECK(msg == all + 6 && msg + msg_len == body - 1, "message");

	/* The daemon's error reply for any message: one line, then nothing. */
	ctl_reply_error(&out, all);
	err = ctl_parse_reply(buf_cstr(&out), &b2, &m2, &m2_len);
	FUZZ_CHECK(err == -EREMOTEIO && !*b2 && !memchr(m2, '\n', m2_len) && m2_len < ESC_SHORT_MAX,
		   "error reply for '%.40s' is not one status line (%d)", all, err);
	buf_free(&out);
	free(all);
	free(line);
	return 0;
}
