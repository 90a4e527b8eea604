// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "esc.h"

size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp_out)
{
	uint32_t cp;
	size_t len;

	if (!n)
		return 0;
	if (p[0] < 0x80) {
		*cp_out = p[0];
		return 1;
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf)
		len = 2, cp = p[0] & 0x1f;
	else if (p[0] >= 0xe0 && p[0] <= 0xef)
		len = 3, cp = p[0] & 0x0f;
	else if (p[0] >= 0xf0 && p[0] <= 0xf4)
		len = 4, cp = p[0] & 0x07;
	else
		return 0;
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*cp_out = cp;
	return len;
}

/* A valid sequence that is not a C1 control (terminals act on those): its length, or 0. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint32_t cp;
	size_t len = utf8_decode(p, n, &cp);

	return cp >= 0x80 && cp <= 0x9f ? 0 : len;
}

/* The escaped form of the piece at p[0]: *used input bytes, returns its length. */
static size_t piece(const uint8_t *p, size_t n, bool quote, char tmp[5], const char **out,
		    size_t *used)
{
	size_t u = utf8_len(p, n);

	*out = tmp;
	*used = 1;
	if (u > 1) {
		*out = (const char *)p;
		*used = u;
		return u;
	}
	if (quote && (p[0] == '"' || p[0] == '\\')) {
		tmp[0] = '\\', tmp[1] = (char)p[0];
		return 2;
	}
	if (p[0] == '\n' || p[0] == '\r' || p[0] == '\t') {
		tmp[0] = '\\', tmp[1] = p[0] == '\n' ? 'n' : p[0] == '\r' ? 'r' : 't';
		return 2;
	}
	if (u == 1 && p[0] >= 0x20 && p[0] != 0x7f) {
		tmp[0] = (char)p[0];
		return 1;
	}
	snprintf(tmp, 5, "\\x%02x", p[0]);
	return 4;
}

static size_t escape(char *out, size_t outlen, const void *in, size_t inlen, bool quote)
{
	const uint8_t *p = in;
	size_t o = 0, total = 0, used, n, room;
	const char *src;
	char tmp[5];

	if (!outlen)
		return 0;
	for (size_t i = 0; i < inlen; i += used)
		total += piece(p + i, inlen - i, quote, tmp, &src, &used);
	/* All of it, or as much as leaves room for "..." without splitting a piece. */
	room = total < outlen ? outlen - 1 : outlen < 4 ? 0 : outlen - 4;
	for (size_t i = 0; i < inlen; i += used) {
		n = piece(p + i, inlen - i, quote, tmp, &src, &used);
		if (o + n > room)
			break;
		memcpy(out + o, src, n);
		o += n;
	}
	if (total >= outlen && outlen >= 4) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = 0;
	return o;
}

size_t esc_text(char *out, size_t outlen, const void *in, size_t inlen)
{
	return escape(out, outlen, in, inlen, true);
}

size_t esc_controls(char *out, size_t outlen, const void *in, size_t inlen)
{
	return escape(out, outlen, in, inlen, false);
}

const char *escn(const char *s, size_t max)
{
	static __thread char bufs[8][ESC_SHORT_MAX];
	static __thread unsigned int next;
	char *b = bufs[next++ % 8];

	esc_text(b, ESC_SHORT_MAX, s ? s : "", s ? strnlen(s, max) : 0);
	return b;
}

const char *esc(const char *s)
{
	return escn(s, ESC_SHORT_MAX);
}

static int hex_digit(char c)
{
	return c >= '0' && c <= '9' ? c - '0' :
	       c >= 'a' && c <= 'f' ? c - 'a' + 10 :
	       c >= 'A' && c <= 'F' ? c - 'A' + 10 :
					  -1;
}

int esc_url_decode(const char *s, size_t n, char *out, size_t cap, bool plus_space)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];

		if (c == '%') {
			if (i + 2 >= n || hex_digit(s[i + 1]) < 0 || hex_digit(s[i + 2]) < 0)
				return -EBADMSG;
			c = hex_digit(s[i + 1]) * 16 + hex_digit(s[i + 2]);
			i += 2;
		} else if (c == '+' && plus_space) {
			c = ' ';
		}
		if (c < 0x20 || c == 0x7f || o + 1 >= cap)
			return -EBADMSG;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}
