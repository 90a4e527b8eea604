/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Bounds-checked header access for skbs that start at the IP header (TUN, no L2). */
#pragma once
#include <linux/bpf.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <bpf/bpf_helpers.h>

/* 4 or 6 for a well-formed IP header at data, 0 otherwise. */
static __always_inline int ks_ip_version(void *data, void *data_end)
{
	__u8 *first = data;

	if ((void *)(first + 1) > data_end)
		return 0;
	if ((*first >> 4) == 4) {
		struct iphdr *ip = data;

		if ((void *)(ip + 1) > data_end || ip->ihl < 5)
			return 0;
		return 4;
	}
	if ((*first >> 4) == 6) {
		struct ipv6hdr *ip6 = data;

		if ((void *)(ip6 + 1) > data_end)
			return 0;
		return 6;
	}
	return 0;
}
