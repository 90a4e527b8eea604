// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include "nl.h"
#include "tun.h"

/* Not in Debian 12's headers (kernel 6.2+). */
#ifndef TUN_F_USO4
#define TUN_F_USO4 0x20
#define TUN_F_USO6 0x40
#endif
#define TUN_OFFLOADS (TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 | TUN_F_TSO_ECN)

/* USO where the kernel has it, TSO and checksums otherwise; 0 when refused. */
static unsigned int set_offloads(int fd)
{
	static const unsigned int tries[] = { TUN_OFFLOADS | TUN_F_USO4 | TUN_F_USO6, TUN_OFFLOADS };

	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++)
		if (ioctl(fd, TUNSETOFFLOAD, tries[i]) == 0)
			return tries[i];
	return 0;
}

int tun_open(struct ks_tun *t, const char *name, bool offload, struct ks_error *e)
{
	struct ifreq ifr = { .ifr_flags = IFF_TUN | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0) };
	int fd;

	t->fd = -1;
	t->vnet = false;
	t->offloads = 0;
	/* TUNSETIFF on an existing persistent device would attach to it: refuse instead. */
	if (if_nametoindex(name))
		return ks_fail(e, -EEXIST,
			       "tun: interface %s already exists (another kslice? use -i NAME)", name);
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return ks_fail(e, -errno, "tun: cannot open /dev/net/tun: %m (needs CAP_NET_ADMIN)");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int err = -errno;

		close(fd);
		return ks_fail(e, err, "tun: TUNSETIFF %s: %s", name, strerror(-err));
	}
	if (offload && !(t->offloads = set_offloads(fd))) {
		/* A kernel without TUNSETOFFLOAD: plain packets on a fresh device. */
		close(fd);
		return tun_open(t, name, false, e);
	}
	t->vnet = offload;
	t->fd = fd;
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	t->ifindex = (int)if_nametoindex(t->name);
	return 0;
}

static int nl_add_addr(int ifindex, int family, const void *addr, int prefix, unsigned int flags)
{
	struct ifaddrmsg ifa = {
		.ifa_family = (unsigned char)family,
		.ifa_prefixlen = (unsigned char)prefix,
		.ifa_index = (unsigned int)ifindex,
		.ifa_scope = RT_SCOPE_UNIVERSE,
	};
	size_t alen = family == AF_INET ? 4 : 16;
	struct ks_nlmsg m;

	nl_init(&m, RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE, &ifa, sizeof(ifa));
	nl_attr(&m, IFA_LOCAL, addr, alen);
	nl_attr(&m, IFA_ADDRESS, addr, alen);
	nl_attr_u32(&m, IFA_FLAGS, flags);
	return nl_talk(&m, NULL, NULL);
}

int tun_configure(struct ks_tun *t, const struct ks_cstp_params *p, struct ks_error *e)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	if (p->have4) {
		err = nl_add_addr(t->ifindex, AF_INET, &p->addr4, 32, IFA_F_NOPREFIXROUTE);
		if (err)
			return ks_fail(e, err, "tun: add IPv4 address to %s: %s", t->name,
				       strerror(-err));
	}
	if (p->have6) {
		/* NODAD: the address is the gateway's grant, there is nobody to collide with. */
		err = nl_add_addr(t->ifindex, AF_INET6, &p->addr6, 128,
				  IFA_F_NODAD | IFA_F_NOPREFIXROUTE);
		if (err)
			return ks_fail(e, err, "tun: add IPv6 address to %s: %s", t->name,
				       strerror(-err));
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return ks_fail(e, -errno, "tun: socket: %m");
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	ifr.ifr_mtu = p->mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		err = ks_fail(e, -errno, "tun: set MTU %d on %s: %m", p->mtu, t->name);
	if (!err && ioctl(fd, SIOCGIFFLAGS, &ifr) == 0) {
		ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
			err = ks_fail(e, -errno, "tun: bring %s up: %m", t->name);
	}
	close(fd);
	return err;
}

const char *tun_offload_names(const struct ks_tun *t, char *buf, size_t size)
{
	static const struct {
		unsigned int flag;
		const char *name;
	} names[] = { { TUN_F_CSUM, "csum" },	  { TUN_F_TSO4, "tso4" }, { TUN_F_TSO6, "tso6" },
		      { TUN_F_TSO_ECN, "tso_ecn" }, { TUN_F_USO4, "uso4" }, { TUN_F_USO6, "uso6" } };
	size_t n = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((t->offloads & names[i].flag) && n < size)
			n += (size_t)snprintf(buf + n, size - n, "%s%s", n ? "," : "", names[i].name);
	return buf;
}

void tun_close(struct ks_tun *t)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = -1;
}

void tun_delete(struct ks_tun *t)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC, .ifi_index = t->ifindex };
	char name[IF_NAMESIZE];
	struct ks_nlmsg m;

	tun_close(t);
	/* Still there after the last close of ours: someone made it persistent. */
	if (t->ifindex <= 0 || !if_indextoname((unsigned int)t->ifindex, name) ||
	    strcmp(name, t->name))
		return;
	nl_init(&m, RTM_DELLINK, 0, &ifi, sizeof(ifi));
	nl_talk(&m, NULL, NULL);
}
