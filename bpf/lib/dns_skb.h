/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* DNS on the wire: learning from UDP answers (uplink and TUN ingress), and steering a
 * corporate query off an uplink into the tunnel to the corporate DNS server, then its
 * answer back to the application as if the server it asked had sent it. */
#pragma once
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dns_parse.h"
#include "l3.h"
#include "split.h"

#define KS_DNS_PORT 53

struct ks_udp_at {
	__u32 l4;  /* offset of the UDP header */
	__u32 len; /* payload bytes */
	__be16 sport, dport;
	__u16 check;
};

enum { KS_UDP_OK, KS_UDP_OTHER, KS_UDP_FRAGMENT, KS_UDP_MALFORMED };

/* Finds a whole (unfragmented) UDP datagram behind the IP header at l3. */
static __always_inline int ks_udp_locate(struct __sk_buff *skb, __u32 l3, int family,
					 struct ks_udp_at *u)
{
	struct udphdr uh;
	__u32 ip_end;

	if (family == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) || ip.version != 4 || ip.ihl < 5)
			return KS_UDP_MALFORMED;
		if (ip.protocol != IPPROTO_UDP)
			return KS_UDP_OTHER;
		if (ip.frag_off & bpf_htons(0x3fff))
			return KS_UDP_FRAGMENT;
		u->l4 = l3 + ip.ihl * 4;
		ip_end = l3 + bpf_ntohs(ip.tot_len);
	} else {
		struct ipv6hdr ip6;
		__u8 proto;
		int frag;

		if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)) || ip6.version != 6)
			return KS_UDP_MALFORMED;
		if (ks_ip6_walk(skb, l3, ip6.nexthdr, &proto, &u->l4, &frag))
			return KS_UDP_MALFORMED;
		if (frag != KS_FRAG_NONE)
			return proto == IPPROTO_UDP || frag == KS_FRAG_LATER ? KS_UDP_FRAGMENT
									 : KS_UDP_OTHER;
		if (proto != IPPROTO_UDP)
			return KS_UDP_OTHER;
		ip_end = l3 + sizeof(ip6) + bpf_ntohs(ip6.payload_len);
	}
	if (bpf_skb_load_bytes(skb, u->l4, &uh, sizeof(uh)))
		return KS_UDP_MALFORMED;
	if (bpf_ntohs(uh.len) < sizeof(uh) || u->l4 + bpf_ntohs(uh.len) > ip_end ||
	    ip_end > skb->len)
		return KS_UDP_MALFORMED;
	u->len = bpf_ntohs(uh.len) - sizeof(uh);
	u->sport = uh.source;
	u->dport = uh.dest;
	u->check = uh.check;
	return KS_UDP_OK;
}

/* Reads source + destination of the IP header at l3 into a (8 or 32 bytes). */
static __always_inline int ks_load_addrs(struct __sk_buff *skb, __u32 l3, int family, __u8 *a)
{
	if (family == 4)
		return bpf_skb_load_bytes(skb, l3 + offsetof(struct iphdr, saddr), a, 8);
	return bpf_skb_load_bytes(skb, l3 + offsetof(struct ipv6hdr, saddr), a, 32);
}

/* The query key a packet carries: as a query (answer false) or as its answer (true). */
static __always_inline int ks_dns_query_key(struct __sk_buff *skb, __u32 l3, int family,
					    const struct ks_udp_at *u, const struct ks_dns_scratch *s,
					    bool answer, struct ks_dns_query_key *k)
{
	__u8 a[32] = {};
	__u32 n = family == 4 ? 4 : 16;

	if (ks_load_addrs(skb, l3, family, a))
		return -1;
	k->family = (__u8)family;
	k->client_port = answer ? u->dport : u->sport;
	k->resolver_port = answer ? u->sport : u->dport;
	k->id = (__u16)ks_byte(s, 0) | (__u16)ks_byte(s, 1) << 8;
	if (answer) {
		__builtin_memcpy(k->resolver, a, 16);
		__builtin_memcpy(k->client, a + n, 16);
	} else {
		__builtin_memcpy(k->client, a, 16);
		__builtin_memcpy(k->resolver, a + n, 16);
	}
	if (family == 4) { /* only the 4 bytes of each address */
		__builtin_memset(k->resolver + 4, 0, 12);
		__builtin_memset(k->client + 4, 0, 12);
	}
	return 0;
}

/* Learn from the skb if it is a DNS answer; leaves the scratch loaded with it. uplink: it
 * must answer a query this host sent. 1 when a whole answer from port 53 was loaded
 * (learned from or not), else 0. */
