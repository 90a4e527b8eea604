/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* The split-tunneling maps. Pinned by name under <pin root>/<interface>/: public ABI,
 * documented in docs/bpftool.md. Sizes are set by the loader (bpf_map__set_max_entries). */
#pragma once
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "kslice/maps.h"

#define KS_LPM_MAP(name, keytype)                                                                 \
	struct {                                                                                  \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);                                              \
		__uint(max_entries, 65536);                                                       \
		__uint(map_flags, BPF_F_NO_PREALLOC);                                             \
		__type(key, keytype);                                                             \
		__type(value, struct ks_prefix_info);                                             \
		__uint(pinning, LIBBPF_PIN_BY_NAME);                                              \
	} name SEC(".maps")

KS_LPM_MAP(ks_include4, struct ks_lpm4_key);
KS_LPM_MAP(ks_exclude4, struct ks_lpm4_key);
KS_LPM_MAP(ks_include6, struct ks_lpm6_key);
KS_LPM_MAP(ks_exclude6, struct ks_lpm6_key);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_split_config);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_split_config SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_APP_MAX);
	__type(key, __u64);
	__type(value, struct ks_app_policy);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_app_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, KS_GUEST_MAX);
	__type(key, __u32);
	__type(value, struct ks_guest);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_guests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_FWD_MAX);
	__type(key, struct ks_fwd_out_key);
	__type(value, struct ks_fwd_nat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_fwd_out SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, KS_FWD_MAX);
	__type(key, struct ks_fwd_in_key);
	__type(value, struct ks_fwd_guest);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_fwd_in SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct ks_app_dns);
} ks_app_dns SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_split_stats);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_split_stats SEC(".maps");
