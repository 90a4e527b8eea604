// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_test.h"
#include "pkt.h"
#include "kslice/maps.h"
#include "tun_stats.skel.h"

static int run(int prog_fd, const void *data, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = data, .data_size_in = (__u32)len,
		    .repeat = 1);
	int err = bpf_prog_test_run_opts(prog_fd, &opts);

	return err ? err : (int)opts.retval;
}

static void sum(struct ks_tun_stats_bpf *skel, __u32 dir, struct ks_tun_stat *out)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ks_tun_stat per[ncpu];

	memset(out, 0, sizeof(*out));
	if (bpf_map__lookup_elem(skel->maps.ks_tun_stats, &dir, sizeof(dir), per, sizeof(per), 0))
		return;
	for (int c = 0; c < ncpu; c++) {
		out->packets += per[c].packets;
		out->bytes += per[c].bytes;
		out->ipv4 += per[c].ipv4;
		out->ipv6 += per[c].ipv6;
		out->malformed += per[c].malformed;
	}
}

void test_bpf_tun_stats(void)
{
	struct pkt_v4 v4 = pkt_v4_udp();
	struct pkt_v6 v6 = pkt_v6_udp();
	struct ks_tun_stats_bpf *skel;
	struct ks_tun_stat st;
	int out_fd, in_fd, err;
	unsigned char junk[64];

	skel = ks_tun_stats_bpf__open();
	if (!ASSERT_OK_PTR(skel, "open"))
		return;
	bpf_map__set_pin_path(skel->maps.ks_tun_stats, NULL); /* tests pin nothing */
	skel->rodata->l2_len = ETH_HLEN; /* test runs always carry an Ethernet header */
	err = ks_tun_stats_bpf__load(skel);
	if (err == -EPERM) {
		test__skip("bpf() needs root");
		goto out;
	}
	if (!ASSERT_OK(err, "load (verifier)"))
		goto out;
	out_fd = bpf_program__fd(skel->progs.ks_tc_tun_egress);
	in_fd = bpf_program__fd(skel->progs.ks_tc_tun_ingress);

	test__start_subtest("ipv4 and ipv6 counted per direction");
	ASSERT_EQ(run(out_fd, &v4, sizeof(v4)), TC_ACT_UNSPEC, "egress v4 passes on (TC_ACT_UNSPEC)");
	ASSERT_EQ(run(out_fd, &v6, sizeof(v6)), TC_ACT_UNSPEC, "egress v6 passes");
	ASSERT_EQ(run(in_fd, &v4, sizeof(v4)), TC_ACT_UNSPEC, "ingress v4 passes");
	sum(skel, KS_DIR_TO_GATEWAY, &st);
	ASSERT_EQ(st.packets, 2, "egress packets");
	ASSERT_EQ(st.ipv4, 1, "egress ipv4");
	ASSERT_EQ(st.ipv6, 1, "egress ipv6");
	ASSERT_EQ(st.bytes, sizeof(v4) - 14 + sizeof(v6) - 14, "egress bytes, no L2 header");
	sum(skel, KS_DIR_FROM_GATEWAY, &st);
	ASSERT_EQ(st.packets, 1, "ingress packets");

	test__start_subtest("malformed and truncated packets are counted, not trusted");
	memset(junk, 0, sizeof(junk));
	/* A non-IP ethertype, so the kernel's own IP checks leave the bytes to the program. */
	junk[12] = 0x88;
	junk[13] = 0xb5;
	junk[14] = 0x45;
	ASSERT_EQ(run(in_fd, junk, 14 + 10), TC_ACT_UNSPEC, "truncated v4 header");
	junk[14] = 0x41; /* ihl 1 */
	ASSERT_EQ(run(in_fd, junk, sizeof(junk)), TC_ACT_UNSPEC, "ihl < 5");
	junk[14] = 0x60;
	ASSERT_EQ(run(in_fd, junk, 14 + 20), TC_ACT_UNSPEC, "truncated v6 header");
	junk[14] = 0xf0;
	ASSERT_EQ(run(in_fd, junk, sizeof(junk)), TC_ACT_UNSPEC, "version 15");
	ASSERT_EQ(run(in_fd, junk, 15), TC_ACT_UNSPEC, "one byte");
	sum(skel, KS_DIR_FROM_GATEWAY, &st);
	ASSERT_EQ(st.packets, 6, "all seen");
	ASSERT_EQ(st.malformed, 5, "all malformed");
	ASSERT_EQ(st.ipv4, 1, "still one good v4");
out:
	ks_tun_stats_bpf__destroy(skel);
}
