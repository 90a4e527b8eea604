// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <string.h>
#include <sys/socket.h>

#include "esc.h"
#include "localnet.h"
#include "log.h"

bool localnet_permitted(const struct ks_cstp_params *p)
{
	for (size_t i = 0; i < p->n_exclude; i++) {
		const struct ks_prefix *x = &p->split_exclude[i];
		static const uint8_t zero[16];

		if (x->len == (x->family == AF_INET ? 32 : 128) && !memcmp(x->addr, zero, 16))
			return true;
	}
	return false;
}

/* What the gateway says is corporate besides "everything": its includes, its DNS servers
 * and the tunnel's own subnet. A local prefix overlapping any of them stays tunnelled. */
static const char *corporate_overlap(const struct ks_cstp_params *p, const struct ks_prefix *lan)
{
	struct ks_prefix q;

	for (size_t i = 0; i < p->n_include; i++)
		if (prefix_overlaps(&p->split_include[i], lan))
			return "overlaps a split-include of the gateway";
	for (int i = 0; i < p->ndns; i++) {
		memset(&q, 0, sizeof(q));
		q.family = p->dns[i].family;
		q.len = q.family == AF_INET ? 32 : 128;
		memcpy(q.addr, p->dns[i].addr, 16);
		if (prefix_overlaps(&q, lan))
			return "overlaps the corporate DNS server";
	}
	if (p->have4 && !prefix_from_mask(AF_INET, (const uint8_t *)&p->addr4,
					  (const uint8_t *)&p->mask4, &q) &&
	    prefix_overlaps(&q, lan))
		return "overlaps the tunnel's own subnet";
	if (p->have6) {
		memset(&q, 0, sizeof(q));
		q.family = AF_INET6;
		q.len = p->prefix6;
		for (int bit = 0; bit < q.len; bit++)
			q.addr[bit / 8] |= p->addr6.s6_addr[bit / 8] & (0x80 >> (bit % 8));
		if (prefix_overlaps(&q, lan))
			return "overlaps the tunnel's own subnet";
	}
	return NULL;
}

int localnet_prefixes(const struct ks_cstp_params *p, const char *skip_ifname,
		      struct ks_prefix *out, size_t max)
{
	struct ifaddrs *all, *ifa;
	size_t n = 0;
	char a[64];

	if (getifaddrs(&all))
		return -errno;
	for (ifa = all; ifa; ifa = ifa->ifa_next) {
		struct ks_prefix lan;
		const uint8_t *addr, *mask;
		const char *why = NULL;
		int family;

		if (!ifa->ifa_addr || !ifa->ifa_netmask || (ifa->ifa_flags & IFF_LOOPBACK) ||
		    !strcmp(ifa->ifa_name, skip_ifname))
			continue;
		family = ifa->ifa_addr->sa_family;
		if (family == AF_INET) {
			addr = (const uint8_t *)&((struct sockaddr_in *)ifa->ifa_addr)->sin_addr;
			mask = (const uint8_t *)&((struct sockaddr_in *)ifa->ifa_netmask)->sin_addr;
		} else if (family == AF_INET6) {
			addr = (const uint8_t *)&((struct sockaddr_in6 *)ifa->ifa_addr)->sin6_addr;
			mask = (const uint8_t *)&((struct sockaddr_in6 *)ifa->ifa_netmask)->sin6_addr;
		} else {
			continue;
		}
		if (prefix_from_mask(family, addr, mask, &lan))
			continue;
		if (family == AF_INET6 && lan.len >= 10 && addr[0] == 0xfe && (addr[1] & 0xc0) == 0x80)
			continue; /* link-local: never tunnelled anyway */
		if (!prefix_is_private(&lan))
			why = "not a private or link-local network";
		else if ((why = corporate_overlap(p, &lan)))
			;
		else if (n == max)
			why = "too many local networks";
		if (why) {
			ks_warn("split", "event=lan_refused interface=%s prefix=%s reason=\"%s\"",
				esc(ifa->ifa_name), prefix_str(&lan, a, sizeof(a)), why);
			continue;
		}
		out[n++] = lan;
		ks_info("split", "event=lan_allowed interface=%s prefix=%s", esc(ifa->ifa_name),
			prefix_str(&lan, a, sizeof(a)));
	}
	freeifaddrs(all);
	return (int)n;
}
