// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>

#include "cstp_frame.h"
#include "esc.h"

int cstp_next_frame(const uint8_t *data, size_t len, struct ks_cstp_frame *f, size_t *used,
		    struct ks_error *e)
{
	size_t plen;

	/* Check the magic as soon as it arrives, not only when the frame is complete. */
	for (size_t i = 0; i < len && i < 4; i++)
		if (data[i] != (uint8_t)"STF\x01"[i])
			return ks_fail(e, -EBADMSG,
				       "cstp: bad magic byte 0x%02x at offset %zu of frame header",
				       data[i], i);
	if (len < CSTP_HDR_LEN)
		return -EAGAIN;
	if (data[7] != 0)
		return ks_fail(e, -EBADMSG, "cstp: header byte 7 is 0x%02x, expected 0", data[7]);
	plen = (size_t)data[4] << 8 | data[5];
	if (len - CSTP_HDR_LEN < plen)
		return -EAGAIN;
	f->type = data[6];
	f->len = (uint16_t)plen;
	f->payload = data + CSTP_HDR_LEN;
	*used = CSTP_HDR_LEN + plen;
	return 0;
}

const char *cstp_type_name(uint8_t type)
{
	switch (type) {
	case CSTP_DATA:
		return "data";
	case CSTP_DPD_REQ:
		return "dpd-req";
	case CSTP_DPD_RESP:
		return "dpd-resp";
	case CSTP_DISCONNECT:
		return "disconnect";
	case CSTP_KEEPALIVE:
		return "keepalive";
	case CSTP_COMPRESSED:
		return "compressed";
	case CSTP_TERMINATE:
		return "terminate";
	default:
		return "unknown";
	}
}

void cstp_reason(const struct ks_cstp_frame *f, char *out, size_t outlen)
{
	/* DISCONNECT carries a one-byte code (0xb0) before the text. */
	size_t skip = f->len && f->payload[0] >= 0x80 ? 1 : 0;

	esc_text(out, outlen, f->payload + skip, f->len - skip);
}
