// SPDX-License-Identifier: GPL-2.0-only
/* The control socket's grammar and server, with real sockets and no daemon. SIGPIPE keeps
 * its default action here: a write without MSG_NOSIGNAL would end the test run. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl_proto.h"
#include "ctl_server.h"
#include "ks_test.h"

void test_ctl_proto(void)
{
	static const struct {
		const char *line;
		int verb, nargs; /* verb -1: refused */
	} cases[] = {
		{ "ping", CTL_PING, 0 },
		{ "status json", CTL_STATUS_JSON, 0 },
		{ "status text", CTL_STATUS_TEXT, 0 },
		{ "route list json", CTL_ROUTE_LIST_JSON, 0 },
		{ "route add include 10.0.0.0/8", CTL_ROUTE_ADD, 2 },
		{ "route del any 10.0.0.0/8", CTL_ROUTE_DEL, 2 },
		{ "domain del corp.example", CTL_DOMAIN_DEL, 1 },
		{ "domain list learned", CTL_DOMAIN_LIST_LEARNED, 0 },
		{ "disconnect", CTL_DISCONNECT, 0 },
		{ "", -1, 0 },
		{ "statusjson", -1, 0 },
		{ "status  json", -1, 0 },
		{ "route add include", -1, 0 },
		{ "route add include 10.0.0.0/8 extra", -1, 0 },
		{ "route add include  10.0.0.0/8", -1, 0 },
		{ "route add include 10.0.0.0/8 ", -1, 0 },
		{ "domain del a\tb", -1, 0 },
		{ "disconnect now", -1, 0 },
		{ "domain del ", -1, 0 }, /* an empty word */
		{ "ping\x1b[2J", -1, 0 },
	};
	struct ks_ctl_req req;
	const char *why;
	char line[CTL_MAX_REQUEST + 8];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int err = ctl_parse_request(cases[i].line, &req, &why);

		test__start_subtest(cases[i].line[0] ? cases[i].line : "(empty)");
		if (cases[i].verb < 0) {
			ASSERT_EQ(err, -EINVAL, "refused");
			continue;
		}
		if (!ASSERT_OK(err, why))
			continue;
		ASSERT_EQ(req.verb, cases[i].verb, "verb");
		ASSERT_EQ(req.nargs, cases[i].nargs, "nargs");
	}
	test__start_subtest("client and server read the same table");
	for (int v = 0; v < CTL_VERB_COUNT; v++) {
		bool two = v == CTL_ROUTE_ADD || v == CTL_ROUTE_DEL || v == CTL_DOMAIN_ADD ||
			   v == CTL_APP_SET;
		bool one = v == CTL_DOMAIN_DEL || v == CTL_APP_DEL;

		ASSERT_OK(ctl_format_request(line, sizeof(line), v, one || two ? "a" : NULL,
					     two ? "b" : NULL), "format");
		ASSERT_OK(ctl_parse_request(line, &req, &why), line);
		ASSERT_EQ(req.verb, v, line);
	}
	ASSERT_EQ(ctl_format_request(line, sizeof(line), CTL_PING, "x", NULL), -EINVAL, "extra arg");
	ASSERT_EQ(ctl_format_request(line, sizeof(line), CTL_DOMAIN_DEL, "a b", NULL), -EINVAL,
		  "space in arg");
	memset(line, 'a', CTL_MAX_REQUEST);
	line[CTL_MAX_REQUEST] = 0;
	ASSERT_EQ(ctl_parse_request(line, &req, &why), -EINVAL, "too long");

	test__start_subtest("reply shape");
	const char *body, *msg = NULL;
	size_t msg_len = 0;
	ASSERT_OK(ctl_parse_reply("ok\n{}\n", &body, &msg, &msg_len), "ok");
	ASSERT_STREQ(body, "{}\n", "body");
	ASSERT_EQ(ctl_parse_reply("error no such\n", &body, &msg, &msg_len), -EREMOTEIO, "error");
	ASSERT_EQ(msg_len, 7, "message");
	ASSERT_EQ(ctl_parse_reply("{\"ok\":true}", &body, &msg, &msg_len), -EBADMSG, "old shape");
	ASSERT_EQ(ctl_parse_reply("", &body, &msg, &msg_len), -EBADMSG, "empty");
}

