// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* Split tunneling without routes. Corp-bound sockets are steered at connect()/sendmsg()
 * on the root cgroup (mark or tunnel source address; the fixed policy routes them into the
 * TUN); whatever corp-bound still reaches an uplink is ICMP echo (sent into the TUN) or a
 * leak (dropped: the kill switch). Decisions live in lib/split.h. */
#include <stddef.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "lib/dns_skb.h"
#include "lib/fwd.h"
#include "lib/l3.h"
#include "lib/split.h"
#include "lib/verdict.h"

#define SOL_SOCKET 1
#define SO_MARK 36
#define ICMP_ECHO 8
#define ICMPV6_ECHO_REQUEST 128
#define IP_OFFSET_MASK 0x1fff

/* --- sockets ------------------------------------------------------------------------ */

static __always_inline bool ours(void *ctx, const struct ks_split_config *cfg)
{
	/* cgroup hooks fire for every network namespace (containers too): only ours. */
	return bpf_get_netns_cookie(ctx) == cfg->netns_cookie;
}

/* The context allows only 4-byte loads of user_ip6. */
static __always_inline void user_ip6(const struct bpf_sock_addr *ctx, __u32 *dst)
{
	dst[0] = ctx->user_ip6[0];
	dst[1] = ctx->user_ip6[1];
	dst[2] = ctx->user_ip6[2];
	dst[3] = ctx->user_ip6[3];
}

/* connect(): OR our mark bit into SO_MARK so the fixed `fwmark` rule picks table T. */
static __always_inline int steer_connect(struct bpf_sock_addr *ctx,
					 const struct ks_split_config *cfg, int verdict)
{
	struct bpf_sock *sk;
	__u32 mark;

	if (verdict == KS_VERDICT_EXCLUDED)
		ks_count(KS_STAT_CONNECT_EXCLUDED);
	if (verdict != KS_VERDICT_TUNNEL && verdict != KS_VERDICT_BLOCKED)
		return 1;
	sk = ctx->sk;
	if (verdict == KS_VERDICT_BLOCKED || !sk)
		goto blocked;
	/* Bound to another device (SO_BINDTODEVICE: DHCP clients, ping -I eth0): the
	 * application chose its path; the uplink filter still drops a corp-bound leak. */
	if (sk->bound_dev_if && sk->bound_dev_if != cfg->tun_ifindex)
		return 1;
	mark = sk->mark | cfg->mark;
	if (bpf_setsockopt(ctx, SOL_SOCKET, SO_MARK, &mark, sizeof(mark)))
		goto blocked; /* fail closed rather than let it take the normal path */
	ks_count(KS_STAT_CONNECT_TUNNEL);
	return 1;
blocked:
	ks_count(KS_STAT_CONNECT_BLOCKED);
	return 0; /* connect() fails with EPERM */
}

/* kslice's own socket to the gateway (the monitor made it with own_mark): whatever the
 * gateway's address, it takes the normal path. */
static __always_inline bool own_socket(const struct bpf_sock_addr *ctx,
				       const struct ks_split_config *cfg)
{
	struct bpf_sock *sk = ctx->sk;

	return cfg->own_mark && sk && (sk->mark & cfg->own_mark) == cfg->own_mark;
}

/* A `tunnel` cgroup's DNS query goes to the corporate DNS server, whatever resolver it
 * names (a local stub such as 127.0.0.53 included): its names resolve as the tunnel's. The
 * resolver it named is kept with the socket, to stand as the answers' source. Without a
 * server of that family the query goes, through the tunnel, where it was sent. */
static __always_inline bool app_dns_wanted(const struct bpf_sock_addr *ctx,
					   const struct ks_app_policy *pol)
{
	return pol && pol->via == KS_VIA_TUNNEL && ctx->user_port == bpf_htons(53);
}

