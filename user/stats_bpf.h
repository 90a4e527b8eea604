/* SPDX-License-Identifier: GPL-2.0-only */
/* Loads and attaches bpf/tun_stats on the TUN device; pins its map for bpftool. */
#pragma once
#include <stdbool.h>
#include "error.h"
#include "kslice/maps.h"

struct ks_tun_stats;

struct ks_tun_bpf {
	struct ks_tun_stats *skel;
	int ifindex;
	bool hooked;
	char pin_dir[256];
};

/* Pins ks_tun_stats in pin_dir (see pin.h). */
int stats_bpf_attach(struct ks_tun_bpf *b, const char *pin_dir, const char *ifname, int ifindex,
		     struct ks_error *e);
/* Sum over CPUs, indexed by KS_DIR_*. */
int stats_bpf_read(const struct ks_tun_bpf *b, struct ks_tun_stat out[KS_DIR_MAX]);
void stats_bpf_detach(struct ks_tun_bpf *b);
