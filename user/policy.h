/* SPDX-License-Identifier: GPL-2.0-only */
/* The fixed routing policy of a tunnel (docs/design.md, "Split tunneling"): one table holding
 * `default dev <tun>`, and per family three rules that never change with the split list:
 *   PREF    fwmark M/M lookup T      corp sockets (marked at connect by BPF)
 *   PREF+1  from <tun addr> lookup T unconnected UDP sourced by BPF; strict rp_filter
 *   PREF+2  fwmark M/M unreachable   fail closed once the TUN (and T's route) is gone */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>
#include "error.h"

struct ks_policy {
	uint32_t mark;
	uint32_t table;
	uint32_t pref;
	int ifindex;
	bool have4, have6;
	struct in_addr addr4;
	struct in6_addr addr6;
};

int policy_install(const struct ks_policy *p, struct ks_error *e);
/* Deletes the rules at PREF..PREF+2 of both families (the routes die with the device).
 * Returns how many rules it removed. Also what reconciles a SIGKILLed predecessor. */
int policy_remove(const struct ks_policy *p);
/* How many rules sit at PREF..PREF+2 now (either family), or -errno. */
int policy_count(uint32_t pref);
