// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esc.h"
#include "cstp.h"
#include "cstp_params.h"
#include "log.h"
#include "lzs.h"
#include "oc_lz4.h"

int cstp_init(struct ks_cstp *s, const struct ks_cstp_ops *ops, void *ctx,
	      struct ks_counters *c, int mtu, int dpd, int keepalive, enum ks_codec codec,
	      time_t now)
{
	*s = (struct ks_cstp){ .ops = ops, .ctx = ctx, .c = c, .mtu = mtu, .dpd = dpd,
			       .keepalive = keepalive, .last_rx = now, .last_tx = now,
			       .last_data = now, .data_seen = c->tx_packets + c->rx_packets,
			       .codec = codec };
	s->scratch = malloc(CSTP_SCRATCH);
	if (!s->scratch)
		return -ENOMEM;
	if (codec == KS_CODEC_DEFLATE && !(s->z = deflate_new())) {
		cstp_fini(s);
		return -ENOMEM;
	}
	return 0;
}

void cstp_fini(struct ks_cstp *s)
{
	deflate_free(s->z);
	s->z = NULL;
	free(s->scratch);
	s->scratch = NULL;
}

static void end(struct ks_cstp *s, enum ks_tunnel_end why, const char *reason)
{
	if (s->ended)
		return;
	s->ended = true;
	s->ops->end(s->ctx, why, reason);
}

static void send_frame(struct ks_cstp *s, uint8_t *frame, size_t len)
{
	if (len > CSTP_MAX_SEND_FRAME) {
		s->c->tx_dropped++;
		return;
	}
	if (s->ops->send(s->ctx, frame, len))
		s->ended = true; /* the loop has ended the session itself */
}

/* A control frame built in the scratch buffer; len <= CSTP_MAX_PAYLOAD by its type. */
static void send_control(struct ks_cstp *s, uint8_t type, const void *payload, uint16_t len)
{
	cstp_put_hdr(s->scratch, type, len);
	if (len)
		memmove(s->scratch + CSTP_HDR_LEN, payload, len);
	send_frame(s, s->scratch, CSTP_HDR_LEN + len);
}

/* The kernel would refuse it anyway; not IPv4/IPv6 means a broken or hostile peer. */
static bool looks_like_ip(const uint8_t *pkt, size_t len)
{
	return len >= 20 && ((pkt[0] >> 4) == 4 || (pkt[0] >> 4) == 6);
}

static void deliver(struct ks_cstp *s, const uint8_t *pkt, size_t len)
{
	if (!looks_like_ip(pkt, len)) {
		s->c->rx_bad_frames++;
		return;
	}
	if (len > CSTP_MAX_MTU) { /* no MTU this tunnel could have: a peer bug or an attack */
		s->c->rx_oversized++;
		return;
	}
	if (s->ops->deliver(s->ctx, pkt, len)) {
		s->c->rx_dropped++;
		return;
	}
	s->c->rx_packets++;
	s->c->rx_bytes += len;
}

const struct ks_stateless_codec *cstp_stateless_codec(enum ks_codec c)
{
	static const struct ks_stateless_codec lz4 = { lz4_packet, unlz4_packet },
					       lzs = { lzs_packet, unlzs_packet };

	return c == KS_CODEC_LZ4 ? &lz4 : c == KS_CODEC_LZS ? &lzs : NULL;
}

/* Inflated into the scratch buffer, then delivered like any data frame. The stream stays
 * in step whatever happens to the packet; only a corrupt stream ends the session. */
static void deliver_compressed(struct ks_cstp *s, const struct ks_cstp_frame *f,
			       enum ks_codec codec)
{
	const struct ks_stateless_codec *z = cstp_stateless_codec(codec);
	struct ks_error e = { 0 };
	size_t len = 0;
	int err;

	if (z) {
		/* A block of its own: a bad one is dropped, the session goes on. */
		if (z->unpack(f->payload, f->len, s->scratch, CSTP_MAX_MTU, &len)) {
			s->c->rx_bad_frames++;
			return;
		}
		s->c->rx_compressed++;
		deliver(s, s->scratch, len);
		return;
	}
	if (!s->z || codec != KS_CODEC_DEFLATE) {
		end(s, KS_END_PROTOCOL, "cstp: compressed frame but no compression was agreed");
		return;
	}
	err = inflate_packet(s->z, f->payload, f->len, s->scratch, CSTP_MAX_MTU, &len, &e);
	if (err == -EMSGSIZE) {
		s->c->rx_oversized++;
		return;
	}
	if (err) {
		end(s, KS_END_PROTOCOL, e.msg);
		return;
	}
	s->c->rx_compressed++;
	deliver(s, s->scratch, len);
}

void cstp_on_frame(struct ks_cstp *s, const struct ks_cstp_frame *f)
{
	char reason[200], text[240];

	switch (f->type) {
	case CSTP_DATA:
		deliver(s, f->payload, f->len);
		break;
	case CSTP_COMPRESSED:
		deliver_compressed(s, f, s->codec);
		break;
	case CSTP_DPD_REQ:
		s->c->dpd_received++;
		/* Echoed whole when the answer fits one record; larger is no DPD a gateway
		 * sends (ocserv could not even read the answer): dropped, the session goes on. */
		if (f->len > CSTP_MAX_SEND_FRAME - CSTP_HDR_LEN)
			s->c->rx_oversized++;
		else
			send_control(s, CSTP_DPD_RESP, f->payload, f->len);
		break;
	case CSTP_DPD_RESP:
		s->c->dpd_answered++;
		s->dpd_sent_at = 0;
		break;
	case CSTP_KEEPALIVE:
		break;
	case CSTP_DISCONNECT:
	case CSTP_TERMINATE:
		cstp_reason(f, reason, sizeof(reason));
		snprintf(text, sizeof(text), "%s", reason[0] ? reason : "no reason given");
		end(s, f->type == CSTP_DISCONNECT ? KS_END_GATEWAY_DISCONNECT :
						    KS_END_GATEWAY_TERMINATE, text);
		break;
	default:
		s->c->rx_unknown_frames++;
		ks_dbg("cstp", "event=frame_dropped type=%u len=%u", f->type, f->len);
	}
}

