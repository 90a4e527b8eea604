// SPDX-License-Identifier: GPL-2.0-only
/* The DNS learner and steering of bpf/split.bpf.c under BPF_PROG_TEST_RUN, on answers
 * built byte by byte: record counts, CNAME chains, compression pointers (forward, backward,
 * looping), truncation, overrunning labels, 255-byte names, case, look-alike domains. */
#include <arpa/inet.h>
#include <errno.h>
#include <time.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dns_msg.h"
#include "dns_name.h"
#include "ks_test.h"
#include "ref_csum.h"
#include "split_prog.h"
#include "kslice/maps.h"
#include "split.skel.h"

#define VERDICT_OTHER 0
#define VERDICT_EXCLUDED 1
#define VERDICT_TUNNEL 2

static struct ks_split_bpf *skel;
/* Fills in valid IPv4 header and UDP checksums. */
static void checksum4(unsigned char *f, size_t n)
{
	unsigned char *ip = f + 14, *u = f + 34, ph[4] = { 0, 17, u[4], u[5] };
	__u16 c;

	ip[10] = ip[11] = 0;
	c = (__u16)~ref_csum_fold(ref_csum_add(0, ip, 20));
	ip[10] = (unsigned char)(c >> 8);
	ip[11] = (unsigned char)c;
	u[6] = u[7] = 0;
	c = (__u16)~ref_csum_fold(ref_csum_add(ref_csum_add(ref_csum_add(0, ip + 12, 8), ph, 4), u, n - 34));
	u[6] = (unsigned char)(c >> 8);
	u[7] = (unsigned char)c;
}

static int checksums_ok4(const unsigned char *f, size_t n)
{
	const unsigned char *ip = f + 14, *u = f + 34;
	unsigned char ph[4] = { 0, 17, u[4], u[5] };

	return ref_csum_fold(ref_csum_add(0, ip, 20)) == 0xffff &&
	       ref_csum_fold(ref_csum_add(ref_csum_add(ref_csum_add(0, ip + 12, 8), ph, 4), u, n - 34)) == 0xffff;
}

/* --- maps --------------------------------------------------------------------------- */

static void add_domain(const char *d, __u32 flags)
{
	struct ks_domain_info di = { .flags = flags, .origin = KS_ORIGIN_USER };
	struct ks_domain_key k;
	char norm[KS_DOMAIN_TEXT_MAX];
	const char *why;

	if (dns_domain_normalize(d, norm, &why))
		return;
	dns_domain_key(norm, &k);
	di.keylen = k.prefixlen / 8;
	bpf_map__update_elem(skel->maps.ks_domains, &k, sizeof(k), &di, sizeof(di), 0);
}

static void clear_learned(void)
{
	__u8 k4[4], k6[16], n4[4], n6[16];

	while (!bpf_map__get_next_key(skel->maps.ks_learned4, NULL, k4, 4))
		bpf_map__delete_elem(skel->maps.ks_learned4, k4, 4, 0);
	while (!bpf_map__get_next_key(skel->maps.ks_learned6, NULL, k6, 16))
		bpf_map__delete_elem(skel->maps.ks_learned6, k6, 16, 0);
	while (!bpf_map__get_next_key(skel->maps.ks_learned4_uplink, NULL, k4, 4))
		bpf_map__delete_elem(skel->maps.ks_learned4_uplink, k4, 4, 0);
	(void)n4;
	(void)n6;
}

static int count_learned(struct bpf_map *map, size_t klen)
{
	__u8 k[16], next[16];
	int n = 0;
	void *prev = NULL;

	while (!bpf_map__get_next_key(map, prev, next, klen)) {
		memcpy(k, next, klen);
		prev = k;
		n++;
	}
	return n;
}

static int learned(const char *addr, struct ks_learned *l)
{
	unsigned char a[16];
	struct ks_learned tmp;
	int v6 = strchr(addr, ':') != NULL;

	inet_pton(v6 ? AF_INET6 : AF_INET, addr, a);
	return !bpf_map__lookup_elem(v6 ? skel->maps.ks_learned6 : skel->maps.ks_learned4, a,
				     v6 ? 16 : 4, l ? l : &tmp, sizeof(tmp), 0);
}

static struct ks_dns_stats stats(void)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ks_dns_stats per[ncpu], sum = { 0 };
	__u32 zero = 0;

	bpf_map__lookup_elem(skel->maps.ks_dns_stats, &zero, 4, per, sizeof(per), 0);
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < KS_DNS_STAT_MAX; i++)
			((__u64 *)&sum)[i] += ((__u64 *)&per[c])[i];
	return sum;
}

