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

/* ks_learned4 / ks_learned6: LRU hashes keyed by the address (4 or 16 bytes). */
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
};
_Static_assert(sizeof(struct ks_dns_config) == 32, "ABI: struct ks_dns_config");

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

/* ks_dns_stats: per-CPU array of one; fields double as KS_DNS_STAT_* indexes. */
struct ks_dns_stats {
	__u64 answers_seen;	  /* UDP answers from port 53 looked at */
	__u64 answers_matched;	  /* ... whose question is in a corporate domain */
	__u64 learned4;		  /* addresses learned (inserted or refreshed) */
	__u64 learned6;
	__u64 malformed;	  /* rejected whole: nothing learned from it */
	__u64 fragmented;	  /* IP fragments: not parseable before reassembly */
	__u64 queries_steered;	  /* corporate query taken off an uplink into the tunnel */
	__u64 queries_blocked;	  /* ... dropped: tunnel down or no server of that family */
	__u64 answers_translated; /* steered query's answer handed back to the application */
	__u64 cut_short;	  /* answer longer than the parse buffer: the rest unread */
};
_Static_assert(sizeof(struct ks_dns_stats) == 80, "ABI: struct ks_dns_stats");

#define KS_DNS_STAT_ANSWERS_SEEN 0
#define KS_DNS_STAT_ANSWERS_MATCHED 1
#define KS_DNS_STAT_LEARNED4 2
#define KS_DNS_STAT_LEARNED6 3
#define KS_DNS_STAT_MALFORMED 4
#define KS_DNS_STAT_FRAGMENTED 5
#define KS_DNS_STAT_QUERIES_STEERED 6
#define KS_DNS_STAT_QUERIES_BLOCKED 7
#define KS_DNS_STAT_ANSWERS_TRANSLATED 8
#define KS_DNS_STAT_CUT_SHORT 9
#define KS_DNS_STAT_MAX 10
