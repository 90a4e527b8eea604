/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Map keys and values shared by bpf/ and user/. Pinned names are public ABI: see
 * docs/bpftool.md. Only <linux/types.h> types, explicit padding, a size assert each. */
#pragma once
#include <linux/types.h>

/* ks_tun_stats: per-CPU array, key = direction. */
#define KS_DIR_TO_GATEWAY 0   /* TUN egress: packets applications send into the tunnel */
#define KS_DIR_FROM_GATEWAY 1 /* TUN ingress: packets the gateway sent us */
#define KS_DIR_MAX 2

struct ks_tun_stat {
	__u64 packets;
	__u64 bytes;
	__u64 ipv4;
	__u64 ipv6;
	__u64 malformed; /* neither IPv4 nor IPv6, or shorter than its header */
};
_Static_assert(sizeof(struct ks_tun_stat) == 40, "ABI: struct ks_tun_stat");