static void set_config(__u32 state)
{
	struct ks_split_config c = { .netns_cookie = 1, .tun_ifindex = 1, .mark = 0x400000,
				     .state = state, .flags = KS_CFG_HAVE4 | KS_CFG_HAVE6 };
	struct ks_dns_config d = { .flags = KS_DNS_HAVE4 | KS_DNS_STEER, .ttl_max_s = 3600,
				   .grace_s = 60, .query_timeout_s = 15 };
	__u32 zero = 0;

	inet_pton(AF_INET, "10.77.0.50", c.addr4);
	inet_pton(AF_INET6, "fd77:77::50", c.addr6);
	inet_pton(AF_INET, "10.78.0.53", d.server4);
	bpf_map__update_elem(skel->maps.ks_split_config, &zero, 4, &c, sizeof(c), 0);
	bpf_map__update_elem(skel->maps.ks_dns_config, &zero, 4, &d, sizeof(d), 0);
}

static __u64 boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static unsigned char f[9000];

/* Runs an answer from 198.18.2.53:53 through the TUN's learner (an answer from the
 * corporate DNS: no query needed), which parses as the uplink's does. */
static int answer(const struct msg *m)
{
	size_t n = frame(f, "198.18.2.53", "198.18.1.2", 53, 40000, m, 0);

	return split_run(skel->progs.ks_tc_tun_dns, f, n);
}

static int decide(const char *addr)
{
	struct msg empty = { .n = 0 };
	size_t n = strchr(addr, ':') ? frame(f, "fd00::1", addr, 1, 1, &empty, 0)
				     : frame(f, "198.18.1.2", addr, 1, 1, &empty, 0);

	return split_run(skel->progs.ks_tc_decide_probe, f, n);
}

/* --- tests -------------------------------------------------------------------------- */

static void learning_basics(void)
{
	struct ks_learned l;
	struct msg m;
	__u64 before;

	test__start_subtest("one answer, mixed case, compression pointer: learned with TTL");
	header(&m, ANSWER, 1);
	question(&m, "JIRA.Corp.Example", 1);
	rr_addr(&m, 12, NULL, "10.78.0.10", 120);
	before = boot_ns();
	ASSERT_EQ(answer(&m), TC_ACT_UNSPEC, "observe only: passes on");
	ASSERT_TRUE(learned("10.78.0.10", &l), "10.78.0.10 learned");
	ASSERT_STREQ(l.name, "jira.corp.example", "name kept, lowercase");
	ASSERT_EQ(l.flags, KS_DOMAIN_TUNNEL, "through the tunnel");
	ASSERT_EQ(l.ttl, 120, "ttl as answered");
	ASSERT_TRUE(l.expires_ns >= before + 180ULL * 1000000000ULL &&
			    l.expires_ns <= boot_ns() + 180ULL * 1000000000ULL,
		    "expires after ttl + grace (120 + 60 s)");
	ASSERT_EQ(decide("10.78.0.10"), VERDICT_TUNNEL, "the next connect goes to the tunnel");
	ASSERT_EQ(decide("10.78.0.11"), VERDICT_OTHER, "a neighbour does not");

	test__start_subtest("ttl capped; a shorter cached answer does not cut it short");
	header(&m, ANSWER, 1);
	question(&m, "big.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.0.12", 7 * 86400);
	answer(&m);
	ASSERT_TRUE(learned("10.78.0.12", &l), "learned");
	ASSERT_TRUE(l.expires_ns <= boot_ns() + (3600ULL + 60) * 1000000000ULL, "capped at 3600 s");
	header(&m, ANSWER, 1);
	question(&m, "big.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.0.12", 1);
	answer(&m);
	learned("10.78.0.12", &l);
	ASSERT_TRUE(l.expires_ns > boot_ns() + 3000ULL * 1000000000ULL, "still the long expiry");

	test__start_subtest("expired entries decide nothing");
	l.expires_ns = boot_ns() - 1;
	{
		unsigned char a[4];

		inet_pton(AF_INET, "10.78.0.12", a);
		bpf_map__update_elem(skel->maps.ks_learned4, a, 4, &l, sizeof(l), 0);
	}
	ASSERT_EQ(decide("10.78.0.12"), VERDICT_OTHER, "expired: normal path");

	test__start_subtest("aaaa records; the domain itself matches too");
	header(&m, ANSWER, 2);
	question(&m, "corp.example", 28);
	rr_addr(&m, 12, NULL, "fd78:78::10", 60);
	rr_addr(&m, 12, NULL, "fd78:78::11", 60);
	answer(&m);
	ASSERT_TRUE(learned("fd78:78::10", NULL) && learned("fd78:78::11", NULL), "both learned");
	ASSERT_EQ(decide("fd78:78::11"), VERDICT_TUNNEL, "v6 decided");
}

