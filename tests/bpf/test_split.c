// SPDX-License-Identifier: GPL-2.0-only
/* bpf/split.bpf.c under BPF_PROG_TEST_RUN: the shared decision (through the probe
 * program), the uplink kill switch and the ICMP echo rewrite on crafted frames. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ks_test.h"
#include "ref_csum.h"
#include "split_prog.h"
#include "kslice/maps.h"
#include "split.skel.h"

#define VERDICT_OTHER 0
#define VERDICT_EXCLUDED 1
#define VERDICT_TUNNEL 2
#define VERDICT_BLOCKED 3

static struct ks_split_bpf *skel;
/* --- frames ------------------------------------------------------------------------- */

#define frame4 split_frame4

static size_t icmp4_echo(unsigned char *f, const char *src, const char *dst, int type)
{
	size_t n = frame4(f, src, dst, 1, 0, 16);
	unsigned char *icmp = f + 34;
	__u16 c;

	icmp[0] = (unsigned char)type;
	icmp[4] = 0x12; /* id */
	icmp[7] = 1;	/* seq */
	memcpy(icmp + 8, "kslice!!", 8);
	c = (__u16)~ref_csum_fold(ref_csum_add(0, icmp, 16));
	icmp[2] = (unsigned char)(c >> 8);
	icmp[3] = (unsigned char)c;
	return n;
}

static bool ip4_csum_ok(const unsigned char *f)
{
	return ref_csum_fold(ref_csum_add(0, f + 14, 20)) == 0xffff;
}

/* Ethernet + IPv6 + the given extension headers (each 8 bytes: next header first) + l4. */
static size_t frame6(unsigned char *f, const char *src, const char *dst, const __u8 *ext_types,
		     int n_ext, int proto, __u16 frag_off, size_t l4_len)
{
	unsigned char *ip = f + 14, *h = ip + 40;
	size_t plen = (size_t)n_ext * 8 + l4_len;

	memset(f, 0, 14 + 40 + plen);
	f[12] = 0x86;
	f[13] = 0xdd;
	ip[0] = 0x60;
	ip[4] = (unsigned char)(plen >> 8);
	ip[5] = (unsigned char)plen;
	ip[6] = n_ext ? ext_types[0] : (unsigned char)proto;
	ip[7] = 64;
	inet_pton(AF_INET6, src, ip + 8);
	inet_pton(AF_INET6, dst, ip + 24);
	for (int i = 0; i < n_ext; i++, h += 8) {
		h[0] = i + 1 < n_ext ? ext_types[i + 1] : (unsigned char)proto;
		if (ext_types[i] == 44) { /* fragment header: offset in 8-byte units, M flag */
			h[2] = (unsigned char)(frag_off >> 8);
			h[3] = (unsigned char)frag_off;
		}
	}
	return 14 + 40 + plen;
}

static __u32 pseudo6(const unsigned char *ip6, size_t l4_len)
{
	unsigned char ph[8] = { 0, 0, (unsigned char)(l4_len >> 8), (unsigned char)l4_len,
				0, 0, 0, 58 };

	return ref_csum_add(ref_csum_add(0, ip6 + 8, 32), ph, 8);
}

static size_t icmp6_echo(unsigned char *f, const char *src, const char *dst, const __u8 *ext,
			 int n_ext, int type)
{
	size_t n = frame6(f, src, dst, ext, n_ext, 58, 0, 16);
	unsigned char *icmp = f + 54 + n_ext * 8;
	__u16 c;

	icmp[0] = (unsigned char)type;
	icmp[4] = 0x12;
	icmp[7] = 1;
	memcpy(icmp + 8, "kslice!!", 8);
	c = (__u16)~ref_csum_fold(ref_csum_add(pseudo6(f + 14, 16), icmp, 16));
	icmp[2] = (unsigned char)(c >> 8);
	icmp[3] = (unsigned char)c;
	return n;
}

static bool icmp6_csum_ok(const unsigned char *f, int n_ext)
{
	return ref_csum_fold(ref_csum_add(pseudo6(f + 14, 16), f + 54 + n_ext * 8, 16)) == 0xffff;
}

/* --- maps --------------------------------------------------------------------------- */

static int add_prefix(const char *cidr, bool exclude)
{
	return split_add_prefix(skel, cidr, exclude);
}

