/* SPDX-License-Identifier: GPL-2.0-only */
/* Crafted packets for BPF_PROG_TEST_RUN, which always hands tc programs an Ethernet frame
 * (programs meant for the TUN device are loaded with l2_len = ETH_HLEN for it). */
#pragma once
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>
#include <bpf/bpf_endian.h>

struct pkt_v4 {
	struct ethhdr eth;
	struct iphdr ip;
	struct udphdr udp;
	__u8 payload[8];
} __attribute__((packed));

struct pkt_v6 {
	struct ethhdr eth;
	struct ipv6hdr ip6;
	struct udphdr udp;
	__u8 payload[8];
} __attribute__((packed));

static inline struct pkt_v4 pkt_v4_udp(void)
{
	struct pkt_v4 p = {
		.eth.h_proto = __bpf_constant_htons(ETH_P_IP),
		.ip = { .version = 4, .ihl = 5, .ttl = 64, .protocol = 17,
			.tot_len = __bpf_constant_htons(sizeof(struct iphdr) + 16),
			.saddr = __bpf_constant_htonl(0x0a4d0032), .daddr = __bpf_constant_htonl(0x0a4e000a) },
		.udp = { .source = __bpf_constant_htons(5000), .dest = __bpf_constant_htons(53),
			 .len = __bpf_constant_htons(16) },
	};
	return p;
}

static inline struct pkt_v6 pkt_v6_udp(void)
{
	struct pkt_v6 p = {
		.eth.h_proto = __bpf_constant_htons(ETH_P_IPV6),
		.ip6 = { .version = 6, .nexthdr = 17, .hop_limit = 64,
			 .payload_len = __bpf_constant_htons(16) },
		.udp = { .len = __bpf_constant_htons(16) },
	};
	p.ip6.saddr.s6_addr[0] = 0xfd;
	p.ip6.daddr.s6_addr[0] = 0xfd;
	return p;
}