static void learning_many(void)
{
	char a[32];
	struct msg m;
	int n;

	test__start_subtest("16, 64 and 200 records: every one learned");
	for (int count = 16; count <= 200; count = count == 16 ? 64 : 200) {
		clear_learned();
		header(&m, ANSWER, (unsigned)count);
		question(&m, "many.corp.example", 1);
		for (int i = 0; i < count; i++) {
			snprintf(a, sizeof(a), "10.90.%d.%d", i / 250, i % 250 + 1);
			rr_addr(&m, 12, NULL, a, 300);
		}
		answer(&m);
		n = count_learned(skel->maps.ks_learned4, 4);
		ASSERT_EQ(n, count, "all learned");
		if (count == 200)
			break;
	}

	test__start_subtest("over 256 records: the first 256 are read, the rest counted");
	clear_learned();
	/* Empty TXT records keep it under a page (BPF_PROG_TEST_RUN's limit). */
	header(&m, ANSWER, 260);
	question(&m, "huge.corp.example", 1);
	for (int i = 0; i < 250; i++) {
		put16(&m, 0xc00c);
		put16(&m, 16);
		put16(&m, 1);
		put32(&m, 60);
		put16(&m, 0);
	}
	for (int i = 0; i < 10; i++) {
		snprintf(a, sizeof(a), "10.91.0.%d", i + 1);
		rr_addr(&m, 12, NULL, a, 300);
	}
	{
		__u64 cut = stats().cut_short;

		answer(&m);
		n = count_learned(skel->maps.ks_learned4, 4);
		ASSERT_EQ(n, 6, "the A records among the first 256");
		ASSERT_TRUE(stats().cut_short > cut, "cut_short counted");
	}
}

static void learning_chains(void)
{
	struct ks_learned l;
	struct msg m;
	size_t fwd_at;

	test__start_subtest("cname chain: targets followed, strangers ignored");
	clear_learned();
	header(&m, ANSWER, 4);
	question(&m, "www.corp.example", 1);
	rr_cname(&m, 12, "edge.cdn.example", -1); /* the target spelled at 46 */
	rr_cname(&m, 46, "origin", 51);		  /* origin + pointer to cdn.example; at 76 */
	rr_addr(&m, 76, NULL, "10.78.1.1", 60);
	rr_addr(&m, -1, "unrelated.example", "10.66.6.6", 60);
	answer(&m);
	ASSERT_TRUE(learned("10.78.1.1", &l), "end of the chain learned");
	ASSERT_STREQ(l.name, "www.corp.example", "under the question's name");
	ASSERT_TRUE(!learned("10.66.6.6", NULL), "a record for another name is not");

	test__start_subtest("pointers forward and backward");
	clear_learned();
	header(&m, ANSWER, 2);
	question(&m, "fwd.corp.example", 1);
	/* CNAME whose target is a pointer forward, to the next record's spelled owner. */
	put16(&m, 0xc00c);
	put16(&m, 5);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 2);
	fwd_at = m.n + 2;
	put16(&m, 0xc000 | (unsigned)fwd_at);
	rr_addr(&m, -1, "target.corp.example", "10.78.2.2", 60);
	answer(&m);
	ASSERT_TRUE(learned("10.78.2.2", NULL), "forward pointer followed");

	test__start_subtest("pointer loops and bad pointers: nothing from that answer");
	clear_learned();
	header(&m, ANSWER, 2);
	question(&m, "loop.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.3.3", 60);
	put16(&m, 0xc000 | (unsigned)m.n); /* points at itself */
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 4);
	put32(&m, 0x0a4e0304);
	{
		__u64 bad = stats().malformed;

		answer(&m);
		ASSERT_TRUE(!learned("10.78.3.3", NULL), "the good record before the loop is not learned");
		ASSERT_EQ(stats().malformed, bad + 1, "counted malformed");
	}
	header(&m, ANSWER, 2);
	question(&m, "loop.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.3.3", 60);
	{
		size_t a = m.n;

		put16(&m, 0xc000 | (unsigned)(a + 2)); /* two pointers pointing at each other */
		put16(&m, 0xc000 | (unsigned)a);
	}
	put16(&m, 1);
	put16(&m, 1);
	put32(&m, 60);
	put16(&m, 4);
	put32(&m, 0x0a4e0304);
	answer(&m);
	ASSERT_TRUE(!learned("10.78.3.3", NULL), "a two-pointer cycle: nothing learned");
	header(&m, ANSWER, 1);
	question(&m, "loop.corp.example", 1);
	rr_addr(&m, 5, NULL, "10.78.3.3", 60); /* into the header */
	answer(&m);
	header(&m, ANSWER, 1);
	question(&m, "loop.corp.example", 1);
	rr_addr(&m, 0x3fff, NULL, "10.78.3.3", 60); /* past the end */
	answer(&m);
	ASSERT_TRUE(!learned("10.78.3.3", NULL), "pointers into the header or past the end");
}

