/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Reasons to actions, cilium style: a helper returns the reason for what it did (and, to
 * redirect, has called bpf_redirect()); only a program's entry point counts the reason and
 * turns it into a TC action, from the one table in kslice/stats.h. */
#pragma once
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "dns_maps.h"
#include "split_maps.h"

static const __u8 ks_split_actions[KS_STAT_MAX] = { KS_SPLIT_STATS(KS_STAT_ACTION_) };
static const __u8 ks_dns_actions[KS_DNS_STAT_MAX] = { KS_DNS_STATS(KS_STAT_ACTION_) };

static __always_inline void ks_count(__u32 reason)
{
	__u32 zero = 0;
	struct ks_split_stats *st = bpf_map_lookup_elem(&ks_split_stats, &zero);

	if (st && reason < KS_STAT_MAX)
		((__u64 *)st)[reason]++;
}

static __always_inline void ks_dns_count(__u32 reason)
{
	__u32 zero = 0;
	struct ks_dns_stats *st = bpf_map_lookup_elem(&ks_dns_stats, &zero);

	if (st && reason < KS_DNS_STAT_MAX)
		((__u64 *)st)[reason]++;
}

/* KS_ACT_* of a reason (split or KS_DNS_REASON), counting it; KS_REASON_NONE passes. */
static __always_inline int ks_reason_action(int reason)
{
	__u32 r;

	if (reason == KS_REASON_NONE)
		return KS_ACT_PASS;
	if (reason < 0)
		return KS_ACT_DROP; /* not a reason: a bug, fail closed */
	if (reason < KS_REASON_DNS) {
		r = (__u32)reason;
		if (r >= KS_STAT_MAX)
			return KS_ACT_DROP; /* a reason without a name: a bug, fail closed */
		ks_count(r);
		return ks_split_actions[r];
	}
	r = (__u32)(reason - KS_REASON_DNS);
	if (r >= KS_DNS_STAT_MAX)
		return KS_ACT_DROP;
	ks_dns_count(r);
	return ks_dns_actions[r];
}

/* The TC action for a reason: only entry points call this. */
static __always_inline int ks_tc_verdict(int reason)
{
	switch (ks_reason_action(reason)) {
	case KS_ACT_DROP:
		return TC_ACT_SHOT;
	case KS_ACT_REDIRECT:
		return TC_ACT_REDIRECT;
	default:
		return TC_ACT_UNSPEC; /* not ours to judge: the next filter has its say */
	}
}
