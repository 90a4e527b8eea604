// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "log.h"
#include "sd_notify.h"

void notify_open(struct ks_notify *n)
{
	const char *path = env_override("NOTIFY_SOCKET");
	const char *wd = env_override("WATCHDOG_USEC"), *wd_pid = getenv("WATCHDOG_PID");
	size_t len = path ? strlen(path) : 0;

	memset(n, 0, sizeof(*n));
	n->fd = -1;
	/* WATCHDOG_PID names another process: the watchdog is not ours to feed. */
	if (wd && (!wd_pid || strtol(wd_pid, NULL, 10) == (long)getpid())) {
		char *end;
		unsigned long long us = strtoull(wd, &end, 10);

		if (!*end && us >= 1000 && us < 86400ull * 1000000)
			n->watchdog_ms = us / 1000;
	}
	/* A path, or '@' for an abstract name; both fit sun_path with room for nothing else. */
	if (len >= 2 && len < sizeof(n->addr.sun_path) && (path[0] == '/' || path[0] == '@')) {
		n->addr.sun_family = AF_UNIX;
		memcpy(n->addr.sun_path, path, len);
		if (path[0] == '@')
			n->addr.sun_path[0] = 0;
		n->addr_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + len);
		n->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	} else if (path) {
		ks_warn("main", "event=notify_off reason=\"NOTIFY_SOCKET is not a socket path\"");
	}
	if (n->fd < 0)
		n->watchdog_ms = 0;
	if (n->watchdog_ms && n->watchdog_ms < 2000) /* fed from a loop that ticks each second */
		ks_warn("main", "event=watchdog_short usec=%llu reason=\"WatchdogSec under 2 s: "
			"the monitor feeds it once a second at most\"",
			(unsigned long long)n->watchdog_ms * 1000);
	unsetenv("NOTIFY_SOCKET");
	unsetenv("WATCHDOG_USEC");
	unsetenv("WATCHDOG_PID");
}

void notify_send(struct ks_notify *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int len;

	if (n->fd < 0)
		return;
	va_start(ap, fmt);
	len = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	if ((size_t)len >= sizeof(msg))
		len = sizeof(msg) - 1;
	if (sendto(n->fd, msg, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT,
		   (struct sockaddr *)&n->addr, n->addr_len) < 0 && errno != EAGAIN)
		ks_dbg("main", "event=notify_failed reason=\"%s\"", strerror(errno));
}

void notify_watchdog(struct ks_notify *n, double now)
{
	if (!n->watchdog_ms || now - n->last_watchdog_ms < (double)n->watchdog_ms / 2)
		return;
	n->last_watchdog_ms = now;
	notify_send(n, "WATCHDOG=1");
}

void notify_close(struct ks_notify *n)
{
	if (n->fd >= 0)
		close(n->fd);
	n->fd = -1;
	n->watchdog_ms = 0;
}