static __always_inline void app_dns4(struct bpf_sock_addr *ctx, const struct ks_app_policy *pol,
				     __u32 *dst)
{
	struct ks_dns_config *dc;
	struct ks_app_dns *o;
	__u32 server;

	if (!app_dns_wanted(ctx, pol) || !(dc = ks_dns_cfg()) || !(dc->flags & KS_DNS_HAVE4))
		return;
	__builtin_memcpy(&server, dc->server4, 4);
	if (*dst == server || !ctx->sk)
		return;
	o = bpf_sk_storage_get(&ks_app_dns, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	__builtin_memcpy(o->resolver, dst, 4);
	__builtin_memcpy(o->server, &server, 4);
	o->family = 4;
	ctx->user_ip4 = server;
	*dst = server;
	ks_count(KS_STAT_APP_DNS);
}

static __always_inline void app_dns6(struct bpf_sock_addr *ctx, const struct ks_app_policy *pol,
				     __u32 *dst)
{
	struct ks_dns_config *dc;
	struct ks_app_dns *o;
	__u32 server[4];

	if (!app_dns_wanted(ctx, pol) || !(dc = ks_dns_cfg()) || !ctx->sk)
		return;
	if (ks_v4mapped(dst)) {
		if (!(dc->flags & KS_DNS_HAVE4))
			return;
		server[0] = 0;
		server[1] = 0;
		server[2] = bpf_htonl(0xffff);
		__builtin_memcpy(&server[3], dc->server4, 4);
	} else {
		if (!(dc->flags & KS_DNS_HAVE6))
			return;
		__builtin_memcpy(server, dc->server6, 16);
	}
	if (dst[0] == server[0] && dst[1] == server[1] && dst[2] == server[2] && dst[3] == server[3])
		return;
	o = bpf_sk_storage_get(&ks_app_dns, ctx->sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!o)
		return;
	__builtin_memcpy(o->resolver, dst, 16);
	__builtin_memcpy(o->server, server, 16);
	o->family = 6;
	ctx->user_ip6[0] = server[0];
	ctx->user_ip6[1] = server[1];
	ctx->user_ip6[2] = server[2];
	ctx->user_ip6[3] = server[3];
	__builtin_memcpy(dst, server, 16);
	ks_count(KS_STAT_APP_DNS);
}

/* recvmsg, getpeername: the server's address reads as the resolver the application named. */
static __always_inline int app_dns_restore4(struct bpf_sock_addr *ctx)
{
	struct ks_app_dns *o;
	__u32 a;

	if (!ctx->sk || ctx->user_port != bpf_htons(53))
		return 1;
	o = bpf_sk_storage_get(&ks_app_dns, ctx->sk, 0, 0);
	if (!o || o->family != 4)
		return 1;
	__builtin_memcpy(&a, o->server, 4);
	if (ctx->user_ip4 != a)
		return 1;
	__builtin_memcpy(&a, o->resolver, 4);
	ctx->user_ip4 = a;
	return 1;
}

static __always_inline int app_dns_restore6(struct bpf_sock_addr *ctx)
{
	struct ks_app_dns *o;
	__u32 a[4];

	if (!ctx->sk || ctx->user_port != bpf_htons(53))
		return 1;
	o = bpf_sk_storage_get(&ks_app_dns, ctx->sk, 0, 0);
	if (!o || o->family != 6)
		return 1;
	__builtin_memcpy(a, o->server, 16);
	if (ctx->user_ip6[0] != a[0] || ctx->user_ip6[1] != a[1] || ctx->user_ip6[2] != a[2] ||
	    ctx->user_ip6[3] != a[3])
		return 1;
	__builtin_memcpy(a, o->resolver, 16);
	ctx->user_ip6[0] = a[0];
	ctx->user_ip6[1] = a[1];
	ctx->user_ip6[2] = a[2];
	ctx->user_ip6[3] = a[3];
	return 1;
}

SEC("cgroup/recvmsg4")
int ks_cgroup_recvmsg4(struct bpf_sock_addr *ctx)
{
	return app_dns_restore4(ctx);
}

SEC("cgroup/recvmsg6")
int ks_cgroup_recvmsg6(struct bpf_sock_addr *ctx)
{
	return app_dns_restore6(ctx);
}

SEC("cgroup/getpeername4")
int ks_cgroup_getpeername4(struct bpf_sock_addr *ctx)
{
	return app_dns_restore4(ctx);
}

SEC("cgroup/getpeername6")
int ks_cgroup_getpeername6(struct bpf_sock_addr *ctx)
{
	return app_dns_restore6(ctx);
}

SEC("cgroup/connect4")
int ks_cgroup_connect4(struct bpf_sock_addr *ctx)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_app_policy *pol;
	__u32 dst = ctx->user_ip4;

	if (!cfg || !ours(ctx, cfg))
		return 1;
	if (own_socket(ctx, cfg)) {
		ks_count(KS_STAT_CONNECT_OWN);
		return 1;
	}
	pol = ks_app_task(cfg);
	app_dns4(ctx, pol, &dst);
	return steer_connect(ctx, cfg, ks_decide_app(cfg, 4, (__u8 *)&dst, pol));
}