static void learning_malformed(void)
{
	char label[64], name[300];
	struct msg m;
	size_t n;

	memset(label, 'a', 63);
	label[63] = 0;

	test__start_subtest("truncated answers, lying lengths, overrunning labels");
	clear_learned();
	header(&m, ANSWER, 2);
	question(&m, "cut.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.4.1", 60);
	rr_addr(&m, 12, NULL, "10.78.4.2", 60);
	m.n -= 2; /* the last address cut in half */
	answer(&m);
	ASSERT_EQ(count_learned(skel->maps.ks_learned4, 4), 0, "message cut: nothing");
	m.n += 2;
	n = frame(f, "198.18.2.53", "198.18.1.2", 53, 40000, &m, 10);
	split_run(skel->progs.ks_tc_uplink_ingress, f, n);
	ASSERT_EQ(count_learned(skel->maps.ks_learned4, 4), 0, "UDP length past the packet: nothing");
	n = frame(f, "198.18.2.53", "198.18.1.2", 53, 40000, &m, 0);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_ingress, f, n - 20), TC_ACT_UNSPEC,
		  "IP length past the frame still passes");
	ASSERT_EQ(count_learned(skel->maps.ks_learned4, 4), 0, "... and teaches nothing");
	header(&m, ANSWER, 1);
	put8(&m, 60); /* a label of 60 bytes in a 20-byte message */
	memcpy(m.b + m.n, "corp", 4);
	m.n += 4;
	answer(&m);
	header(&m, ANSWER, 1);
	question(&m, "x.corp.example", 1);
	put8(&m, 0x40); /* extended label type in an owner */
	put8(&m, 0);
	answer(&m);
	header(&m, ANSWER, 1);
	question(&m, "cut.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.4.9", 60);
	for (size_t full = m.n, len = 0; len < full; len++) { /* every prefix of a good answer */
		m.n = len;
		answer(&m);
	}
	ASSERT_EQ(count_learned(skel->maps.ks_learned4, 4), 0, "nothing learned from any of them");

	test__start_subtest("a 255-byte name is learned, a 256-byte one is not");
	/* 3 x 63-byte labels + "x..." + corp.example: 4*64 - ... tuned to 255 wire bytes. */
	snprintf(name, sizeof(name), "%s.%s.%s.%.*s.corp.example", label, label, label, 48, label);
	header(&m, ANSWER, 1);
	question(&m, name, 1);
	ASSERT_EQ(m.n - 12 - 4, 255, "test name is 255 bytes on the wire");
	rr_addr(&m, 12, NULL, "10.78.5.1", 60);
	answer(&m);
	ASSERT_TRUE(learned("10.78.5.1", NULL), "255 bytes: learned");
	snprintf(name, sizeof(name), "%s.%s.%s.%.*s.corp.example", label, label, label, 49, label);
	header(&m, ANSWER, 1);
	question(&m, name, 1);
	rr_addr(&m, 12, NULL, "10.78.5.2", 60);
	answer(&m);
	ASSERT_TRUE(!learned("10.78.5.2", NULL), "256 bytes: rejected");

	test__start_subtest("not an answer to learn from: query, NXDOMAIN, other port, fragment");
	clear_learned();
	header(&m, 0x0100, 1);
	question(&m, "q.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.6.1", 60);
	answer(&m);
	header(&m, 0x8183, 1);
	question(&m, "q.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.6.1", 60);
	answer(&m);
	header(&m, ANSWER, 1);
	question(&m, "q.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.6.1", 60);
	n = frame(f, "198.18.2.53", "198.18.1.2", 5353, 40000, &m, 0);
	split_run(skel->progs.ks_tc_uplink_ingress, f, n);
	n = frame(f, "198.18.2.53", "198.18.1.2", 53, 40000, &m, 0);
	f[14 + 6] = 0x20; /* MF: first fragment */
	split_run(skel->progs.ks_tc_uplink_ingress, f, n);
	ASSERT_EQ(count_learned(skel->maps.ks_learned4, 4), 0, "none learned");
}

