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

/* Split tunneling (bpf/split.bpf.c). Addresses are byte arrays in network order so that
 * `bpftool map dump` prints them as bytes, not as a host-order integer. */

/* ks_include4, ks_exclude4: LPM tries keyed by IPv4 prefix. */
struct ks_lpm4_key {
	__u32 prefixlen;
	__u8 addr[4];
};
_Static_assert(sizeof(struct ks_lpm4_key) == 8, "ABI: struct ks_lpm4_key");

/* ks_include6, ks_exclude6: LPM tries keyed by IPv6 prefix. */
struct ks_lpm6_key {
	__u32 prefixlen;
	__u8 addr[16];
};
_Static_assert(sizeof(struct ks_lpm6_key) == 20, "ABI: struct ks_lpm6_key");

/* Where a prefix came from: a bit set, since the gateway and the user may both name it. */
#define KS_ORIGIN_GATEWAY 0x1 /* X-CSTP-Split-Include / -Exclude */
#define KS_ORIGIN_USER 0x2    /* --include / --exclude / positional */
#define KS_ORIGIN_RUNTIME 0x4 /* kslice route add */
#define KS_ORIGIN_AUTO 0x8    /* full tunnel default route, the gateway's own address */

struct ks_prefix_info {
	__u64 hits; /* connects, datagrams and packets this prefix decided */
	__u32 origin;
	__u32 prefixlen; /* the key's: a lookup returns the longest match, this tells if exact */
};
_Static_assert(sizeof(struct ks_prefix_info) == 16, "ABI: struct ks_prefix_info");

/* ks_split_config: array of one, written by the daemon. */
#define KS_STATE_DOWN 0 /* no tunnel: corp-bound connects fail, packets are dropped */
#define KS_STATE_UP 1

#define KS_CFG_HAVE4 0x1 /* addr4 is the tunnel's IPv4 address */
#define KS_CFG_HAVE6 0x2

struct ks_split_config {
	__u64 netns_cookie; /* the daemon's network namespace: hooks ignore every other */
	__u32 tun_ifindex;
	__u32 mark;	    /* the one fwmark bit ORed into corp-bound sockets */
	__u32 state;	    /* KS_STATE_* */
	__u32 flags;	    /* KS_CFG_* */
	__u8 addr4[4];
	__u8 addr6[16];
	__u32 pad;
};
_Static_assert(sizeof(struct ks_split_config) == 48, "ABI: struct ks_split_config");

/* ks_split_stats: per-CPU array of one. Each field is also a reason index (KS_STAT_*),
 * so BPF code counts by reason while bpftool shows the names. */
struct ks_split_stats {
	__u64 connect_tunnel;	 /* connect() marked into the tunnel */
	__u64 connect_excluded;	 /* destination in an exclude prefix: left alone */
	__u64 connect_blocked;	 /* corp destination while the tunnel is down: EPERM */
	__u64 sendmsg_tunnel;	 /* unconnected UDP datagram sourced from the tunnel address */
	__u64 sendmsg_blocked;	 /* ... refused while the tunnel is down: EPERM */
	__u64 egress_redirected; /* ICMP echo caught on an uplink, sent into the TUN */
	__u64 egress_dropped;	 /* corp-bound packet on an uplink: the kill switch */
	__u64 egress_malformed;	 /* IP packet too short or inconsistent to classify */
};
_Static_assert(sizeof(struct ks_split_stats) == 64, "ABI: struct ks_split_stats");

#define KS_STAT_CONNECT_TUNNEL 0
#define KS_STAT_CONNECT_EXCLUDED 1
#define KS_STAT_CONNECT_BLOCKED 2
#define KS_STAT_SENDMSG_TUNNEL 3
#define KS_STAT_SENDMSG_BLOCKED 4
#define KS_STAT_EGRESS_REDIRECTED 5
#define KS_STAT_EGRESS_DROPPED 6
#define KS_STAT_EGRESS_MALFORMED 7
#define KS_STAT_MAX 8
