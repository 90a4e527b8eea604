// SPDX-License-Identifier: GPL-2.0-only
/* Forwarded traffic (bpf/lib/fwd.h) under BPF_PROG_TEST_RUN: a guest's packet marked at
 * the way in, its source translated at the TUN's egress and the answer's destination back
 * at its ingress, every checksum checked against RFC 1071 done the slow way. */
#include <arpa/inet.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_test.h"
#include "ref_csum.h"
#include "split_prog.h"
#include "kslice/maps.h"
#include "split.skel.h"

#define TUN4 "10.77.0.50" /* split_set_config's tunnel addresses */
#define TUN6 "fd77:77::50"

static struct ks_split_bpf *skel;

/* Ethernet + IPv4 or IPv6 + a UDP or TCP header + 8 bytes, every checksum valid. */
static size_t frame(unsigned char *f, const char *src, const char *dst, int proto,
		    __u16 sport, __u16 dport)
{
	bool v6 = strchr(src, ':');
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), hl = proto == IPPROTO_TCP ? 20 : 8,
	       len = hl + 8, csum_at = proto == IPPROTO_TCP ? 16 : 6;
	unsigned char *ip = f + l3, *t = f + l4, ph[12];
	__u32 sum;
	__u16 c;

	if (v6) {
		memset(f, 0, l4 + len);
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (unsigned char)(len >> 8);
		ip[5] = (unsigned char)len;
		ip[6] = (unsigned char)proto;
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		sum = ref_csum_add(0, ip + 8, 32);
	} else {
		split_frame4(f, src, dst, proto, 0, len);
		sum = ref_csum_add(0, ip + 12, 8);
	}
	t[0] = (unsigned char)(sport >> 8);
	t[1] = (unsigned char)sport;
	t[2] = (unsigned char)(dport >> 8);
	t[3] = (unsigned char)dport;
	if (proto == IPPROTO_TCP)
		t[12] = 0x50;
	else
		t[5] = (unsigned char)len;
	memcpy(t + hl, "kslice!!", 8);
	memset(ph, 0, sizeof(ph));
	ph[1] = (unsigned char)proto;
	ph[2] = (unsigned char)(len >> 8);
	ph[3] = (unsigned char)len;
	c = (__u16)~ref_csum_fold(ref_csum_add(ref_csum_add(sum, ph, 4), t, len));
	t[csum_at] = (unsigned char)(c >> 8);
	t[csum_at + 1] = (unsigned char)c;
	return l4 + len;
}

/* The frame's L4 checksum (with its pseudo-header) and IPv4 header checksum hold. */
static bool csums_ok(const unsigned char *f)
{
	bool v6 = f[12] == 0x86;
	const unsigned char *ip = f + 14, *t = f + 14 + (v6 ? 40 : 20);
	size_t len = v6 ? (size_t)(ip[4] << 8 | ip[5]) : (size_t)(ip[2] << 8 | ip[3]) - 20;
	unsigned char ph[4] = { 0, v6 ? ip[6] : ip[9], (unsigned char)(len >> 8), (unsigned char)len };
	__u32 sum = v6 ? ref_csum_add(0, ip + 8, 32) : ref_csum_add(0, ip + 12, 8);

	if (!v6 && ref_csum_fold(ref_csum_add(0, ip, 20)) != 0xffff)
		return false;
	return ref_csum_fold(ref_csum_add(ref_csum_add(sum, ph, 4), t, len)) == 0xffff;
}

static void addr_of(const unsigned char *f, bool dst, char *out, size_t n)
{
	bool v6 = f[12] == 0x86;

	inet_ntop(v6 ? AF_INET6 : AF_INET, f + 14 + (v6 ? (dst ? 24 : 8) : (dst ? 16 : 12)), out,
		  (socklen_t)n);
}

static __u16 port_of(const unsigned char *f, bool dst)
{
	const unsigned char *t = f + 14 + (f[12] == 0x86 ? 40 : 20) + (dst ? 2 : 0);

	return (__u16)(t[0] << 8 | t[1]);
}

/* A guest's flow out and its answer back: the tunnel side's port, or 0 on a failure. */
static __u16 round_trip(const char *guest, const char *peer, const char *tun, int proto,
			__u16 gport, __u16 pport)
{
	unsigned char f[256];
	char a[64];
	size_t n = frame(f, guest, peer, proto, gport, pport);
	__u16 nat;

	if (!ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_UNSPEC, "egress passes"))
		return 0;
	addr_of(split_out, false, a, sizeof(a));
	ASSERT_STREQ(a, tun, "source: the tunnel address");
	nat = port_of(split_out, false);
	ASSERT_TRUE(nat >= KS_FWD_PORT_MIN, "source port: of our range");
	ASSERT_EQ(port_of(split_out, true), pport, "destination port kept");
	ASSERT_TRUE(csums_ok(split_out), "checksums hold after the rewrite");
	n = frame(f, peer, tun, proto, pport, nat);
	if (!ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_ingress, f, n), TC_ACT_UNSPEC, "ingress passes"))
		return 0;
	addr_of(split_out, true, a, sizeof(a));
	ASSERT_STREQ(a, guest, "the answer: to the guest");
	ASSERT_EQ(port_of(split_out, true), gport, "... at its port");
	ASSERT_TRUE(csums_ok(split_out), "... with checksums that hold");
	return nat;
}

