/* SPDX-License-Identifier: GPL-2.0-only */
/* Forwarded traffic: which interfaces have guests behind them (containers, VMs) whose
 * corporate packets kslice carries (bpf/lib/fwd.h), kept in ks_guests and rescanned every
 * second. Detected: bridges, and veths that are no bridge's port, that are not uplinks (no
 * default route and no route to the gateway by them); --forward-from names them instead,
 * --no-forward turns it off (their corporate packets stay blocked by the kill switch). */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "json.h"
#include "buf.h"

#define KS_FORWARD_FROM_MAX 16
#define KS_GUEST_PRIO 3 /* on the TUN, after tun_stats (1) and the DNS learner (2) */

struct ks_guest_setup {
	const char (*from)[IFNAMSIZ]; /* --forward-from; none: detect */
	int n_from;
	bool off;		/* --no-forward */
	const char *gateway_ip; /* its uplink is no guest's; read at each sync (it may change) */
	int tun_ifindex;
	const char *tun_name;
	int map_fd;		/* ks_guests */
	int prog_egress_fd, prog_ingress_fd; /* for the TUN */
};

struct ks_guest_if {
	int ifindex;
	int net;	/* the guest interface whose network it is on (itself, or its bridge) */
	uint32_t flags; /* KS_GUEST_WAY_IN or KS_GUEST_PORT (kslice/maps.h) */
	char name[IFNAMSIZ];
};

struct ks_guests {
	struct ks_guest_setup su;
	char from[KS_FORWARD_FROM_MAX][IFNAMSIZ];
	uint8_t gw[16];
	int gw_family; /* 0: unknown */
	struct ks_guest_if *v;
	int n;
	bool tun_attached;
	bool changed; /* since the last guests_changed() */
};

/* Attaches the NAT to the TUN and finds the guests' interfaces. */
int guests_start(struct ks_guests *g, const struct ks_guest_setup *su, struct ks_error *e);
/* Rescans (interfaces come and go with containers); true when the set changed. */
bool guests_sync(struct ks_guests *g);
void guests_stop(struct ks_guests *g);
void guests_report_json(const struct ks_guests *g, struct ks_json *j);
void guests_report_text(const struct ks_guests *g, struct ks_buf *out);
