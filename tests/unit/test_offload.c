// SPDX-License-Identifier: GPL-2.0-only
/* TUN offloads: gso_split() against a byte-at-a-time reference checksum,
 * gro_add() and the round trip (coalesce, then cut again: the original segments
 * come back). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>

#include "csum.h"
#include "gro.h"
#include "gso.h"
#include "ks_test.h"
#include "ref_csum.h"

#define MAXP 70000

static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	return ref_csum_fold(ref_csum_add(acc, p, n));
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, v >> 16);
	wr16(p + 2, v);
}

/* The L4 checksum of a whole packet is right: sum with the pseudo-header is
 * 0xffff. */
static bool l4_ok(const uint8_t *p, size_t len)
{
	unsigned int v = p[0] >> 4, l4 = v == 4 ? (p[0] & 0xf) * 4u : 40,
		     proto = v == 4 ? p[9] : p[6];
	uint32_t acc = proto + (uint32_t)(len - l4);

	acc += v == 4 ? ref_sum(p + 12, 8, 0) : ref_sum(p + 8, 32, 0);
	return ref_sum(p + l4, len - l4, acc) == 0xffff;
}

static bool ip4_ok(const uint8_t *p)
{
	return ref_sum(p, (p[0] & 0xf) * 4u, 0) == 0xffff;
}

struct flow {
	int v;		  /* 4 or 6 */
	uint8_t proto;	  /* IPPROTO_TCP or IPPROTO_UDP */
	unsigned int opt; /* TCP option bytes (timestamps: 12) */
	uint32_t seq, ack;
	uint16_t id, window;
	uint8_t flags;
};

/* One IP packet of the flow with n payload bytes (payload[i] = (off + i) * 7),
 * checksums done; returns its length. */
static size_t build(uint8_t *p, const struct flow *f, size_t off, size_t n)
{
	unsigned int l4 = f->v == 4 ? 20 : 40, th = f->proto == IPPROTO_TCP ? 20 + f->opt : 8;
	size_t len = l4 + th + n;

	memset(p, 0, l4 + th);
	if (f->v == 4) {
		p[0] = 0x45;
		wr16(p + 2, (uint32_t)len);
		wr16(p + 4, f->id);
		p[6] = 0x40; /* DF */
		p[8] = 64;
		p[9] = f->proto;
		wr32(p + 12, 0x0a4d0032);
		wr32(p + 16, 0x0a4e000a);
		wr16(p + 10, (uint16_t)~ref_sum(p, 20, 0));
	} else {
		p[0] = 0x60;
		wr16(p + 4, (uint32_t)(len - 40));
		p[6] = f->proto;
		p[7] = 64;
		p[8] = 0xfd;
		p[23] = 0x50;
		p[24] = 0xfd;
		p[39] = 0x10;
	}
	wr16(p + l4, 40000);
	wr16(p + l4 + 2, 5201);
	if (f->proto == IPPROTO_TCP) {
		wr32(p + l4 + 4, f->seq + (uint32_t)off);
		wr32(p + l4 + 8, f->ack);
		p[l4 + 12] = (uint8_t)(th / 4 << 4);
		p[l4 + 13] = f->flags;
		wr16(p + l4 + 14, f->window);
		for (unsigned int i = 0; i < f->opt; i++)
			p[l4 + 20 + i] = i == 0	  ? 1
					 : i == 1 ? 1
					 : i == 2 ? 8
					 : i == 3 ? 10
						  : (uint8_t)i;
	} else {
		wr16(p + l4 + 4, th + (uint32_t)n);
	}
	for (size_t i = 0; i < n; i++)
		p[l4 + th + i] = (uint8_t)((off + i) * 7);
	uint32_t acc = f->proto + (uint32_t)(th + n);
	acc += f->v == 4 ? ref_sum(p + 12, 8, 0) : ref_sum(p + 8, 32, 0);
	uint16_t c = (uint16_t)~ref_sum(p + l4, th + n, acc);
	wr16(p + l4 + (f->proto == IPPROTO_TCP ? 16 : 6), c);
	return len;
}

/* After editing an IPv4 TCP packet: its TCP checksum again. */
static void refresh_tcp4(uint8_t *p, size_t len)
{
	uint32_t acc = IPPROTO_TCP + (uint32_t)(len - 20) + ref_sum(p + 12, 8, 0);

	wr16(p + 36, 0);
	wr16(p + 36, (uint16_t)~ref_sum(p + 20, len - 20, acc));
}

