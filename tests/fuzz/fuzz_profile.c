// SPDX-License-Identifier: GPL-2.0-only
/* A profile (--config FILE, @NAME): the file's bytes through profile_load() and the whole
 * of opts_parse_connect(). What it accepts names a server; what it refuses says so in a
 * message without control characters, and never crashes or leaks. */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../user/opts.c"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_connect_opts o;
	struct ks_error e = { { 0 } };
	char path[64], *argv[] = { "connect", "--config", path, NULL };
	int fd = memfd_create("profile", MFD_CLOEXEC), err;

	if (fd < 0 || write(fd, data, size) != (ssize_t)size || fchmod(fd, 0600))
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	err = opts_parse_connect(&o, 3, argv, &e);
	if (!err) {
		FUZZ_CHECK(o.host[0] && o.port[0] && o.path[0] == '/', "accepted without a server");
	} else if (err != -EAGAIN) { /* -EAGAIN: a `help` line printed the usage */
		FUZZ_CHECK(e.msg[0] && !fuzz_has_ctl(e.msg), "err %d, message '%s'", err, e.msg);
	}
	opts_free(&o);
	close(fd);
	return 0;
}
