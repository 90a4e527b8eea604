/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Map keys and values shared by bpf/ and user/. Pinned names are public ABI: see
 * docs/bpftool.md. Only <linux/types.h> types, explicit padding, a size assert each. */
#pragma once
#include <linux/types.h>
#include "kslice/stats.h"

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
#define KS_CFG_APPS 0x4	 /* ks_app_policy has entries: look the caller's cgroup up */
#define KS_CFG_FORWARD 0x8 /* ks_guests has entries: carry their forwarded traffic */

struct ks_split_config {
	__u64 netns_cookie; /* the daemon's network namespace: hooks ignore every other */
	__u32 tun_ifindex;
	__u32 mark;	    /* the one fwmark bit ORed into corp-bound sockets */
	__u32 state;	    /* KS_STATE_* */
	__u32 flags;	    /* KS_CFG_* */
	__u8 addr4[4];
	__u8 addr6[16];
	__u32 own_mark;	    /* kslice's own sockets to the gateway: never steered, never
			     * dropped (not the gateway's address: TunnelCrack "ServerIP") */
};
_Static_assert(sizeof(struct ks_split_config) == 48, "ABI: struct ks_split_config");

/* ks_app_policy: hash keyed by a cgroup v2 id (__u64: its inode number, `stat -c %i`).
 * A socket or packet of a process in that cgroup, or below it (the deepest cgroup with a
 * policy wins), is decided by the policy first (docs/split-tunneling.md). */
#define KS_VIA_SPLIT 0	/* the usual decision (a subtree's way back to it) */
#define KS_VIA_TUNNEL 1 /* everything through the tunnel (but local scope) */
#define KS_VIA_DIRECT 2 /* never through it; corporate destinations are blocked, not leaked */
#define KS_APP_MAX 1024
#define KS_CGROUP_MAX_DEPTH 32 /* ancestors looked at, from the root down */
struct ks_app_policy {
	__u64 hits; /* connects, datagrams and packets it decided */
	__u32 via;  /* KS_VIA_* */
	__u32 pad;
};
_Static_assert(sizeof(struct ks_app_policy) == 16, "ABI: struct ks_app_policy");

/* ks_app_dns: socket storage (not pinned) of a `tunnel` cgroup's socket whose DNS query
 * went to the corporate DNS server instead of the resolver it named; the server's answers
 * read as from that resolver (recvmsg, getpeername), so the application takes them. */
struct ks_app_dns {
	__u8 resolver[16]; /* what the application named (IPv4: the first 4 bytes) */
	__u8 server[16];   /* where the query went */
	__u8 family;	   /* 4: an AF_INET socket; 6: AF_INET6 (v4-mapped addresses included) */
	__u8 pad[3];
};
_Static_assert(sizeof(struct ks_app_dns) == 36, "ABI: struct ks_app_dns");

/* Forwarded traffic (containers, VMs): packets that come in by an interface of ks_guests
 * (hash: __u32 ifindex -> struct ks_guest) to a corporate destination are marked into the
 * tunnel; at the TUN's egress their source becomes the tunnel address and a port of
 * KS_FWD_PORT_MIN.. (outside Linux's ephemeral range, 32768-60999, so never one of this
 * host's own connections), and at its ingress the answers get the guest's back. TCP, UDP
 * and ICMP echo (the echo id stands for the port); no fragments. */
#define KS_GUEST_MAX 1024
/* ks_guests' value: what an interface is for the forwarded traffic. */
#define KS_GUEST_WAY_IN 0x1 /* a guest network's interface: its packets are decided here */
#define KS_GUEST_PORT 0x2   /* a port of such a bridge (the way out to a guest) */
struct ks_guest {
	__u32 flags;
	__u32 net_ifindex; /* the interface whose network it is on (itself, or its bridge) */
};
_Static_assert(sizeof(struct ks_guest) == 8, "ABI: struct ks_guest");
#define KS_FWD_MAX 65536
#define KS_FWD_PORT_MIN 61000
#define KS_FWD_PORT_COUNT 4536 /* to 65535 */
#define KS_FWD_PORT_TRIES 8    /* random ports tried for a new flow before it is refused */