/* A super-packet as the kernel hands it over: the L4 field holds the
 * pseudo-header sum. */
static size_t build_super(uint8_t *buf, const struct flow *f, size_t n, uint16_t mss)
{
	uint8_t *p = buf + KS_VNET_HDR_LEN;
	size_t len = build(p, f, 0, n);
	unsigned int l4 = f->v == 4 ? 20 : 40, coff = f->proto == IPPROTO_TCP ? 16 : 6;
	struct virtio_net_hdr h = {
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
		.gso_type = f->proto == IPPROTO_UDP ? VIRTIO_NET_HDR_GSO_UDP_L4
			    : f->v == 4		    ? VIRTIO_NET_HDR_GSO_TCPV4
						    : VIRTIO_NET_HDR_GSO_TCPV6,
		.hdr_len = (uint16_t)(l4 + (f->proto == IPPROTO_TCP ? 20 + f->opt : 8)),
		.gso_size = mss,
		.csum_start = (uint16_t)l4,
		.csum_offset = (uint16_t)coff,
	};
	uint32_t acc = f->proto + (uint32_t)(len - l4);

	acc += f->v == 4 ? ref_sum(p + 12, 8, 0) : ref_sum(p + 8, 32, 0);
	wr16(p + l4 + coff, ref_sum(NULL, 0, acc));
	memcpy(buf, &h, sizeof(h));
	return KS_VNET_HDR_LEN + len;
}

/* What came out of gso_split / gro, copied. */
struct out {
	int n;
	size_t len[256];
	unsigned int segs[256];
	uint8_t *pkt[256];
	int fail_at; /* emit returns -EPIPE at this packet */
};

static int collect(void *ctx, uint8_t *pkt, size_t len)
{
	struct out *o = ctx;

	if (o->n == o->fail_at)
		return -EPIPE;
	if (o->n == 256)
		return -ENOSPC;
	o->pkt[o->n] = malloc(len);
	memcpy(o->pkt[o->n], pkt, len);
	o->segs[o->n] = 1;
	o->len[o->n++] = len;
	/* What the tunnel does: its frame header goes in the 8 bytes before the
	 * packet. */
	memset(pkt - 8, 0xee, 8);
	return 0;
}

static void out_reset(struct out *o)
{
	for (int i = 0; i < o->n; i++)
		free(o->pkt[i]);
	memset(o, 0, sizeof(*o));
	o->fail_at = -1;
}

static void check_segments(struct out *o, const struct flow *f, size_t total, size_t seg,
			   const char *what)
{
	size_t want_n = (total + seg - 1) / seg, off = 0;
	bool ok = (size_t)o->n == want_n;

	ASSERT_EQ(o->n, want_n, what);
	for (int i = 0; ok && i < o->n; i++) {
		uint8_t *p = o->pkt[i], want[MAXP];
		size_t n = total - off < seg ? total - off : seg;
		struct flow fi = *f;

		if (f->proto == IPPROTO_TCP) {
			fi.flags = f->flags;
			if (i + 1 < o->n)
				fi.flags &= (uint8_t)~0x09; /* FIN, PSH on the last only */
			if (i)
				fi.flags &= (uint8_t)~0x80; /* CWR on the first only */
		}
		fi.id = (uint16_t)(f->id + i);
		size_t wl = build(want, &fi, off, n);

		ok = KS_CHECK(o->len[i] == wl && !memcmp(p, want, wl),
			      "%s: segment %d differs from the reference (len %zu vs %zu)", what, i,
			      o->len[i], wl);
		ok = ok && KS_CHECK(l4_ok(p, o->len[i]), "%s: segment %d L4 checksum", what, i);
		if (f->v == 4)
			ok = ok && KS_CHECK(ip4_ok(p), "%s: segment %d IP checksum", what, i);
		off += n;
	}
}

