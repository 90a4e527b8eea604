/* SPDX-License-Identifier: GPL-2.0-only */
/* The control socket: <run dir>/<interface>.sock, one request line, one JSON answer. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include "buf.h"
#include "error.h"

#define CTL_MAX_REQUEST 512
#define CTL_MAX_REPLY (8u << 20)

/* $KSLICE_RUN_DIR or CONFIG_RUN_DIR. */
const char *ctl_run_dir(void);
int ctl_path(const char *ifname, char *out, size_t len);
/* -EEXIST when a live kslice already answers on that socket. */
int ctl_listen(const char *ifname, char *path_out, size_t len, struct ks_error *e);
void ctl_unlisten(int fd, const char *path);
/* Reads one request line from a client (1 s limit); the peer's uid in *uid. */
int ctl_read_request(int fd, char *line, size_t len, unsigned int *uid);
int ctl_write_reply(int fd, const struct ks_buf *reply);
/* Client side: -ENOENT/-ECONNREFUSED when nothing runs on that interface. */
int ctl_request(const char *ifname, const char *request, struct ks_buf *reply);
/* Interface names that have a socket in the run directory (live or stale); at most max. */
int ctl_list(char (*names)[IFNAMSIZ], int max);
/* A CLI command's one request: prints the whole reply (print_all) or just its error.
 * Returns a KS_EXIT_* code. */
int ctl_command(const char *ifname, const char *req, bool print_all);