static int big_handler(void *ctx, const struct ks_ctl_req *req, uid_t uid, struct ks_buf *body,
		       struct ks_error *e)
{
	int *calls = ctx;

	(*calls)++;
	if (req->verb == CTL_ROUTE_ADD)
		return ks_fail(e, -ENOENT, "route: \x1b[2J not\nthere");
	if (req->verb == CTL_STATUS_JSON) /* more than a socket buffer holds */
		for (int i = 0; i < 40000; i++)
			buf_printf(body, "line %05d of a long status reply\n", i);
	return 0;
}

static int64_t ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void serve(struct ks_ctl_server *s, int for_ms)
{
	int64_t end = ms() + for_ms;

	do {
		struct pollfd p = { .fd = ctl_server_fd(s), .events = POLLIN };

		poll(&p, 1, 20);
		ctl_server_run(s);
	} while (ms() < end);
}

static int client(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Everything the server sent before closing (the socket is non-blocking: serve between). */
static size_t drain(struct ks_ctl_server *s, int fd, char *out, size_t cap, bool *closed)
{
	size_t n = 0;

	*closed = false;
	for (int round = 0; round < 200 && !*closed; round++) {
		ssize_t r = read(fd, out + n, cap - 1 - n);

		if (r == 0)
			*closed = true;
		else if (r > 0)
			n += (size_t)r;
		else
			serve(s, 10);
		if (n == cap - 1)
			break;
	}
	out[n] = 0;
	return n;
}

void test_ctl_server(void)
{
	char dir[] = "/tmp/ks-ctl-XXXXXX", path[96], *out = malloc(4 << 20);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int lfd, calls = 0, fds[CTL_MAX_CLIENTS + 4], fd;
	struct ks_ctl_server *s;
	bool closed;
	size_t n;

	if (!ASSERT_OK_PTR(mkdtemp(dir), "mkdtemp"))
		return;
	snprintf(path, sizeof(path), "%s/t.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	ASSERT_OK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)), "bind");
	ASSERT_OK(listen(lfd, 64), "listen");
	s = ctl_server_new(lfd, big_handler, &calls);
	if (!ASSERT_OK_PTR(s, "server"))
		goto out;

	test__start_subtest("a request in pieces gets its answer");
	fd = client(path);
	ASSERT_EQ(write(fd, "pi", 2), 2, "first half");
	serve(s, 30);
	ASSERT_EQ(write(fd, "ng\n", 3), 3, "second half");
	n = drain(s, fd, out, 1 << 20, &closed);
	ASSERT_STREQ(out, "ok\n", "reply");
	ASSERT_TRUE(closed, "closed after the reply");
	close(fd);

	test__start_subtest("an error comes back on one escaped line");
	fd = client(path);
	ASSERT_EQ(write(fd, "route add include 10.0.0.0/8\n", 29), 29, "request");
	n = drain(s, fd, out, 1 << 20, &closed);
	ASSERT_STREQ(out, "error route: \\x1b[2J not\\nthere\n", "reply");
	close(fd);

	test__start_subtest("a 1.4 MB reply to a client that reads slowly arrives whole");
	fd = client(path);
	ASSERT_EQ(write(fd, "status json\n", 12), 12, "request");
	serve(s, 20);
	n = drain(s, fd, out, 4 << 20, &closed);
	ASSERT_EQ(n, 3 + 40000 * 34, "length");
	ASSERT_TRUE(closed, "closed");
	close(fd);

	test__start_subtest("clients that vanish before, during and after the reply");
	fd = client(path);
	close(fd); /* before */
	fd = client(path);
	ASSERT_EQ(write(fd, "status", 6), 6, "half a request");
	close(fd);
	fd = client(path);
	ASSERT_EQ(write(fd, "status json\n", 12), 12, "request");
	shutdown(fd, SHUT_RD);
	close(fd); /* the server's write meets a closed peer: EPIPE, never SIGPIPE */
	serve(s, 50);
	fd = client(path);
	ASSERT_EQ(write(fd, "ping\n", 5), 5, "next client");
	drain(s, fd, out, 1 << 20, &closed);
	ASSERT_STREQ(out, "ok\n", "still serving");
	close(fd);

	test__start_subtest("malformed and overlong requests are answered or dropped");
	fd = client(path);
	ASSERT_EQ(write(fd, "status  json\n", 13), 13, "request");
	drain(s, fd, out, 1 << 20, &closed);
	ASSERT_STREQ(out, "error unknown request\n", "reply");
	close(fd);
	fd = client(path);
	memset(out, 'a', 2000);
	ASSERT_EQ(write(fd, out, 2000), 2000, "2000 bytes, no newline");
	drain(s, fd, out, 1 << 20, &closed);
	ASSERT_TRUE(closed, "dropped");
	ASSERT_STREQ(out, "", "no reply");
	close(fd);

	test__start_subtest("one user holds at most CTL_MAX_PER_UID slots; silence is dropped");
	if (getuid() != 0) {
		test__skip("needs root to be another user");
		goto out;
	}
	/* A child as another user opens CTL_MAX_PER_UID + 2 and says nothing. */
	int to_child[2], to_parent[2];
	char c;
	pid_t pid;

	chmod(dir, 0755);
	chmod(path, 0777);
	ASSERT_OK(pipe(to_child) || pipe(to_parent), "pipes");
	pid = fork();
	if (pid == 0) {
		int refused = 0, held = 0;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(100);
		for (int i = 0; i < CTL_MAX_PER_UID + 2; i++)
			fds[i] = client(path);
		(void)!write(to_parent[1], "c", 1);
		(void)!read(to_child[0], &c, 1); /* the server ran */
		for (int i = 0; i < CTL_MAX_PER_UID + 2; i++) {
			ssize_t r = read(fds[i], out, 16);

			refused += r == 0;
			held += r < 0 && errno == EAGAIN;
		}
		(void)!write(to_parent[1], "c", 1);
		(void)!read(to_child[0], &c, 1); /* past the deadline */
		for (int i = 0; i < CTL_MAX_PER_UID; i++)
			held -= read(fds[i], out, 16) == 0; /* dropped: counts down to 0 */
		_exit(refused * 10 + held);
	}
	ASSERT_EQ(read(to_parent[0], &c, 1), 1, "child connected");
	serve(s, 30);
	fd = client(path); /* root, while that user holds its share */
	ASSERT_EQ(write(fd, "ping\n", 5), 5, "root's request");
	drain(s, fd, out, 1 << 20, &closed);
	ASSERT_STREQ(out, "ok\n", "root is served");
	close(fd);
	ASSERT_EQ(write(to_child[1], "c", 1), 1, "go");
	ASSERT_EQ(read(to_parent[0], &c, 1), 1, "child checked");
	serve(s, CTL_CLIENT_MS + 100);
	ASSERT_EQ(write(to_child[1], "c", 1), 1, "go");
	int status = 0;
	waitpid(pid, &status, 0);
	ASSERT_TRUE(WIFEXITED(status), "child exited");
	ASSERT_EQ(WEXITSTATUS(status), 2 * 10 + 0, "2 refused at once, 4 held then dropped");
	ASSERT_TRUE(ctl_server_stats(s)->dropped_full >= 2, "counted");
	ASSERT_TRUE(ctl_server_stats(s)->dropped_slow >= CTL_MAX_PER_UID, "counted");
	for (int i = 0; i < 2; i++) {
		close(to_child[i]);
		close(to_parent[i]);
	}
out:
	ctl_server_free(s);
	close(lfd);
	unlink(path);
	rmdir(dir);
	free(out);
}