static __always_inline int ks_dns_learn_skb(struct __sk_buff *skb, __u32 l3, int family,
					    struct ks_udp_at *u, bool uplink)
{
	struct ks_dns_query_key qk = {};
	struct ks_dns_scratch *s;
	int r = ks_udp_locate(skb, l3, family, u);

	if (r == KS_UDP_FRAGMENT)
		ks_dns_count(KS_DNS_STAT_FRAGMENTED); /* a large answer: not seen, documented */
	if (r != KS_UDP_OK || u->sport != bpf_htons(KS_DNS_PORT))
		return 0;
	s = ks_scratch();
	if (!s)
		return 0;
	if (ks_dns_load(skb, s, u->l4 + sizeof(struct udphdr), u->len) ||
	    (uplink && ks_dns_query_key(skb, l3, family, u, s, true, &qk))) {
		ks_dns_count(KS_DNS_STAT_MALFORMED);
		return 0;
	}
	ks_dns_learn_loaded(s, uplink ? &qk : NULL);
	return 1;
}

/* Rewrites source and destination (contiguous in both headers) with the checksums. */
static __always_inline int ks_rewrite_addrs(struct __sk_buff *skb, __u32 l3, int family,
					    const struct ks_udp_at *u, __u8 *old, __u8 *new)
{
	__u32 at = l3 + (family == 4 ? offsetof(struct iphdr, saddr)
				     : offsetof(struct ipv6hdr, saddr));
	__u32 csum = u->l4 + offsetof(struct udphdr, check);
	__s64 diff;

	if (family == 4) {
		diff = bpf_csum_diff((__be32 *)old, 8, (__be32 *)new, 8, 0);
		if (diff < 0 || bpf_l3_csum_replace(skb, l3 + offsetof(struct iphdr, check), 0,
						    diff, 0))
			return -1;
		/* A zero UDP checksum over IPv4 means "none": nothing to fix. */
		if (u->check && bpf_l4_csum_replace(skb, csum, 0, diff,
						    BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
			return -1;
		return bpf_skb_store_bytes(skb, at, new, 8, 0) ? -1 : 0;
	}
	diff = bpf_csum_diff((__be32 *)old, 32, (__be32 *)new, 32, 0);
	if (diff < 0 ||
	    bpf_l4_csum_replace(skb, csum, 0, diff, BPF_F_PSEUDO_HDR | BPF_F_MARK_MANGLED_0))
		return -1;
	return bpf_skb_store_bytes(skb, at, new, 32, 0) ? -1 : 0;
}

/* Uplink egress: a query for a name under a RESOLVE domain goes to the corporate DNS
 * through the tunnel instead (or nowhere, if the tunnel cannot carry it). The question is
 * in the scratch already. Returns the reason (KS_DNS_REASON). */
static __always_inline int ks_dns_steer(struct __sk_buff *skb, const struct ks_split_config *cfg,
					const struct ks_dns_config *dc, __u32 l3, int family,
					const struct ks_udp_at *u, const struct ks_dns_scratch *s)
{
	struct ks_dns_nat_key k = {};
	struct ks_dns_nat n = {};
	__u8 old[32] = {}, new[32] = {};
	bool have;

	have = family == 4 ? (dc->flags & KS_DNS_HAVE4) && (cfg->flags & KS_CFG_HAVE4)
			   : (dc->flags & KS_DNS_HAVE6) && (cfg->flags & KS_CFG_HAVE6);
	/* Fail closed: the resolver tries its next server or gives up; the public one never
	 * learns the corporate name. */
	if (cfg->state != KS_STATE_UP || !have)
		return KS_DNS_REASON(QUERIES_BLOCKED);
	if (ks_load_addrs(skb, l3, family, old))
		return KS_DNS_REASON(REWRITE_FAILED);
	k.family = (__u8)family;
	k.port = u->sport;
	k.id = (__u16)ks_byte(s, 0) | (__u16)ks_byte(s, 1) << 8;
	n.created_ns = bpf_ktime_get_boot_ns();
	n.ifindex = skb->ifindex;
	if (family == 4) {
		__builtin_memcpy(n.client, old, 4);
		__builtin_memcpy(n.resolver, old + 4, 4);
		__builtin_memcpy(new, cfg->addr4, 4);
		__builtin_memcpy(new + 4, dc->server4, 4);
	} else {
		__builtin_memcpy(n.client, old, 16);
		__builtin_memcpy(n.resolver, old + 16, 16);
		__builtin_memcpy(new, cfg->addr6, 16);
		__builtin_memcpy(new + 16, dc->server6, 16);
	}
	if (l3) {
		__u8 eth[12];

		if (l3 != ETH_HLEN) /* VLAN-tagged: the way back is not one we can rebuild */
			return KS_DNS_REASON(QUERIES_BLOCKED);
		if (bpf_skb_load_bytes(skb, 0, eth, sizeof(eth)))
			return KS_DNS_REASON(REWRITE_FAILED);
		n.l2_len = ETH_HLEN;
		__builtin_memcpy(n.mac_peer, eth, 6);
		__builtin_memcpy(n.mac_local, eth + 6, 6);
	}
	if (bpf_map_update_elem(&ks_dns_nat, &k, &n, BPF_ANY) ||
	    ks_rewrite_addrs(skb, l3, family, u, old, new))
		return KS_DNS_REASON(REWRITE_FAILED);
	bpf_redirect(cfg->tun_ifindex, 0);
	return KS_DNS_REASON(QUERIES_STEERED);
}

/* Uplink egress, UDP to port 53: a corporate query is steered (ks_dns_steer); a query for
 * a learning domain is recorded, so that only its answer teaches anything. */
static __always_inline int ks_dns_query_out(struct __sk_buff *skb,
					    const struct ks_split_config *cfg,
					    const struct ks_dns_config *dc, __u32 l3, int family)
{
	struct ks_dns_query_key qk = {};
	struct ks_domain_info *di;
	struct ks_dns_scratch *s;
	struct ks_udp_at u;
	bool malformed;

	if (ks_udp_locate(skb, l3, family, &u) != KS_UDP_OK || u.dport != bpf_htons(KS_DNS_PORT))
		return KS_REASON_NONE;
	s = ks_scratch();
	if (!s || ks_dns_load(skb, s, u.l4 + sizeof(struct udphdr), u.len))
		return KS_REASON_NONE;
	if (ks_be16(s, 2) & 0xf800)
		return KS_REASON_NONE; /* an answer, or not a standard query */
	di = ks_dns_question(s, &malformed);
	if (!di)
		return KS_REASON_NONE;
	if (di->flags & KS_DOMAIN_RESOLVE) {
		if (dc->flags & KS_DNS_STEER)
			return ks_dns_steer(skb, cfg, dc, l3, family, &u, s);
		return KS_REASON_NONE; /* its answer is not learned on an uplink */
	}
	if (!(di->flags & (KS_DOMAIN_TUNNEL | KS_DOMAIN_EXCLUDE)) ||
	    ks_dns_query_key(skb, l3, family, &u, s, false, &qk))
		return KS_REASON_NONE;
	ks_dns_query_record(s, &qk);
	return KS_DNS_REASON(QUERIES_TRACKED);
}

/* Uplink egress: DNS over TCP cannot be steered (a stream), but a corporate query must not
 * leak either (a resolver retries over TCP after a truncated answer). A segment to port 53
 * whose payload is a query for a resolve domain is dropped: that connection stalls, the
 * resolver gives up. The payload is the 2-byte length and the message, or, from resolvers
 * that write the length apart, the message alone. */
static __always_inline int ks_dns_tcp_guard(struct __sk_buff *skb, __u32 l3, int family,
					    __u32 l4)
{
	struct ks_domain_info *di;
	struct ks_dns_scratch *s;
	__u32 end, len, off;
	__u8 th[20], pre[2];
	bool malformed;

	if (family == 4) {
		__be16 tot;

		if (bpf_skb_load_bytes(skb, l3 + offsetof(struct iphdr, tot_len), &tot, 2))
			return KS_REASON_NONE;
		end = l3 + bpf_ntohs(tot);
	} else {
		__be16 plen;

		if (bpf_skb_load_bytes(skb, l3 + offsetof(struct ipv6hdr, payload_len), &plen, 2))
			return KS_REASON_NONE;
		end = l3 + sizeof(struct ipv6hdr) + bpf_ntohs(plen);
	}
	if (bpf_skb_load_bytes(skb, l4, th, sizeof(th)))
		return KS_REASON_NONE;
	off = l4 + (th[12] >> 4) * 4;
	if (end > skb->len || off + KS_DNS_HDR > end)
		return KS_REASON_NONE; /* no payload: handshake, ACKs, FIN */
	len = end - off;
	if (!bpf_skb_load_bytes(skb, off, pre, 2) && ((__u32)pre[0] << 8 | pre[1]) == len - 2) {
		off += 2;
		len -= 2;
	}
	s = ks_scratch();
	if (!s || ks_dns_load(skb, s, off, len) || (ks_be16(s, 2) & 0xf800))
		return KS_REASON_NONE;
	di = ks_dns_question(s, &malformed);
	if (!di || !(di->flags & KS_DOMAIN_RESOLVE))
		return KS_REASON_NONE;
	return KS_DNS_REASON(QUERIES_BLOCKED);
}

/* TUN ingress, after learning: the answer to a steered query goes back to the uplink it
 * left by, from the server the application asked. KS_REASON_NONE: not such an answer. */
static __always_inline int ks_dns_unsteer(struct __sk_buff *skb, __u32 l3, int family,
					  const struct ks_udp_at *u)
{
	struct ks_dns_scratch *s = ks_scratch();
	struct ks_dns_config *dc = ks_dns_cfg();
	struct ks_dns_nat_key k = {};
	struct ks_dns_nat n, *np;
	__u8 old[32] = {}, new[32] = {};

	if (!s || !dc || s->len < KS_DNS_HDR)
		return KS_REASON_NONE;
	k.family = (__u8)family;
	k.port = u->dport;
	k.id = (__u16)ks_byte(s, 0) | (__u16)ks_byte(s, 1) << 8;
	np = bpf_map_lookup_elem(&ks_dns_nat, &k);
	if (!np)
		return KS_REASON_NONE;
	n = *np;
	if (ks_load_addrs(skb, l3, family, old))
		return KS_REASON_NONE;
	/* Only the server the query went to answers it. */
	for (int i = 0; i < 16; i++)
		if (i < (family == 4 ? 4 : 16) &&
		    old[i] != (family == 4 ? dc->server4[i & 3] : dc->server6[i]))
			return KS_REASON_NONE;
	if (family == 4) {
		__builtin_memcpy(new, n.resolver, 4);
		__builtin_memcpy(new + 4, n.client, 4);
	} else {
		__builtin_memcpy(new, n.resolver, 16);
		__builtin_memcpy(new + 16, n.client, 16);
	}
	bpf_map_delete_elem(&ks_dns_nat, &k);
	if (ks_rewrite_addrs(skb, l3, family, u, old, new))
		return KS_DNS_REASON(REWRITE_FAILED);
	if (n.l2_len) {
		struct ethhdr eth;

		__builtin_memcpy(eth.h_dest, n.mac_local, 6);
		__builtin_memcpy(eth.h_source, n.mac_peer, 6);
		eth.h_proto = family == 4 ? bpf_htons(ETH_P_IP) : bpf_htons(ETH_P_IPV6);
		/* The TUN gives no link-layer header: make room for the uplink's. */
		if ((!l3 && bpf_skb_change_head(skb, ETH_HLEN, 0)) ||
		    bpf_skb_store_bytes(skb, 0, &eth, sizeof(eth), 0))
			return KS_DNS_REASON(REWRITE_FAILED);
	}
	/* Received on the uplink, as the application's resolver expects (rp_filter too). */
	bpf_redirect(n.ifindex, BPF_F_INGRESS);
	return KS_DNS_REASON(ANSWERS_TRANSLATED);
}

/* Uplink egress, for a packet the split set leaves alone: DNS to port 53 is looked at, the
 * rest (nearly all traffic) costs one 4-byte load. proto and l4 come from the caller's own
 * header parse. KS_REASON_NONE: not ours. */
/* A global function: verified once on its own, not once for each of the IPv4 and IPv6
 * paths of the uplink program and every state they reach it in (a third of that
 * program's verification). At most five arguments: the configuration is looked up here. */
__attribute__((noinline)) int ks_dns_egress(struct __sk_buff *skb, __u32 l3, int family,
					    __u8 proto, __u32 l4)
{
	const struct ks_split_config *cfg = ks_config();
	struct ks_dns_config *dc;
	__be16 ports[2];

	if (proto != IPPROTO_UDP && proto != IPPROTO_TCP)
		return KS_REASON_NONE;
	if (bpf_skb_load_bytes(skb, l4, ports, sizeof(ports)) || ports[1] != bpf_htons(KS_DNS_PORT))
		return KS_REASON_NONE;
	dc = ks_dns_cfg();
	if (!dc || !cfg)
		return KS_REASON_NONE;
	if (proto == IPPROTO_UDP)
		return ks_dns_query_out(skb, cfg, dc, l3, family);
	if (dc->flags & KS_DNS_STEER)
		return ks_dns_tcp_guard(skb, l3, family, l4);
	return KS_REASON_NONE;
}
