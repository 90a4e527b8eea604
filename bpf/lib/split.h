/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The split decision, shared by the socket hooks (which BPF_PROG_TEST_RUN cannot run) and
 * the TC programs (which it can): one inline function, tested through the latter. */
#pragma once
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#include "dns_maps.h"
#include "split_maps.h"
#include "verdict.h"

#define KS_VERDICT_OTHER 0    /* no prefix matched: the normal path */
#define KS_VERDICT_EXCLUDED 1 /* an exclude prefix matched: the normal path, counted */
#define KS_VERDICT_TUNNEL 2   /* corporate, tunnel up: into the tunnel */
#define KS_VERDICT_BLOCKED 3  /* corporate, but no tunnel to carry it: fail closed */

static __always_inline struct ks_split_config *ks_config(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ks_split_config, &zero);
}

static __always_inline void ks_hit(struct ks_prefix_info *pi)
{
	__sync_fetch_and_add(&pi->hits, 1);
}

/* Exclude beats include whatever their lengths; within a set the longest prefix wins
 * (the trie does that). */
static __always_inline int ks_classify4(const __u8 *dst, __u32 *origin)
{
	struct ks_lpm4_key k = { .prefixlen = 32 };
	struct ks_prefix_info *pi;

	*origin = 0;
	__builtin_memcpy(k.addr, dst, 4);
	pi = bpf_map_lookup_elem(&ks_exclude4, &k);
	if (pi) {
		ks_hit(pi);
		return KS_VERDICT_EXCLUDED;
	}
	pi = bpf_map_lookup_elem(&ks_include4, &k);
	if (!pi)
		return KS_VERDICT_OTHER;
	ks_hit(pi);
	*origin = pi->origin;
	return KS_VERDICT_TUNNEL;
}

static __always_inline int ks_classify6(const __u8 *dst, __u32 *origin)
{
	struct ks_lpm6_key k = { .prefixlen = 128 };
	struct ks_prefix_info *pi;

	*origin = 0;
	__builtin_memcpy(k.addr, dst, 16);
	pi = bpf_map_lookup_elem(&ks_exclude6, &k);
	if (pi) {
		ks_hit(pi);
		return KS_VERDICT_EXCLUDED;
	}
	pi = bpf_map_lookup_elem(&ks_include6, &k);
	if (!pi)
		return KS_VERDICT_OTHER;
	ks_hit(pi);
	*origin = pi->origin;
	return KS_VERDICT_TUNNEL;
}

/* An IPv4-mapped IPv6 address (::ffff:a.b.c.d) is the IPv4 address for a dual-stack socket. */
static __always_inline bool ks_v4mapped(const __u32 *a6)
{
	return a6[0] == 0 && a6[1] == 0 && a6[2] == bpf_htonl(0xffff);
}

/* Never routed anywhere, so never corporate, whatever the sets say (a full tunnel's /0
 * would otherwise swallow ARP-less link traffic: NDP, DHCP broadcasts, mDNS):
 * 0/8, 127/8, 169.254/16, 224/4 and above; ::, ::1, fe80::/10, ff00::/8. */
static __always_inline bool ks_local_scope4(const __u8 *a)
{
	return a[0] == 0 || a[0] == 127 || a[0] >= 224 || (a[0] == 169 && a[1] == 254);
}

static __always_inline bool ks_local_scope6(const __u8 *a)
{
	if (a[0] == 0xff || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80))
		return true;
	for (int i = 0; i < 15; i++)
		if (a[i])
			return false;
	return a[15] <= 1;
}

/* Who may be overridden by a learned exclude: only the full tunnel's implied "everything"
 * (KS_ORIGIN_AUTO), never an include the gateway, the user or `route add` named. */
#define KS_ORIGIN_NAMED (KS_ORIGIN_GATEWAY | KS_ORIGIN_USER | KS_ORIGIN_RUNTIME)

static __always_inline struct ks_learned *ks_learned_lookup(int family, const __u8 *dst)
{
	struct ks_learned *l;

	/* What the corporate DNS taught first: it is the one that decides. */
	l = family == 4 ? bpf_map_lookup_elem(&ks_learned4, dst)
			: bpf_map_lookup_elem(&ks_learned6, dst);
	if (l && l->expires_ns >= bpf_ktime_get_boot_ns())
		return l;
	l = family == 4 ? bpf_map_lookup_elem(&ks_learned4_uplink, dst)
			: bpf_map_lookup_elem(&ks_learned6_uplink, dst);
	if (l && l->expires_ns >= bpf_ktime_get_boot_ns())
		return l;
	return NULL;
}

/* An address learned from a domain's DNS answer, while it lasts. Order: a static exclude
 * (already decided), a static include named by someone, a learned exclude, the implied
 * full-tunnel include, a learned include. */
static __always_inline int ks_learned(int family, const __u8 *dst, int v, __u32 origin)
{
	struct ks_learned *l;

	if (v == KS_VERDICT_EXCLUDED || (v == KS_VERDICT_TUNNEL && (origin & KS_ORIGIN_NAMED)))
		return v;
	l = ks_learned_lookup(family, dst);
	if (!l)
		return v;
	if (l->flags & KS_DOMAIN_EXCLUDE) {
		__sync_fetch_and_add(&l->hits, 1);
		return KS_VERDICT_EXCLUDED;
	}
	if (v == KS_VERDICT_OTHER && (l->flags & KS_DOMAIN_TUNNEL)) {
		__sync_fetch_and_add(&l->hits, 1);
		return KS_VERDICT_TUNNEL;
	}
	return v;
}