static __u64 hits4(const char *addr, int len, bool exclude)
{
	struct ks_lpm4_key k = { .prefixlen = (__u32)len };
	struct ks_prefix_info pi = { 0 };

	inet_pton(AF_INET, addr, k.addr);
	bpf_map__lookup_elem(exclude ? skel->maps.ks_exclude4 : skel->maps.ks_include4, &k,
			     sizeof(k), &pi, sizeof(pi), 0);
	return pi.hits;
}

static void set_config(__u32 state, __u32 flags)
{
	split_set_config(skel, state, flags);
}

/* Pushes an 802.1Q/802.1ad tag (tpid, vid) right after the MACs; the new frame's length. */
static size_t vlan_tag(unsigned char *fr, size_t n, __u16 tpid, __u16 vid)
{
	memmove(fr + 16, fr + 12, n - 12);
	fr[12] = (unsigned char)(tpid >> 8);
	fr[13] = (unsigned char)tpid;
	fr[14] = (unsigned char)(vid >> 8);
	fr[15] = (unsigned char)vid;
	return n + 4;
}

static struct ks_split_stats stats(void)
{
	return split_test_stats(skel);
}

static int decide(const char *dst)
{
	unsigned char f[128];
	size_t n = strchr(dst, ':') ? frame6(f, "fd00::1", dst, NULL, 0, 17, 0, 8) :
				      frame4(f, "192.0.2.1", dst, 17, 0, 8);

	return split_run(skel->progs.ks_tc_decide_probe, f, n);
}

static bool setup(void)
{
	skel = split_test_load();
	if (!skel)
		return false;
	ASSERT_OK(add_prefix("10.78.0.0/24", false), "include 10.78.0.0/24");
	ASSERT_OK(add_prefix("10.78.0.200/32", true), "exclude 10.78.0.200/32");
	ASSERT_OK(add_prefix("10.0.0.0/8", false), "include 10.0.0.0/8");
	ASSERT_OK(add_prefix("10.1.0.0/16", true), "exclude 10.1.0.0/16");
	ASSERT_OK(add_prefix("10.1.2.0/24", false), "include 10.1.2.0/24");
	ASSERT_OK(add_prefix("fd78:78::/64", false), "include fd78:78::/64");
	ASSERT_OK(add_prefix("fd78:78::200/128", true), "exclude fd78:78::200/128");
	set_config(KS_STATE_UP, KS_CFG_HAVE4 | KS_CFG_HAVE6);
	return true;
}

