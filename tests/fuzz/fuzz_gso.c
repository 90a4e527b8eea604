// SPDX-License-Identifier: GPL-2.0-only
/* gso_split(): one TUN read (virtio header + packet) with a fuzzed MTU, cut in place. The
 * callback scribbles over the bytes the header contract gives it (KS_VNET_HDR_LEN in
 * front of each packet), as the tunnel does with its frame header. Every packet must lie
 * in the buffer, fit the MTU, and, for a super-packet, carry the right slice of the
 * payload, sequence number, lengths and checksums (against the byte-wise reference).
 * Input: MTU (u16), the index at which the callback fails (u8, 255: never), the read. */
#include "../../user/gso.c"

#include <stdlib.h>

#include "fuzz.h"
#include "ref_csum.h"

struct ctx {
	const uint8_t *buf, *orig; /* the read, and a copy from before the split */
	size_t len;
	unsigned int mtu;
	int n, fail_at;
	bool gso;
	struct gso_shape s;
	size_t seg, payload;
};

static uint16_t ref_sum(const uint8_t *p, size_t n, uint32_t acc)
{
	return ref_csum_fold(ref_csum_add(acc, p, n));
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int emit_cb(void *arg, uint8_t *pkt, size_t len)
{
	struct ctx *c = arg;
	const uint8_t *opkt = c->orig + KS_VNET_HDR_LEN;
	int i = c->n++;

	FUZZ_CHECK(pkt >= c->buf + KS_VNET_HDR_LEN && pkt + len <= c->buf + c->len,
		   "packet %d outside the buffer", i);
	FUZZ_CHECK(len <= c->mtu, "packet %d: %zu bytes over MTU %u", i, len, c->mtu);
	if (c->gso) {
		const struct gso_shape *s = &c->s;
		size_t off = (size_t)i * c->seg, n = len - s->hl;
		uint32_t acc;

		FUZZ_CHECK(len > s->hl && off < c->payload, "segment %d of %zu bytes", i, len);
		FUZZ_CHECK(n == (c->payload - off < c->seg ? c->payload - off : c->seg),
			   "segment %d carries %zu bytes", i, n);
		FUZZ_CHECK(!memcmp(pkt + s->hl, opkt + s->hl + off, n),
			   "segment %d: payload is not bytes %zu..%zu of the original", i, off,
			   off + n);
		FUZZ_CHECK(!memcmp(pkt + s->l4, opkt + s->l4, 4), "segment %d: ports", i);
		if ((pkt[0] >> 4) == 4) {
			FUZZ_CHECK(pkt_get16(pkt + 2) == len, "segment %d: IPv4 length", i);
			FUZZ_CHECK(ref_sum(pkt, s->l4, 0) == 0xffff, "segment %d: IPv4 checksum",
				   i);
			acc = ref_csum_add(0, pkt + 12, 8);
		} else {
			FUZZ_CHECK(pkt_get16(pkt + 4) + 40u == len, "segment %d: IPv6 length", i);
			acc = ref_csum_add(0, pkt + 8, 32);
		}
		acc += s->proto + (uint32_t)(len - s->l4);
		FUZZ_CHECK(ref_sum(pkt + s->l4, len - s->l4, acc) == 0xffff,
			   "segment %d: L4 checksum", i);
		if (s->proto == IPPROTO_TCP)
			FUZZ_CHECK(get32(pkt + s->l4 + 4) ==
					   get32(opkt + s->l4 + 4) + (uint32_t)off,
				   "segment %d: sequence number", i);
	} else {
		struct virtio_net_hdr h;
		size_t at = (size_t)-2;

		memcpy(&h, c->orig, sizeof(h));
		if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM)
			at = (size_t)h.csum_start + h.csum_offset;
		FUZZ_CHECK(pkt == c->buf + KS_VNET_HDR_LEN && len == c->len - KS_VNET_HDR_LEN,
			   "plain packet moved or cut");
		for (size_t k = 0; k < len; k++)
			FUZZ_CHECK(pkt[k] == opkt[k] || k == at || k == at + 1,
				   "plain packet changed at %zu (checksum at %zu)", k, at);
	}
	/* Ours until we return: what the tunnel writes there (its CSTP header). */
	memset(pkt - KS_VNET_HDR_LEN, 0xee, KS_VNET_HDR_LEN);
	return i == c->fail_at ? -EPIPE : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	unsigned int mtu = fuzz_u16(&in);
	uint8_t fail = fuzz_u8(&in);
	struct ctx c = { .len = in.n, .mtu = mtu, .fail_at = fail == 255 ? -1 : fail };
	uint8_t *buf = malloc(in.n ? in.n : 1), *orig = malloc(in.n ? in.n : 1);
	struct virtio_net_hdr h;
	int ret;

	memcpy(buf, in.p, in.n);
	memcpy(orig, in.p, in.n);
	c.buf = buf;
	c.orig = orig;
	if (in.n > KS_VNET_HDR_LEN) {
		memcpy(&h, buf, sizeof(h));
		c.gso = h.gso_type != VIRTIO_NET_HDR_GSO_NONE &&
			!gso_shape(&h, orig + KS_VNET_HDR_LEN, in.n - KS_VNET_HDR_LEN, &c.s) &&
			mtu > c.s.hl;
		if (c.gso) {
			c.seg = h.gso_size < mtu - c.s.hl ? h.gso_size : mtu - c.s.hl;
			c.payload = in.n - KS_VNET_HDR_LEN - c.s.hl;
		}
	}
	ret = gso_split(buf, in.n, mtu, emit_cb, &c);
	FUZZ_LOG("gso: %d (gso %d)", ret, c.gso);
	if (ret == -EPIPE) {
		FUZZ_CHECK(c.n == c.fail_at + 1, "stopped after %d packets, failed at %d", c.n,
			   c.fail_at);
	} else if (ret < 0) {
		FUZZ_CHECK(ret == -EINVAL || ret == -EOPNOTSUPP || ret == -EMSGSIZE, "ret %d", ret);
		FUZZ_CHECK(c.n == 0, "%d packets emitted before error %d", c.n, ret);
	} else {
		FUZZ_CHECK(ret == c.n && ret >= 1, "returned %d, emitted %d", ret, c.n);
		if (c.gso)
			FUZZ_CHECK((size_t)ret == (c.payload + c.seg - 1) / c.seg,
				   "%d segments of %zu for %zu bytes", ret, c.seg, c.payload);
		else
			FUZZ_CHECK(ret == 1, "%d packets from a plain read", ret);
	}
	free(buf);
	free(orig);
	return 0;
}