/* Final verdict for a destination: is it corporate, and can the tunnel carry it now? */
static __always_inline int ks_decide(const struct ks_split_config *cfg, int family,
				     const __u8 *dst)
{
	__u32 origin;
	int v;

	if (family == 4 ? ks_local_scope4(dst) : ks_local_scope6(dst))
		return KS_VERDICT_OTHER;
	if (family == 4) {
		v = ks_classify4(dst, &origin);
		v = ks_learned(4, dst, v, origin);
		if (v == KS_VERDICT_TUNNEL && !(cfg->flags & KS_CFG_HAVE4))
			return KS_VERDICT_BLOCKED;
	} else {
		v = ks_classify6(dst, &origin);
		v = ks_learned(6, dst, v, origin);
		if (v == KS_VERDICT_TUNNEL && !(cfg->flags & KS_CFG_HAVE6))
			return KS_VERDICT_BLOCKED;
	}
	if (v == KS_VERDICT_TUNNEL && cfg->state != KS_STATE_UP)
		return KS_VERDICT_BLOCKED;
	return v;
}

/* One level of the walk below: the deepest cgroup with a policy so far. */
static __always_inline struct ks_app_policy *ks_app_level(struct ks_app_policy *found, __u64 id)
{
	struct ks_app_policy *p = bpf_map_lookup_elem(&ks_app_policy, &id);

	return p ? p : found;
}

/* The policy of the deepest cgroup that has one among the caller's and its ancestors
 * (sockets: the current task; packets: the sending socket's, via ks_app_skb). Level 0,
 * the root, is everyone: never a policy. Nothing to look up while the map is empty. The
 * two differ in the helper alone, which each program type allows one of. */
static __always_inline struct ks_app_policy *ks_app_task(const struct ks_split_config *cfg)
{
	struct ks_app_policy *found = NULL;
	__u64 id;

	for (int l = 1; (cfg->flags & KS_CFG_APPS) && l < KS_CGROUP_MAX_DEPTH; l++) {
		id = bpf_get_current_ancestor_cgroup_id(l);
		if (!id)
			break;
		found = ks_app_level(found, id);
	}
	return found;
}

/* The walk for a packet, by its socket's cgroups: a global function, so the verifier
 * checks it once on its own rather than at every state of the uplink program it is
 * called from. Walked inline, its 31 levels took that program from 190,000 to 845,000
 * instructions verified (0.8 s of every connect, a fifth of the verifier's limit left).
 * Returns the id of the deepest cgroup with a policy, or 0. */
__attribute__((noinline)) __u64 ks_app_skb_cgroup(struct __sk_buff *skb)
{
	__u64 found = 0, id;

	for (int l = 1; l < KS_CGROUP_MAX_DEPTH; l++) {
		id = bpf_skb_ancestor_cgroup_id(skb, l); /* 0: no local socket */
		if (!id)
			break;
		if (bpf_map_lookup_elem(&ks_app_policy, &id))
			found = id;
	}
	return found;
}

static __always_inline struct ks_app_policy *ks_app_skb(struct __sk_buff *skb,
							 const struct ks_split_config *cfg)
{
	__u64 id;

	if (!(cfg->flags & KS_CFG_APPS))
		return NULL;
	id = ks_app_skb_cgroup(skb);
	return id ? bpf_map_lookup_elem(&ks_app_policy, &id) : NULL;
}

/* The decision for a destination, a cgroup's policy first: `tunnel` takes everything but
 * local scope (blocked while it cannot be carried); `direct` never goes through, and what
 * is corporate stays blocked for it rather than leaking; `split` (or none) as usual. */
static __always_inline int ks_decide_app(const struct ks_split_config *cfg, int family,
					 const __u8 *dst, struct ks_app_policy *pol)
{
	int v;

	if (!pol || pol->via == KS_VIA_SPLIT)
		return ks_decide(cfg, family, dst);
	if (family == 4 ? ks_local_scope4(dst) : ks_local_scope6(dst))
		return KS_VERDICT_OTHER;
	__sync_fetch_and_add(&pol->hits, 1);
	if (pol->via == KS_VIA_TUNNEL) {
		v = KS_VERDICT_TUNNEL;
		if (cfg->state != KS_STATE_UP ||
		    !(cfg->flags & (family == 4 ? KS_CFG_HAVE4 : KS_CFG_HAVE6)))
			v = KS_VERDICT_BLOCKED;
	} else {
		v = ks_decide(cfg, family, dst);
		if (v == KS_VERDICT_TUNNEL)
			v = KS_VERDICT_BLOCKED;
	}
	ks_count(v == KS_VERDICT_TUNNEL ? KS_STAT_APP_TUNNEL :
		 v == KS_VERDICT_BLOCKED ? KS_STAT_APP_BLOCKED : KS_STAT_APP_DIRECT);
	return v;
}

/* A tunnel-only cgroup's packet to dst: nothing of it but local scope may leave by an
 * uplink. Not a decision (no hit counted): the uplink filter's leak check. */
static __always_inline bool ks_app_tunnel_only(const struct ks_app_policy *pol, int family,
					       const __u8 *dst)
{
	return pol && pol->via == KS_VIA_TUNNEL &&
	       !(family == 4 ? ks_local_scope4(dst) : ks_local_scope6(dst));
}

/* What a socket hook decides for an IPv6 socket address: an IPv4-mapped one is decided as
 * IPv4 (dual-stack sockets), the rest as IPv6. */
static __always_inline int ks_decide_sockaddr6(const struct ks_split_config *cfg, const __u32 *a6,
					       struct ks_app_policy *pol)
{
	if (ks_v4mapped(a6))
		return ks_decide_app(cfg, 4, (const __u8 *)&a6[3], pol);
	return ks_decide_app(cfg, 6, (const __u8 *)a6, pol);
}
