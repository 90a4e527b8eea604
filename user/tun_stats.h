/* SPDX-License-Identifier: GPL-2.0-only */
/* Loads and attaches bpf/tun_stats on the TUN device; pins its map for bpftool. */
#pragma once
#include <stdbool.h>
#include "error.h"
#include "kslice/maps.h"

struct ks_tun_stats_bpf;

struct ks_tun_bpf {
	struct ks_tun_stats_bpf *skel;
	int ifindex;
	bool hooked;
	char pin_dir[256];
};

/* Pins ks_tun_stats in pin_dir (see pin.h). */
int tun_stats_attach(struct ks_tun_bpf *b, const char *pin_dir, const char *ifname, int ifindex,
		     struct ks_error *e);
/* Sum over CPUs, indexed by KS_DIR_*. */
int tun_stats_read(const struct ks_tun_bpf *b, struct ks_tun_stat out[KS_DIR_MAX]);
void tun_stats_detach(struct ks_tun_bpf *b);
