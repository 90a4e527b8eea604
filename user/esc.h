/* SPDX-License-Identifier: GPL-2.0-only */
/* Text from outside (the gateway, the network, a file) made safe for a terminal, a log
 * line or a quoted logfmt value: C0 and C1 controls, DEL, quotes, backslashes and bytes
 * that are not valid UTF-8 become C-style escapes (\n, \", \x1b); valid UTF-8 stays. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Writes at most outlen bytes, NUL included; never cuts an escape in half. Returns the
 * length written (a cut ends in "..."). */
size_t esc_text(char *out, size_t outlen, const void *in, size_t inlen);
/* The same, but quotes and backslashes stay: for a whole message whose quoted parts were
 * escaped already (ks_fail, a log line's last pass). */
size_t esc_controls(char *out, size_t outlen, const void *in, size_t inlen);
/* esc_text of a C string into one of 8 per-thread buffers (ESC_SHORT_MAX bytes):
 * for log lines, e.g. ks_info("auth", "text=\"%s\"", esc(banner)). NULL gives "". */
#define ESC_SHORT_MAX 512
/* The UTF-8 sequence at p: its length (1-4) and code point, or 0 when it is not valid
 * (overlong, surrogate, past U+10FFFF, cut short). */
size_t utf8_decode(const uint8_t *p, size_t n, uint32_t *cp);
const char *esc(const char *s);
/* esc() of at most max input bytes: a bounded quote that never cuts an escape in half. */
const char *escn(const char *s, size_t max);

/* %XX-decoded [s, s+n) into out (cap bytes with the NUL), '+' as a space if plus_space (a
 * query string). -EBADMSG for a cut escape, a control byte that comes out, or no room. */
int esc_url_decode(const char *s, size_t n, char *out, size_t cap, bool plus_space);
