// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>

#include "ks_test.h"
#include "ref_csum.h"
#include "split_prog.h"
#include "kslice/maps.h"

unsigned char split_out[9000];
__u32 split_out_len;

struct ks_split_bpf *split_test_open(void)
{
	struct ks_split_bpf *skel = ks_split_bpf__open();
	struct bpf_map *m;

	if (!ASSERT_OK_PTR(skel, "open"))
		return NULL;
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	skel->rodata->tun_l2_len = 14;
	return skel;
}

struct ks_split_bpf *split_test_load(void)
{
	struct ks_split_bpf *skel = split_test_open();
	int err;

	if (!skel)
		return NULL;
	err = ks_split_bpf__load(skel);
	if (err == -EPERM)
		test__skip("bpf() needs root");
	else
		ASSERT_OK(err, "load (verifier accepts every program)");
	if (err) {
		ks_split_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

int split_add_prefix(struct ks_split_bpf *skel, const char *cidr, bool exclude)
{
	struct ks_prefix_info pi = { .origin = KS_ORIGIN_USER };
	char a[64], *slash;
	int len;

	snprintf(a, sizeof(a), "%s", cidr);
	slash = strchr(a, '/');
	if (!slash)
		return -EINVAL;
	*slash = 0;
	len = atoi(slash + 1);
	if (strchr(a, ':')) {
		struct ks_lpm6_key k = { .prefixlen = (__u32)len };

		inet_pton(AF_INET6, a, k.addr);
		return bpf_map__update_elem(exclude ? skel->maps.ks_exclude6 : skel->maps.ks_include6,
					    &k, sizeof(k), &pi, sizeof(pi), 0);
	}
	struct ks_lpm4_key k = { .prefixlen = (__u32)len };

	inet_pton(AF_INET, a, k.addr);
	return bpf_map__update_elem(exclude ? skel->maps.ks_exclude4 : skel->maps.ks_include4, &k,
				    sizeof(k), &pi, sizeof(pi), 0);
}

void split_set_config(struct ks_split_bpf *skel, __u32 state, __u32 flags)
{
	struct ks_split_config c = { .netns_cookie = 1, .tun_ifindex = 1, .mark = 0x400000,
				     .state = state, .flags = flags };
	__u32 zero = 0;

	inet_pton(AF_INET, "10.77.0.50", c.addr4);
	inet_pton(AF_INET6, "fd77:77::50", c.addr6);
	bpf_map__update_elem(skel->maps.ks_split_config, &zero, 4, &c, sizeof(c), 0);
}

/* A per-CPU array of one struct of n counters, summed over the CPUs into sum. */
static void sum_percpu(struct bpf_map *map, __u64 *sum, int n)
{
	int ncpu = libbpf_num_possible_cpus();
	__u64 per[ncpu * n];
	__u32 zero = 0;

	memset(sum, 0, sizeof(__u64) * (size_t)n);
	if (bpf_map__lookup_elem(map, &zero, 4, per, sizeof(per), 0))
		return;
	for (int c = 0; c < ncpu; c++)
		for (int r = 0; r < n; r++)
			sum[r] += per[c * n + r];
}

struct ks_split_stats split_test_stats(struct ks_split_bpf *skel)
{
	struct ks_split_stats sum;

	sum_percpu(skel->maps.ks_split_stats, (__u64 *)&sum, KS_STAT_MAX);
	return sum;
}

struct ks_dns_stats split_test_dns_stats(struct ks_split_bpf *skel)
{
	struct ks_dns_stats sum;

	sum_percpu(skel->maps.ks_dns_stats, (__u64 *)&sum, KS_DNS_STAT_MAX);
	return sum;
}

/* What the counters that moved between two snapshots say happened, by KS_ACT_*. */
void split_test_actions(const struct ks_split_stats *s0, const struct ks_split_stats *s1,
			const struct ks_dns_stats *d0, const struct ks_dns_stats *d1, __u64 acts[3])
{
	static const __u8 split_act[] = { KS_SPLIT_STATS(KS_STAT_ACTION_) };
	static const __u8 dns_act[] = { KS_DNS_STATS(KS_STAT_ACTION_) };

	acts[0] = acts[1] = acts[2] = 0;
	for (int r = 0; r < KS_STAT_MAX; r++)
		acts[split_act[r]] += ((const __u64 *)s1)[r] - ((const __u64 *)s0)[r];
	for (int r = 0; r < KS_DNS_STAT_MAX; r++)
		acts[dns_act[r]] += ((const __u64 *)d1)[r] - ((const __u64 *)d0)[r];
}

int split_run(const struct bpf_program *prog, const void *data, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)len,
		    .data_out = split_out, .data_size_out = sizeof(split_out), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(prog), &opts);

	split_out_len = opts.data_size_out;
	return err ? err : (int)opts.retval;
}

/* Ethernet + IPv4 header (+ ihl options) with a valid header checksum; returns L3 offset 14. */
size_t split_frame4(unsigned char *f, const char *src, const char *dst, int proto,
		    __u16 frag_off, size_t l4_len)
{
	unsigned char *ip = f + 14;
	__u16 c;

	memset(f, 0, 14 + 20 + l4_len);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (unsigned char)((20 + l4_len) >> 8);
	ip[3] = (unsigned char)(20 + l4_len);
	ip[6] = (unsigned char)(frag_off >> 8);
	ip[7] = (unsigned char)frag_off;
	ip[8] = 64;
	ip[9] = (unsigned char)proto;
	inet_pton(AF_INET, src, ip + 12);
	inet_pton(AF_INET, dst, ip + 16);
	c = (__u16)~ref_csum_fold(ref_csum_add(0, ip, 20));
	ip[10] = (unsigned char)(c >> 8);
	ip[11] = (unsigned char)c;
	return 14 + 20 + l4_len;
}
