/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Forwarded traffic (containers, VMs) through the tunnel: a guest's corporate packet is
 * marked where it comes in (the kernel then routes it into the TUN, with its own MTU and
 * fragmentation handling), given the tunnel address and a port of our range at the TUN's
 * egress, and the answers get the guest's address back at the TUN's ingress, after which
 * the kernel forwards them to the guest. The state is two LRU maps (kslice/maps.h). */
#pragma once
#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "l3.h"
#include "split.h"
#include "verdict.h"

#define KS_ICMP_ECHO_REQUEST 8
#define KS_ICMP_ECHO_REPLY 0
#define KS_ICMP6_ECHO_REQUEST 128
#define KS_ICMP6_ECHO_REPLY 129

/* What the NAT needs of a packet. */
struct ks_fwd_pkt {
	__u8 src[16], dst[16];
	__u32 l4;
	__u32 csum_off; /* the L4 checksum */
	__be16 sport, dport; /* an echo: both the id */
	__u8 proto;
	bool udp_nocsum; /* IPv4 UDP without a checksum: nothing to update */
};

enum { KS_FWD_OK, KS_FWD_OTHER, KS_FWD_UNSUPPORTED };

/* A TCP segment, a UDP datagram, or an echo (request when request, else reply) behind the
 * IP header at l3, not a fragment. */
static __always_inline int ks_fwd_parse(struct __sk_buff *skb, __u32 l3, int family,
					bool request, struct ks_fwd_pkt *p)
{
	__u8 hdr[8];

	__builtin_memset(p, 0, sizeof(*p));
	if (family == 4) {
		struct iphdr ip;

		if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) || ip.ihl < 5)
			return KS_FWD_UNSUPPORTED;
		__builtin_memcpy(p->src, &ip.saddr, 4);
		__builtin_memcpy(p->dst, &ip.daddr, 4);
		if (ip.frag_off & bpf_htons(0x3fff))
			return KS_FWD_UNSUPPORTED;
		p->proto = ip.protocol;
		p->l4 = l3 + ip.ihl * 4;
	} else {
		struct ipv6hdr ip6;
		int frag;

		if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)))
			return KS_FWD_UNSUPPORTED;
		__builtin_memcpy(p->src, &ip6.saddr, 16);
		__builtin_memcpy(p->dst, &ip6.daddr, 16);
		if (ks_ip6_walk(skb, l3, ip6.nexthdr, &p->proto, &p->l4, &frag) ||
		    frag != KS_FRAG_NONE)
			return KS_FWD_UNSUPPORTED;
	}
	if (bpf_skb_load_bytes(skb, p->l4, hdr, sizeof(hdr)))
		return KS_FWD_UNSUPPORTED;
	switch (p->proto) {
	case IPPROTO_TCP:
		p->csum_off = p->l4 + offsetof(struct tcphdr, check);
		break;
	case IPPROTO_UDP:
		p->csum_off = p->l4 + offsetof(struct udphdr, check);
		p->udp_nocsum = family == 4 && !hdr[6] && !hdr[7];
		break;
	case IPPROTO_ICMP:
		if (family != 4 || hdr[0] != (request ? KS_ICMP_ECHO_REQUEST : KS_ICMP_ECHO_REPLY))
			return KS_FWD_UNSUPPORTED;
		p->csum_off = p->l4 + 2;
		__builtin_memcpy(&p->sport, &hdr[4], 2);
		p->dport = p->sport;
		return KS_FWD_OK;
	case IPPROTO_ICMPV6:
		if (family != 6 || hdr[0] != (request ? KS_ICMP6_ECHO_REQUEST : KS_ICMP6_ECHO_REPLY))
			return KS_FWD_UNSUPPORTED;
		p->csum_off = p->l4 + 2;
		__builtin_memcpy(&p->sport, &hdr[4], 2);
		p->dport = p->sport;
		return KS_FWD_OK;
	default:
		return KS_FWD_UNSUPPORTED;
	}
	__builtin_memcpy(&p->sport, &hdr[0], 2);
	__builtin_memcpy(&p->dport, &hdr[2], 2);
	return KS_FWD_OK;
}