static void domain_matching(void)
{
	struct msg m;

	test__start_subtest("look-alike names do not match; label boundaries only");
	clear_learned();
	const char *names[] = { "notcorp.example", "corp.example.evil.net", "corpexample",
				"xcorp.example", "corp.exampl", "corp-example" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		header(&m, ANSWER, 1);
		question(&m, names[i], 1);
		rr_addr(&m, 12, NULL, "10.66.0.1", 60);
		answer(&m);
	}
	ASSERT_TRUE(!learned("10.66.0.1", NULL), "none of the look-alikes learned");
	header(&m, ANSWER, 1);
	question(&m, "a.b.CORP.EXAMPLE", 1);
	rr_addr(&m, 12, NULL, "10.66.0.2", 60);
	answer(&m);
	ASSERT_TRUE(learned("10.66.0.2", NULL), "deep name under it learned");

	test__start_subtest("learned excludes: never over a named include, never a private address");
	header(&m, ANSWER, 1);
	question(&m, "meet.video.corp.example", 1); /* video.corp.example is excluded */
	rr_addr(&m, 12, NULL, "203.0.113.7", 60);
	answer(&m);
	ASSERT_EQ(decide("203.0.113.7"), VERDICT_EXCLUDED, "learned exclude");
	{
		struct ks_lpm4_key k = { .prefixlen = 24 };
		struct ks_prefix_info pi = { .origin = KS_ORIGIN_USER, .prefixlen = 24 };
		struct ks_lpm4_key all = { .prefixlen = 0 };
		struct ks_prefix_info auto_pi = { .origin = KS_ORIGIN_AUTO, .prefixlen = 0 };
		struct ks_dns_stats before = stats(), after;

		inet_pton(AF_INET, "203.0.114.0", k.addr);
		bpf_map__update_elem(skel->maps.ks_include4, &k, sizeof(k), &pi, sizeof(pi), 0);
		header(&m, ANSWER, 2);
		question(&m, "x.video.corp.example", 1);
		rr_addr(&m, 12, NULL, "203.0.114.8", 60);
		rr_addr(&m, 12, NULL, "10.78.8.8", 60);
		answer(&m);
		after = stats();
		ASSERT_EQ(decide("203.0.114.8"), VERDICT_TUNNEL,
			  "a learned exclude does not take an included address out");
		ASSERT_TRUE(!learned("203.0.114.8", NULL), "... and is not learned");
		ASSERT_EQ(after.refused_include - before.refused_include, 1, "refused_include counted");
		ASSERT_TRUE(!learned("10.78.8.8", NULL), "a private address is not learned as exclude");
		ASSERT_EQ(after.refused_private - before.refused_private, 1, "refused_private counted");
		/* Full tunnel: only the implied "everything" covers it; the learned exclude wins. */
		bpf_map__update_elem(skel->maps.ks_include4, &all, sizeof(all), &auto_pi,
				     sizeof(auto_pi), 0);
		ASSERT_EQ(decide("203.0.113.7"), VERDICT_EXCLUDED,
			  "full tunnel: a learned exclude beats the implied default");
		ASSERT_EQ(decide("198.51.100.1"), VERDICT_TUNNEL, "... the rest goes in");
		bpf_map__delete_elem(skel->maps.ks_include4, &all, sizeof(all), 0);
		inet_pton(AF_INET, "10.78.9.0", k.addr);
		bpf_map__update_elem(skel->maps.ks_exclude4, &k, sizeof(k), &pi, sizeof(pi), 0);
		header(&m, ANSWER, 1);
		question(&m, "y.corp.example", 1);
		rr_addr(&m, 12, NULL, "10.78.9.9", 60);
		answer(&m);
		ASSERT_EQ(decide("10.78.9.9"), VERDICT_EXCLUDED, "exclude prefix beats a learned include");
	}
}

/* Ethernet + IPv4 + TCP (no options) carrying payload, to port 53. */
static size_t tcp_frame4(unsigned char *f, const unsigned char *payload, size_t n)
{
	unsigned char *ip = f + 14, *t = ip + 20;

	memset(f, 0, 54);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (unsigned char)((40 + n) >> 8);
	ip[3] = (unsigned char)(40 + n);
	ip[8] = 64;
	ip[9] = 6;
	inet_pton(AF_INET, "198.18.1.2", ip + 12);
	inet_pton(AF_INET, "198.18.2.53", ip + 16);
	t[0] = 0x9c;
	t[1] = 0x40;
	t[3] = 53;
	t[12] = 5 << 4;
	t[13] = 0x18; /* PSH ACK */
	memcpy(t + 20, payload, n);
	return 54 + n;
}

static void tcp_guard(void)
{
	unsigned char q[600], p[600];
	struct msg m;
	size_t n;

	test__start_subtest("dns over tcp: a corporate query is dropped, a public one passes");
	header(&m, 0x0100, 0);
	question(&m, "jira.corp.example", 1);
	p[0] = (unsigned char)(m.n >> 8);
	p[1] = (unsigned char)m.n;
	memcpy(p + 2, m.b, m.n);
	n = tcp_frame4(q, p, m.n + 2);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_SHOT, "length + query: dropped");
	n = tcp_frame4(q, m.b, m.n);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_SHOT,
		  "query written apart from its length: dropped");
	header(&m, 0x0100, 0);
	question(&m, "www.public.example", 1);
	p[0] = (unsigned char)(m.n >> 8);
	p[1] = (unsigned char)m.n;
	memcpy(p + 2, m.b, m.n);
	n = tcp_frame4(q, p, m.n + 2);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC, "public query passes");
	n = tcp_frame4(q, p, 0);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC, "no payload passes");
	n = tcp_frame4(q, (const unsigned char *)"\x00\x40garbage-garbage", 17);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC, "garbage passes");
}