void test_gso_split(void)
{
	static uint8_t buf[MAXP];
	struct out o = { .fail_at = -1 };
	struct flow tcp4 = { .v = 4,
			     .proto = IPPROTO_TCP,
			     .opt = 12,
			     .seq = 0xfffff000,
			     .ack = 77,
			     .id = 0xfffe,
			     .window = 501,
			     .flags = 0x18 | 0x80 | 0x01 };
	struct flow tcp6 = { .v = 6,
			     .proto = IPPROTO_TCP,
			     .opt = 0,
			     .seq = 1,
			     .ack = 2,
			     .window = 9,
			     .flags = 0x10 };
	struct flow udp4 = { .v = 4, .proto = IPPROTO_UDP, .id = 3 };
	struct flow udp6 = { .v = 6, .proto = IPPROTO_UDP };
	size_t len;

	test__start_subtest("TCPv4 super-packet: segments equal what a sender would build");
	len = build_super(buf, &tcp4, 10000, 1000);
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), 10, "segments");
	check_segments(&o, &tcp4, 10000, 1000, "tcp4");
	out_reset(&o);

	test__start_subtest("the tunnel MTU wins over gso_size; last segment short");
	len = build_super(buf, &tcp4, 64000, 1448);
	ASSERT_EQ(gso_split(buf, len, 1300, collect, &o), (64000 + 1247) / 1248, "segments");
	check_segments(&o, &tcp4, 64000, 1300 - 52, "tcp4 mtu");
	out_reset(&o);

	test__start_subtest("TCPv6, the largest super-packet");
	len = build_super(buf, &tcp6, 65535 - 20, 1380);
	ASSERT_EQ(gso_split(buf, len, 1500, collect, &o), (65515 + 1379) / 1380, "segments");
	check_segments(&o, &tcp6, 65515, 1380, "tcp6");
	out_reset(&o);

	test__start_subtest("UDP segmentation offload, v4 and v6, odd lengths");
	len = build_super(buf, &udp4, 5001, 1201);
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), 5, "udp4 segments");
	check_segments(&o, &udp4, 5001, 1201, "udp4");
	out_reset(&o);
	len = build_super(buf, &udp6, 3333, 999);
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), 4, "udp6 segments");
	check_segments(&o, &udp6, 3333, 999, "udp6");
	out_reset(&o);

	test__start_subtest("a plain packet with its checksum left to us");
	len = build_super(buf, &udp4, 101, 1400);
	buf[1] = VIRTIO_NET_HDR_GSO_NONE;
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), 1, "one packet");
	ASSERT_TRUE(o.n == 1 && l4_ok(o.pkt[0], o.len[0]), "checksum completed");
	out_reset(&o);
	len = build_super(buf, &tcp6, 50, 1400);
	memset(buf, 0, KS_VNET_HDR_LEN); /* no offload at all: passed as it is */
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), 1, "plain");
	ASSERT_TRUE(o.n == 1 && !memcmp(o.pkt[0], buf + KS_VNET_HDR_LEN, len - KS_VNET_HDR_LEN),
		    "unchanged");
	out_reset(&o);

	test__start_subtest("malformed headers are refused, nothing emitted");
	struct {
		const char *what;
		int at, val, want;
	} bad[] = {
		{ "gso without NEEDS_CSUM", 0, 0, -EINVAL },
		{ "csum_start off the IP header", 6, 24, -EINVAL },
		{ "TCP checksum offset not 16", 8, 6, -EINVAL },
		{ "UFO, never asked for", 1, VIRTIO_NET_HDR_GSO_UDP, -EOPNOTSUPP },
		{ "TCPV6 on an IPv4 packet", 1, VIRTIO_NET_HDR_GSO_TCPV6, -EINVAL },
		{ "gso_size 0", 4, 0, -EINVAL },
		{ "IP total length lies", 10 + 2, 0x12, -EINVAL },
		{ "TCP data offset under 5", 10 + 20 + 12, 0x40, -EINVAL },
		{ "TCP header past the end", 10 + 20 + 12, 0xf0, 0 },
		{ "not IP", 10, 0x35, -EINVAL },
		{ "fragment offset", 10 + 7, 1, -EINVAL },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		len = build_super(buf, &tcp4, 3000, 1000);
		if (bad[i].at >= 2 && bad[i].at <= 8) /* the u16 fields, in host order */
			memcpy(buf + bad[i].at, &(uint16_t){ (uint16_t)bad[i].val }, 2);
		else
			buf[bad[i].at] = (uint8_t)bad[i].val;
		if (!bad[i].want) { /* a header longer than the packet */
			len = KS_VNET_HDR_LEN + 20 + 40;
			wr16(buf + 10 + 2, 60);
			bad[i].want = -EINVAL;
		}
		ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), bad[i].want, bad[i].what);
		ASSERT_EQ(o.n, 0, bad[i].what);
		out_reset(&o);
	}
	ASSERT_EQ(gso_split(buf, KS_VNET_HDR_LEN, 1400, collect, &o), -EINVAL, "header only");
	len = build_super(buf, &udp4, 100, 1400);
	buf[1] = VIRTIO_NET_HDR_GSO_NONE;
	memcpy(buf + 6, &(uint16_t){ 200 }, 2); /* csum_start past the end */
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), -EINVAL, "csum_start past the end");
	len = build_super(buf, &udp4, 1500, 1400);
	memset(buf, 0, KS_VNET_HDR_LEN);
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), -EMSGSIZE, "plain packet over MTU");
	ASSERT_EQ(o.n, 0, "nothing emitted");

	test__start_subtest("an emit error stops the split");
	len = build_super(buf, &tcp4, 10000, 1000);
	o.fail_at = 3;
	ASSERT_EQ(gso_split(buf, len, 1400, collect, &o), -EPIPE, "error returned");
	ASSERT_EQ(o.n, 3, "three emitted");
	out_reset(&o);
}