static __always_inline bool ks_fwd_same(const __u8 *a, const __u8 *b, int family)
{
	__u32 x[4], y[4];

	if (family == 4) {
		__builtin_memcpy(x, a, 4);
		__builtin_memcpy(y, b, 4);
		return x[0] == y[0];
	}
	__builtin_memcpy(x, a, 16);
	__builtin_memcpy(y, b, 16);
	return x[0] == y[0] && x[1] == y[1] && x[2] == y[2] && x[3] == y[3];
}

static __always_inline bool ks_fwd_echo(const struct ks_fwd_pkt *p)
{
	return p->proto == IPPROTO_ICMP || p->proto == IPPROTO_ICMPV6;
}

/* One address of the IP header (at `at`) and one port or id (at port_at) rewritten, with
 * the IPv4 header's checksum and the L4 one (which covers the addresses through the
 * pseudo-header, but for ICMPv4). */
static __always_inline int ks_fwd_rewrite(struct __sk_buff *skb, __u32 l3, int family,
					  const struct ks_fwd_pkt *p, __u32 at, const __u8 *old,
					  const __u8 *new, __u32 port_at, __be16 old_port,
					  __be16 new_port)
{
	__u64 l4_flags = p->proto == IPPROTO_UDP ? BPF_F_MARK_MANGLED_0 : 0;
	__u32 o4, n4;
	__s64 diff;

	if (family == 4) {
		__builtin_memcpy(&o4, old, 4);
		__builtin_memcpy(&n4, new, 4);
		if (bpf_l3_csum_replace(skb, l3 + offsetof(struct iphdr, check), o4, n4, 4))
			return -1;
		if (p->proto != IPPROTO_ICMP && !p->udp_nocsum &&
		    bpf_l4_csum_replace(skb, p->csum_off, o4, n4, l4_flags | BPF_F_PSEUDO_HDR | 4))
			return -1;
		if (bpf_skb_store_bytes(skb, at, new, 4, 0))
			return -1;
	} else {
		diff = bpf_csum_diff((__be32 *)old, 16, (__be32 *)new, 16, 0);
		if (diff < 0 ||
		    bpf_l4_csum_replace(skb, p->csum_off, 0, diff, l4_flags | BPF_F_PSEUDO_HDR))
			return -1;
		if (bpf_skb_store_bytes(skb, at, new, 16, 0))
			return -1;
	}
	if (old_port == new_port)
		return 0;
	if (!p->udp_nocsum &&
	    bpf_l4_csum_replace(skb, p->csum_off, old_port, new_port, l4_flags | 2))
		return -1;
	return bpf_skb_store_bytes(skb, port_at, &new_port, 2, 0) ? -1 : 0;
}

/* A guest's packet coming in: into the tunnel if corporate (the mark routes it there),
 * dropped if corporate while the tunnel cannot carry it. */
static __always_inline int ks_fwd_guest_in(struct __sk_buff *skb,
					   const struct ks_split_config *cfg, __u32 l3, int family)
{
	__u32 ifindex = skb->ifindex;
	__u8 dst[16];
	int v;

	if (!(cfg->flags & KS_CFG_FORWARD) || !bpf_map_lookup_elem(&ks_guests, &ifindex))
		return KS_REASON_NONE;
	if (bpf_skb_load_bytes(skb, l3 + (family == 4 ? offsetof(struct iphdr, daddr)
						       : offsetof(struct ipv6hdr, daddr)),
			       dst, family == 4 ? 4 : 16))
		return KS_REASON_NONE;
	v = ks_decide(cfg, family, dst);
	if (v == KS_VERDICT_BLOCKED)
		return KS_STAT_FWD_BLOCKED;
	if (v != KS_VERDICT_TUNNEL)
		return KS_REASON_NONE;
	skb->mark |= cfg->mark;
	return KS_STAT_FWD_TUNNEL;
}