static void steering(void)
{
	struct ks_dns_nat_key k = { .family = 4 };
	struct ks_dns_nat nat;
	unsigned char q[600];
	struct msg m;
	size_t n;

	test__start_subtest("corporate query off the uplink: to the corp DNS through the tunnel");
	header(&m, 0x0100, 0);
	question(&m, "jira.corp.example", 1);
	n = frame(q, "198.18.1.2", "198.18.2.53", 41000, 53, &m, 0);
	checksum4(q, n);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_REDIRECT, "redirected");
	ASSERT_TRUE(!memcmp(split_out + 26, "\x0a\x4d\x00\x32\x0a\x4e\x00\x35", 8),
		    "from 10.77.0.50 (tunnel) to 10.78.0.53 (corp DNS)");
	ASSERT_TRUE(checksums_ok4(split_out, split_out_len), "IP and UDP checksums valid");
	k.port = htons(41000);
	k.id = htons(0x1234);
	ASSERT_OK(bpf_map__lookup_elem(skel->maps.ks_dns_nat, &k, sizeof(k), &nat, sizeof(nat), 0),
		  "translation remembered");
	ASSERT_TRUE(!memcmp(nat.resolver, "\xc6\x12\x02\x35", 4), "the resolver it asked");

	test__start_subtest("its answer: learned, translated back, to the uplink's ingress");
	header(&m, ANSWER, 1);
	question(&m, "jira.corp.example", 1);
	rr_addr(&m, 12, NULL, "10.78.0.10", 60);
	n = frame(q, "10.78.0.53", "10.77.0.50", 53, 41000, &m, 0);
	checksum4(q, n);
	clear_learned();
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_dns, q, n), TC_ACT_REDIRECT, "redirected");
	ASSERT_TRUE(learned("10.78.0.10", NULL), "learned on the way");
	ASSERT_TRUE(!memcmp(split_out + 26, "\xc6\x12\x02\x35\xc6\x12\x01\x02", 8),
		    "from 198.18.2.53 to 198.18.1.2 again");
	ASSERT_TRUE(checksums_ok4(split_out, split_out_len), "checksums valid");
	ASSERT_TRUE(!memcmp(split_out, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12), "MACs of the uplink's hop");
	ASSERT_ERR(bpf_map__lookup_elem(skel->maps.ks_dns_nat, &k, sizeof(k), &nat, sizeof(nat), 0),
		   "translation used once");
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_dns, q, n), TC_ACT_UNSPEC, "a replay passes untranslated");

	test__start_subtest("public names untouched; tunnel down: corporate queries dropped");
	header(&m, 0x0100, 0);
	question(&m, "www.public.example", 1);
	n = frame(q, "198.18.1.2", "198.18.2.53", 41001, 53, &m, 0);
	checksum4(q, n);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC, "public query passes");
	header(&m, 0x0100, 0);
	question(&m, "jira.corp.example", 1);
	n = frame(q, "198.18.1.2", "198.18.2.53", 41002, 53, &m, 0);
	set_config(KS_STATE_DOWN);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_SHOT, "no leak while down");
	set_config(KS_STATE_UP);
	n = frame(q, "fd00::2", "fd00:2::53", 41003, 53, &m, 0);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_SHOT,
		  "no corp DNS of that family: dropped, not leaked");
	header(&m, 0x0100, 0);
	question(&m, "mail.publiccorp.example", 1); /* TUNNEL without RESOLVE: learn only */
	n = frame(q, "198.18.1.2", "198.18.2.53", 41004, 53, &m, 0);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC,
		  "learn-only domain resolves normally");
}

/* --- answers on an uplink: only to this host's own queries -------------------------------- */

static int learned_uplink(const char *addr)
{
	unsigned char a[4];
	struct ks_learned l;

	inet_pton(AF_INET, addr, a);
	return !bpf_map__lookup_elem(skel->maps.ks_learned4_uplink, a, 4, &l, sizeof(l), 0);
}

/* A query from 198.18.1.2:port to resolver:53 through the uplink's egress program. */
static int uplink_query(const char *name, const char *resolver, unsigned port, unsigned id)
{
	struct msg m;
	size_t n;

	header(&m, 0x0100, 0);
	m.b[0] = (unsigned char)(id >> 8);
	m.b[1] = (unsigned char)id;
	question(&m, name, 1);
	n = frame(f, "198.18.1.2", resolver, port, 53, &m, 0);
	return split_run(skel->progs.ks_tc_uplink_egress, f, n);
}

/* Its answer (or a forgery) through the uplink's ingress learner. */
static int uplink_answer(const char *name, const char *from, unsigned sport, unsigned port,
			 unsigned id, const char *addr)
{
	struct msg m;
	size_t n;

	header(&m, ANSWER, 1);
	m.b[0] = (unsigned char)(id >> 8);
	m.b[1] = (unsigned char)id;
	question(&m, name, 1);
	rr_addr(&m, 12, NULL, addr, 60);
	n = frame(f, from, "198.18.1.2", sport, port, &m, 0);
	return split_run(skel->progs.ks_tc_uplink_ingress, f, n);
}

#define DIFF(field) (after.field - before.field)

