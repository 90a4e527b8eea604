/* SPDX-License-Identifier: GPL-2.0-only */
/* Profiles: `--config FILE` and `kslice connect @NAME` (CONFDIR/NAME.conf), in openconnect's
 * format: one long option a line without its dashes, `name value` or `name=value`, `#`
 * comments; `server HOST` names the gateway. They become command-line words placed before
 * the real ones, which therefore win. */
#pragma once
#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

#define KS_PROFILE_DIR "/etc/kslice"
#define KS_PROFILE_MAX_BYTES (64 * 1024)
#define KS_PROFILE_MAX_LINE 4096
#define KS_PROFILE_MAX_OPTIONS 256

struct option;

struct ks_profile {
	char path[4096];
	char **words;	/* "--name" or "--name=value", each on the heap */
	int *lines;	/* the line each word came from */
	int n;
	char *server;	/* `server`, or NULL */
	uid_t owner;	/* the file's */
};

/* @NAME's file: CONFDIR (KSLICE_CONFIG_DIR for a root shell, env.h) / NAME.conf. */
int profile_path(const char *name, char *out, size_t len, struct ks_error *e);
/* Reads and checks path against opts (getopt_long's table): unknown names, a value missing
 * or given to a switch, control characters, and a file others may write (or read, when it
 * holds a secret inline) are errors naming the file and line. callers_own: the file must
 * be the caller's (SUDO_UID) or readable by all (--config under sudo). */
int profile_load(struct ks_profile *p, const char *path, const struct option *opts,
		 bool callers_own, struct ks_error *e);
/* Every word wiped and freed. */
void profile_free(struct ks_profile *p);
