/* SPDX-License-Identifier: GPL-2.0-only */
/* CSTP framing inside the TLS stream: `S T F 0x01 len_hi len_lo type 0x00` + payload. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define CSTP_HDR_LEN 8
#define CSTP_MAX_PAYLOAD 65535

enum ks_cstp_type {
	CSTP_DATA = 0,
	CSTP_DPD_REQ = 3,
	CSTP_DPD_RESP = 4,
	CSTP_DISCONNECT = 5,
	CSTP_KEEPALIVE = 7,
	CSTP_COMPRESSED = 8,
	CSTP_TERMINATE = 9,
};

struct ks_cstp_frame {
	uint8_t type;
	uint16_t len;
	const uint8_t *payload;
};

static inline void cstp_put_hdr(uint8_t *hdr, uint8_t type, uint16_t len)
{
	hdr[0] = 'S';
	hdr[1] = 'T';
	hdr[2] = 'F';
	hdr[3] = 1;
	hdr[4] = (uint8_t)(len >> 8);
	hdr[5] = (uint8_t)len;
	hdr[6] = type;
	hdr[7] = 0;
}

/* Takes the next frame from a plaintext stream. 0: *f and *used set; -EAGAIN: need more
 * bytes; -EBADMSG: the stream is not CSTP at `offset` (cannot resynchronize). */
int cstp_next_frame(const uint8_t *data, size_t len, struct ks_cstp_frame *f, size_t *used,
		    struct ks_error *e);
const char *cstp_type_name(uint8_t type);
/* The reason text of a DISCONNECT/TERMINATE payload, escaped (esc.h), NUL-terminated. */
void cstp_reason(const struct ks_cstp_frame *f, char *out, size_t outlen);
