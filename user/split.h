/* SPDX-License-Identifier: GPL-2.0-only */
/* Split tunneling: owns bpf/split's skeleton, its maps (pinned), the cgroup hooks, the
 * uplink kill switch and the fixed routing policy. Runtime changes are map updates. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "app.h"
#include "guest.h"
#include "cstp_params.h"
#include "dns.h"
#include "error.h"
#include "kslice/maps.h"
#include "policy.h"
#include "uplink.h"

struct ks_split_bpf;
struct bpf_link;

/* The mark of kslice's own sockets to the gateway (ks_split_config.own_mark): the bit next
 * to the tunnel's, which the fixed rules do not match, so they take the main table. */
static inline uint32_t split_own_mark(uint32_t mark)
{
	return mark & 0x80000000u ? mark >> 1 : mark << 1;
}

enum ks_split_hook { KS_HOOK_CONNECT4, KS_HOOK_CONNECT6, KS_HOOK_SENDMSG4, KS_HOOK_SENDMSG6,
		     KS_HOOK_RECVMSG4, KS_HOOK_RECVMSG6, KS_HOOK_GETPEERNAME4,
		     KS_HOOK_GETPEERNAME6, KS_HOOK_MAX };

/* The BPF object, loaded (verified) but not pinned or attached: loading takes a few
 * hundred ms of verifier time, so it runs while the gateway authenticates. The object is
 * loaded in parts, each an instance of the skeleton over the same maps: the tc programs'
 * parts verify at once on two cores (the kernel verifies a privileged load without a
 * global lock), and the rarely needed L3 uplink programs come last. */
#define KS_SPLIT_MAX_MAPS 64
enum ks_split_part {
	KS_PART_EGRESS, /* the uplinks' egress filter (Ethernet), forwarded traffic's NAT */
	KS_PART_INGRESS, /* the uplinks' ingress (Ethernet) and the TUN's DNS learners */
	KS_PART_L3, /* the uplink programs for links without Ethernet (wireguard, ppp) */
	KS_PART_MAX
};
struct ks_split_preload {
	struct ks_split_bpf *skel; /* the maps and the cgroup hooks */
	struct ks_split_bpf *part[KS_PART_MAX]; /* the tc programs, over skel's maps */
	uint64_t pinned;	  /* bit i: the i-th map is pinned by name */
	int map_fds[KS_SPLIT_MAX_MAPS]; /* dups of skel's maps, for the parts */
	int n_maps;
};

/* The maps and the cgroup hooks, first: the parts load over these maps. */
int split_preload(struct ks_split_preload *pl, uint32_t max_prefixes, struct ks_error *e);
/* One part; the parts may load at the same time, each on a thread of its own. */
int split_preload_part(struct ks_split_preload *pl, enum ks_split_part part, struct ks_error *e);
void split_preload_free(struct ks_split_preload *pl);

struct ks_split_setup {
	struct ks_split_preload *preload; /* split_start takes its object */
	/* Waits for the KS_PART_L3 load and hands it over: at the first L3 uplink. */
	struct ks_split_bpf *(*wait_l3)(void *ctx);
	void *wait_l3_ctx;
	const char *pin_dir;
	const char *tun_name;
	int tun_ifindex;
	const struct ks_cstp_params *params;
	const struct ks_prefix *user_include, *user_exclude;
	size_t n_user_include, n_user_exclude;
	uint32_t mark, table, pref;
	bool split_only; /* no "everything" default when the gateway pushes no include */
	bool allow_lan; /* full tunnel: local networks off it, if the gateway allows (localnet.h) */
	/* A predecessor's kill switch was in force: if we fail once ours has replaced it,
	 * ours stays (tunnel down, so fail closed) instead of going (split_abandon). */
	bool keep_on_failure;
	struct ks_dns_opts dns;
	/* forwarded traffic (guest.h) */
	const char (*forward_from)[IFNAMSIZ];
	int n_forward_from;
	bool no_forward;
	const char *gateway_ip;
};

struct ks_split_state {
	struct ks_split_bpf *skel; /* maps and cgroup hooks */
	struct ks_split_bpf *skel_egress, *skel_ingress; /* the tc programs (split_preload_part) */
	struct ks_split_bpf *skel_l3;
	struct ks_split_bpf *(*wait_l3)(void *ctx);
	void *wait_l3_ctx;
	struct bpf_link *links[KS_HOOK_MAX];
	struct ks_policy policy;
	bool policy_installed;
	struct ks_uplinks uplinks;
	struct ks_split_config cfg;
	bool full_tunnel;
	bool started;
	bool keep_on_failure;
	struct ks_dns dns;
	struct ks_apps apps; /* per-cgroup policy (app.h) */
	struct ks_guests guests; /* forwarded traffic (guest.h) */
};

/* Loads, fills the maps, installs the policy, attaches uplinks and cgroup hooks, and sets
 * the state UP. On failure everything done so far is undone. */
int split_start(struct ks_split_state *sp, const struct ks_split_setup *su, struct ks_error *e);
/* sp->cfg into ks_split_config. */
int split_config_update(struct ks_split_state *sp);
/* UP: corp traffic flows through the tunnel. DOWN (reconnecting): it fails closed. */
void split_set_state(struct ks_split_state *sp, bool up);
/* Adds or removes a prefix in the live set. -ENOENT: not there; -E2BIG: map full. */
int split_prefix_add(struct ks_split_state *sp, const struct ks_prefix *p, bool exclude,
		     uint32_t origin);
int split_prefix_del(struct ks_split_state *sp, const struct ks_prefix *p, bool exclude);
/* Calls fn for every prefix of a set (both families), with its info. */
typedef void (*ks_prefix_fn)(void *arg, const struct ks_prefix *p, const struct ks_prefix_info *pi);
int split_prefix_walk(const struct ks_split_state *sp, bool exclude, ks_prefix_fn fn, void *arg);
int split_stats(const struct ks_split_state *sp, struct ks_split_stats *sum);
/* Hotplug: cover uplinks that appeared since the last call. */
void split_tick(struct ks_split_state *sp);
void split_stop(struct ks_split_state *sp);
/* Ends, but leaves the uplink filters, rules and pins in force with the tunnel down: what
 * a killed kslice would have left (--kill-switch), for `kslice cleanup`, `kslice
 * disconnect` or the next connect to lift. */
void split_keep_closed(struct ks_split_state *sp);

/* $RUN_DIR/<ifname>.uplinks */
void split_uplink_state_path(const char *ifname, char *out, size_t len);