/* ks_fwd_out: LRU hash, a guest's flow -> the port it was given. */
struct ks_fwd_out_key {
	__u8 family; /* 4 or 6 */
	__u8 proto;  /* IPPROTO_TCP, _UDP, _ICMP, _ICMPV6 */
	__be16 guest_port; /* the guest's source port, or its echo id */
	__be16 peer_port;  /* the destination port; 0 for an echo */
	__u16 pad;
	__u8 guest[16];	   /* the guest's address (IPv4: the first 4 bytes) */
	__u8 peer[16];	   /* the corporate address */
};
_Static_assert(sizeof(struct ks_fwd_out_key) == 40, "ABI: struct ks_fwd_out_key");

struct ks_fwd_nat {
	__be16 port; /* the tunnel-side port (or echo id) */
	__u16 pad;
	__u32 pad2;
	__u64 packets; /* sent, this flow */
};
_Static_assert(sizeof(struct ks_fwd_nat) == 16, "ABI: struct ks_fwd_nat");

/* ks_fwd_in: LRU hash, an answer's flow as it comes out of the tunnel -> whose it is. */
struct ks_fwd_in_key {
	__u8 family;
	__u8 proto;
	__be16 port;	  /* our port (the answer's destination port), or the echo id */
	__be16 peer_port; /* the answer's source port; 0 for an echo reply */
	__u16 pad;
	__u8 peer[16];
};
_Static_assert(sizeof(struct ks_fwd_in_key) == 24, "ABI: struct ks_fwd_in_key");

/* The authority: a flow's port is taken while this entry is fresh; ks_fwd_out is only
 * an index, trusted when its entry here points back (LRU maps evict apart). */
struct ks_fwd_guest {
	__u8 guest[16];
	__be16 guest_port;
	__u8 closing; /* a FIN or RST went by: idle out sooner */
	__u8 pad;
	__u32 pad2;
	__u64 last_ns; /* bpf_ktime_get_ns of the last packet either way */
	__u64 packets; /* answers translated, this flow */
};
_Static_assert(sizeof(struct ks_fwd_guest) == 40, "ABI: struct ks_fwd_guest");
/* After this long without a packet, a flow's port may be given to another one. */
#define KS_FWD_IDLE_TCP_S 7440 /* RFC 5382's 2 h 4 min */
#define KS_FWD_IDLE_CLOSING_S 10
#define KS_FWD_IDLE_UDP_S 120  /* RFC 4787: at least 2 min */
#define KS_FWD_IDLE_ECHO_S 30

/* ks_split_stats and ks_dns_stats: in kslice/stats.h. */

/* DNS (bpf/lib/dns_*.h): corporate domains, the addresses learned from their answers, and
 * the steering of corporate queries to the corporate DNS. */

/* ks_domains: LPM trie keyed by a domain name reversed label by label, each label as
 * <length byte><lowercase bytes>: "corp.example" is "\7example\4corp", so a prefix match
 * ends on a label boundary by construction ("notcorp.example" does not match). */
#define KS_DNS_KEY_MAX 256 /* a wire name is at most 255 bytes with its root byte */
struct ks_domain_key {
	__u32 prefixlen; /* bits: 8 x the encoded length */
	__u8 name[KS_DNS_KEY_MAX];
};
_Static_assert(sizeof(struct ks_domain_key) == 260, "ABI: struct ks_domain_key");

#define KS_DOMAIN_TUNNEL 0x1  /* learned addresses go through the tunnel */
#define KS_DOMAIN_EXCLUDE 0x2 /* learned addresses never do (beats every include) */
#define KS_DOMAIN_RESOLVE 0x4 /* queries go to the corporate DNS, never to the uplink's */

struct ks_domain_info {
	__u64 matches; /* answers (and steered queries) this domain matched */
	__u32 flags;   /* KS_DOMAIN_* */
	__u32 origin;  /* KS_ORIGIN_* */
	__u32 keylen;  /* the key's encoded length, to tell an exact entry from a covering one */
	__u32 pad;
};
_Static_assert(sizeof(struct ks_domain_info) == 24, "ABI: struct ks_domain_info");

