/* SPDX-License-Identifier: GPL-2.0-only */
/* bpf/split.bpf.c loaded for BPF_PROG_TEST_RUN (tests/bpf/test_split.c, test_dns.c): maps
 * unpinned, one-shot runs with the output frame kept, and the Internet checksum. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <bpf/libbpf.h>

#include "split.skel.h"

extern unsigned char split_out[9000]; /* the frame as the program left it */
extern __u32 split_out_len;

/* Opened, not loaded: maps unpinned, the TUN's DNS program told its test frames carry
 * Ethernet. NULL when it could not be (reported). */
struct ks_split_bpf *split_test_open(void);
/* Opened and loaded; NULL when it could not be (skipped without root, or failed: both
 * reported). The TUN's DNS program is told its test frames carry Ethernet. */
struct ks_split_bpf *split_test_load(void);
/* "10.0.0.0/8" or "fd00::/8" into the include or exclude trie (origin: user). */
int split_add_prefix(struct ks_split_bpf *skel, const char *cidr, bool exclude);
/* The daemon's config: tunnel 10.77.0.50 / fd77:77::50 on ifindex 1, mark 0x400000. */
void split_set_config(struct ks_split_bpf *skel, __u32 state, __u32 flags);
/* ks_split_stats summed over the CPUs. */
struct ks_split_stats split_test_stats(struct ks_split_bpf *skel);
struct ks_dns_stats split_test_dns_stats(struct ks_split_bpf *skel);
/* Sums, by KS_ACT_* (kslice/stats.h), the reasons counted between two snapshots: what
 * the programs said they did, to compare with what they returned. */
void split_test_actions(const struct ks_split_stats *s0, const struct ks_split_stats *s1,
			const struct ks_dns_stats *d0, const struct ks_dns_stats *d1, __u64 acts[3]);
/* Ethernet + IPv4 header with a valid header checksum, l4_len zero bytes after it;
 * returns the frame's length (the L3 header at 14). */
size_t split_frame4(unsigned char *f, const char *src, const char *dst, int proto,
		    __u16 frag_off, size_t l4_len);
/* One run of prog on data: its return value, or a negative errno from the kernel. */
int split_run(const struct bpf_program *prog, const void *data, size_t len);

/* One's-complement sum of big-endian 16-bit words, and its fold. */
