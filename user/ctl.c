// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
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
#include "env.h"
#include "esc.h"
#include "exitcodes.h"

const char *ctl_run_dir(void)
{
	const char *d = env_override("KSLICE_RUN_DIR");

	return d ? d : CONFIG_RUN_DIR;
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

/* The run directory holds sockets that root's daemon trusts by name: it must be a real
 * directory of ours that nobody else can write to. */
static int run_dir_check(const char *dir, struct ks_error *e)
{
	struct stat st;
	int fd;

	if (mkdir(dir, 0755) && errno != EEXIST)
		return ks_fail(e, -errno, "control: cannot create %s: %m", dir);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return ks_fail(e, -errno, "control: %s: %m (a symlink is refused)", dir);
	if (fstat(fd, &st)) {
		close(fd);
		return ks_fail(e, -errno, "control: %s: %m", dir);
	}
	close(fd);
	if (st.st_uid != geteuid() || (st.st_mode & 022))
		return ks_fail(e, -EPERM,
			       "control: %s must belong to uid %u and be writable by it alone "
			       "(owner %u, mode %04o)", dir, (unsigned int)geteuid(),
			       (unsigned int)st.st_uid, (unsigned int)(st.st_mode & 07777));
	return 0;
}

int ctl_listen(const char *ifname, char *path, size_t len, struct ks_error *e)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct group *g = getgrnam(CTL_GROUP);
	mode_t old_mask;
	int fd, err;

	if (ctl_path(ifname, path, len))
		return ks_fail(e, -ENAMETOOLONG, "control: socket path for %s too long", ifname);
	err = run_dir_check(ctl_run_dir(), e);
	if (err)
		return err;
	fd = connect_to(path);
	if (fd >= 0) {
		close(fd);
		return ks_fail(e, -EEXIST, "control: a kslice is already running on %s (%s)",
			       ifname, path);
	}
	/* Only a socket nobody listens on is stale: a live one that is merely busy (its
	 * backlog full) must not lose its name. */
	if (fd != -ECONNREFUSED && fd != -ENOENT)
		return ks_fail(e, -EBUSY, "control: %s: %s; is a kslice starting on %s?", path,
			       strerror(-fd), ifname);
	unlink(path); /* stale socket of a process that died */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return ks_fail(e, -errno, "control: socket: %m");
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	/* Born 0660: no window in which others could connect, no chmod by path. */
	old_mask = umask(0117);
	err = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old_mask);
	if (err || listen(fd, 16) < 0) {
		err = ks_fail(e, -errno, "control: cannot listen on %s: %m", path);
		close(fd);
		return err;
	}
	/* The directory is ours alone (checked above): the name cannot be swapped. */
	if (g && fchownat(AT_FDCWD, path, (uid_t)-1, g->gr_gid, AT_SYMLINK_NOFOLLOW)) {
		err = ks_fail(e, -errno, "control: cannot give %s to group %s: %m", path,
			      CTL_GROUP);
		ctl_unlisten(fd, path);
		return err;
	}
	return fd;
}

bool ctl_stale(const char *ifname, bool remove)
{
	char path[108];
	int fd;

	if (ctl_path(ifname, path, sizeof(path)))
		return false;
	fd = connect_to(path);
	if (fd >= 0)
		close(fd);
	/* Refused: a socket file nobody listens on (a busy daemon would not refuse). */
	if (fd != -ECONNREFUSED)
		return false;
	if (remove)
		unlink(path);
	return true;
}

void ctl_unlisten(int fd, const char *path)
{
	if (fd < 0)
		return;
	close(fd);
	unlink(path);
}

static int request(const char *path, const char *line, struct ks_buf *reply)
{
	size_t len = strlen(line), off = 0;
	int fd = connect_to(path), err = 0;

	if (fd < 0)
		return fd;
	while (off < len) {
		ssize_t w = send(fd, line + off, len - off, MSG_NOSIGNAL);

		if (w < 0) {
			close(fd);
			return -EBADMSG; /* it closed on us: no proper answer */
		}
		off += (size_t)w;
	}
	reply->limit = CTL_MAX_REPLY;
	for (;;) {
		ssize_t r;

		err = buf_reserve(reply, 4096);
		if (err)
			break;
		r = read(fd, reply->data + reply->len, 4096);
		if (r < 0)
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
		if (r <= 0)
			break;
		reply->len += (size_t)r;
	}
	close(fd);
	buf_cstr(reply);
	return err;
}

int ctl_call(const char *ifname, enum ks_ctl_verb verb, const char *arg0, const char *arg1,
	     struct ks_buf *reply, const char **body, struct ks_error *e)
{
	char path[108], line[CTL_MAX_REQUEST + 1];
	const char *msg = "";
	size_t msg_len = 0;
	int err;

	if (ctl_path(ifname, path, sizeof(path)))
		return ks_fail(e, -ENAMETOOLONG, "control: socket path for %s too long", ifname);
	err = ctl_format_request(line, sizeof(line) - 1, verb, arg0, arg1);
	if (err)
		return ks_fail(e, err, "control: cannot send that request");
	strcat(line, "\n");
	err = request(path, line, reply);
	if (err == -ENOENT || err == -ECONNREFUSED)
		return ks_fail(e, err, "no kslice running on %s", ifname);
	if (err == -EACCES)
		return ks_fail(e, err, "%s: permission denied (the status is for root and members of "
			       "group %s)", path, CTL_GROUP);
	if (err)
		return ks_fail(e, -EBADMSG, "the kslice on %s did not answer: %s", ifname,
			       strerror(-err));
	err = ctl_parse_reply(buf_cstr(reply), body, &msg, &msg_len);
	if (err == -EREMOTEIO)
		return ks_fail(e, err, "%.*s", (int)msg_len, msg);
	if (err)
		return ks_fail(e, err, "the kslice on %s did not answer (busy, or going down)",
			       ifname);
	return 0;
}

bool ctl_alive(const char *ifname)
{
	struct ks_buf reply = { 0 };
	const char *body;
	bool alive = !ctl_call(ifname, CTL_PING, NULL, NULL, &reply, &body, NULL);

	buf_free(&reply);
	return alive;
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

int ctl_command(const char *ifname, enum ks_ctl_verb verb, const char *arg0, const char *arg1,
		bool print_body)
{
	struct ks_buf reply = { 0 };
	struct ks_error e = { 0 };
	const char *body = "";
	int err = ctl_call(ifname, verb, arg0, arg1, &reply, &body, &e);

	if (!err && print_body)
		fputs(body, stdout);
	else if (err)
		fprintf(stderr, "kslice: %s\n", e.msg);
	buf_free(&reply);
	return !err ? KS_EXIT_OK :
	       err == -ENOENT || err == -ECONNREFUSED ? KS_EXIT_NOT_RUNNING : KS_EXIT_ERROR;
}
