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
	bool mounted_bpffs; /* we mounted /sys/fs/bpf, so we unmount it if we leave it empty */
	char pin_dir[256];
};

/* $KSLICE_PIN_ROOT or CONFIG_PIN_ROOT. */
const char *bpf_pin_root(void);
/* Removes <pin root>/<ifname> left by a kslice that died (the caller made sure none runs). */
void stats_bpf_clear_stale(const char *ifname);
int stats_bpf_attach(struct ks_tun_bpf *b, const char *ifname, int ifindex, struct ks_error *e);
/* Sum over CPUs, indexed by KS_DIR_*. */
int stats_bpf_read(const struct ks_tun_bpf *b, struct ks_tun_stat out[KS_DIR_MAX]);
void stats_bpf_detach(struct ks_tun_bpf *b);
