/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket's files and its client: <run dir>/<interface>.sock, one request,
 * one reply (ctl_proto.h). The socket is 0660, group `kslice` when that group exists:
 * its members may read the status; changes are for root (ctl_server.c). */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "ctl_proto.h"
#include "error.h"

#define CTL_GROUP "kslice"

/* $KSLICE_RUN_DIR (see env_trusted()) or CONFIG_RUN_DIR. */
const char *ctl_run_dir(void);
int ctl_path(const char *ifname, char *out, size_t len);
/* Creates the run directory (root's, 0755, never through a symlink) and listens.
 * -EEXIST when a live kslice already answers on that socket. */
int ctl_listen(const char *ifname, char *path_out, size_t len, struct ks_error *e);
void ctl_unlisten(int fd, const char *path);
/* One request. 0: *body points into reply. -ENOENT/-ECONNREFUSED: nothing runs there;
 * -EREMOTEIO: the daemon said no (e->msg says why); -EBADMSG: no proper answer. */
int ctl_call(const char *ifname, enum ks_ctl_verb verb, const char *arg0, const char *arg1,
	     struct ks_buf *reply, const char **body, struct ks_error *e);
/* True when a kslice answers on that interface. */
bool ctl_alive(const char *ifname);
/* True when that interface's socket file is left by a dead kslice (connect refused);
 * removed too when remove. */
bool ctl_stale(const char *ifname, bool remove);
/* Interface names that have a socket in the run directory (live or stale); at most max. */
int ctl_list(char (*names)[IFNAMSIZ], int max);
/* A CLI command's one request: prints the body (print_body) or nothing; errors go to
 * stderr. Returns a KS_EXIT_* code. */
int ctl_command(const char *ifname, enum ks_ctl_verb verb, const char *arg0, const char *arg1,
		bool print_body);