void cstp_on_datagram_frame(struct ks_cstp *s, const struct ks_cstp_frame *f, enum ks_codec codec)
{
	if (s->ended)
		return;
	switch (f->type) {
	case CSTP_DATA:
		deliver(s, f->payload, f->len);
		break;
	case CSTP_COMPRESSED:
		/* Only a stateless codec: a lost datagram would break a stream. */
		if (cstp_stateless_codec(codec))
			deliver_compressed(s, f, codec);
		else
			s->c->rx_bad_frames++;
		break;
	case CSTP_DISCONNECT:
	case CSTP_TERMINATE:
		cstp_on_frame(s, f);
		break;
	default:
		s->c->rx_unknown_frames++;
		ks_dbg("dtls", "event=record_dropped type=%u len=%u", f->type, f->len);
	}
}

size_t cstp_feed(struct ks_cstp *s, const uint8_t *data, size_t len, time_t now)
{
	struct ks_cstp_frame f;
	struct ks_error e = { 0 };
	size_t off = 0, used;
	int err = -EAGAIN;

	if (len)
		s->last_rx = now;
	while (!s->ended && (err = cstp_next_frame(data + off, len - off, &f, &used, &e)) == 0) {
		cstp_on_frame(s, &f);
		off += used;
	}
	if (!s->ended && err != -EAGAIN) {
		ks_err("cstp", "event=stream_corrupt offset=%zu reason=\"%s\"", off, esc(e.msg));
		end(s, KS_END_PROTOCOL, e.msg);
	}
	return off;
}

/* zlen bytes compressed into the scratch buffer, after room for the header. */
static void send_compressed(struct ks_cstp *s, size_t zlen)
{
	cstp_put_hdr(s->scratch, CSTP_COMPRESSED, (uint16_t)zlen);
	send_frame(s, s->scratch, CSTP_HDR_LEN + zlen);
	s->c->tx_compressed++;
}

void cstp_send_packet(struct ks_cstp *s, uint8_t *pkt, size_t len)
{
	const struct ks_stateless_codec *z;
	size_t zlen;

	if (len == 0 || len > (size_t)s->mtu || s->ended) {
		s->c->tx_dropped++;
		return;
	}
	s->c->tx_packets++;
	s->c->tx_bytes += len;
	if (s->z) {
		/* The stream is shared with the gateway's inflater: what went in must go out. */
		if (deflate_packet(s->z, pkt, len, s->scratch + CSTP_HDR_LEN,
				   CSTP_SCRATCH - CSTP_HDR_LEN, &zlen)) {
			end(s, KS_END_ERROR, "deflate failed");
			return;
		}
		send_compressed(s, zlen);
		return;
	}
	/* Per packet: only what shrinks goes compressed; the rest as plain data frames. */
	z = cstp_stateless_codec(s->codec);
	if (z && len >= KS_LZ4_MIN_PACKET &&
	    !z->pack(pkt, len, s->scratch + CSTP_HDR_LEN, CSTP_SCRATCH - CSTP_HDR_LEN, &zlen)) {
		send_compressed(s, zlen);
		return;
	}
	cstp_put_hdr(pkt - CSTP_HDR_LEN, CSTP_DATA, (uint16_t)len);
	send_frame(s, pkt - CSTP_HDR_LEN, CSTP_HDR_LEN + len);
}

void cstp_tick(struct ks_cstp *s, time_t now)
{
	if (s->ended)
		return;
	/* Once a second, not per packet: the idle timers are counted in seconds. */
	if (s->c->tx_packets + s->c->rx_packets != s->data_seen) {
		s->data_seen = s->c->tx_packets + s->c->rx_packets;
		s->last_data = now;
	}
	if (s->dpd > 0) {
		if (s->dpd_sent_at && now - s->dpd_sent_at >= s->dpd) {
			end(s, KS_END_DPD, "dead peer: no answer to DPD");
			return;
		}
		if (!s->dpd_sent_at && now - s->last_rx >= s->dpd) {
			send_control(s, CSTP_DPD_REQ, NULL, 0);
			s->dpd_sent_at = now;
			s->c->dpd_sent++;
		}
	}
	if (s->keepalive > 0 && now - s->last_tx >= s->keepalive) {
		send_control(s, CSTP_KEEPALIVE, NULL, 0);
		s->c->keepalives_sent++;
	}
}

void cstp_send_disconnect(struct ks_cstp *s, const char *reason)
{
	uint8_t payload[96];
	size_t n = strnlen(reason, sizeof(payload) - 1);

	/* Code 0xb0, then the reason text. */
	payload[0] = 0xb0;
	memcpy(payload + 1, reason, n);
	send_control(s, CSTP_DISCONNECT, payload, (uint16_t)(n + 1));
}
