// SPDX-License-Identifier: GPL-2.0-only
/* GRO: a fuzzed sequence of gro_add / gro_flush / gro_write_done over one gatherer, as
 * the tunnel's loop drives it. Checked: every write lies in the arena and stays
 * untouched until its gro_write_done; segments and bytes are conserved (what went in
 * comes out, headers of merged segments aside); DATA_VALID is only claimed for a correct
 * checksum; a super-packet is one gso_split() cuts back into exactly its segments.
 * Input: flags (virtio header, coalescing, arena size), then operations:
 *   op&3 = 0,1: add a packet (u16 length, bytes); op&4: fix its lengths and checksums
 *   op&3 = 2:   gro_flush       op&3 = 3: gro_write_done */
#include "../../user/gro.c"

#include <stdlib.h>

#include "fuzz.h"
#include "ref_csum.h"

#define MAX_OUT 64

struct write_rec {
	const uint8_t *data;
	uint8_t *copy;
	size_t len;
};

static struct {
	struct ks_gro *g;
	struct write_rec w[MAX_OUT];
	unsigned int head, count; /* outstanding writes, oldest first */
	unsigned int untracked;	  /* in flight, no longer watched */
	uint64_t segs_out, bytes_out, super_packets, coalesced;
} st;

static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	return ref_csum_fold(ref_csum_add(acc, p, n));
}

static bool l4_ok(const uint8_t *p, size_t len, unsigned int l4, uint8_t proto)
{
	uint32_t acc = proto + (uint32_t)(len - l4);

	acc += (p[0] >> 4) == 4 ? ref_csum_add(0, p + 12, 8) : ref_csum_add(0, p + 8, 32);
	return ref_sum(p + l4, len - l4, acc) == 0xffff;
}

static int count_cb(void *ctx, uint8_t *pkt, size_t len)
{
	(*(int *)ctx)++;
	return 0;
}

static void check_write(uint8_t *data, size_t len, unsigned int segs)
{
	struct ks_gro *g = st.g;
	size_t room = g->vnet ? KS_VNET_HDR_LEN : 0;
	struct virtio_net_hdr h = { 0 };

	FUZZ_CHECK(data >= g->arena && len <= g->size && data + len <= g->arena + g->size,
		   "write outside the arena");
	FUZZ_CHECK(len > room && segs >= 1, "write of %zu bytes, %u segments", len, segs);
	if (g->vnet)
		memcpy(&h, data, sizeof(h));
	if (segs > 1) {
		const uint8_t *ip = data + room;
		uint8_t *copy = malloc(len);
		int n = 0, ret;

		FUZZ_CHECK(g->coalesce, "segments merged with coalescing off");
		FUZZ_CHECK(h.flags == VIRTIO_NET_HDR_F_NEEDS_CSUM && h.csum_offset == 16 &&
				   h.hdr_len > h.csum_start && h.gso_size,
			   "super-packet header");
		FUZZ_CHECK((ip[0] >> 4) == 4 ? pkt_get16(ip + 2) == len - room
					     : pkt_get16(ip + 4) + 40u == len - room,
			   "super-packet IP length");
		memcpy(copy, data, len);
		ret = gso_split(copy, len, h.hdr_len + h.gso_size, count_cb, &n);
		FUZZ_CHECK(ret == (int)segs && n == (int)segs,
			   "super-packet of %u segments cut into %d (mss %u)", segs, ret,
			   h.gso_size);
		free(copy);
		st.super_packets++;
		st.coalesced += segs;
	} else if (h.flags & VIRTIO_NET_HDR_F_DATA_VALID) {
		const uint8_t *ip = data + room;
		unsigned int l4 = (ip[0] >> 4) == 4 ? 20 : 40;

		FUZZ_CHECK(!h.gso_type && len - room >= l4 + 20, "DATA_VALID header");
		FUZZ_CHECK(l4_ok(ip, len - room, l4, IPPROTO_TCP),
			   "DATA_VALID on a wrong TCP checksum");
	} else {
		FUZZ_CHECK(!h.flags && !h.gso_type, "plain write with flags %u", h.flags);
	}
	st.segs_out += segs;
	st.bytes_out += len - room + (uint64_t)(segs - 1) * (segs > 1 ? h.hdr_len : 0);
}

static void verify(const struct write_rec *w)
{
	FUZZ_CHECK(!memcmp(w->data, w->copy, w->len), "a write changed before it completed");
}

/* One write completes; which one does not matter to the gatherer (its arena starts over
 * only when none is in flight), so the untracked ones go first. */
static void write_done(void)
{
	if (st.untracked) {
		st.untracked--;
	} else if (st.count) {
		struct write_rec *w = &st.w[st.head];

		verify(w);
		free(w->copy);
		st.head = (st.head + 1) % MAX_OUT;
		st.count--;
	} else {
		return;
	}
	gro_write_done(st.g);
}

