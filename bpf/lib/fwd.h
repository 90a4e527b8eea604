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

#include "dns_skb.h"
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
	bool closing;	 /* TCP FIN or RST */
};

enum { KS_FWD_OK, KS_FWD_OTHER, KS_FWD_UNSUPPORTED };

/* A TCP segment, a UDP datagram, or an echo (request when request, else reply) behind the
 * IP header at l3, not a fragment. */
static __always_inline int ks_fwd_parse(struct __sk_buff *skb, __u32 l3, int family,
					bool request, struct ks_fwd_pkt *p)
{
	__u8 hdr[14];

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
	if (bpf_skb_load_bytes(skb, p->l4, hdr, p->proto == IPPROTO_TCP ? 14 : 8))
		return KS_FWD_UNSUPPORTED;
	switch (p->proto) {
	case IPPROTO_TCP:
		p->csum_off = p->l4 + offsetof(struct tcphdr, check);
		p->closing = hdr[13] & 0x05; /* FIN, RST */
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

#define KS_AF_INET 2
#define KS_AF_INET6 10

/* The interface the main table routes dst by, as seen from ifindex; 0 for none (no route,
 * or not unicast: the lookup is in the main table alone, where this host's own addresses
 * are not, so those of a guest network read as that network's interface). */
static __always_inline int ks_fwd_route_oif(struct __sk_buff *skb, __u32 ifindex, int family,
					    const __u8 *dst)
{
	struct bpf_fib_lookup fib = { .family = family == 4 ? KS_AF_INET : KS_AF_INET6,
				      .ifindex = ifindex };
	long r;

	if (family == 4)
		__builtin_memcpy(&fib.ipv4_dst, dst, 4);
	else
		__builtin_memcpy(fib.ipv6_dst, dst, 16);
	r = bpf_fib_lookup(skb, &fib, sizeof(fib), BPF_FIB_LOOKUP_DIRECT);
	return r == BPF_FIB_LKUP_RET_SUCCESS || r == BPF_FIB_LKUP_RET_NO_NEIGH ? (int)fib.ifindex
									    : 0;
}

/* From a guest, to another guest or to this host on a guest's network: not the tunnel's
 * (full tunnel reads every address as corporate). */
static __always_inline bool ks_fwd_to_guest(struct __sk_buff *skb, int family, const __u8 *dst)
{
	__u32 out = (__u32)ks_fwd_route_oif(skb, skb->ingress_ifindex, family, dst);
	struct ks_guest *g;

	g = out ? bpf_map_lookup_elem(&ks_guests, &out) : NULL;
	return g && (g->flags & KS_GUEST_WAY_IN);
}

/* At an uplink's egress, a corporate-looking packet: when the interface is a guest's (or
 * a port of a guest's bridge) and the destination is on that network, it is for a guest
 * (an answer, another guest's packet, this host's), not a leak. */
static __always_inline bool ks_fwd_on_guest_link(struct __sk_buff *skb,
						 const struct ks_split_config *cfg, int family,
						 const __u8 *dst)
{
	__u32 out = skb->ifindex;
	struct ks_guest *g;
	__u32 net;

	if (!(cfg->flags & KS_CFG_FORWARD) || !(g = bpf_map_lookup_elem(&ks_guests, &out)))
		return false;
	net = g->net_ifindex;
	return ks_fwd_route_oif(skb, net, family, dst) == (int)net;
}

/* A guest's packet coming in: into the tunnel if corporate (the mark routes it there),
 * dropped if corporate while the tunnel cannot carry it. Not what goes to another guest
 * or this host (full tunnel decides every address corporate), and never a packet that
 * claims the tunnel's address or a link-local one as its source. */
static __always_inline int ks_fwd_guest_in(struct __sk_buff *skb,
					   const struct ks_split_config *cfg, __u32 l3, int family)
{
	__u32 ifindex = skb->ifindex;
	struct ks_guest *g;
	__u8 a[32]; /* source, destination */
	int v;

	if (!(cfg->flags & KS_CFG_FORWARD) || !(g = bpf_map_lookup_elem(&ks_guests, &ifindex)) ||
	    !(g->flags & KS_GUEST_WAY_IN))
		return KS_REASON_NONE;
	if (ks_load_addrs(skb, l3, family, a))
		return KS_REASON_NONE;
	v = ks_decide(cfg, family, family == 4 ? a + 4 : a + 16);
	if (v != KS_VERDICT_TUNNEL && v != KS_VERDICT_BLOCKED)
		return KS_REASON_NONE;
	if (ks_fwd_to_guest(skb, family, family == 4 ? a + 4 : a + 16))
		return KS_REASON_NONE;
	if (family == 4 ? ks_local_scope4(a) || ks_fwd_same(a, cfg->addr4, 4)
			: ks_local_scope6(a) || ks_fwd_same(a, cfg->addr6, 6))
		return KS_STAT_FWD_SPOOFED;
	if (v == KS_VERDICT_BLOCKED)
		return KS_STAT_FWD_BLOCKED;
	skb->mark |= cfg->mark;
	return KS_STAT_FWD_TUNNEL;
}

static __always_inline bool ks_fwd_stale(const struct ks_fwd_guest *g, __u8 proto, __u64 now)
{
	__u64 idle = proto == IPPROTO_TCP ? (g->closing ? KS_FWD_IDLE_CLOSING_S : KS_FWD_IDLE_TCP_S)
		     : proto == IPPROTO_UDP ? KS_FWD_IDLE_UDP_S : KS_FWD_IDLE_ECHO_S;

	return now - g->last_ns > idle * 1000000000ULL;
}

/* The flow's port: the one it has (if its ks_fwd_in entry still points back to it), or one
 * of our range tried at random that is free or idle past its time. */
static __always_inline int ks_fwd_port(int family, const struct ks_fwd_pkt *p, __be16 *port)
{
	struct ks_fwd_out_key ok = { .family = family, .proto = p->proto,
				     .guest_port = p->sport,
				     .peer_port = ks_fwd_echo(p) ? 0 : p->dport };
	struct ks_fwd_in_key ik = { .family = family, .proto = p->proto,
				    .peer_port = ok.peer_port };
	struct ks_fwd_guest ng = { .guest_port = p->sport, .closing = p->closing };
	struct ks_fwd_nat n = {}, *have;
	struct ks_fwd_guest *g;
	__u32 start = bpf_get_prandom_u32();
	__u64 now = bpf_ktime_get_ns();

	__builtin_memcpy(ok.guest, p->src, 16);
	__builtin_memcpy(ok.peer, p->dst, 16);
	__builtin_memcpy(ik.peer, p->dst, 16);
	have = bpf_map_lookup_elem(&ks_fwd_out, &ok);
	if (have) {
		ik.port = have->port;
		g = bpf_map_lookup_elem(&ks_fwd_in, &ik);
		if (g && ks_fwd_same(g->guest, p->src, family) && g->guest_port == p->sport) {
			g->last_ns = now;
			g->closing |= p->closing;
			__sync_fetch_and_add(&have->packets, 1);
			*port = ik.port;
			return 0;
		}
		bpf_map_delete_elem(&ks_fwd_out, &ok); /* its port went to another flow */
	}
	__builtin_memcpy(ng.guest, p->src, 16);
	ng.last_ns = now;
	for (int i = 0; i < KS_FWD_PORT_TRIES; i++) {
		ik.port = bpf_htons(KS_FWD_PORT_MIN + (start + i * 977) % KS_FWD_PORT_COUNT);
		g = bpf_map_lookup_elem(&ks_fwd_in, &ik);
		if (g && !ks_fwd_stale(g, p->proto, now))
			continue;
		if (bpf_map_update_elem(&ks_fwd_in, &ik, &ng, g ? BPF_EXIST : BPF_NOEXIST))
			continue;
		n.port = ik.port;
		n.packets = 1;
		if (bpf_map_update_elem(&ks_fwd_out, &ok, &n, BPF_NOEXIST)) {
			/* another CPU made this flow first: ours goes back, theirs is used */
			bpf_map_delete_elem(&ks_fwd_in, &ik);
			have = bpf_map_lookup_elem(&ks_fwd_out, &ok);
			if (!have)
				return -1;
			*port = have->port;
			return 0;
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
	 * neighbour and multicast listener messages, to ff02::) */
	if (ks_fwd_same(p.src, tun, family) ||
	    (family == 4 ? ks_local_scope4(p.dst) : ks_local_scope6(p.dst)))
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

/* At the TUN's ingress: an answer to a guest's flow gets the guest's address and port,
 * if the flow still holds that port both ways; the kernel forwards it from there.
 * Anything else is left alone. */
static __always_inline int ks_fwd_answer(struct __sk_buff *skb, const struct ks_split_config *cfg,
					 __u32 l3, int family)
{
	const __u8 *tun = family == 4 ? cfg->addr4 : cfg->addr6;
	struct ks_fwd_in_key ik = { .family = family };
	struct ks_fwd_out_key ok = { .family = family };
	struct ks_fwd_guest *g;
	struct ks_fwd_nat *n;
	struct ks_fwd_pkt p;
	__u8 guest[16];
	__be16 gport;

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
	__builtin_memcpy(guest, g->guest, 16); /* a copy: LRU entries are reused at once */
	gport = g->guest_port;
	ok.proto = p.proto;
	ok.guest_port = gport;
	ok.peer_port = ik.peer_port;
	__builtin_memcpy(ok.guest, guest, 16);
	__builtin_memcpy(ok.peer, p.src, 16);
	n = bpf_map_lookup_elem(&ks_fwd_out, &ok);
	if (!n || n->port != ik.port)
		return KS_REASON_NONE; /* a port that changed hands: not this flow's any more */
	g->last_ns = bpf_ktime_get_ns();
	g->closing |= p.closing;
	__sync_fetch_and_add(&g->packets, 1);
	if (ks_fwd_rewrite(skb, l3, family, &p,
			   l3 + (family == 4 ? offsetof(struct iphdr, daddr)
					     : offsetof(struct ipv6hdr, daddr)),
			   p.dst, guest, ks_fwd_echo(&p) ? p.l4 + 4 : p.l4 + 2, p.dport, gport))
		return KS_STAT_EGRESS_MALFORMED;
	return KS_STAT_FWD_ANSWER;
}
