/* SPDX-License-Identifier: GPL-2.0-only */
/* The kill switch on every uplink: a TC egress filter (bpf/split.bpf.c) on each interface
 * of the namespace but loopback and our TUN, and beside it on ingress the DNS learner. Attached through netlink, so it outlives a
 * SIGKILLed daemon on purpose (docs/design.md, "What survives a crash"); reconciled by the next start or `cleanup`. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct ks_uplink {
	int ifindex;
	char name[IFNAMSIZ];
	bool created_clsact; /* the qdisc is ours to remove once our filter is gone */
	bool l3;	     /* no link-layer header */
};

struct ks_uplinks {
	struct ks_uplink *dev; /* grown as interfaces appear: every one is covered */
	int n, cap;
	int *failed; /* ifindexes that refused the filter: said once, retried each sync */
	int n_failed, failed_cap;
	uint32_t handle; /* filter handle: the tunnel's table number, unique per instance */
	int prog_l2_fd, prog_l3_fd;	  /* egress: the kill switch */
	int prog_in_l2_fd, prog_in_l3_fd; /* ingress: the DNS learner (0: none) */
	int skip_ifindex; /* our TUN */
	int (*need_l3)(void *ctx); /* fills prog_l3_fd (and prog_in_l3_fd) when still 0 */
	void *need_l3_ctx;
	char state_path[128]; /* $RUN_DIR/<if>.uplinks: qdiscs we created, for after a crash */
};

/* Attaches to interfaces not yet covered (and retries those that failed) and forgets
 * vanished ones; returns how many are newly covered, or the first -errno of an interface
 * left uncovered (said loudly once; at start that ends the connect). Safe to call often
 * (the daemon does every second, for hotplug). */
int uplinks_sync(struct ks_uplinks *u);
/* Removes our filters (and the qdiscs we created, if no other filter uses them). */
void uplinks_detach(struct ks_uplinks *u);
/* Frees the tables (after detach, or when the filters are left in force). */
void uplinks_free(struct ks_uplinks *u);
/* Finds filters at `handle` running a ks_tc_uplink program on any interface of this
 * namespace (a SIGKILLed kslice's), and removes them unless dry_run. Also removes the
 * qdiscs that state_path says the dead daemon created. Returns how many it found. */
int uplinks_reconcile(uint32_t handle, const char *state_path, bool dry_run, char *names,
		      size_t names_len);