void test_bpf_split_decision(void)
{
	if (!setup())
		goto out;
	test__start_subtest("longest include wins, any exclude beats include");
	ASSERT_EQ(decide("10.78.0.10"), VERDICT_TUNNEL, "10.78.0.10 in 10.78.0.0/24");
	ASSERT_EQ(decide("10.78.0.200"), VERDICT_EXCLUDED, "10.78.0.200 excluded /32");
	ASSERT_EQ(decide("10.78.0.201"), VERDICT_TUNNEL, "10.78.0.201 next to the exclude");
	ASSERT_EQ(decide("10.2.0.1"), VERDICT_TUNNEL, "10.2.0.1 in 10.0.0.0/8");
	ASSERT_EQ(decide("10.1.2.3"), VERDICT_EXCLUDED, "exclude /16 beats longer include /24");
	ASSERT_EQ(decide("198.51.100.7"), VERDICT_OTHER, "public address untouched");
	ASSERT_EQ(decide("11.0.0.1"), VERDICT_OTHER, "just outside 10/8");
	ASSERT_EQ(hits4("10.78.0.0", 24, false), 2, "hits on 10.78.0.0/24");
	ASSERT_EQ(hits4("10.78.0.200", 32, true), 1, "hits on the exclude");

	test__start_subtest("ipv6 and ipv4-mapped socket addresses");
	ASSERT_EQ(decide("fd78:78::10"), VERDICT_TUNNEL, "fd78:78::10");
	ASSERT_EQ(decide("fd78:78::200"), VERDICT_EXCLUDED, "fd78:78::200");
	ASSERT_EQ(decide("fd78:78:0:1::10"), VERDICT_OTHER, "next /64");
	ASSERT_EQ(decide("::ffff:10.78.0.10"), VERDICT_TUNNEL, "mapped corp v4");
	ASSERT_EQ(decide("::ffff:10.78.0.200"), VERDICT_EXCLUDED, "mapped excluded v4");
	ASSERT_EQ(decide("::ffff:198.51.100.7"), VERDICT_OTHER, "mapped public v4");
	ASSERT_EQ(decide("::10.78.0.10"), VERDICT_OTHER, "v4-compatible is not mapped");

	test__start_subtest("link-local, multicast and loopback are never corporate, even under /0");
	ASSERT_OK(add_prefix("0.0.0.0/0", false), "include 0.0.0.0/0");
	ASSERT_OK(add_prefix("::/0", false), "include ::/0");
	ASSERT_EQ(decide("198.51.100.7"), VERDICT_TUNNEL, "unicast now tunnelled");
	ASSERT_EQ(decide("255.255.255.255"), VERDICT_OTHER, "broadcast (DHCP)");
	ASSERT_EQ(decide("224.0.0.251"), VERDICT_OTHER, "mDNS multicast");
	ASSERT_EQ(decide("169.254.1.1"), VERDICT_OTHER, "v4 link-local");
	ASSERT_EQ(decide("127.0.0.1"), VERDICT_OTHER, "loopback");
	ASSERT_EQ(decide("ff02::1:ff00:1"), VERDICT_OTHER, "NDP solicited-node multicast");
	ASSERT_EQ(decide("fe80::1"), VERDICT_OTHER, "v6 link-local");
	ASSERT_EQ(decide("::1"), VERDICT_OTHER, "v6 loopback");
	ASSERT_EQ(decide("2001:db8::1"), VERDICT_TUNNEL, "v6 unicast tunnelled");
	{
		struct ks_lpm4_key k4 = { .prefixlen = 0 };
		struct ks_lpm6_key k6 = { .prefixlen = 0 };

		ASSERT_OK(bpf_map__delete_elem(skel->maps.ks_include4, &k4, sizeof(k4), 0), "del /0");
		ASSERT_OK(bpf_map__delete_elem(skel->maps.ks_include6, &k6, sizeof(k6), 0), "del ::/0");
	}

	test__start_subtest("fail closed: tunnel down, or no tunnel address of that family");
	set_config(KS_STATE_DOWN, KS_CFG_HAVE4 | KS_CFG_HAVE6);
	ASSERT_EQ(decide("10.78.0.10"), VERDICT_BLOCKED, "down: corp v4 blocked");
	ASSERT_EQ(decide("fd78:78::10"), VERDICT_BLOCKED, "down: corp v6 blocked");
	ASSERT_EQ(decide("10.78.0.200"), VERDICT_EXCLUDED, "down: excluded still direct");
	ASSERT_EQ(decide("198.51.100.7"), VERDICT_OTHER, "down: public still direct");
	set_config(KS_STATE_UP, KS_CFG_HAVE4);
	ASSERT_EQ(decide("fd78:78::10"), VERDICT_BLOCKED, "no v6 tunnel address: blocked");
	ASSERT_EQ(decide("10.78.0.10"), VERDICT_TUNNEL, "v4 still tunnelled");

	test__start_subtest("runtime add and delete take effect at once");
	ASSERT_OK(add_prefix("198.51.100.0/24", false), "add 198.51.100.0/24");
	ASSERT_EQ(decide("198.51.100.7"), VERDICT_TUNNEL, "now tunnelled");
	{
		struct ks_lpm4_key k = { .prefixlen = 24 };

		inet_pton(AF_INET, "198.51.100.0", k.addr);
		ASSERT_OK(bpf_map__delete_elem(skel->maps.ks_include4, &k, sizeof(k), 0), "del");
	}
	ASSERT_EQ(decide("198.51.100.7"), VERDICT_OTHER, "direct again");
out:
	ks_split_bpf__destroy(skel);
	skel = NULL;
}

