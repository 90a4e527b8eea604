// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <ifaddrs.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include "nl.h"
#include "pathwatch.h"

#define RESUME_GAP_NS 2000000000ULL

static uint64_t clock_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

void pathwatch_init(struct ks_pathwatch *w, uint32_t mark)
{
	memset(w, 0, sizeof(*w));
	w->nl_fd = -1;
	w->mark = mark;
	w->boot_ns = clock_ns(CLOCK_BOOTTIME);
	w->mono_ns = clock_ns(CLOCK_MONOTONIC);
}

int pathwatch_open(struct ks_pathwatch *w)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK,
				  .nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR |
					       RTMGRP_IPV6_IFADDR | RTMGRP_IPV4_ROUTE |
					       RTMGRP_IPV6_ROUTE };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = -errno;

		close(fd);
		return err;
	}
	w->nl_fd = fd;
	return fd;
}

static void parse_ip(const char *text, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, text, &((struct sockaddr_in *)ss)->sin_addr) == 1)
		ss->ss_family = AF_INET;
	else if (inet_pton(AF_INET6, text, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1)
		ss->ss_family = AF_INET6;
}

void pathwatch_follow(struct ks_pathwatch *w, const char *local, const char *peer)
{
	parse_ip(local, &w->local);
	parse_ip(peer, &w->peer);
	if (w->local.ss_family != w->peer.ss_family)
		w->local.ss_family = w->peer.ss_family = 0;
	w->oif = 0;
}

/* The interface the kernel's answer routes by. */
static int take_oif(const struct nlmsghdr *nh, void *arg)
{
	const struct rtattr *tb[RTA_MAX + 1];

	if (nh->nlmsg_type != RTM_NEWROUTE)
		return 0;
	nl_parse(nh, sizeof(struct rtmsg), tb, RTA_MAX);
	if (tb[RTA_OIF] && RTA_PAYLOAD(tb[RTA_OIF]) == 4)
		memcpy(arg, RTA_DATA(tb[RTA_OIF]), 4);
	return 0;
}

/* The local address is still one of this host's. */
static bool address_present(const struct sockaddr_storage *local)
{
	struct ifaddrs *all, *ifa;
	bool found = false;

	if (getifaddrs(&all))
		return true; /* cannot tell: do not disturb the tunnel */
	for (ifa = all; ifa && !found; ifa = ifa->ifa_next) {
		if (!ifa->ifa_addr || ifa->ifa_addr->sa_family != local->ss_family)
			continue;
		if (local->ss_family == AF_INET)
			found = ((struct sockaddr_in *)ifa->ifa_addr)->sin_addr.s_addr ==
				((const struct sockaddr_in *)local)->sin_addr.s_addr;
		else
			found = !memcmp(&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr,
					&((const struct sockaddr_in6 *)local)->sin6_addr, 16);
	}
	freeifaddrs(all);
	return found;
}

/* The kernel's route to the gateway now, for our socket's mark and source address. */
static int route_to(const struct ks_pathwatch *w, const struct sockaddr_storage *peer,
		    const struct sockaddr_storage *local, int *oif)
{
	struct rtmsg rt = { .rtm_family = (unsigned char)peer->ss_family };
	struct ks_nlmsg m;
	const void *dst, *src;
	size_t alen;

	if (peer->ss_family == AF_INET) {
		dst = &((const struct sockaddr_in *)peer)->sin_addr;
		src = &((const struct sockaddr_in *)local)->sin_addr;
		alen = 4;
	} else {
		dst = &((const struct sockaddr_in6 *)peer)->sin6_addr;
		src = &((const struct sockaddr_in6 *)local)->sin6_addr;
		alen = 16;
	}
	rt.rtm_dst_len = (unsigned char)(alen * 8);
	rt.rtm_src_len = (unsigned char)(alen * 8);
	nl_init(&m, RTM_GETROUTE, 0, &rt, sizeof(rt));
	nl_attr(&m, RTA_DST, dst, alen);
	/* With the socket's own source: the lookup fails when that address is gone. */
	nl_attr(&m, RTA_SRC, src, alen);
	nl_attr_u32(&m, RTA_MARK, w->mark);
	*oif = 0;
	return nl_talk(&m, take_oif, oif);
}

const char *pathwatch_events(struct ks_pathwatch *w)
{
	char buf[8192];
	int err, oif;

	while (recv(w->nl_fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		; /* what changed does not matter: the path is looked at again */
	if (!w->peer.ss_family)
		return NULL; /* no tunnel yet: nothing to follow */
	if (!address_present(&w->local))
		return "the connection's address is gone";
	err = route_to(w, &w->peer, &w->local, &oif);
	if (err)
		return "no route to the gateway";
	if (w->oif && oif != w->oif)
		return "the route to the gateway changed";
	w->oif = oif;
	return NULL;
}

const char *pathwatch_clocks(struct ks_pathwatch *w, uint64_t boot, uint64_t mono)
{
	/* CLOCK_MONOTONIC stops during a suspend, CLOCK_BOOTTIME does not. */
	bool resumed = (boot - w->boot_ns) > (mono - w->mono_ns) + RESUME_GAP_NS;

	w->boot_ns = boot;
	w->mono_ns = mono;
	return resumed ? "resumed after a suspend" : NULL;
}

const char *pathwatch_tick(struct ks_pathwatch *w)
{
	return pathwatch_clocks(w, clock_ns(CLOCK_BOOTTIME), clock_ns(CLOCK_MONOTONIC));
}

void pathwatch_close(struct ks_pathwatch *w)
{
	if (w->nl_fd >= 0)
		close(w->nl_fd);
	w->nl_fd = -1;
}
