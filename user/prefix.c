// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "prefix.h"

const char *prefix_str(const struct ks_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	inet_ntop(p->family, p->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, p->len);
	return buf;
}

int prefix_mask_len(const struct in_addr *m)
{
	uint32_t v = ntohl(m->s_addr);
	int n = __builtin_popcount(v);

	/* Contiguous ones only: 255.0.255.0 is not a netmask. */
	if (n && n < 32 && (v << n) != 0)
		return -1;
	return n;
}

/* 0..max in decimal, at most three digits, nothing else. */
static int parse_len(const char *s, int max)
{
	int v = 0;

	if (!*s || strlen(s) > 3)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v <= max ? v : -1;
}

static bool host_bits_clear(const struct ks_prefix *p)
{
	for (int bit = p->len; bit < (p->family == AF_INET ? 32 : 128); bit++)
		if (p->addr[bit / 8] & (0x80 >> (bit % 8)))
			return false;
	return true;
}

int prefix_parse(const char *s, struct ks_prefix *out)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t n = strlen(s);
	int len;

	memset(out, 0, sizeof(*out));
	if (n == 0 || n >= sizeof(addr) + 16)
		return -EINVAL;
	slash = strchr(s, '/');
	n = slash ? (size_t)(slash - s) : n;
	if (n >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, n);
	addr[n] = 0;
	if (inet_pton(AF_INET, addr, out->addr) == 1) {
		out->family = AF_INET;
		len = 32;
		if (slash && strchr(slash + 1, '.')) {
			struct in_addr m;

			if (inet_pton(AF_INET, slash + 1, &m) != 1 || (len = prefix_mask_len(&m)) < 0)
				return -EINVAL;
		} else if (slash && (len = parse_len(slash + 1, 32)) < 0) {
			return -EINVAL;
		}
	} else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
		out->family = AF_INET6;
		len = 128;
		if (slash && (len = parse_len(slash + 1, 128)) < 0)
			return -EINVAL;
	} else {
		return -EINVAL;
	}
	out->len = (uint8_t)len;
	/* Host bits set: the entry would mean something its author did not say. */
	return host_bits_clear(out) ? 0 : -EINVAL;
}

int prefix_from_mask(int family, const uint8_t *addr, const uint8_t *mask, struct ks_prefix *out)
{
	int bytes = family == AF_INET ? 4 : 16, len = 0;
	bool ended = false;

	memset(out, 0, sizeof(*out));
	out->family = (uint8_t)family;
	for (int i = 0; i < bytes; i++) {
		for (int b = 7; b >= 0; b--) {
			bool one = mask[i] >> b & 1;

			if (one && ended)
				return -EINVAL;
			ended |= !one;
			len += one;
		}
		out->addr[i] = addr[i] & mask[i];
	}
	out->len = (uint8_t)len;
	return 0;
}

bool prefix_contains(const struct ks_prefix *a, const struct ks_prefix *b)
{
	int full = a->len / 8, rest = a->len % 8;

	if (a->family != b->family || a->len > b->len)
		return false;
	if (memcmp(a->addr, b->addr, (size_t)full))
		return false;
	return !rest || ((a->addr[full] ^ b->addr[full]) & (0xff00 >> rest) & 0xff) == 0;
}

bool prefix_overlaps(const struct ks_prefix *a, const struct ks_prefix *b)
{
	return prefix_contains(a, b) || prefix_contains(b, a);
}

bool prefix_is_private(const struct ks_prefix *p)
{
	static const char *const ranges[] = { "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
					      "169.254.0.0/16", "fc00::/7", "fe80::/10" };
	struct ks_prefix r;

	for (size_t i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++)
		if (!prefix_parse(ranges[i], &r) && prefix_contains(&r, p))
			return true;
	return false;
}
