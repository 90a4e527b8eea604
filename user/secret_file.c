// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/crypto.h>

#include "esc.h"
#include "secret_file.h"

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

	if (fd < 0)
		return ks_fail(e, -errno, "%s: cannot open %s: %s", what, esc(path), strerror(errno));
	if (fstat(fd, &st)) {
		err = ks_fail(e, -errno, "%s: %s: %s", what, esc(path), strerror(errno));
	} else if (private && !S_ISREG(st.st_mode)) {
		err = ks_fail(e, -EINVAL, "%s: %s is not a regular file", what, esc(path));
	} else if (private && (st.st_mode & 0007)) {
		err = ks_fail(e, -EPERM, "%s: %s can be read or written by other users (mode "
			      "%04o): chmod o-rwx it", what, esc(path),
			      (unsigned int)(st.st_mode & 07777));
	}
	/* Straight into out: no stdio buffer holds a copy. One byte kept for the NUL. */
	while (!err && len + 1 < outlen && (got = read(fd, out + len, outlen - 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			err = ks_fail(e, -errno, "%s: reading %s: %s", what, esc(path),
				      strerror(errno));
		else
			len += (size_t)got;
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
