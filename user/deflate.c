// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <zlib.h>

#include "generated/config.h"
#include "deflate.h"
#include "pkt_field.h"

struct ks_deflate {
	z_stream def, inf;
	uLong def_adler, inf_adler;
};

struct ks_deflate *deflate_new(void)
{
	struct ks_deflate *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	/* Window 2^12, as the AnyConnect peers use: memory per session stays small. */
	if (deflateInit2(&d->def, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9, Z_DEFAULT_STRATEGY)) {
		free(d);
		return NULL;
	}
	if (inflateInit2(&d->inf, -12)) {
		deflateEnd(&d->def);
		free(d);
		return NULL;
	}
	d->def_adler = d->inf_adler = adler32(0, NULL, 0);
	return d;
}


int deflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
		   size_t outcap, size_t *outlen)
{
	size_t produced;

	if (outcap < 4 + 16)
		return -ENOSPC;
	d->def.next_in = (Bytef *)in;
	d->def.avail_in = (uInt)len;
	d->def.next_out = out;
	d->def.avail_out = (uInt)(outcap - 4);
	if (deflate(&d->def, Z_SYNC_FLUSH) != Z_OK || d->def.avail_in || !d->def.avail_out)
		return -ENOSPC; /* the stream is still consistent only if everything went in */
	produced = outcap - 4 - d->def.avail_out;
	d->def_adler = adler32(d->def_adler, in, (uInt)len);
	pkt_put_be(out + produced, (uint32_t)d->def_adler, 4);
	*outlen = produced + 4;
	return 0;
}

int inflate_packet(struct ks_deflate *d, const uint8_t *in, size_t len, uint8_t *out,
		   size_t outcap, size_t *outlen, struct ks_error *e)
{
	uint8_t drain[4096];
	size_t got, extra = 0;
	uint32_t want;
	int rc;

	if (len < 4 + 1)
		return ks_fail(e, -EBADMSG, "cstp: compressed frame of %zu bytes is too short", len);
	d->inf.next_in = (Bytef *)in;
	d->inf.avail_in = (uInt)(len - 4);
	d->inf.next_out = out;
	d->inf.avail_out = (uInt)outcap;
	rc = inflate(&d->inf, Z_SYNC_FLUSH);
	got = outcap - d->inf.avail_out;
	d->inf_adler = adler32(d->inf_adler, out, (uInt)got);
	/* Larger than the caller takes: inflate the rest into a drain (bounded by the frame,
	 * at most 1032:1) so that the dictionary and checksum stay in step, then refuse it. */
	while ((rc == Z_OK || rc == Z_BUF_ERROR) && !d->inf.avail_out) {
		d->inf.next_out = drain;
		d->inf.avail_out = sizeof(drain);
		rc = inflate(&d->inf, Z_SYNC_FLUSH);
		extra += sizeof(drain) - d->inf.avail_out;
		d->inf_adler = adler32(d->inf_adler, drain, (uInt)(sizeof(drain) - d->inf.avail_out));
		if (d->inf.avail_out)
			break; /* all out: nothing was pending */
	}
	if ((rc != Z_OK && rc != Z_BUF_ERROR) || d->inf.avail_in)
		return ks_fail(e, -EBADMSG, "cstp: inflate failed (%s) with %u input bytes left",
			       d->inf.msg ? d->inf.msg : "stream error", d->inf.avail_in);
	want = (uint32_t)in[len - 4] << 24 | (uint32_t)in[len - 3] << 16 |
	       (uint32_t)in[len - 2] << 8 | in[len - 1];
	if (want != (uint32_t)d->inf_adler)
		return ks_fail(e, -EBADMSG, "cstp: inflate adler32 %08x, frame says %08x",
			       (uint32_t)d->inf_adler, want);
	if (extra)
		return ks_fail(e, -EMSGSIZE, "cstp: compressed packet inflates to %zu bytes, limit %zu",
			       got + extra, outcap);
	*outlen = got;
	return 0;
}

void deflate_free(struct ks_deflate *d)
{
	if (!d)
		return;
	deflateEnd(&d->def);
	inflateEnd(&d->inf);
	free(d);
}
