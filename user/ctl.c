// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "generated/config.h"
#include "ctl.h"
#include "exitcodes.h"

const char *ctl_run_dir(void)
{
	const char *d = getenv("KSLICE_RUN_DIR");

	return d && *d ? d : CONFIG_RUN_DIR;
}

int ctl_path(const char *ifname, char *out, size_t len)
{
	int n = snprintf(out, len, "%s/%s.sock", ctl_run_dir(), ifname);

	return n < 0 || (size_t)n >= len || (size_t)n >= sizeof(((struct sockaddr_un *)0)->sun_path) ?
		       -ENAMETOOLONG : 0;
}

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

int ctl_listen(const char *ifname, char *path, size_t len, struct ks_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, err;

	if (ctl_path(ifname, path, len))
		return ks_fail(e, -ENAMETOOLONG, "control: socket path for %s too long", ifname);
	if (mkdir(ctl_run_dir(), 0755) && errno != EEXIST)
		return ks_fail(e, -errno, "control: cannot create %s: %m", ctl_run_dir());
	fd = connect_to(path);
	if (fd >= 0) {
		close(fd);
		return ks_fail(e, -EEXIST, "control: a kslice is already running on %s (%s)",
			       ifname, path);
	}
	unlink(path); /* stale socket of a process that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ks_fail(e, -errno, "control: socket: %m");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 8) < 0) {
		err = ks_fail(e, -errno, "control: cannot listen on %s: %m", path);
		close(fd);
		return err;
	}
	/* Anyone may read the status; the handler lets only root or our uid disconnect. */
	chmod(path, 0666);
	return fd;
}

void ctl_unlisten(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

int ctl_read_request(int fd, char *line, size_t len, unsigned int *uid)
{
	struct timeval tv = { .tv_sec = 1 };
	struct ucred cred;
	socklen_t cl = sizeof(cred);
	size_t n = 0;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	*uid = (unsigned int)-1;
	if (!getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl))
		*uid = cred.uid;
	while (n + 1 < len) {
		ssize_t r = read(fd, line + n, 1);

		if (r <= 0)
			return r == 0 && n ? 0 : -EPROTO;
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = 0;
	return n + 1 < len ? 0 : -EMSGSIZE;
}

int ctl_write_reply(int fd, const struct ks_buf *reply)
{
	size_t off = 0;

	while (off < reply->len) {
		ssize_t w = write(fd, reply->data + off, reply->len - off);

		if (w <= 0)
			return -EIO;
		off += (size_t)w;
	}
	return 0;
}

int ctl_request(const char *ifname, const char *request, struct ks_buf *reply)
{
	char path[108];
	int fd, err = 0;

	if (ctl_path(ifname, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = connect_to(path);
	if (fd < 0)
		return fd;
	if (write(fd, request, strlen(request)) < 0 || write(fd, "\n", 1) < 0) {
		close(fd);
		return -EIO;
	}
	reply->limit = CTL_MAX_REPLY;
	for (;;) {
		ssize_t r;

		err = buf_reserve(reply, 4096);
		if (err)
			break;
		r = read(fd, reply->data + reply->len, 4096);
		if (r < 0)
			err = -errno;
		if (r <= 0)
			break;
		reply->len += (size_t)r;
	}
	close(fd);
	buf_cstr(reply);
	return err;
}

int ctl_list(char (*names)[IFNAMSIZ], int max)
{
	DIR *d = opendir(ctl_run_dir());
	struct dirent *de;
	int n = 0;

	while (d && n < max && (de = readdir(d))) {
		size_t len = strlen(de->d_name);

		if (len > 5 && len - 5 < IFNAMSIZ && !strcmp(de->d_name + len - 5, ".sock"))
			snprintf(names[n++], IFNAMSIZ, "%.*s", (int)(len - 5), de->d_name);
	}
	if (d)
		closedir(d);
	return n;
}


int ctl_command(const char *ifname, const char *req, bool print_all)
{
	struct ks_buf reply = { 0 };
	const char *r, *msg;
	int rc = KS_EXIT_OK;

	if (ctl_request(ifname, req, &reply) || !reply.len) {
		fprintf(stderr, "kslice: no kslice running on %s\n", ifname);
		buf_free(&reply);
		return KS_EXIT_NOT_RUNNING;
	}
	r = buf_cstr(&reply);
	if (print_all) {
		fputs(r, stdout);
	} else if (!strstr(r, "\"ok\":true")) {
		msg = strstr(r, "\"error\":\"");
		fprintf(stderr, "kslice: %.*s\n", msg ? (int)strcspn(msg + 9, "\"") : (int)strlen(r),
			msg ? msg + 9 : r);
		rc = KS_EXIT_ERROR;
	}
	buf_free(&reply);
	return rc;
}
