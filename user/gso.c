// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "csum.h"
#include "pkt_field.h"
#include "gso.h"

#define TCP_FIN 0x01
#define TCP_PSH 0x08
#define TCP_CWR 0x80

int csum_complete(uint8_t *pkt, size_t len, unsigned int start, unsigned int offset)
{
	uint16_t c;

	if (start >= len || offset + 2 > len - start)
		return -EINVAL;
	c = csum_finish(csum_add(0, pkt + start, len - start));
	csum_store(pkt + start + offset, c ? c : 0xffff); /* 0 means "none" in UDP */
	return 0;
}

struct gso_shape {
	unsigned int l4, hl, proto;
};

/* Checks that the header describes this packet; where the L4 header starts and
 * ends. */
static int gso_shape(const struct virtio_net_hdr *h, const uint8_t *pkt, size_t len,
		     struct gso_shape *s)
{
	unsigned int gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN, v;

	if (!(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) || !h->gso_size || len < 40)
		return -EINVAL;
	v = pkt[0] >> 4;
	s->l4 = h->csum_start;
	if (v == 4) {
		if ((pkt[0] & 0xf) * 4u != s->l4 || s->l4 < 20 || pkt_get16(pkt + 2) != len ||
		    (pkt_get16(pkt + 6) & 0x3fff))
			return -EINVAL;
		s->proto = pkt[9];
	} else if (v == 6) {
		/* Extension headers, if any, sit between 40 and csum_start and are copied.
		 */
		if (s->l4 < 40 || pkt_get16(pkt + 4) + 40u != len)
			return -EINVAL;
		s->proto = gso == VIRTIO_NET_HDR_GSO_UDP_L4 ? IPPROTO_UDP : IPPROTO_TCP;
	} else {
		return -EINVAL;
	}
	if (gso == VIRTIO_NET_HDR_GSO_TCPV4 || gso == VIRTIO_NET_HDR_GSO_TCPV6) {
		if ((gso == VIRTIO_NET_HDR_GSO_TCPV4) != (v == 4) ||
		    (v == 4 && s->proto != IPPROTO_TCP) || h->csum_offset != 16 || s->l4 + 20 > len)
			return -EINVAL;
		s->proto = IPPROTO_TCP;
		s->hl = s->l4 + (pkt[s->l4 + 12] >> 4) * 4u;
		if (s->hl < s->l4 + 20)
			return -EINVAL;
	} else if (gso == VIRTIO_NET_HDR_GSO_UDP_L4) {
		if ((v == 4 && s->proto != IPPROTO_UDP) || h->csum_offset != 6)
			return -EINVAL;
		s->proto = IPPROTO_UDP;
		s->hl = s->l4 + 8;
	} else {
		return -EOPNOTSUPP;
	}
	if (s->hl >= len || s->hl > KS_GSO_MAX_HDR)
		return -EINVAL;
	return 0;
}

/* Header fields of segment i, which carries n payload bytes at payload offset
 * off. */
static void fix_segment(uint8_t *p, const struct gso_shape *s, unsigned int i, size_t off, size_t n,
			int last, uint32_t seq0, uint16_t id0)
{
	size_t l4_len = s->hl - s->l4 + n;
	uint16_t c;

	if ((p[0] >> 4) == 4) {
		pkt_put16(p + 2, (uint32_t)(s->hl + n));
		pkt_put16(p + 4, (uint32_t)(id0 + i)); /* as the kernel's TSO numbers them */
		p[10] = p[11] = 0;
		csum_store(p + 10, csum_finish(csum_add(0, p, s->l4)));
	} else {
		pkt_put16(p + 4, (uint32_t)(s->hl + n - 40));
	}
	if (s->proto == IPPROTO_TCP) {
		uint8_t *th = p + s->l4;
		uint32_t seq = htonl(seq0 + (uint32_t)off);

		memcpy(th + 4, &seq, 4);
		if (!last)
			th[13] &= (uint8_t) ~(TCP_FIN | TCP_PSH);
		if (i)
			th[13] &= (uint8_t)~TCP_CWR;
		th[16] = th[17] = 0;
		c = csum_finish(
			csum_add(csum_pseudo(p, IPPROTO_TCP, (uint32_t)l4_len), th, l4_len));
		csum_store(th + 16, c);
	} else {
		uint8_t *uh = p + s->l4;

		pkt_put16(uh + 4, (uint32_t)l4_len);
		uh[6] = uh[7] = 0;
		c = csum_finish(
			csum_add(csum_pseudo(p, IPPROTO_UDP, (uint32_t)l4_len), uh, l4_len));
		csum_store(uh + 6, c ? c : 0xffff);
	}
}

int gso_split(uint8_t *buf, size_t len, unsigned int mtu, ks_segment_fn emit, void *ctx)
{
	struct virtio_net_hdr h;
	struct gso_shape s;
	uint8_t tmpl[KS_GSO_MAX_HDR], *pkt = buf + KS_VNET_HDR_LEN;
	size_t plen, payload, seg, off;
	uint32_t seq0 = 0;
	uint16_t id0;
	unsigned int i;
	int err;

	if (len <= KS_VNET_HDR_LEN)
		return -EINVAL;
	memcpy(&h, buf, sizeof(h));
	plen = len - KS_VNET_HDR_LEN;
	if (h.gso_type == VIRTIO_NET_HDR_GSO_NONE) {
		if ((h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) &&
		    (err = csum_complete(pkt, plen, h.csum_start, h.csum_offset)))
			return err;
		if (plen > mtu)
			return -EMSGSIZE;
		err = emit(ctx, pkt, plen);
		return err ? err : 1;
	}
	err = gso_shape(&h, pkt, plen, &s);
	if (err)
		return err;
	if (mtu <= s.hl)
		return -EMSGSIZE;
	seg = h.gso_size < mtu - s.hl ? h.gso_size : mtu - s.hl; /* the tunnel's MTU wins */
	payload = plen - s.hl;
	memcpy(tmpl, pkt, s.hl);
	if (s.proto == IPPROTO_TCP) {
		memcpy(&seq0, tmpl + s.l4 + 4, 4);
		seq0 = ntohl(seq0);
	}
	id0 = pkt_get16(tmpl + 4);
	/* Segment i's headers go just before its payload, over the tail of segment
	 * i-1, which emit() is done with. */
	for (i = 0, off = 0; off < payload; i++, off += seg) {
		size_t n = payload - off < seg ? payload - off : seg;
		uint8_t *p = pkt + off;

		if (i)
			memcpy(p, tmpl, s.hl);
		fix_segment(p, &s, i, off, n, off + n == payload, seq0, id0);
		err = emit(ctx, p, s.hl + n);
		if (err)
			return err;
	}
	return (int)i;
}
