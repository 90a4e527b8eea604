/* SPDX-License-Identifier: GPL-2.0-only */
/* The CSTP session apart from any loop: frames in (from the decrypted stream) become
 * packets for the TUN, DPD answers and session ends; packets out become frames; DPD and
 * keepalive run off a tick. Everything leaves through three callbacks, so a test or a
 * fuzzer drives it without sockets. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "counters.h"
#include "cstp_frame.h"
#include "cstp_params.h"
#include "deflate.h"

struct ks_cstp_ops {
	/* One whole frame, header included, to the gateway (one TLS record). 0 or -errno. */
	int (*send)(void *ctx, const uint8_t *frame, size_t len);
	/* One IP packet from the gateway for the TUN. -errno: dropped and counted. */
	int (*deliver)(void *ctx, const uint8_t *pkt, size_t len);
	/* The session cannot go on; reason is printable (escaped) text. */
	void (*end)(void *ctx, enum ks_tunnel_end why, const char *reason);
};

struct ks_cstp {
	const struct ks_cstp_ops *ops;
	void *ctx;
	struct ks_counters *c;
	enum ks_codec codec;	/* what the gateway chose */
	struct ks_deflate *z;	/* deflate's streams, NULL unless it was chosen */
	int mtu, dpd, keepalive;
	time_t last_rx, last_tx, dpd_sent_at;
	time_t last_data;	/* a packet either way, seen at the last tick */
	uint64_t data_seen;	/* packets either way at the last tick */
	bool ended;		/* end() was called: nothing more is parsed */
	uint8_t *scratch;	/* CSTP_SCRATCH bytes: control frames, (de)compression */
};

/* Room for the largest frame there is. */
#define CSTP_SCRATCH (CSTP_HDR_LEN + CSTP_MAX_PAYLOAD + 64)
/* What one TLS record carries: the gateway takes one frame per record, so no frame we
 * send (a DPD echo included) may be larger. */
#define CSTP_MAX_SEND_FRAME 16384

/* codec: the gateway's X-CSTP-Content-Encoding. */
int cstp_init(struct ks_cstp *s, const struct ks_cstp_ops *ops, void *ctx,
	      struct ks_counters *c, int mtu, int dpd, int keepalive, enum ks_codec codec,
	      time_t now);
void cstp_fini(struct ks_cstp *s);
/* Takes whole frames from a decrypted stream; returns the bytes consumed (a partial frame
 * stays with the caller). A stream that is not CSTP calls end(KS_END_PROTOCOL). */
size_t cstp_feed(struct ks_cstp *s, const uint8_t *data, size_t len, time_t now);
/* One frame already cut from the stream. */
void cstp_on_frame(struct ks_cstp *s, const struct ks_cstp_frame *f);
/* A frame that came as a DTLS record (type byte, payload): data, compressed data (codec:
 * the DTLS one) and goodbyes; the transport answers its own DPD. */
void cstp_on_datagram_frame(struct ks_cstp *s, const struct ks_cstp_frame *f, enum ks_codec codec);
/* The codecs that take one packet at a time, with no state between packets; NULL for
 * deflate and none. */
struct ks_stateless_codec {
	int (*pack)(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
	int (*unpack)(const uint8_t *in, size_t len, uint8_t *out, size_t outcap, size_t *outlen);
};
const struct ks_stateless_codec *cstp_stateless_codec(enum ks_codec c);
/* pkt has CSTP_HDR_LEN writable bytes in front of it. */
void cstp_send_packet(struct ks_cstp *s, uint8_t *pkt, size_t len);
/* DPD and keepalive; call about once a second. */
void cstp_tick(struct ks_cstp *s, time_t now);
/* DISCONNECT with a reason, as AnyConnect clients send it. */
void cstp_send_disconnect(struct ks_cstp *s, const char *reason);