void test_bpf_split_uplink(void)
{
	const struct bpf_program *eg;
	unsigned char f[256], want_src[16];
	struct ks_split_stats st;
	size_t n;

	if (!setup())
		goto out;
	eg = skel->progs.ks_tc_uplink_egress;

	test__start_subtest("public and excluded pass, corp-bound is dropped and counted");
	n = frame4(f, "198.18.2.2", "198.51.100.7", 6, 0, 20);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "tcp to public passes");
	n = frame4(f, "198.18.2.2", "10.78.0.200", 6, 0, 20);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "tcp to excluded passes");
	n = frame4(f, "198.18.2.2", "10.78.0.10", 6, 0, 20);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "tcp to corp dropped (old or raw socket)");
	n = frame4(f, "198.18.2.2", "10.78.0.10", 17, 0, 8);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "udp to corp dropped");
	n = frame6(f, "fd00:2::2", "fd78:78::10", NULL, 0, 6, 0, 20);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "tcp6 to corp dropped");
	n = frame6(f, "fd00:2::2", "2001:db8::1", NULL, 0, 6, 0, 20);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "tcp6 to public passes");
	st = stats();
	ASSERT_EQ(st.egress_dropped, 3, "egress_dropped");

	test__start_subtest("icmp echo to corp: source rewritten, checksum valid, redirected");
	inet_pton(AF_INET, "10.77.0.50", want_src);
	n = icmp4_echo(f, "198.18.2.2", "10.78.0.10", 8);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "echo redirected into the TUN");
	ASSERT_EQ(split_out_len, n, "same length");
	ASSERT_TRUE(!memcmp(split_out + 26, want_src, 4), "source is the tunnel address");
	ASSERT_TRUE(ip4_csum_ok(split_out), "ipv4 header checksum still valid");
	ASSERT_TRUE(!memcmp(split_out + 34, f + 34, 16), "icmp untouched (its checksum has no addresses)");
	n = icmp4_echo(f, "198.18.2.2", "10.78.0.10", 0);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "echo reply to corp is not ours to send: dropped");
	n = frame4(f, "198.18.2.2", "10.78.0.10", 1, 185, 40); /* offset 1480: later fragment */
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "later fragment of a big ping follows it");
	ASSERT_TRUE(ip4_csum_ok(split_out) && !memcmp(split_out + 26, want_src, 4), "fragment rewritten");
	n = icmp4_echo(f, "198.18.2.2", "198.51.100.7", 8);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "ping to public passes untouched");

	test__start_subtest("icmpv6 echo: pseudo-header checksum fixed, extension headers walked");
	inet_pton(AF_INET6, "fd77:77::50", want_src);
	n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", NULL, 0, 128);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "echo6 redirected");
	ASSERT_TRUE(!memcmp(split_out + 22, want_src, 16), "source is the tunnel address");
	ASSERT_TRUE(icmp6_csum_ok(split_out, 0), "icmpv6 checksum valid for the new source");
	{
		static const __u8 ext[] = { 0, 60, 44 }; /* hop-by-hop, dest opts, fragment */

		n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", ext, 3, 128);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "behind 3 extension headers");
		ASSERT_TRUE(icmp6_csum_ok(split_out, 3), "checksum valid behind extension headers");
		n = frame6(f, "fd00:2::2", "fd78:78::10", ext + 2, 1, 58, 1480, 40);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "later v6 fragment follows its echo");
		ASSERT_TRUE(!memcmp(split_out + 22, want_src, 16), "fragment source rewritten");
	}
	{
		static const __u8 many[] = { 60, 60, 60, 60, 60, 60, 60, 60, 60 };

		n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", many, 8, 128);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_REDIRECT, "8 extension headers: walked");
		n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", many, 9, 128);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "9 extension headers: gives up, drops");
	}
	n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", NULL, 0, 129);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "echo6 reply to corp dropped");

	test__start_subtest("malformed and truncated frames");
	st = stats();
	n = icmp4_echo(f, "198.18.2.2", "10.78.0.10", 8);
	ASSERT_EQ(split_run(eg, f, 14 + 20), TC_ACT_SHOT, "icmp header cut off: dropped");
	/* (An IP frame shorter than its header is refused by the kernel before any program.) */
	f[14] = 0x65; /* IPv4 ethertype, version 6 */
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "version disagrees with ethertype: dropped");
	f[14] = 0x43; /* ihl 3 */
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "ihl 3: dropped as malformed");
	f[14] = 0x45;
	{
		static const __u8 ext[] = { 60 };

		n = icmp6_echo(f, "fd00:2::2", "fd78:78::10", ext, 1, 128);
		f[54 + 1] = 200; /* dest opts claim 1608 bytes */
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "extension header overruns: dropped");
		f[14] = 0x40;
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "IPv6 ethertype, version 4: dropped");
	}
	ASSERT_EQ(stats().egress_malformed - st.egress_malformed, 5, "5 counted malformed");

	test__start_subtest("kill switch: tunnel down drops even icmp echo");
	set_config(KS_STATE_DOWN, KS_CFG_HAVE4 | KS_CFG_HAVE6);
	st = stats();
	n = icmp4_echo(f, "198.18.2.2", "10.78.0.10", 8);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "echo dropped while down");
	n = frame4(f, "198.18.2.2", "10.78.0.200", 17, 0, 8);
	ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "excluded still passes");
	ASSERT_EQ(stats().egress_blocked - st.egress_blocked, 1, "counted as blocked");
	/* The L3 variant reads the IP version at offset 0: here that is the Ethernet header
	 * (a MAC starting 0x02), which must be taken as not IP, not as an address. */
	st = stats();
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress_l3, f, n), TC_ACT_UNSPEC,
		  "L3 variant on an Ethernet frame passes");
	ASSERT_EQ(stats().egress_not_ip - st.egress_not_ip, 1, "as not IP");
	set_config(KS_STATE_UP, KS_CFG_HAVE4 | KS_CFG_HAVE6);

	test__start_subtest("the ethertype decides, VLAN tags included (skb->protocol does not)");
	{
		static const __u16 tpids[] = { 0x8100, 0x88a8, 0x9100 };

		for (int t = 0; t < 3; t++) {
			n = frame4(f, "198.18.2.2", "10.78.0.10", 17, 0, 8);
			n = vlan_tag(f, n, tpids[t], 100);
			ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "corp UDP behind one tag: dropped");
		}
		n = frame4(f, "198.18.2.2", "10.78.0.10", 17, 0, 8);
		n = vlan_tag(f, n, 0x8100, 100);
		n = vlan_tag(f, n, 0x88a8, 200);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "behind QinQ (802.1ad + 802.1Q): dropped");
		n = frame4(f, "198.18.2.2", "198.51.100.7", 17, 0, 8);
		n = vlan_tag(f, n, 0x8100, 100);
		n = vlan_tag(f, n, 0x88a8, 200);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_UNSPEC, "public UDP behind QinQ passes");
		st = stats();
		n = vlan_tag(f, n, 0x8100, 300);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "three tags: more than parsed, dropped");
		ASSERT_EQ(stats().egress_vlan_depth - st.egress_vlan_depth, 1, "counted");
		n = icmp4_echo(f, "198.18.2.2", "10.78.0.10", 8);
		n = vlan_tag(f, n, 0x8100, 100);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT,
			  "a tagged echo is dropped, not redirected (the TUN takes no tags)");
		n = frame6(f, "fd00:2::2", "fd78:78::10", NULL, 0, 17, 0, 8);
		n = vlan_tag(f, n, 0x8100, 100);
		ASSERT_EQ(split_run(eg, f, n), TC_ACT_SHOT, "corp IPv6 behind a tag: dropped");
	}