/* The flow's port: the one it has, or a free one of our range (tried at random). */
static __always_inline int ks_fwd_port(int family, const struct ks_fwd_pkt *p, __be16 *port)
{
	struct ks_fwd_out_key ok = { .family = family, .proto = p->proto,
				     .guest_port = p->sport,
				     .peer_port = ks_fwd_echo(p) ? 0 : p->dport };
	struct ks_fwd_in_key ik = { .family = family, .proto = p->proto,
				    .peer_port = ok.peer_port };
	struct ks_fwd_guest g = { .guest_port = p->sport };
	struct ks_fwd_nat n = {}, *have;
	__u32 start = bpf_get_prandom_u32();

	__builtin_memcpy(ok.guest, p->src, 16);
	__builtin_memcpy(ok.peer, p->dst, 16);
	have = bpf_map_lookup_elem(&ks_fwd_out, &ok);
	if (have) {
		__sync_fetch_and_add(&have->packets, 1);
		*port = have->port;
		return 0;
	}
	__builtin_memcpy(ik.peer, p->dst, 16);
	__builtin_memcpy(g.guest, p->src, 16);
	for (int i = 0; i < KS_FWD_PORT_TRIES; i++) {
		ik.port = bpf_htons(KS_FWD_PORT_MIN + (start + i * 977) % KS_FWD_PORT_COUNT);
		if (bpf_map_update_elem(&ks_fwd_in, &ik, &g, BPF_NOEXIST))
			continue;
		n.port = ik.port;
		n.packets = 1;
		if (bpf_map_update_elem(&ks_fwd_out, &ok, &n, BPF_ANY)) {
			bpf_map_delete_elem(&ks_fwd_in, &ik);
			return -1;
		}
		*port = n.port;
		return 0;
	}
	return -1;
}

/* At the TUN's egress: what does not come from the tunnel address is a guest's, and gets
 * it (the gateway takes no other source). */
static __always_inline int ks_fwd_snat(struct __sk_buff *skb, const struct ks_split_config *cfg,
				       __u32 l3, int family)
{
	const __u8 *tun = family == 4 ? cfg->addr4 : cfg->addr6;
	struct ks_fwd_pkt p;
	__be16 port;
	int r;

	if (!(cfg->flags & KS_CFG_FORWARD))
		return KS_REASON_NONE;
	r = ks_fwd_parse(skb, l3, family, true, &p);
	/* ours (a fragment of ours too: its source says so), or the link's own (IPv6
	 * neighbour and multicast listener messages from fe80::) */
	if (ks_fwd_same(p.src, tun, family) ||
	    (family == 4 ? ks_local_scope4(p.src) || ks_local_scope4(p.dst)
			 : ks_local_scope6(p.src) || ks_local_scope6(p.dst)))
		return KS_REASON_NONE;
	if (r != KS_FWD_OK)
		return KS_STAT_FWD_UNSUPPORTED;
	if (ks_fwd_port(family, &p, &port))
		return KS_STAT_FWD_PORTS_FULL;
	if (ks_fwd_rewrite(skb, l3, family, &p,
			   l3 + (family == 4 ? offsetof(struct iphdr, saddr)
					     : offsetof(struct ipv6hdr, saddr)),
			   p.src, tun, ks_fwd_echo(&p) ? p.l4 + 4 : p.l4, p.sport, port))
		return KS_STAT_EGRESS_MALFORMED;
	return KS_STAT_FWD_SNAT;
}

/* At the TUN's ingress: an answer to a guest's flow gets the guest's address and port;
 * the kernel forwards it from there. Anything else is left alone. */
static __always_inline int ks_fwd_answer(struct __sk_buff *skb, const struct ks_split_config *cfg,
					 __u32 l3, int family)
{
	const __u8 *tun = family == 4 ? cfg->addr4 : cfg->addr6;
	struct ks_fwd_in_key ik = { .family = family };
	struct ks_fwd_guest *g;
	struct ks_fwd_pkt p;

	if (!(cfg->flags & KS_CFG_FORWARD) || ks_fwd_parse(skb, l3, family, false, &p) ||
	    !ks_fwd_same(p.dst, tun, family))
		return KS_REASON_NONE;
	ik.proto = p.proto;
	ik.port = p.dport;
	ik.peer_port = ks_fwd_echo(&p) ? 0 : p.sport;
	__builtin_memcpy(ik.peer, p.src, 16);
	g = bpf_map_lookup_elem(&ks_fwd_in, &ik);
	if (!g)
		return KS_REASON_NONE;
	__sync_fetch_and_add(&g->packets, 1);
	if (ks_fwd_rewrite(skb, l3, family, &p,
			   l3 + (family == 4 ? offsetof(struct iphdr, daddr)
					     : offsetof(struct ipv6hdr, daddr)),
			   p.dst, g->guest, ks_fwd_echo(&p) ? p.l4 + 4 : p.l4 + 2, p.dport,
			   g->guest_port))
		return KS_STAT_EGRESS_MALFORMED;
	return KS_STAT_FWD_ANSWER;
}