/* ks_learned4 / ks_learned6: LRU hashes keyed by the address (4 or 16 bytes), learned
 * from answers that came through the tunnel (the corporate DNS). ks_learned4_uplink /
 * ks_learned6_uplink: the same, from answers to this host's queries on an uplink. Apart,
 * so that a flood of names answered on an uplink cannot evict what the corporate DNS
 * taught. */
#define KS_LEARNED_NAME 96
struct ks_learned {
	__u64 expires_ns; /* CLOCK_BOOTTIME; past it the entry no longer decides anything */
	__u64 hits;
	__u32 flags;	  /* KS_DOMAIN_TUNNEL or KS_DOMAIN_EXCLUDE */
	__u32 ttl;	  /* as answered, before the cap */
	char name[KS_LEARNED_NAME]; /* question name, lowercase, dotted, maybe cut short */
};
_Static_assert(sizeof(struct ks_learned) == 120, "ABI: struct ks_learned");

/* ks_dns_config: array of one, written by the daemon. */
#define KS_DNS_HAVE4 0x1 /* server4 is a corporate DNS server */
#define KS_DNS_HAVE6 0x2
#define KS_DNS_STEER 0x4 /* steer corporate queries leaving an uplink (no resolved) */
struct ks_dns_config {
	__u8 server4[4];
	__u8 server6[16];
	__u32 flags;	   /* KS_DNS_* */
	__u32 ttl_max_s;   /* answered TTLs are capped at this */
	__u32 grace_s;	   /* then kept this much longer (applications cache past TTLs) */
	__u32 query_timeout_s; /* an uplink answer counts only this long after its query */
	__u32 pad;
};
_Static_assert(sizeof(struct ks_dns_config) == 40, "ABI: struct ks_dns_config");

/* ks_dns_queries: LRU hash of the queries for a learning domain (KS_DOMAIN_TUNNEL or
 * _EXCLUDE) that left by an uplink. Only an answer that carries the same key, from the
 * resolver the query went to, is learned from (docs/dns.md, "Spoofed answers"). */
struct ks_dns_query_key {
	__u8 family;	   /* 4 or 6 */
	__u8 pad;
	__be16 client_port; /* the query's source port, the answer's destination port */
	__be16 resolver_port; /* the query's destination port (53) */
	__u16 id;	   /* the DNS ID, as on the wire */
	__u8 resolver[16]; /* the query's destination, the answer's source */
	__u8 client[16];   /* the query's source, the answer's destination */
};
_Static_assert(sizeof(struct ks_dns_query_key) == 40, "ABI: struct ks_dns_query_key");

struct ks_dns_query {
	__u64 sent_ns;	   /* CLOCK_BOOTTIME */
	__u64 qhash;	   /* FNV-1a of the lowercase question name */
	__u16 qtype;	   /* as on the wire */
	__u16 qclass;
	__u32 pad;
};
_Static_assert(sizeof(struct ks_dns_query) == 24, "ABI: struct ks_dns_query");

/* ks_dns_nat: LRU hash of steered queries, keyed by what the answer will carry. */
struct ks_dns_nat_key {
	__u8 family; /* 4 or 6 */
	__u8 pad;
	__be16 port; /* the application's source port */
	__u16 id;    /* the DNS id, as on the wire */
	__u16 pad2;
};
_Static_assert(sizeof(struct ks_dns_nat_key) == 8, "ABI: struct ks_dns_nat_key");

struct ks_dns_nat {
	__u64 created_ns;
	__u8 resolver[16]; /* where the application sent it: the answer must come from here */
	__u8 client[16];   /* the application's source address */
	__u32 ifindex;	   /* the uplink it was leaving by: the answer comes in there */
	__u8 l2_len;	   /* 14 for Ethernet, 0 for an L3 device */
	__u8 mac_local[6]; /* the uplink's own MAC (the query's source) */
	__u8 mac_peer[6];  /* the next hop's (the query's destination) */
	__u8 pad[7];
};
_Static_assert(sizeof(struct ks_dns_nat) == 64, "ABI: struct ks_dns_nat");
