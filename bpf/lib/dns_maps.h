/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The DNS maps. Pinned by name beside the split maps (public ABI: docs/bpftool.md), except
 * the per-CPU parse scratch. Sizes are set by the loader. */
#pragma once
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "kslice/maps.h"

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct ks_domain_key);
	__type(value, struct ks_domain_info);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_domains SEC(".maps");

/* Learned addresses: by the tunnel (the corporate DNS) and by an uplink, apart. */
#define KS_LEARNED_MAP(name, addr_len)                                                            \
	struct {                                                                                  \
		__uint(type, BPF_MAP_TYPE_LRU_HASH);                                              \
		__uint(max_entries, 65536);                                                       \
		__type(key, __u8[addr_len]);                                                      \
		__type(value, struct ks_learned);                                                 \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                              \
	} name SEC(".maps")

KS_LEARNED_MAP(ks_learned4, 4);
KS_LEARNED_MAP(ks_learned6, 16);
KS_LEARNED_MAP(ks_learned4_uplink, 4);
KS_LEARNED_MAP(ks_learned6_uplink, 16);

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ks_dns_query_key);
	__type(value, struct ks_dns_query);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_dns_queries SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ks_dns_nat_key);
	__type(value, struct ks_dns_nat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_dns_nat SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_dns_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_dns_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_dns_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_dns_stats SEC(".maps");