SEC("cgroup/connect6")
int ks_cgroup_connect6(struct bpf_sock_addr *ctx)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_app_policy *pol;
	__u32 dst[4];

	if (!cfg || !ours(ctx, cfg))
		return 1;
	if (own_socket(ctx, cfg)) {
		ks_count(KS_STAT_CONNECT_OWN);
		return 1;
	}
	user_ip6(ctx, dst);
	pol = ks_app_task(cfg);
	app_dns6(ctx, pol, dst);
	return steer_connect(ctx, cfg, ks_decide_sockaddr6(cfg, dst, pol));
}

/* Unconnected UDP: a mark set now would be too late for this datagram's route lookup, so
 * it gets the tunnel address as source and the fixed `from` rule routes it. */
SEC("cgroup/sendmsg4")
int ks_cgroup_sendmsg4(struct bpf_sock_addr *ctx)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_app_policy *pol;
	__u32 dst = ctx->user_ip4, src;
	int v;

	if (!cfg || !ours(ctx, cfg) || own_socket(ctx, cfg))
		return 1;
	pol = ks_app_task(cfg);
	app_dns4(ctx, pol, &dst);
	v = ks_decide_app(cfg, 4, (__u8 *)&dst, pol);
	if (v == KS_VERDICT_BLOCKED) {
		ks_count(KS_STAT_SENDMSG_BLOCKED);
		return 0;
	}
	if (v != KS_VERDICT_TUNNEL)
		return 1;
	__builtin_memcpy(&src, cfg->addr4, 4);
	ctx->msg_src_ip4 = src;
	ks_count(KS_STAT_SENDMSG_TUNNEL);
	return 1;
}

SEC("cgroup/sendmsg6")
int ks_cgroup_sendmsg6(struct bpf_sock_addr *ctx)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_app_policy *pol;
	__u32 dst[4], src[4];
	int v;

	if (!cfg || !ours(ctx, cfg) || own_socket(ctx, cfg))
		return 1;
	user_ip6(ctx, dst);
	pol = ks_app_task(cfg);
	app_dns6(ctx, pol, dst);
	v = ks_decide_sockaddr6(cfg, dst, pol);
	if (v == KS_VERDICT_BLOCKED) {
		ks_count(KS_STAT_SENDMSG_BLOCKED);
		return 0;
	}
	if (v != KS_VERDICT_TUNNEL)
		return 1;
	if (ks_v4mapped(dst)) {
		src[0] = 0;
		src[1] = 0;
		src[2] = bpf_htonl(0xffff);
		__builtin_memcpy(&src[3], cfg->addr4, 4);
	} else {
		__builtin_memcpy(src, cfg->addr6, 16);
	}
	ctx->msg_src_ip6[0] = src[0];
	ctx->msg_src_ip6[1] = src[1];
	ctx->msg_src_ip6[2] = src[2];
	ctx->msg_src_ip6[3] = src[3];
	ks_count(KS_STAT_SENDMSG_TUNNEL);
	return 1;
}

/* --- uplinks ------------------------------------------------------------------------- */

/* The helpers below return a reason (kslice/stats.h); the entry points turn it into the
 * TC action (lib/verdict.h). */

