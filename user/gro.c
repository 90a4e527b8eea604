// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "pkt_field.h"
#include "gro.h"
#include "gso.h"

#define TCP_PSH	   0x08
#define TCP_ACK	   0x10
#define ALIGN16(x) (((x) + 15) & ~(size_t)15)
#define IP_MAX	   65535u

int gro_init(struct ks_gro *g, size_t arena_size, bool vnet, bool coalesce, ks_tun_write_fn write,
	     void *ctx, struct ks_gro_stats *stats)
{
	memset(g, 0, sizeof(*g));
	g->arena = malloc(arena_size);
	if (!g->arena)
		return -ENOMEM;
	g->size = arena_size;
	g->vnet = vnet;
	g->coalesce = vnet && coalesce;
	g->write = write;
	g->ctx = ctx;
	g->stats = stats;
	return 0;
}

void gro_free(struct ks_gro *g)
{
	free(g->arena);
	g->arena = NULL;
}

static size_t hdr_room(const struct ks_gro *g)
{
	return g->vnet ? KS_VNET_HDR_LEN : 0;
}

/* Nothing in flight and nothing open: start the arena over. */
static void maybe_reset(struct ks_gro *g)
{
	if (!g->inflight && !g->nflows)
		g->top = 0;
}

static uint8_t *reserve(struct ks_gro *g, size_t want, size_t *at)
{
	maybe_reset(g);
	if (want > g->size - g->top)
		return NULL;
	*at = g->top;
	g->top += ALIGN16(want);
	return g->arena + *at;
}

static void emit(struct ks_gro *g, uint8_t *data, size_t len, unsigned int segs)
{
	g->inflight++;
	g->write(g->ctx, data, len, segs);
}

void gro_write_done(struct ks_gro *g)
{
	if (g->inflight)
		g->inflight--;
	maybe_reset(g);
}

/* A TCP segment as GRO sees it. */
struct seg {
	unsigned int l4, hl, v;
	size_t n;	/* payload bytes */
	bool mergeable; /* plain ACK(+PSH) data, no IP options or fragments */
};

/* 1 for TCP (with s filled in), 0 for anything else. */
static int parse_tcp(const uint8_t *p, size_t len, struct seg *s)
{
	const uint8_t *th;

	if (len < 20)
		return 0;
	s->v = p[0] >> 4;
	if (s->v == 4) {
		if (p[9] != IPPROTO_TCP || (p[0] & 0xf) < 5)
			return 0;
		s->l4 = (p[0] & 0xf) * 4u;
		s->mergeable = s->l4 == 20 && pkt_get16(p + 2) == len &&
			       (pkt_get16(p + 6) & 0xbfff) == 0 && (p[6] & 0x40); /* DF, no frags */
	} else if (s->v == 6 && len >= 40 && p[6] == IPPROTO_TCP) {
		s->l4 = 40;
		s->mergeable = pkt_get16(p + 4) + 40u == len;
	} else {
		return 0;
	}
	if (s->l4 + 20 > len)
		return 0;
	th = p + s->l4;
	s->hl = s->l4 + (th[12] >> 4) * 4u;
	if (s->hl < s->l4 + 20 || s->hl > len)
		return 0;
	s->n = len - s->hl;
	s->mergeable = s->mergeable && s->n > 0 && (th[13] & ~TCP_PSH) == TCP_ACK;
	return 1;
}

/* Same addresses and ports. */
static bool same_flow(const uint8_t *a, const uint8_t *b, const struct seg *s)
{
	if ((a[0] >> 4) != s->v)
		return false;
	if (s->v == 4)
		return !memcmp(a + 12, b + 12, 8) && !memcmp(a + 20, b + s->l4, 4);
	return !memcmp(a + 8, b + 8, 32) && !memcmp(a + 40, b + s->l4, 4);
}

/* What the kernel's GRO also insists on: the same IP header but for lengths,
 * IDs and checksum, the same ack, window and options, a segment no longer than
 * the first. */
static bool can_append(const struct ks_gro_flow *f, const uint8_t *head, const uint8_t *p,
		       const struct seg *s, uint32_t seq)
{
	const uint8_t *ft = head + f->l4, *th = p + s->l4;

	if (f->closed || !s->mergeable || s->hl != f->hl || s->n > f->mss || seq != f->next_seq ||
	    f->len + s->n > f->cap || f->segs == UINT16_MAX)
		return false;
	if (s->v == 4 ? head[1] != p[1] || head[8] != p[8] || head[6] != p[6]
		      : memcmp(head, p, 4) || head[7] != p[7])
		return false;
	return !memcmp(ft + 8, th + 8, 5) && !memcmp(ft + 14, th + 14, 2) &&
	       !memcmp(ft + 20, th + 20, s->hl - s->l4 - 20);
}

static bool csum_ok(const uint8_t *p, const struct seg *s, size_t len)
{
	size_t l4_len = len - s->l4;

	return csum_fold(csum_add(csum_pseudo(p, IPPROTO_TCP, (uint32_t)l4_len), p + s->l4,
				  l4_len)) == 0xffff;
}