static void on_write(void *ctx, uint8_t *data, size_t len, unsigned int segs)
{
	struct write_rec *w;

	check_write(data, len, segs);
	for (unsigned int i = 0; i < st.count; i++)
		verify(&st.w[(st.head + i) % MAX_OUT]);
	if (st.count == MAX_OUT) { /* stop watching the oldest: keep the copies bounded */
		free(st.w[st.head].copy);
		st.head = (st.head + 1) % MAX_OUT;
		st.count--;
		st.untracked++;
	}
	w = &st.w[(st.head + st.count++) % MAX_OUT];
	w->data = data;
	w->len = len;
	w->copy = malloc(len);
	memcpy(w->copy, data, len);
}

/* What a sender would have put there: lengths and checksums right, so that the fuzzer
 * reaches the merging paths. */
static void fix_packet(uint8_t *p, size_t len)
{
	unsigned int v = len ? p[0] >> 4 : 0, l4, proto;
	uint32_t acc;
	size_t off;

	if (v == 4 && len >= 20) {
		l4 = (p[0] & 0xf) * 4u;
		if (l4 < 20 || l4 > len)
			return;
		pkt_put16(p + 2, (uint32_t)len);
		proto = p[9];
		p[10] = p[11] = 0;
		pkt_put16(p + 10, (uint16_t)~ref_sum(p, l4, 0));
		acc = ref_csum_add(0, p + 12, 8);
	} else if (v == 6 && len >= 40) {
		l4 = 40;
		pkt_put16(p + 4, (uint32_t)(len - 40));
		proto = p[6];
		acc = ref_csum_add(0, p + 8, 32);
	} else {
		return;
	}
	off = proto == IPPROTO_TCP ? 16 : proto == IPPROTO_UDP ? 6 : 0;
	if (!off || l4 + off + 2 > len)
		return;
	p[l4 + off] = p[l4 + off + 1] = 0;
	acc += proto + (uint32_t)(len - l4);
	pkt_put16(p + l4 + off, (uint16_t)~ref_sum(p + l4, len - l4, acc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t arenas[] = { 4096, 8192, 16384, 65536, 70000, 131072, 200000, 1 << 20 };
	struct fuzz_in in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	struct ks_gro_stats gs = { 0 };
	struct ks_gro g;
	uint64_t segs_in = 0, bytes_in = 0;

	memset(&st, 0, sizeof(st));
	st.g = &g;
	FUZZ_CHECK(
		!gro_init(&g, arenas[(flags >> 2) & 7], flags & 1, flags & 2, on_write, NULL, &gs),
		"gro_init");
	while (in.n) {
		uint8_t op = fuzz_u8(&in);
		size_t want, n;
		const uint8_t *p;
		uint8_t *pkt;
		int err;

		switch (op & 3) {
		case 0:
		case 1:
			want = fuzz_u16(&in) & 0x7ff;
			p = fuzz_bytes(&in, want, &n);
			pkt = malloc(n ? n : 1); /* exactly n bytes */
			memcpy(pkt, p, n);
			if (op & 4)
				fix_packet(pkt, n);
			err = n ? gro_add(&g, pkt, n) : 0;
			free(pkt);
			FUZZ_CHECK(!err || err == -ENOBUFS, "gro_add: %d", err);
			if (n && !err) {
				segs_in++;
				bytes_in += n;
			}
			FUZZ_CHECK(g.nflows <= KS_GRO_FLOWS && g.top <= g.size, "gatherer state");
			break;
		case 2:
			gro_flush(&g);
			FUZZ_CHECK(!g.nflows, "flows left after a flush");
			break;
		case 3:
			write_done();
			break;
		}
	}
	gro_flush(&g);
	FUZZ_LOG("gro: %llu segments, %llu super-packets of %llu, %llu bad checksums",
		 (unsigned long long)segs_in, (unsigned long long)gs.super_packets,
		 (unsigned long long)gs.coalesced, (unsigned long long)gs.bad_checksums);
	FUZZ_CHECK(st.segs_out == segs_in, "%llu segments in, %llu out",
		   (unsigned long long)segs_in, (unsigned long long)st.segs_out);
	FUZZ_CHECK(st.bytes_out == bytes_in, "%llu bytes in, %llu out",
		   (unsigned long long)bytes_in, (unsigned long long)st.bytes_out);
	FUZZ_CHECK(gs.super_packets == st.super_packets && gs.coalesced == st.coalesced,
		   "stats %llu/%llu, seen %llu/%llu", (unsigned long long)gs.super_packets,
		   (unsigned long long)gs.coalesced, (unsigned long long)st.super_packets,
		   (unsigned long long)st.coalesced);
	while (st.count || st.untracked)
		write_done();
	FUZZ_CHECK(!g.inflight, "%u writes in flight after all completed", g.inflight);
	gro_free(&g);
	return 0;
}
