/* SPDX-License-Identifier: GPL-2.0-only */
/* An IPv4 or IPv6 prefix: parsed from every source (the gateway's split lists, the command
 * line, `kslice route`), printed, compared. */
#pragma once
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ks_prefix {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t len;
	uint8_t addr[16];
};

/* "10.0.0.0/255.0.0.0", "10.0.0.0/8", "fd00::/64", or a bare host address (/32, /128).
 * Host bits must be clear. 0 or -EINVAL. */
int prefix_parse(const char *s, struct ks_prefix *out);
const char *prefix_str(const struct ks_prefix *p, char *buf, size_t len);
/* The length of a contiguous netmask (255.255.0.0: 16), or -1. */
int prefix_mask_len(const struct in_addr *m);
/* The prefix of addr under mask (bytes: 4 or 16), host bits cleared; -EINVAL if the mask
 * is not contiguous. */
int prefix_from_mask(int family, const uint8_t *addr, const uint8_t *mask, struct ks_prefix *out);
/* a covers b: same family, a no longer, and b's first a->len bits are a's. */
bool prefix_contains(const struct ks_prefix *a, const struct ks_prefix *b);
/* Either covers the other (two prefixes overlap only that way). */
bool prefix_overlaps(const struct ks_prefix *a, const struct ks_prefix *b);
/* Inside the private or link-local ranges (10/8, 172.16/12, 192.168/16, 169.254/16;
 * fc00::/7, fe80::/10): what a local network may be made of. */
bool prefix_is_private(const struct ks_prefix *p);