static bool csum_matches(const uint8_t *b, size_t n)
{
	uint16_t fast = csum_fold(csum_add(0, b, n)), ref = 0;
	uint16_t portable = csum_fold(csum_add_portable(0, b, n));
	/* native-order sums: compare as the bytes they store */
	uint8_t fb[2], pb[2], rb[2];

	/* the reference's 32-bit sum, folded every 64 KiB so that it cannot overflow */
	for (size_t at = 0; at < n; at += 65536)
		ref = ref_sum(b + at, n - at < 65536 ? n - at : 65536, ref);
	rb[0] = (uint8_t)(ref >> 8);
	rb[1] = (uint8_t)ref;
	memcpy(fb, &fast, 2);
	memcpy(pb, &portable, 2);
	return KS_CHECK(!memcmp(fb, rb, 2) && !memcmp(pb, rb, 2),
			"length %zu at %p: %02x%02x (portable %02x%02x) vs %04x", n, (void *)b, fb[0],
			fb[1], pb[0], pb[1], ref);
}

void test_csum_fast_matches_reference(void)
{
	static uint8_t b[MAXP + 1];
	size_t big = (2u << 20) + 333; /* past the vector loop's 1 MiB block */
	uint8_t *ones = malloc(big);

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (uint8_t)(i * 131 + (i >> 3));
	/* every length to 300 (the vector loop's edges), then a stride; odd starts too */
	for (size_t n = 0; n < MAXP; n += n < 300 ? 1 : 997)
		if (!csum_matches(b, n) || !csum_matches(b + 1, n) || !csum_matches(b + 3, n))
			break;
	if (!ASSERT_TRUE(ones != NULL, "malloc"))
		return;
	memset(ones, 0xff, big); /* every lane at its largest: overflow shows here */
	csum_matches(ones, big);
	csum_matches(ones + 1, big - 1);
	free(ones);
}

/* GRO's writes, copied (virtio header first). */
static struct out gro_out;

static void gro_collect(void *ctx, uint8_t *data, size_t len, unsigned int segs)
{
	struct out *o = &gro_out;

	if (o->n < 256) {
		o->pkt[o->n] = malloc(len);
		memcpy(o->pkt[o->n], data, len);
		o->segs[o->n] = segs;
		o->len[o->n++] = len;
	}
}

static struct virtio_net_hdr vh(int i)
{
	struct virtio_net_hdr h;

	memcpy(&h, gro_out.pkt[i], sizeof(h));
	return h;
}

/* Feeds `count` segments of seg bytes (the last `last` bytes if nonzero). */
static void feed(struct ks_gro *g, struct flow *f, size_t first_off, int count, size_t seg,
		 size_t last)
{
	uint8_t p[2000];

	for (int i = 0; i < count; i++) {
		size_t n = i == count - 1 && last ? last : seg;
		size_t len = build(p, f, first_off + (size_t)i * seg, n);

		ASSERT_OK(gro_add(g, p, len), "gro_add");
		f->id++;
	}
}

