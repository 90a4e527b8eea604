/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Where the IP header is and which family, read from the frame itself: skb->protocol is
 * what the sender claimed (an AF_PACKET socket picks it), the ethertype is what the wire
 * and the next hop see. And the one IPv6 extension-header walker. */
#pragma once
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ipv6.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define KS_VLAN_TAGS_MAX 2 /* 802.1Q, and 802.1ad (QinQ) outside it */
#define KS_IP6_EXT_MAX 8   /* extension headers walked before giving up */
#define KS_ETH_P_8021Q 0x8100
#define KS_ETH_P_8021AD 0x88A8
#define KS_ETH_P_QINQ1 0x9100 /* pre-standard QinQ, still sent by some switches */

enum { KS_L3_OK, KS_L3_NOT_IP, KS_L3_VLAN_DEPTH, KS_L3_MALFORMED };

/* l2_len 0: the device has no link-layer header (the version nibble tells); 14: Ethernet,
 * with up to KS_VLAN_TAGS_MAX tags in the frame. Sets *l3 and *family (4 or 6). */
static __always_inline int ks_l3_locate(struct __sk_buff *skb, __u32 l2_len, __u32 *l3,
					int *family)
{
	__be16 proto;
	__u8 first;

	if (!l2_len) {
		if (bpf_skb_load_bytes(skb, 0, &first, 1))
			return KS_L3_MALFORMED;
		*l3 = 0;
		*family = first >> 4;
		return *family == 4 || *family == 6 ? KS_L3_OK : KS_L3_NOT_IP;
	}
	if (bpf_skb_load_bytes(skb, 12, &proto, 2))
		return KS_L3_MALFORMED;
	*l3 = ETH_HLEN;
#pragma unroll
	for (int i = 0; i <= KS_VLAN_TAGS_MAX; i++) {
		if (proto != bpf_htons(KS_ETH_P_8021Q) && proto != bpf_htons(KS_ETH_P_8021AD) &&
		    proto != bpf_htons(KS_ETH_P_QINQ1))
			break;
		if (i == KS_VLAN_TAGS_MAX)
			return KS_L3_VLAN_DEPTH;
		/* tag: TCI (2 bytes), then the next ethertype */
		if (bpf_skb_load_bytes(skb, *l3 + 2, &proto, 2))
			return KS_L3_MALFORMED;
		*l3 += 4;
	}
	if (proto == bpf_htons(ETH_P_IP))
		*family = 4;
	else if (proto == bpf_htons(ETH_P_IPV6))
		*family = 6;
	else
		return KS_L3_NOT_IP;
	return KS_L3_OK;
}

/* Fragment state of an IPv6 packet, from its Fragment header. */
enum { KS_FRAG_NONE, KS_FRAG_FIRST, KS_FRAG_LATER };

/* From the fixed header at l3 (next header nh) past the extension headers: *proto is the
 * upper-layer protocol at *l4; *frag tells if it is a fragment (a later one carries no
 * upper-layer header). 0, or -1 when a header is cut short or there are too many. */
static __always_inline int ks_ip6_walk(struct __sk_buff *skb, __u32 l3, __u8 nh, __u8 *proto,
				       __u32 *l4, int *frag)
{
	__u32 off = l3 + sizeof(struct ipv6hdr);
	__u8 hdr[4];

	*frag = KS_FRAG_NONE;
	*proto = 0; /* defined on every path: the verifier reads what the compiler merges */
	*l4 = 0;
#pragma unroll
	for (int i = 0; i <= KS_IP6_EXT_MAX; i++) {
		if (nh != IPPROTO_HOPOPTS && nh != IPPROTO_ROUTING && nh != IPPROTO_DSTOPTS &&
		    nh != IPPROTO_FRAGMENT && nh != IPPROTO_AH) {
			*proto = nh;
			*l4 = off;
			return 0;
		}
		if (i == KS_IP6_EXT_MAX || bpf_skb_load_bytes(skb, off, hdr, sizeof(hdr)))
			return -1;
		if (nh == IPPROTO_FRAGMENT) {
			*frag = ((__u16)hdr[2] << 8 | hdr[3]) & 0xfff8 ? KS_FRAG_LATER : KS_FRAG_FIRST;
			off += 8;
		} else if (nh == IPPROTO_AH) {
			off += ((__u32)hdr[1] + 2) * 4;
		} else {
			off += ((__u32)hdr[1] + 1) * 8;
		}
		nh = hdr[0];
	}
	return -1;
}