/* ICMP carries no ports to mark a socket by, and raw/ping sockets skip the hooks: rewrite
 * the source to the tunnel address and hand the packet to the TUN. The echo reply comes
 * back addressed to us, so nothing needs translating on the way in. */
static __always_inline int egress4(struct __sk_buff *skb, const struct ks_split_config *cfg,
				   __u32 l2_len, __u32 l3)
{
	struct ks_app_policy *pol;
	struct iphdr ip;
	__u32 src;
	__u8 type;
	int v;

	if (bpf_skb_load_bytes(skb, l3, &ip, sizeof(ip)) || ip.ihl < 5 || ip.version != 4)
		return KS_STAT_EGRESS_MALFORMED;
	pol = ks_app_skb(skb, cfg);
	/* A cgroup's policy decides ICMP here (it has no socket hook); TCP and UDP took theirs
	 * at connect/sendmsg, and what of a tunnel-only cgroup still reaches an uplink is a
	 * leak (a socket bound to the device, one connected before the policy): dropped. */
	if (ip.protocol == IPPROTO_ICMP) {
		v = ks_decide_app(cfg, 4, (__u8 *)&ip.daddr, pol);
	} else {
		v = ks_decide(cfg, 4, (__u8 *)&ip.daddr);
		if (v != KS_VERDICT_TUNNEL && ks_app_tunnel_only(pol, 4, (__u8 *)&ip.daddr))
			return KS_STAT_EGRESS_APP_LEAK;
	}
	if (v != KS_VERDICT_TUNNEL && v != KS_VERDICT_BLOCKED) {
		int r = KS_REASON_NONE;

		if (!(ip.frag_off & bpf_htons(0x3fff)))
			r = ks_dns_egress(skb, l3, 4, ip.protocol, l3 + ip.ihl * 4);
		return r == KS_REASON_NONE ? KS_STAT_EGRESS_PASSED : r;
	}
	if (ks_fwd_on_guest_link(skb, cfg, 4, (__u8 *)&ip.daddr))
		return KS_STAT_EGRESS_TO_GUEST;
	if (v == KS_VERDICT_BLOCKED)
		return KS_STAT_EGRESS_BLOCKED;
	/* Only an untagged echo can be handed to the TUN (the redirect strips l2_len bytes). */
	if (ip.protocol != IPPROTO_ICMP || l3 != l2_len)
		return KS_STAT_EGRESS_DROPPED;
	/* Later fragments of an echo carry no ICMP header; the ICMP checksum does not cover
	 * the addresses, so every fragment takes the same rewrite. */
	if (!(ip.frag_off & bpf_htons(IP_OFFSET_MASK))) {
		if (bpf_skb_load_bytes(skb, l3 + ip.ihl * 4, &type, 1))
			return KS_STAT_EGRESS_MALFORMED;
		if (type != ICMP_ECHO)
			return KS_STAT_EGRESS_DROPPED;
	}
	__builtin_memcpy(&src, cfg->addr4, 4);
	if (bpf_l3_csum_replace(skb, l3 + offsetof(struct iphdr, check), ip.saddr, src, 4) ||
	    bpf_skb_store_bytes(skb, l3 + offsetof(struct iphdr, saddr), &src, 4, 0))
		return KS_STAT_EGRESS_MALFORMED;
	bpf_redirect(cfg->tun_ifindex, 0);
	return KS_STAT_EGRESS_REDIRECTED;
}

