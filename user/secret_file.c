// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "esc.h"
#include "secret_file.h"

/* Who asked: the user behind sudo, else the real uid. Root reading a file for a user must
 * not read one of root's own (sudo kslice connect --passwd-file /root/...). */
uid_t secret_invoking_uid(void)
{
	const char *sudo = getenv("SUDO_UID");
	char *end;
	unsigned long v;

	if (getuid() != 0 || !sudo || !*sudo)
		return getuid();
	v = strtoul(sudo, &end, 10);
	return *end || v > 0x7fffffff ? getuid() : (uid_t)v;
}

int secret_read_line(const char *what, const char *path, bool private, char *out,
		     size_t outlen, struct ks_error *e)
{
	/* A private file must be a regular one: opened without waiting (a FIFO would block). A
	 * token secret may come through a pipe (--token-secret @<(pass show vpn)). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | (private ? O_NONBLOCK : 0)),
	    err = 0;
	struct stat st;
	size_t len = 0, n;
	ssize_t got;
	bool line_only;

	if (fd < 0)
		return ks_fail(e, -errno, "%s: cannot open %s: %s", what, esc(path), strerror(errno));
	if (fstat(fd, &st)) {
		err = ks_fail(e, -errno, "%s: %s: %s", what, esc(path), strerror(errno));
	} else if (private && !S_ISREG(st.st_mode)) {
		err = ks_fail(e, -EINVAL, "%s: %s is not a regular file", what, esc(path));
	} else if (private && st.st_uid != secret_invoking_uid()) {
		err = ks_fail(e, -EPERM, "%s: %s belongs to uid %u, not to the user running kslice "
			      "(uid %u)", what, esc(path), (unsigned int)st.st_uid,
			      (unsigned int)secret_invoking_uid());
	} else if (private && (st.st_mode & 0077)) {
		err = ks_fail(e, -EPERM, "%s: %s can be read or written by others than its owner "
			      "(mode %04o): chmod go-rwx it", what, esc(path),
			      (unsigned int)(st.st_mode & 07777));
	}
	/* Straight into out: no stdio buffer holds a copy. One byte kept for the NUL. A pipe
	 * or a terminal is read a byte at a time up to the first newline: what follows is
	 * someone else's (--passwd-on-stdin's answers after --token-secret @/dev/stdin). */
	line_only = !err && !S_ISREG(st.st_mode);
	while (!err && len + 1 < outlen &&
	       (got = read(fd, out + len, line_only ? 1 : outlen - 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			err = ks_fail(e, -errno, "%s: reading %s: %s", what, esc(path),
				      strerror(errno));
			break;
		}
		len += (size_t)got;
		if (line_only && out[len - 1] == '\n')
			break;
	}
	close(fd);
	if (!err) {
		out[len] = 0;
		n = strcspn(out, "\r\n"); /* stops at a NUL too */
		if (n < len && !out[n])
			err = ks_fail(e, -EINVAL, "%s: %s has a NUL byte in its first line", what,
				      esc(path));
		else if (n == len && len + 1 >= outlen)
			err = ks_fail(e, -EMSGSIZE, "%s: the first line of %s is longer than %zu "
				      "bytes", what, esc(path), outlen - 2);
		else if (!n)
			err = ks_fail(e, -EINVAL, "%s: %s is empty", what, esc(path));
		len = n;
	}
	if (err) {
		OPENSSL_cleanse(out, outlen);
		return err;
	}
	OPENSSL_cleanse(out + len, outlen - len); /* the rest of the file, and the NUL */
	return 0;
}
