/* SPDX-License-Identifier: GPL-2.0-only */
/* TUN offloads, the way out: one read of an IFF_VNET_HDR device (a
 * virtio_net_hdr, then an IP packet that may be a 64 KB TCP or UDP
 * super-packet, its checksum left to us) cut into packets the tunnel carries,
 * in place. */
#pragma once
#include <linux/virtio_net.h>
#include <stddef.h>
#include <stdint.h>

#define KS_VNET_HDR_LEN sizeof(struct virtio_net_hdr)
#define KS_GSO_MAX_HDR	256 /* IP + extension headers + TCP, as copied for each segment */

/* Not in Debian 12's headers (kernel 6.2+). */
#ifndef VIRTIO_NET_HDR_GSO_UDP_L4
#define VIRTIO_NET_HDR_GSO_UDP_L4 5
#endif

/* Called once per packet, in order. The packet's bytes and the KS_VNET_HDR_LEN
 * bytes in front of it are the callee's until it returns; after that they are
 * reused. */
typedef int (*ks_segment_fn)(void *ctx, uint8_t *pkt, size_t len);

/* buf holds len bytes: the virtio header, then the packet. Each packet handed
 * to emit is at most mtu bytes with every checksum done. Returns how many
 * packets were emitted, or -EINVAL (a header that does not describe the
 * packet), -EOPNOTSUPP (an offload we did not ask for), -EMSGSIZE (a plain
 * packet over mtu), or what emit returned. */
int gso_split(uint8_t *buf, size_t len, unsigned int mtu, ks_segment_fn emit, void *ctx);

/* Finishes a NEEDS_CSUM checksum: the field at start + offset holds the
 * pseudo-header sum, the sum of bytes from start to the end goes in its place.
 */
int csum_complete(uint8_t *pkt, size_t len, unsigned int start, unsigned int offset);