static __always_inline int egress6(struct __sk_buff *skb, const struct ks_split_config *cfg,
				   __u32 l2_len, __u32 l3)
{
	struct ks_app_policy *pol;
	struct ipv6hdr ip6;
	__u32 l4, diff;
	__u8 proto, hdr[4];
	int v, frag, walk;

	if (bpf_skb_load_bytes(skb, l3, &ip6, sizeof(ip6)) || ip6.version != 6)
		return KS_STAT_EGRESS_MALFORMED;
	walk = ks_ip6_walk(skb, l3, ip6.nexthdr, &proto, &l4, &frag);
	pol = ks_app_skb(skb, cfg);
	if (proto == IPPROTO_ICMPV6) {
		v = ks_decide_app(cfg, 6, ip6.daddr.in6_u.u6_addr8, pol);
	} else {
		v = ks_decide(cfg, 6, ip6.daddr.in6_u.u6_addr8);
		if (v != KS_VERDICT_TUNNEL && ks_app_tunnel_only(pol, 6, ip6.daddr.in6_u.u6_addr8))
			return KS_STAT_EGRESS_APP_LEAK;
	}
	if (v != KS_VERDICT_TUNNEL && v != KS_VERDICT_BLOCKED) {
		int r = KS_REASON_NONE;

		if (!walk && frag == KS_FRAG_NONE)
			r = ks_dns_egress(skb, l3, 6, proto, l4);
		return r == KS_REASON_NONE ? KS_STAT_EGRESS_PASSED : r;
	}
	if (ks_fwd_on_guest_link(skb, cfg, 6, ip6.daddr.in6_u.u6_addr8))
		return KS_STAT_EGRESS_TO_GUEST;
	if (v == KS_VERDICT_BLOCKED)
		return KS_STAT_EGRESS_BLOCKED;
	if (walk)
		return KS_STAT_EGRESS_MALFORMED;
	if (proto != IPPROTO_ICMPV6 || l3 != l2_len)
		return KS_STAT_EGRESS_DROPPED;
	if (frag != KS_FRAG_LATER) {
		if (bpf_skb_load_bytes(skb, l4, hdr, 4))
			return KS_STAT_EGRESS_MALFORMED;
		if (hdr[0] != ICMPV6_ECHO_REQUEST)
			return KS_STAT_EGRESS_DROPPED;
		/* The ICMPv6 checksum covers the source address (pseudo-header). */
		diff = bpf_csum_diff((__be32 *)&ip6.saddr, 16, (__be32 *)cfg->addr6, 16, 0);
		if (bpf_l4_csum_replace(skb, l4 + 2, 0, diff, BPF_F_PSEUDO_HDR))
			return KS_STAT_EGRESS_MALFORMED;
	}
	if (bpf_skb_store_bytes(skb, l3 + offsetof(struct ipv6hdr, saddr), cfg->addr6, 16, 0))
		return KS_STAT_EGRESS_MALFORMED;
	bpf_redirect(cfg->tun_ifindex, 0);
	return KS_STAT_EGRESS_REDIRECTED;
}

static __always_inline int uplink_egress(struct __sk_buff *skb, __u32 l2_len)
{
	struct ks_split_config *cfg = ks_config();
	__u32 l3;
	int family;

	if (!cfg)
		return KS_REASON_NONE;
	if (cfg->own_mark && (skb->mark & cfg->own_mark) == cfg->own_mark)
		return KS_STAT_EGRESS_OWN;
	switch (ks_l3_locate(skb, l2_len, &l3, &family)) {
	case KS_L3_OK:
		break;
	case KS_L3_NOT_IP:
		return KS_STAT_EGRESS_NOT_IP;
	case KS_L3_VLAN_DEPTH:
		return KS_STAT_EGRESS_VLAN_DEPTH;
	default:
		return KS_STAT_EGRESS_MALFORMED;
	}
	return family == 4 ? egress4(skb, cfg, l2_len, l3) : egress6(skb, cfg, l2_len, l3);
}

/* Uplinks with an Ethernet header (ARPHRD_ETHER: Ethernet, Wi-Fi, veth, bridges). */
SEC("tc")
int ks_tc_uplink_egress(struct __sk_buff *skb)
{
	return ks_tc_verdict(uplink_egress(skb, ETH_HLEN));
}

/* Uplinks without a link-layer header (another VPN's TUN, WireGuard, PPP). */
SEC("tc")
int ks_tc_uplink_egress_l3(struct __sk_buff *skb)
{
	return ks_tc_verdict(uplink_egress(skb, 0));
}

/* --- DNS ------------------------------------------------------------------------------ */

