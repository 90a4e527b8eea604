// SPDX-License-Identifier: GPL-2.0-only
/* bpf/split.bpf.c on generated packets (BPF_PROG_TEST_RUN): 20,000 frames from a fixed
 * seed, mostly well-formed IPv4/IPv6 with a random tail, some truncated or with a lying
 * header, some VLAN-tagged or not IP at all, through every uplink and TUN program, with
 * the tunnel up and down. Invariants: the kernel runs every frame; each program answers
 * only with its verdicts; every drop and redirect is counted; a well-formed packet to a
 * corporate address never leaves an uplink as it came (fail closed). */
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_test.h"
#include "kslice/maps.h"
#include "split_prog.h"
#include "split.skel.h"

#define FRAMES 20000

static __u64 rng = 0x6b736c696365ULL; /* "kslice": the same frames every run */

static __u32 next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (__u32)(rng >> 16);
}

struct frame {
	unsigned char b[256];
	size_t len;
	bool corp_clean; /* well-formed, unfragmented, to 10.78.0.0/16 or fd78::/16 */
};

static void fill(unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (unsigned char)next();
}

/* One frame: Ethernet, then IPv4 or IPv6 (or junk), a transport header and a tail. */
static void generate(struct frame *f)
{
	static const __u8 protos[] = { 1, 6, 17, 58, 0, 44, 60, 43 };
	unsigned int kind = next() % 16, l4 = 8 + next() % 64, proto = protos[next() % 8];
	bool corp = next() % 2, v6 = kind >= 8;
	unsigned char *ip = f->b + 14;

	memset(f, 0, sizeof(*f));
	fill(f->b, 12); /* MACs */
	if (kind == 15) { /* not IP, or an 802.1Q tag: passed to the filters after us */
		f->len = 14 + next() % 200;
		fill(f->b + 12, f->len - 12);
		return;
	}
	if (!v6) {
		f->b[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (unsigned char)((20 + l4) >> 8);
		ip[3] = (unsigned char)(20 + l4);
		ip[8] = 64;
		ip[9] = proto;
		fill(ip + 12, 8);
		if (corp) {
			ip[16] = 10;
			ip[17] = 78;
		}
		f->len = 14 + 20 + l4;
		f->corp_clean = corp && proto != 0 && proto != 44 && proto != 60 && proto != 43;
	} else {
		f->b[12] = 0x86;
		f->b[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (unsigned char)(l4 >> 8);
		ip[5] = (unsigned char)l4;
		ip[6] = proto;
		ip[7] = 64;
		fill(ip + 8, 32);
		if (corp) {
			ip[24] = 0xfd;
			ip[25] = 0x78;
		}
		f->len = 14 + 40 + l4;
		/* Extension headers with random contents: no promise about where they lead. */
		f->corp_clean = corp && (proto == 1 || proto == 6 || proto == 17 || proto == 58);
		if (proto == 1) /* ICMP (v4) in IPv6 is no echo of ours: plain corp traffic */
			f->corp_clean = corp;
	}
	fill(f->b + f->len - l4, l4);
	if (kind == 7 || kind == 14) { /* cut inside the transport header, or a lying length */
		f->corp_clean = false; /* (BPF_PROG_TEST_RUN itself refuses a cut IP header) */
		if (next() % 2)
			f->len = 14 + (v6 ? 40 : 20) + next() % l4;
		else
			ip[v6 ? 4 : 2] ^= (unsigned char)(1 + next() % 255);
	}
	if (f->len < 14)
		f->len = 14;
}

void test_bpf_split_generated(void)
{
	struct ks_split_bpf *skel = split_test_load();
	struct ks_split_stats before, after;
	struct ks_dns_stats dns_before, dns_after;
	__u64 acts[3];
	unsigned int shot = 0, redirected = 0, bad_verdict = 0, kernel_err = 0, leaked = 0;
	unsigned int corp = 0, other_bad = 0;
	struct frame f;

	if (!skel)
		return;
	split_add_prefix(skel, "10.78.0.0/16", false);
	split_add_prefix(skel, "10.78.9.0/24", true);
	split_add_prefix(skel, "fd78::/16", false);
	split_add_prefix(skel, "fd78:9::/32", true);
	before = split_test_stats(skel);
	dns_before = split_test_dns_stats(skel);
	for (int i = 0; i < FRAMES; i++) {
		int r, r3;

		generate(&f);
		split_set_config(skel, i % 3 ? KS_STATE_UP : KS_STATE_DOWN, KS_CFG_HAVE4 | KS_CFG_HAVE6);
		/* The excluded /24 and /32 are never corporate. */
		if (f.corp_clean && ((f.b[12] == 0x08 && f.b[14 + 18] == 9) ||
				     (f.b[12] == 0x86 && f.b[14 + 26] == 0 && f.b[14 + 27] == 9)))
			f.corp_clean = false;
		r = split_run(skel->progs.ks_tc_uplink_egress, f.b, f.len);
		/* Without Ethernet (the test run still reads a MAC header off the front). */
		r3 = f.len >= 28 ? split_run(skel->progs.ks_tc_uplink_egress_l3, f.b + 14, f.len - 14)
				 : TC_ACT_UNSPEC;
		for (int k = 0; k < 2; k++) {
			int v = k ? r3 : r;

			if (v < -1)
				kernel_err++;
			else if (v != TC_ACT_UNSPEC && v != TC_ACT_SHOT && v != TC_ACT_REDIRECT)
				bad_verdict++;
			shot += v == TC_ACT_SHOT;
			redirected += v == TC_ACT_REDIRECT;
		}
		if (f.corp_clean) {
			corp++;
			leaked += r == TC_ACT_UNSPEC;
		}
		other_bad += split_run(skel->progs.ks_tc_uplink_ingress, f.b, f.len) != TC_ACT_UNSPEC;
		r = split_run(skel->progs.ks_tc_tun_dns, f.b, f.len);
		other_bad += r < -1;
		r = split_run(skel->progs.ks_tc_decide_probe, f.b, f.len);
		other_bad += r < -1 || r > 3;
	}
	after = split_test_stats(skel);
	dns_after = split_test_dns_stats(skel);
	test__start_subtest("every frame runs; egress answers pass, drop or redirect only");
	ASSERT_EQ(kernel_err, 0, "kernel refused no run");
	ASSERT_EQ(bad_verdict, 0, "egress verdicts");
	ASSERT_EQ(other_bad, 0, "ingress, TUN DNS and probe verdicts");
	test__start_subtest("every drop and every redirect is counted under its reason");
	/* The uplink egress programs count one reason per frame and act only by it; the
	 * other programs run here drop and redirect nothing of these frames but steered
	 * answers (counted as translated). */
	split_test_actions(&before, &after, &dns_before, &dns_after, acts);
	ASSERT_EQ(acts[KS_ACT_DROP], shot, "drops: as many counted as returned");
	ASSERT_EQ(acts[KS_ACT_REDIRECT], redirected, "redirects: as many counted as returned");
	test__start_subtest("no well-formed corporate packet leaves an uplink as it came");
	ASSERT_TRUE(corp > FRAMES / 8, "enough corporate frames generated");
	ASSERT_EQ(leaked, 0, "corporate packets passed on the uplink");
	ks_split_bpf__destroy(skel);
}
