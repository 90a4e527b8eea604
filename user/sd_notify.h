/* SPDX-License-Identifier: GPL-2.0-only */
/* systemd's notify protocol (sd_notify(3)), spoken directly: a datagram of NAME=VALUE
 * lines to $NOTIFY_SOCKET. READY=1 once the tunnel is usable, STATUS= as it changes,
 * WATCHDOG=1 from the monitor's loop, STOPPING=1. Nothing is sent outside systemd. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

struct ks_notify {
	int fd;			 /* -1: not under a Type=notify unit */
	struct sockaddr_un addr;
	socklen_t addr_len;
	uint64_t watchdog_ms;	 /* 0: no watchdog */
	double last_watchdog_ms; /* monotonic */
};

/* Takes NOTIFY_SOCKET and WATCHDOG_USEC from the environment and removes them (nobody
 * else of ours may speak for the unit). Honoured as the other variables are (env.h). */
void notify_open(struct ks_notify *n);
/* One datagram of printf'd lines; best effort: systemd gone is no error of ours. */
void notify_send(struct ks_notify *n, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* WATCHDOG=1 when half the period has passed since the last (now: monotonic ms). */
void notify_watchdog(struct ks_notify *n, double now);
void notify_close(struct ks_notify *n);
