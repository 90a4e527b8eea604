/* SPDX-License-Identifier: GPL-2.0-only */
/* Local LAN access in full tunnel (TunnelCrack "LocalNet", docs/split-tunneling.md): which
 * on-link prefixes may stay off the tunnel. None unless the user asked (--allow-lan) and
 * the gateway allows it, as Cisco's client does (a split-exclude of 0.0.0.0/32 or ::/128);
 * then only the uplinks' own private or link-local subnets that overlap nothing the
 * gateway says is corporate. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include "cstp_params.h"

#define KS_LOCALNET_MAX 64

/* The gateway's permission: X-CSTP-Split-Exclude 0.0.0.0/255.255.255.255 (or ::/128). */
bool localnet_permitted(const struct ks_cstp_params *p);
/* Candidates (each uplink's on-link prefix, skip_ifname's and loopback's aside) that pass
 * the rules above, into out (at most max); the refused ones are logged with why. Returns
 * how many, or -errno. */
int localnet_prefixes(const struct ks_cstp_params *p, const char *skip_ifname,
		      struct ks_prefix *out, size_t max);
