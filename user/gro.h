/* SPDX-License-Identifier: GPL-2.0-only */
/* TUN offloads, the way in: the packets of one loop pass, gathered for the TUN.
 * TCP segments that follow each other in one flow become one super-packet (GRO,
 * as a NIC driver would build it), so the stack above takes one 64 KB packet
 * instead of 45. Everything else is written as it came, in order within its
 * flow. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KS_GRO_FLOWS 8 /* open super-packets, as the kernel's GRO keeps per queue */

/* What the gatherer did, kept where its owner's counters live. */
struct ks_gro_stats {
	uint64_t super_packets; /* writes carrying several segments */
	uint64_t coalesced;	/* segments they carried */
	uint64_t bad_checksums; /* segments not merged: their checksum was wrong */
};

/* One write for the TUN: data (virtio header first when vnet) stays valid until
 * gro_write_done() has been called for it. */
typedef void (*ks_tun_write_fn)(void *ctx, uint8_t *data, size_t len, unsigned int segs);

struct ks_gro_flow {
	size_t at;  /* arena offset of the virtio header */
	size_t len; /* IP packet bytes so far */
	size_t cap; /* IP packet bytes the reservation holds */
	uint32_t next_seq;
	uint16_t mss, l4, hl;
	uint16_t segs;
	bool closed; /* a short or PSH segment ended it */
};

struct ks_gro {
	uint8_t *arena;
	size_t size, top;
	bool vnet;     /* writes carry a virtio header */
	bool coalesce; /* GRO on (needs vnet) */
	unsigned int inflight;
	unsigned int nflows;
	struct ks_gro_flow flows[KS_GRO_FLOWS];
	ks_tun_write_fn write;
	void *ctx;
	struct ks_gro_stats *stats;
};

int gro_init(struct ks_gro *g, size_t arena_size, bool vnet, bool coalesce, ks_tun_write_fn write,
	     void *ctx, struct ks_gro_stats *stats);
void gro_free(struct ks_gro *g);
/* Copies the packet in. -ENOBUFS: no room until writes complete (the caller
 * drops it). */
int gro_add(struct ks_gro *g, const uint8_t *pkt, size_t len);
/* Writes out every open super-packet: at the end of each pass. */
void gro_flush(struct ks_gro *g);
/* A write handed out has completed: its memory may be reused. */
void gro_write_done(struct ks_gro *g);
