/* SPDX-License-Identifier: GPL-2.0-only */
/* The daemon's side of the control socket, apart from any loop: non-blocking clients
 * behind one epoll fd, each with a deadline, at most CTL_MAX_CLIENTS at once. A client
 * that dribbles, stalls or vanishes costs the data path nothing, and one user cannot hold
 * more than CTL_MAX_PER_UID slots: the loop only calls
 * ctl_server_run() when the fd is readable (and on its tick, for deadlines). */
#pragma once
#include <stdint.h>
#include <sys/types.h>
#include "buf.h"
#include "ctl_proto.h"
#include "error.h"

#define CTL_MAX_CLIENTS 16
#define CTL_MAX_PER_UID 4
#define CTL_CLIENT_MS 2000 /* a whole exchange, request to last reply byte */

/* Fills body and returns 0, or returns -errno with e->msg for the client. */
typedef int (*ks_ctl_handler)(void *ctx, const struct ks_ctl_req *req, uid_t uid,
			      struct ks_buf *body, struct ks_error *e);

struct ks_ctl_stats {
	uint64_t served, refused, dropped_slow, dropped_full, malformed;
};

struct ks_ctl_server;

/* Takes listen_fd (non-blocking, listening). NULL and errno on failure. */
struct ks_ctl_server *ctl_server_new(int listen_fd, ks_ctl_handler fn, void *ctx);
/* Readable when there is work: accept, read, write. */
int ctl_server_fd(const struct ks_ctl_server *s);
/* Does the work there is, never blocking; drops clients past their deadline. */
void ctl_server_run(struct ks_ctl_server *s);
const struct ks_ctl_stats *ctl_server_stats(const struct ks_ctl_server *s);
/* Closes the clients and the epoll fd; not listen_fd (its owner unlinks it). */
void ctl_server_free(struct ks_ctl_server *s);
