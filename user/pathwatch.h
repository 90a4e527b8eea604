/* SPDX-License-Identifier: GPL-2.0-only */
/* The monitor's eye on the gateway connection's path (issue #13): rtnetlink events (links,
 * addresses, routes, both families) and clock jumps (suspend and resume). When the path
 * the worker's socket uses is gone or has changed, the worker is told to reconnect at once
 * instead of waiting for DPD. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct ks_pathwatch {
	int nl_fd;	    /* rtnetlink multicast: events only, never parsed */
	struct sockaddr_storage local, peer; /* the gateway connection's ends (family 0: none) */
	uint32_t mark;	    /* the socket's mark, for the route lookup */
	int oif;	    /* where the path went when it was last good (0: not yet seen) */
	uint64_t boot_ns, mono_ns; /* the clocks at the last tick */
	double retry_ms;    /* the monitor's last "try again now" (CLOCK_MONOTONIC ms) */
	bool retry_pending; /* an event came within 500 ms of it: one more once they pass */
};

void pathwatch_init(struct ks_pathwatch *w, uint32_t mark);
/* Subscribes; the fd to poll (or -errno: the watch is off, DPD remains). */
int pathwatch_open(struct ks_pathwatch *w);
/* The worker's connection to the gateway, as its PS_UP says (addresses checked there). */
void pathwatch_follow(struct ks_pathwatch *w, const char *local, const char *peer);
/* After poll said nl_fd is readable: drains the events and looks at the path again.
 * A reason when it broke or changed ("address gone", "route changed"), else NULL. */
const char *pathwatch_events(struct ks_pathwatch *w);
/* Once a second: "resumed" after a suspend (CLOCK_BOOTTIME ran ahead of
 * CLOCK_MONOTONIC by more than 2 s), else NULL. */
const char *pathwatch_tick(struct ks_pathwatch *w);
/* The same, on given readings of the two clocks (ns): what pathwatch_tick decides. */
const char *pathwatch_clocks(struct ks_pathwatch *w, uint64_t boot, uint64_t mono);
void pathwatch_close(struct ks_pathwatch *w);