void test_gro(void)
{
	struct ks_gro_stats st = { 0 };
	struct ks_gro g;
	struct out o = { .fail_at = -1 };
	struct flow a = { .v = 4,
			  .proto = IPPROTO_TCP,
			  .opt = 12,
			  .seq = 1000,
			  .ack = 5,
			  .id = 100,
			  .window = 300,
			  .flags = 0x10 };
	struct flow b = {
		.v = 6, .proto = IPPROTO_TCP, .seq = 7, .ack = 9, .window = 1, .flags = 0x10
	};
	uint8_t p[2000];
	size_t len;

	memset(&gro_out, 0, sizeof(gro_out));
	ASSERT_OK(gro_init(&g, 1 << 20, true, true, gro_collect, NULL, &st), "init");

	test__start_subtest("one flow in sequence: one super-packet, cut back to the originals");
	struct flow a0 = a;
	a.flags = 0x10;
	feed(&g, &a, 0, 29, 1388, 0);
	a.flags = 0x18; /* PSH on the last, shorter one */
	feed(&g, &a, 29 * 1388, 1, 1388, 500);
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 1, "one write");
	if (gro_out.n == 1) {
		struct virtio_net_hdr h = vh(0);
		uint8_t *ip = gro_out.pkt[0] + KS_VNET_HDR_LEN;

		ASSERT_EQ(gro_out.segs[0], 30, "segments");
		ASSERT_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV4, "gso type");
		ASSERT_EQ(h.gso_size, 1388, "mss");
		ASSERT_EQ(h.hdr_len, 52, "header length");
		ASSERT_EQ(h.csum_start, 20, "csum_start");
		ASSERT_EQ(h.flags, VIRTIO_NET_HDR_F_NEEDS_CSUM, "flags");
		ASSERT_EQ(rd16(ip + 2), 52 + 29 * 1388 + 500, "IP length");
		ASSERT_TRUE(ip4_ok(ip), "IP checksum");
		ASSERT_EQ(ip[33] & 0x08, 0x08, "PSH carried");
		/* The round trip: the kernel's view of a super-packet is what gso_split
		 * reads. */
		a0.flags = 0x18;
		ASSERT_EQ(gso_split(gro_out.pkt[0], gro_out.len[0], 1440, collect, &o), 30, "cut");
		check_segments(&o, &a0, 29 * 1388 + 500, 1388, "round trip");
		out_reset(&o);
	}
	ASSERT_EQ(st.coalesced, 30, "counted");
	out_reset(&gro_out);
	gro_write_done(&g);

	test__start_subtest("a gap in sequence starts a new super-packet");
	a.flags = 0x10;
	a.seq = 50000;
	feed(&g, &a, 0, 3, 1000, 0);
	feed(&g, &a, 4000, 3, 1000, 0); /* 3000..3999 missing */
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 2, "two writes");
	ASSERT_TRUE(gro_out.n == 2 && gro_out.segs[0] == 3 && gro_out.segs[1] == 3, "3 + 3");
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("ack, window or options that differ are not merged");
	a.seq = 90000;
	feed(&g, &a, 0, 2, 1000, 0);
	a.ack++;
	feed(&g, &a, 2000, 1, 1000, 0);
	a.window++;
	feed(&g, &a, 3000, 1, 1000, 0);
	len = build(p, &a, 4000, 1000);
	p[20 + 20 + 7]++; /* another timestamp */
	refresh_tcp4(p, len);
	ASSERT_OK(gro_add(&g, p, len), "add");
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 4, "four writes: 2 + 1 + 1 + 1... the last two apart");
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("a bad checksum is not merged and counted; the stack drops it");
	a.seq = 200000;
	feed(&g, &a, 0, 2, 1000, 0);
	len = build(p, &a, 2000, 1000);
	p[len - 1] ^= 0xff;
	ASSERT_OK(gro_add(&g, p, len), "add");
	gro_flush(&g);
	ASSERT_EQ(st.bad_checksums, 1, "counted");
	ASSERT_EQ(gro_out.n, 2, "the good two, then the bad one alone");
	if (gro_out.n == 2) {
		ASSERT_EQ(gro_out.segs[0], 2, "merged");
		ASSERT_EQ(vh(1).flags, 0, "bad one: no DATA_VALID");
		ASSERT_TRUE(!memcmp(gro_out.pkt[1] + KS_VNET_HDR_LEN, p, len), "bad one untouched");
	}
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("two flows interleaved, IPv6 too; a lone segment is DATA_VALID");
	a.seq = 300000;
	for (int i = 0; i < 5; i++) {
		feed(&g, &a, (size_t)i * 1200, 1, 1200, 0);
		feed(&g, &b, (size_t)i * 1200, 1, 1200, 0);
	}
	struct flow c = a;
	c.seq = 1;
	len = build(p, &c, 0, 10);
	wr16(p + 20 + 2, 80); /* another port: a third flow, one segment */
	refresh_tcp4(p, len);
	ASSERT_OK(gro_add(&g, p, len), "add");
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 3, "three writes");
	for (int i = 0; i < gro_out.n; i++) {
		struct virtio_net_hdr h = vh(i);

		if (gro_out.segs[i] == 1) {
			ASSERT_EQ(h.flags, VIRTIO_NET_HDR_F_DATA_VALID, "lone: checksum verified");
			ASSERT_EQ(h.gso_type, 0, "lone: no gso");
		} else {
			ASSERT_EQ(gro_out.segs[i], 5, "five each");
			if ((gro_out.pkt[i][KS_VNET_HDR_LEN] >> 4) == 6) {
				ASSERT_EQ(h.gso_type, VIRTIO_NET_HDR_GSO_TCPV6, "v6 type");
				ASSERT_EQ(rd16(gro_out.pkt[i] + KS_VNET_HDR_LEN + 4), 20 + 5 * 1200,
					  "v6 payload length");
			}
		}
	}
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("a FIN of an open flow goes after it; UDP goes alone at once");
	a.seq = 400000;
	feed(&g, &a, 0, 3, 1000, 0);
	struct flow u = { .v = 4, .proto = IPPROTO_UDP, .id = 1 };
	len = build(p, &u, 0, 30);
	ASSERT_OK(gro_add(&g, p, len), "udp");
	ASSERT_EQ(gro_out.n, 1, "udp written at once");
	a.flags = 0x11;
	feed(&g, &a, 3000, 1, 1000, 0);
	ASSERT_EQ(gro_out.n, 3, "flow flushed, then the FIN");
	if (gro_out.n == 3) {
		ASSERT_EQ(gro_out.segs[1], 3, "flow first");
		ASSERT_EQ(gro_out.pkt[2][KS_VNET_HDR_LEN + 33] & 1, 1, "FIN last");
		ASSERT_EQ(vh(0).flags | vh(0).gso_type, 0, "udp: zero header");
	}
	gro_flush(&g);
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("IP options, fragments, no DF, SYN: never merged");
	a.flags = 0x10;
	a.seq = 500000;
	for (int k = 0; k < 3; k++) {
		for (int i = 0; i < 2; i++) {
			len = build(p, &a, (size_t)i * 100, 100);
			if (k == 0)
				p[6] = 0; /* no DF */
			if (k == 1)
				p[6] = 0x60; /* DF + MF */
			if (k == 2)
				p[33] = 0x12; /* SYN ACK */
			ASSERT_OK(gro_add(&g, p, len), "add");
		}
	}
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 6, "six writes");
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);

	test__start_subtest("more flows than slots: the oldest goes out");
	for (int f = 0; f < KS_GRO_FLOWS + 1; f++) {
		struct flow x = a;

		x.ack = (uint32_t)f;
		len = build(p, &x, 0, 100);
		wr16(p + 20, 1000 + (uint32_t)f); /* its own source port */
		refresh_tcp4(p, len);
		ASSERT_OK(gro_add(&g, p, len), "add");
	}
	ASSERT_EQ(gro_out.n, 1, "one flushed early");
	ASSERT_EQ(g.nflows, KS_GRO_FLOWS, "the rest open");
	gro_flush(&g);
	out_reset(&gro_out);
	while (g.inflight)
		gro_write_done(&g);
	gro_free(&g);

	test__start_subtest("a full arena refuses until writes complete");
	ASSERT_OK(gro_init(&g, 8192, true, true, gro_collect, NULL, &st), "small arena");
	int taken = 0, err = 0;
	while (!err && taken < 100) {
		len = build(p, &u, 0, 1000);
		err = gro_add(&g, p, len);
		taken += !err;
	}
	ASSERT_EQ(err, -ENOBUFS, "refused");
	ASSERT_TRUE(taken >= 7 && taken < 100, "several fit first");
	while (g.inflight)
		gro_write_done(&g);
	ASSERT_OK(gro_add(&g, p, len), "room again");
	out_reset(&gro_out);
	gro_free(&g);

	test__start_subtest("without a virtio header: packets as they came, no merging");
	ASSERT_OK(gro_init(&g, 1 << 20, false, true, gro_collect, NULL, &st), "plain");
	a.seq = 1;
	feed(&g, &a, 0, 3, 1000, 0);
	gro_flush(&g);
	ASSERT_EQ(gro_out.n, 3, "three writes");
	ASSERT_TRUE(gro_out.n == 3 && gro_out.pkt[0][0] == 0x45, "no header in front");
	out_reset(&gro_out);
	gro_free(&g);
}