void test_bpf_forward(void)
{
	unsigned char f[256];
	struct ks_split_stats s0, s1;
	__u16 p1, p2, p3;
	size_t n;

	skel = split_test_load();
	if (!skel)
		return;
	split_set_config(skel, KS_STATE_UP, KS_CFG_HAVE4 | KS_CFG_HAVE6 | KS_CFG_FORWARD);

	test__start_subtest("udp and tcp, v4 and v6: out translated, the answer back");
	p1 = round_trip("172.30.0.2", "10.78.0.10", TUN4, IPPROTO_UDP, 5555, 7001);
	ASSERT_TRUE(p1 != 0, "udp v4");
	ASSERT_TRUE(round_trip("172.30.0.2", "10.78.0.10", TUN4, IPPROTO_TCP, 40000, 7000) != 0, "tcp v4");
	ASSERT_TRUE(round_trip("fd30::2", "fd78:78::10", TUN6, IPPROTO_TCP, 40000, 7000) != 0, "tcp v6");
	ASSERT_TRUE(round_trip("fd30::2", "fd78:78::10", TUN6, IPPROTO_UDP, 5555, 7001) != 0, "udp v6");

	test__start_subtest("a flow keeps its port; another guest's same port gets another");
	p2 = round_trip("172.30.0.2", "10.78.0.10", TUN4, IPPROTO_UDP, 5555, 7001);
	ASSERT_EQ(p2, p1, "the same flow: the same port");
	p3 = round_trip("172.31.0.2", "10.78.0.10", TUN4, IPPROTO_UDP, 5555, 7001);
	ASSERT_TRUE(p3 && p3 != p1, "another guest, same ports, same peer: another port");

	test__start_subtest("the maps evict apart: neither is trusted alone");
	{
		struct ks_fwd_in_key ik = { .family = 4, .proto = IPPROTO_UDP,
					    .port = htons(p1), .peer_port = htons(7001) };
		struct ks_fwd_guest g = { 0 };
		int in = bpf_map__fd(skel->maps.ks_fwd_in);

		inet_pton(AF_INET, "10.78.0.10", ik.peer);
		/* the port's owner entry now names another guest (it took the port over) */
		ASSERT_OK(bpf_map_lookup_elem(in, &ik, &g), "the flow's owner entry");
		inet_pton(AF_INET, "172.30.0.99", g.guest);
		ASSERT_OK(bpf_map_update_elem(in, &ik, &g, BPF_ANY), "handed to another guest");
		n = frame(f, "10.78.0.10", TUN4, IPPROTO_UDP, 7001, p1);
		ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_ingress, f, n), TC_ACT_UNSPEC,
			  "an answer to the port: passes");
		ASSERT_EQ(memcmp(split_out, f, n), 0, "... untranslated: the other guest has no "
			  "flow of its own there");
		/* the owner entry evicted: the first guest's flow gets a port of its own again */
		ASSERT_OK(bpf_map_delete_elem(in, &ik), "evicted");
		p2 = round_trip("172.30.0.2", "10.78.0.10", TUN4, IPPROTO_UDP, 5555, 7001);
		ASSERT_TRUE(p2 != 0, "the flow goes on, with a port it owns");
	}

	test__start_subtest("ours, the link's own, and unknown answers are left alone");
	n = frame(f, TUN4, "10.78.0.10", IPPROTO_UDP, 5555, 7001);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_UNSPEC, "our own: passes");
	ASSERT_EQ(memcmp(split_out, f, n), 0, "... untouched");
	n = frame(f, "fe80::1", "ff02::16", IPPROTO_UDP, 1, 2);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_UNSPEC, "link-local: passes");
	ASSERT_EQ(memcmp(split_out, f, n), 0, "... untouched");
	n = frame(f, "10.78.0.10", TUN4, IPPROTO_UDP, 7001, 60000);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_ingress, f, n), TC_ACT_UNSPEC, "an answer to us: passes");
	ASSERT_EQ(memcmp(split_out, f, n), 0, "... untouched");

	test__start_subtest("what the NAT cannot carry is dropped and counted");
	s0 = split_test_stats(skel);
	n = frame(f, "172.30.0.2", "10.78.0.10", IPPROTO_UDP, 5555, 7001);
	f[14 + 6] = 0x20; /* more fragments */
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_SHOT, "a fragment: dropped");
	n = frame(f, "172.30.0.2", "10.78.0.10", 47 /* GRE */, 1, 2);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_SHOT, "GRE: dropped");
	s1 = split_test_stats(skel);
	ASSERT_EQ(s1.fwd_unsupported - s0.fwd_unsupported, 2, "fwd_unsupported counts both");

	test__start_subtest("without KS_CFG_FORWARD nothing is translated");
	split_set_config(skel, KS_STATE_UP, KS_CFG_HAVE4 | KS_CFG_HAVE6);
	n = frame(f, "172.30.0.2", "10.78.0.10", IPPROTO_UDP, 5555, 7001);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_fwd_egress, f, n), TC_ACT_UNSPEC, "passes");
	ASSERT_EQ(memcmp(split_out, f, n), 0, "... untouched");
	ks_split_bpf__destroy(skel);
}