static void uplink_answers(void)
{
	struct ks_dns_stats before, after;
	struct ks_dns_query_key qk = { .family = 4 };
	struct ks_dns_query q;

	test__start_subtest("uplink: an answer to no query teaches nothing");
	clear_learned();
	before = stats();
	ASSERT_EQ(uplink_answer("x.zoom.example", "198.18.2.53", 53, 40001, 0x1111, "198.51.100.10"),
		  TC_ACT_UNSPEC, "observe only");
	after = stats();
	ASSERT_TRUE(!learned_uplink("198.51.100.10"), "unsolicited: not learned");
	ASSERT_EQ(DIFF(answers_unsolicited), 1, "counted as unsolicited");
	ASSERT_EQ(decide("198.51.100.10"), VERDICT_OTHER, "decides nothing");

	test__start_subtest("uplink: the answer to our query is learned, once");
	before = stats();
	ASSERT_EQ(uplink_query("X.Zoom.Example", "198.18.2.53", 40002, 0x2222), TC_ACT_UNSPEC,
		  "the query leaves as it is");
	after = stats();
	ASSERT_EQ(DIFF(queries_tracked), 1, "query recorded");
	ASSERT_EQ(uplink_answer("x.zoom.example", "198.18.2.53", 53, 40002, 0x2222,
				"198.51.100.20"), TC_ACT_UNSPEC, "observe only");
	ASSERT_TRUE(learned_uplink("198.51.100.20"), "learned (question case may differ)");
	ASSERT_TRUE(!learned("198.51.100.20", NULL), "... apart from what the tunnel taught");
	ASSERT_EQ(decide("198.51.100.20"), VERDICT_EXCLUDED, "learned exclude decides");
	before = stats();
	uplink_answer("x.zoom.example", "198.18.2.53", 53, 40002, 0x2222, "198.51.100.21");
	after = stats();
	ASSERT_TRUE(!learned_uplink("198.51.100.21"), "a second answer to the same query: nothing");
	ASSERT_EQ(DIFF(answers_unsolicited), 1, "counted as unsolicited");

	test__start_subtest("uplink: wrong ID, port, resolver, question, or late: nothing");
	uplink_query("y.zoom.example", "198.18.2.53", 40003, 0x3333);
	before = stats();
	uplink_answer("y.zoom.example", "198.18.2.53", 53, 40003, 0x3334, "198.51.100.31");
	uplink_answer("y.zoom.example", "198.18.2.53", 53, 40004, 0x3333, "198.51.100.32");
	uplink_answer("y.zoom.example", "198.18.2.54", 53, 40003, 0x3333, "198.51.100.33");
	uplink_answer("y.zoom.example", "198.18.2.53", 5353, 40003, 0x3333, "198.51.100.34");
	uplink_answer("z.zoom.example", "198.18.2.53", 53, 40003, 0x3333, "198.51.100.35");
	after = stats();
	for (int i = 1; i <= 5; i++) {
		char a[32];

		snprintf(a, sizeof(a), "198.51.100.3%d", i);
		ASSERT_TRUE(!learned_uplink(a), a);
	}
	ASSERT_EQ(DIFF(answers_unsolicited), 3, "wrong ID, client port, resolver: unsolicited");
	ASSERT_EQ(DIFF(answers_wrong_question), 1, "another question: counted as such");
	/* port 5353 is not an answer from port 53: not looked at */
	uplink_answer("y.zoom.example", "198.18.2.53", 53, 40003, 0x3333, "198.51.100.36");
	ASSERT_TRUE(learned_uplink("198.51.100.36"), "the right answer still counts after them");
	uplink_query("w.zoom.example", "198.18.2.53", 40005, 0x5555);
	qk.client_port = htons(40005);
	qk.resolver_port = htons(53);
	qk.id = htons(0x5555);
	inet_pton(AF_INET, "198.18.2.53", qk.resolver);
	inet_pton(AF_INET, "198.18.1.2", qk.client);
	ASSERT_OK(bpf_map__lookup_elem(skel->maps.ks_dns_queries, &qk, sizeof(qk), &q, sizeof(q), 0),
		  "the query's key");
	q.sent_ns -= 16ULL * 1000000000ULL; /* sent 16 s ago: past the 15 s */
	bpf_map__update_elem(skel->maps.ks_dns_queries, &qk, sizeof(qk), &q, sizeof(q), 0);
	before = stats();
	uplink_answer("w.zoom.example", "198.18.2.53", 53, 40005, 0x5555, "198.51.100.50");
	after = stats();
	ASSERT_TRUE(!learned_uplink("198.51.100.50"), "late answer: not learned");
	ASSERT_EQ(DIFF(answers_late), 1, "counted as late");

	test__start_subtest("uplink: a name the corporate DNS resolves is learned from the tunnel only");
	before = stats();
	uplink_answer("jira.corp.example", "198.18.2.53", 53, 40006, 0x6666, "10.78.0.66");
	after = stats();
	ASSERT_TRUE(!learned_uplink("10.78.0.66") && !learned("10.78.0.66", NULL), "not learned");
	ASSERT_EQ(DIFF(answers_steered_name), 1, "counted");

	test__start_subtest("uplink: 100,000 names cannot evict what the tunnel taught");
	{
		struct msg m;
		char name[64], a[32];
		size_t n;
		int lost = 0;

		clear_learned();
		for (int i = 0; i < 64; i++) { /* the corporate DNS's answers, through the TUN */
			header(&m, ANSWER, 1);
			snprintf(name, sizeof(name), "h%d.corp.example", i);
			question(&m, name, 1);
			snprintf(a, sizeof(a), "10.78.1.%d", i);
			rr_addr(&m, 12, NULL, a, 3600);
			n = frame(f, "10.78.0.53", "10.77.0.50", 53, 40100, &m, 0);
			split_run(skel->progs.ks_tc_tun_dns, f, n);
		}
		for (int i = 0; i < 100000; i++) {
			unsigned port = 1024 + (unsigned)(i % 60000), id = (unsigned)i & 0xffff;

			snprintf(name, sizeof(name), "n%d.zoom.example", i);
			snprintf(a, sizeof(a), "198.%d.%d.%d", 19 + i / 65536, (i >> 8) & 255, i & 255);
			uplink_query(name, "198.18.2.53", port, id);
			uplink_answer(name, "198.18.2.53", 53, port, id, a);
		}
		for (int i = 0; i < 64; i++) {
			snprintf(a, sizeof(a), "10.78.1.%d", i);
			lost += !learned(a, NULL);
		}
		ASSERT_EQ(lost, 0, "every address the tunnel taught is still there");
		ASSERT_EQ(decide("10.78.1.7"), VERDICT_TUNNEL, "and still decides");
		ASSERT_TRUE(count_learned(skel->maps.ks_learned4_uplink, 4) > 1000,
			    "the flood went to the uplink's own map");
	}
}