out:
	ks_split_bpf__destroy(skel);
	skel = NULL;
}

/* The probe as a socket of cgroup `cgroup` would be decided (skb->mark stands for it). */
static int decide_as(const char *dst, __u64 cgroup)
{
	unsigned char f[128];
	size_t n = strchr(dst, ':') ? frame6(f, "fd00::1", dst, NULL, 0, 17, 0, 8) :
				      frame4(f, "192.0.2.1", dst, 17, 0, 8);
	struct __sk_buff ctx = { .mark = (__u32)cgroup };
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f, .data_size_in = (__u32)n,
		    .ctx_in = &ctx, .ctx_size_in = sizeof(ctx), .repeat = 1);
	int err = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_tc_decide_probe), &opts);

	return err ? err : (int)opts.retval;
}

static int set_app(__u64 cgroup, __u32 via)
{
	struct ks_app_policy p = { .via = via };

	return bpf_map__update_elem(skel->maps.ks_app_policy, &cgroup, sizeof(cgroup), &p,
				    sizeof(p), 0);
}

void test_bpf_app_policy(void)
{
	struct ks_app_policy got;
	__u64 tunnel = 7, direct = 8, split = 9, none = 10;

	if (!setup())
		goto out;
	ASSERT_OK(set_app(tunnel, KS_VIA_TUNNEL), "tunnel policy");
	ASSERT_OK(set_app(direct, KS_VIA_DIRECT), "direct policy");
	ASSERT_OK(set_app(split, KS_VIA_SPLIT), "split policy");
	test__start_subtest("tunnel: everything but local scope, excludes too");
	ASSERT_EQ(decide_as("198.51.100.7", tunnel), VERDICT_TUNNEL, "a public address");
	ASSERT_EQ(decide_as("10.78.0.200", tunnel), VERDICT_TUNNEL, "an excluded one");
	ASSERT_EQ(decide_as("2001:db8::7", tunnel), VERDICT_TUNNEL, "v6");
	ASSERT_EQ(decide_as("::ffff:198.51.100.7", tunnel), VERDICT_TUNNEL, "v4-mapped");
	ASSERT_EQ(decide_as("127.0.0.53", tunnel), VERDICT_OTHER, "loopback stays");
	ASSERT_EQ(decide_as("fe80::1", tunnel), VERDICT_OTHER, "link-local stays");
	test__start_subtest("direct: never the tunnel; corporate blocked, not leaked");
	ASSERT_EQ(decide_as("10.78.0.10", direct), VERDICT_BLOCKED, "corporate");
	ASSERT_EQ(decide_as("fd78:78::10", direct), VERDICT_BLOCKED, "corporate v6");
	ASSERT_EQ(decide_as("198.51.100.7", direct), VERDICT_OTHER, "public");
	ASSERT_EQ(decide_as("10.78.0.200", direct), VERDICT_EXCLUDED, "excluded");
	test__start_subtest("split, or no policy: the usual decision");
	ASSERT_EQ(decide_as("10.78.0.10", split), VERDICT_TUNNEL, "split: corporate");
	ASSERT_EQ(decide_as("198.51.100.7", split), VERDICT_OTHER, "split: public");
	ASSERT_EQ(decide_as("10.78.0.10", none), VERDICT_TUNNEL, "none: corporate");
	ASSERT_EQ(decide_as("198.51.100.7", none), VERDICT_OTHER, "none: public");
	test__start_subtest("tunnel, with no tunnel to carry it: blocked");
	set_config(KS_STATE_DOWN, KS_CFG_HAVE4 | KS_CFG_HAVE6);
	ASSERT_EQ(decide_as("198.51.100.7", tunnel), VERDICT_BLOCKED, "tunnel down");
	ASSERT_EQ(decide_as("198.51.100.7", direct), VERDICT_OTHER, "direct: public still");
	set_config(KS_STATE_UP, KS_CFG_HAVE4);
	ASSERT_EQ(decide_as("2001:db8::7", tunnel), VERDICT_BLOCKED, "no v6 address");
	test__start_subtest("hits are counted per cgroup");
	ASSERT_OK(bpf_map__lookup_elem(skel->maps.ks_app_policy, &tunnel, sizeof(tunnel), &got,
				       sizeof(got), 0), "lookup");
	ASSERT_EQ(got.hits, 6, "tunnel: 4 through, 2 blocked (local scope is not its to count)");
out:
	ks_split_bpf__destroy(skel);
	skel = NULL;
}

