/* SPDX-License-Identifier: GPL-2.0-only */
/* The TUN device: created non-persistent, so it disappears with the process. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include "cstp_params.h"
#include "error.h"

struct ks_tun {
	int fd;
	int ifindex;
	char name[IFNAMSIZ];
	bool vnet;		/* every read and write starts with a virtio_net_hdr */
	unsigned int offloads;	/* TUN_F_* the kernel accepted */
};

/* offload: ask for IFF_VNET_HDR with checksum, TSO and (kernel 6.2+) USO offloads, so the
 * stack hands over 64 KB super-packets; falls back to plain packets if refused. */
int tun_open(struct ks_tun *t, const char *name, bool offload, struct ks_error *e);
/* Address(es) as /32 and /128 (no prefix routes: routing is not ours to change), MTU, up. */
int tun_configure(struct ks_tun *t, const struct ks_cstp_params *p, struct ks_error *e);
void tun_close(struct ks_tun *t);
/* The monitor's close: the device goes even if a subverted worker made it persistent. */
void tun_delete(struct ks_tun *t);
/* "csum,tso4,tso6,tso_ecn,uso4,uso6" for the accepted offloads, "" for none. */
const char *tun_offload_names(const struct ks_tun *t, char *buf, size_t size);