static void flush_flow(struct ks_gro *g, unsigned int i)
{
	struct ks_gro_flow *f = &g->flows[i];
	uint8_t *vh = g->arena + f->at, *p = vh + KS_VNET_HDR_LEN, *th = p + f->l4;
	struct virtio_net_hdr h = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };

	if (f->segs > 1) {
		if ((p[0] >> 4) == 4) {
			pkt_put16(p + 2, (uint32_t)f->len);
			p[10] = p[11] = 0;
			csum_store(p + 10, csum_finish(csum_add(0, p, f->l4)));
		} else {
			pkt_put16(p + 4, (uint32_t)(f->len - 40));
		}
		/* The pseudo-header sum only: the stack finishes it if it ever segments. */
		th[16] = th[17] = 0;
		csum_store(th + 16,
			   csum_fold(csum_pseudo(p, IPPROTO_TCP, (uint32_t)(f->len - f->l4))));
		h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
		h.gso_type = (p[0] >> 4) == 4 ? VIRTIO_NET_HDR_GSO_TCPV4 : VIRTIO_NET_HDR_GSO_TCPV6;
		h.hdr_len = f->hl;
		h.gso_size = f->mss;
		h.csum_start = f->l4;
		h.csum_offset = 16;
		g->stats->super_packets++;
		g->stats->coalesced += f->segs;
	}
	memcpy(vh, &h, sizeof(h));
	/* The last reservation gives back what it did not use. */
	if (g->top == f->at + ALIGN16(KS_VNET_HDR_LEN + f->cap))
		g->top = f->at + ALIGN16(KS_VNET_HDR_LEN + f->len);
	emit(g, vh, KS_VNET_HDR_LEN + f->len, f->segs);
	g->flows[i] = g->flows[--g->nflows];
}

void gro_flush(struct ks_gro *g)
{
	while (g->nflows)
		flush_flow(g, 0);
}

static int add_alone(struct ks_gro *g, const uint8_t *pkt, size_t len)
{
	size_t at, room = hdr_room(g);
	uint8_t *d = reserve(g, room + len, &at);

	if (!d)
		return -ENOBUFS;
	memset(d, 0, room);
	memcpy(d + room, pkt, len);
	emit(g, d, room + len, 1);
	return 0;
}

static int start_flow(struct ks_gro *g, const uint8_t *pkt, size_t len, const struct seg *s)
{
	struct ks_gro_flow *f;
	size_t at, cap = IP_MAX;
	uint8_t *d;
	uint32_t seq;

	if (g->nflows == KS_GRO_FLOWS)
		flush_flow(g, 0); /* the oldest */
	maybe_reset(g);
	if (g->size - g->top < ALIGN16(KS_VNET_HDR_LEN + cap))
		cap = len; /* no room to grow: this one goes alone */
	d = reserve(g, KS_VNET_HDR_LEN + cap, &at);
	if (!d)
		return -ENOBUFS;
	memcpy(d + KS_VNET_HDR_LEN, pkt, len);
	memcpy(&seq, pkt + s->l4 + 4, 4);
	f = &g->flows[g->nflows++];
	*f = (struct ks_gro_flow){ .at = at,
				   .len = len,
				   .cap = cap,
				   .mss = (uint16_t)s->n,
				   .l4 = (uint16_t)s->l4,
				   .hl = (uint16_t)s->hl,
				   .segs = 1,
				   .next_seq = ntohl(seq) + (uint32_t)s->n,
				   .closed = pkt[s->l4 + 13] & TCP_PSH };
	return 0;
}

int gro_add(struct ks_gro *g, const uint8_t *pkt, size_t len)
{
	struct seg s;
	uint32_t seq;
	unsigned int i;

	if (!g->coalesce || !parse_tcp(pkt, len, &s))
		return add_alone(g, pkt, len);
	if (s.mergeable && !csum_ok(pkt, &s, len)) {
		g->stats->bad_checksums++; /* the stack drops and counts it */
		s.mergeable = false;
	}
	memcpy(&seq, pkt + s.l4 + 4, 4);
	seq = ntohl(seq);
	for (i = 0; i < g->nflows; i++) {
		struct ks_gro_flow *f = &g->flows[i];
		uint8_t *head = g->arena + f->at + KS_VNET_HDR_LEN;

		if (!same_flow(head, pkt, &s))
			continue;
		if (can_append(f, head, pkt, &s, seq)) {
			memcpy(head + f->len, pkt + s.hl, s.n);
			f->len += s.n;
			f->segs++;
			f->next_seq += (uint32_t)s.n;
			if (s.n < f->mss || (pkt[s.l4 + 13] & TCP_PSH)) {
				head[f->l4 + 13] |= pkt[s.l4 + 13] & TCP_PSH;
				f->closed = true;
			}
			return 0;
		}
		flush_flow(g, i); /* keeps the flow's order: what is open goes first */
		break;
	}
	return s.mergeable ? start_flow(g, pkt, len, &s) : add_alone(g, pkt, len);
}