/* Puts an 8-byte extension header (type nh: hop-by-hop 0, destination options 60) between
 * the IPv6 header and what followed it in an Ethernet frame of n bytes; the new length. */
static size_t ip6_ext(unsigned char *fr, size_t n, unsigned char nh)
{
	unsigned char *ip = fr + 14;
	unsigned plen = (unsigned)ip[4] << 8 | ip[5];

	memmove(ip + 48, ip + 40, n - 54);
	memset(ip + 40, 0, 8);
	ip[40] = ip[6]; /* the header after it: what the IPv6 header named */
	ip[6] = nh;
	plen += 8;
	ip[4] = (unsigned char)(plen >> 8);
	ip[5] = (unsigned char)plen;
	return n + 8;
}

static void ipv6_extension_headers(void)
{
	unsigned char q[700];
	struct msg m;
	size_t n;

	test__start_subtest("IPv6 DNS behind extension headers: seen, steered or blocked, learned");
	header(&m, 0x0100, 0);
	question(&m, "jira.corp.example", 1);
	n = frame(q, "fd00::2", "fd00:2::53", 41010, 53, &m, 0);
	n = ip6_ext(q, n, 60);
	n = ip6_ext(q, n, 0);
	/* No corporate DNS server of family 6 in this config: fail closed, not leaked. */
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_SHOT,
		  "corporate query behind hop-by-hop + dest opts: not leaked");
	header(&m, 0x0100, 0);
	question(&m, "www.public.example", 1);
	n = ip6_ext(q, frame(q, "fd00::2", "fd00:2::53", 41011, 53, &m, 0), 60);
	ASSERT_EQ(split_run(skel->progs.ks_tc_uplink_egress, q, n), TC_ACT_UNSPEC,
		  "public query behind dest opts passes");
	clear_learned();
	header(&m, ANSWER, 1);
	question(&m, "v6ext.corp.example", 28);
	rr_addr(&m, 12, NULL, "fd78:78::77", 60);
	n = ip6_ext(q, frame(q, "fd78:78::53", "fd77:77::50", 53, 41012, &m, 0), 60);
	ASSERT_EQ(split_run(skel->progs.ks_tc_tun_dns, q, n), TC_ACT_UNSPEC, "answer passes on");
	ASSERT_TRUE(learned("fd78:78::77", NULL), "answer behind dest opts learned");
}

void test_bpf_dns(void)
{
	skel = split_test_load();
	if (!skel)
		return;
	set_config(KS_STATE_UP);
	add_domain("corp.example", KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE);
	add_domain("video.corp.example", KS_DOMAIN_EXCLUDE);
	add_domain("mail.publiccorp.example", KS_DOMAIN_TUNNEL);
	add_domain("zoom.example", KS_DOMAIN_EXCLUDE);

	learning_basics();
	learning_many();
	learning_chains();
	learning_malformed();
	domain_matching();
	steering();
	uplink_answers();
	ipv6_extension_headers();
	tcp_guard();
	ks_split_bpf__destroy(skel);
	skel = NULL;
}
