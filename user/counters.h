/* SPDX-License-Identifier: GPL-2.0-only */
/* What the tunnel counts, shown by `kslice status`. */
#pragma once
#include <stdint.h>
#include "gro.h"

struct ks_counters {
	uint64_t tx_packets, tx_bytes, rx_packets, rx_bytes;
	uint64_t tx_dropped, rx_dropped, rx_bad_frames, rx_unknown_frames;
	uint64_t rx_oversized;	/* data or inflated packets larger than any MTU: dropped */
	uint64_t tx_compressed, rx_compressed;
	uint64_t dpd_sent, dpd_answered, dpd_received, keepalives_sent;
	uint64_t tls_writes, socket_sends, socket_recvs, submits, tun_read_cqes, tun_writes;
	uint64_t tx_super_packets; /* TUN reads that were cut into several packets */
	uint64_t rekeys;	/* the gateway's X-CSTP-Rekey-Method, done (key update or new tunnel) */
	int64_t last_rekey_at;	/* wall clock, 0: none yet */
	uint64_t key_updates_received; /* the gateway's TLS 1.3 KeyUpdates (its answers) */
	/* DTLS (dtls.h): data packets that went over it (within tx/rx_packets), links that
	 * came up, links that died, attempts that failed, packets too large for a record
	 * (sent over TLS), DPD over DTLS; the UDP socket's sends (sendmsg calls, of which
	 * UDP_SEGMENT ones), errors and datagrams received or lost on the way out. */
	uint64_t dtls_tx_packets, dtls_rx_packets;
	uint64_t dtls_handshakes, dtls_falls, dtls_failed_attempts, dtls_too_big;
	uint64_t dtls_dpd_sent, dtls_dpd_answered;
	uint64_t dtls_bad_records;	/* forged, replayed or cut records: dropped */
	uint64_t udp_sends, udp_gso_sends, udp_send_errors, udp_recvs, udp_gro_recvs, udp_dropped;
	struct ks_gro_stats rx_gro; /* TUN writes built by GRO */
};

enum ks_tunnel_end {
	KS_END_NONE = 0,
	KS_END_LOCAL,		/* signal or `kslice disconnect` */
	KS_END_GATEWAY_DISCONNECT,
	KS_END_GATEWAY_TERMINATE,
	KS_END_CLOSED,		/* TLS closed or reset under us */
	KS_END_DPD,		/* dead peer */
	KS_END_PROTOCOL,	/* undecodable stream */
	KS_END_ERROR,		/* local failure */
	KS_END_REKEY,		/* time for a new tunnel (X-CSTP-Rekey-Method: new-tunnel) */
};