/* Answers from an uplink's resolver: learn a domain's addresses before the application
 * reads them, if they answer a query this host sent. Observe only. */
static __always_inline int uplink_ingress(struct __sk_buff *skb, __u32 l2_len)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_udp_at u;
	__u32 l3;
	int family;

	if (ks_l3_locate(skb, l2_len, &l3, &family) != KS_L3_OK)
		return TC_ACT_UNSPEC;
	ks_dns_learn_skb(skb, l3, family, &u, true);
	/* A guest's (container's, VM's) corporate packet, to be forwarded: into the tunnel. */
	return cfg ? ks_tc_verdict(ks_fwd_guest_in(skb, cfg, l3, family)) : TC_ACT_UNSPEC;
}

SEC("tc")
int ks_tc_uplink_ingress(struct __sk_buff *skb)
{
	return uplink_ingress(skb, ETH_HLEN);
}

SEC("tc")
int ks_tc_uplink_ingress_l3(struct __sk_buff *skb)
{
	return uplink_ingress(skb, 0);
}

/* The TUN has no link-layer header; BPF_PROG_TEST_RUN always gives one (tests set 14). */
const volatile __u32 tun_l2_len = 0;

/* Answers from the corporate DNS: learn, and hand a steered query's answer back. */
SEC("tc")
int ks_tc_tun_dns(struct __sk_buff *skb)
{
	struct ks_udp_at u;
	__u32 l3;
	int family;

	if (ks_l3_locate(skb, tun_l2_len, &l3, &family) != KS_L3_OK ||
	    !ks_dns_learn_skb(skb, l3, family, &u, false))
		return TC_ACT_UNSPEC;
	return ks_tc_verdict(ks_dns_unsteer(skb, l3, family, &u));
}

/* --- forwarded traffic (lib/fwd.h) --------------------------------------------------- */

SEC("tc")
int ks_tc_tun_fwd_egress(struct __sk_buff *skb)
{
	struct ks_split_config *cfg = ks_config();
	__u32 l3;
	int family;

	if (!cfg || ks_l3_locate(skb, tun_l2_len, &l3, &family) != KS_L3_OK)
		return TC_ACT_UNSPEC;
	return ks_tc_verdict(ks_fwd_snat(skb, cfg, l3, family));
}

SEC("tc")
int ks_tc_tun_fwd_ingress(struct __sk_buff *skb)
{
	struct ks_split_config *cfg = ks_config();
	__u32 l3;
	int family;

	if (!cfg || ks_l3_locate(skb, tun_l2_len, &l3, &family) != KS_L3_OK)
		return TC_ACT_UNSPEC;
	return ks_tc_verdict(ks_fwd_answer(skb, cfg, l3, family));
}

/* Not attached anywhere: BPF_PROG_TEST_RUN runs it on crafted frames to test the socket
 * hooks' decision (ks_decide*), which cannot be test-run in its own program type. It
 * returns the KS_VERDICT_* for the frame's destination, an IPv6 one read as a socket
 * address would be (IPv4-mapped included). A non-zero skb->mark stands for the caller's
 * cgroup id: its ks_app_policy entry decides first, as in the socket hooks. */
SEC("tc")
int ks_tc_decide_probe(struct __sk_buff *skb)
{
	struct ks_split_config *cfg = ks_config();
	struct ks_app_policy *pol = NULL;
	__u64 cgroup = skb->mark;
	__u32 a[4];

	if (!cfg)
		return -1;
	if (cgroup)
		pol = bpf_map_lookup_elem(&ks_app_policy, &cgroup);
	if (skb->protocol == bpf_htons(ETH_P_IP)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct iphdr, daddr), a, 4))
			return -1;
		return ks_decide_app(cfg, 4, (__u8 *)a, pol);
	}
	if (skb->protocol == bpf_htons(ETH_P_IPV6)) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + offsetof(struct ipv6hdr, daddr), a, 16))
			return -1;
		return ks_decide_sockaddr6(cfg, a, pol);
	}
	return -1;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