/* The verifier's work for each program, well inside its limit: the uplink program once
 * took 845,000 of the 1,000,000 instructions it will verify (0.8 s of every connect, and
 * a compiler or kernel away from refusal) when a walk and the DNS steering were inlined
 * at every state. A quarter of the limit is the budget. */
#define VERIFIER_BUDGET 250000

void test_bpf_verifier_budget(void)
{
	static char log[1 << 20];
	struct ks_split_bpf *skel;
	struct bpf_program *p;
	int err, checked = 0;

	/* One program loaded at a time: each log is the statistics of that program alone. */
	for (int i = 0;; i++) {
		const char *name = NULL, *at;
		long processed;
		int n = 0;

		skel = split_test_open();
		if (!skel)
			return;
		bpf_object__for_each_program(p, skel->obj) {
			bool this = n++ == i;

			bpf_program__set_autoload(p, this);
			if (this) {
				name = bpf_program__name(p);
				log[0] = 0;
				bpf_program__set_log_level(p, 4); /* statistics only */
				bpf_program__set_log_buf(p, log, sizeof(log));
			}
		}
		if (!name) {
			ks_split_bpf__destroy(skel);
			break;
		}
		err = ks_split_bpf__load(skel);
		if (err == -EPERM) {
			ks_split_bpf__destroy(skel);
			test__skip("bpf() needs root");
			return;
		}
		at = strstr(log, "processed ");
		processed = at ? strtol(at + 10, NULL, 10) : -1;
		KS_CHECK(!err && processed >= 0 && processed < VERIFIER_BUDGET,
			 "%s: load %d, %ld instructions verified (budget %d)", name, err, processed,
			 VERIFIER_BUDGET);
		printf("  %s: %ld instructions verified\n", name, processed);
		checked++;
		ks_split_bpf__destroy(skel);
	}
	ASSERT_TRUE(checked >= 10, "every program checked");
}
