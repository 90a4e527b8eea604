/* SPDX-License-Identifier: GPL-2.0-only */
/* A secret kept in a file (--token-secret @FILE, --passwd-file): its first line, read
 * without a stdio copy, the rest of the buffer wiped. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "error.h"

/* what: the option, for messages. private: the file must be a regular file that no other
 * user may read or write (a password file, as ssh asks of a private key). 0 or -errno
 * with e saying what and where; out is wiped on error. */
int secret_read_line(const char *what, const char *path, bool private, char *out,
		     size_t outlen, struct ks_error *e);
/* Who asked: the user behind sudo (SUDO_UID), else the real uid. */
uid_t secret_invoking_uid(void);
