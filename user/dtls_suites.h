/* SPDX-License-Identifier: GPL-2.0-only */
/* The DTLS suites kslice offers in the CONNECT, by the names AnyConnect gateways use, and
 * what each is to OpenSSL: one table for the offer (cstp_params.c), the choice
 * (dtls.c) and --dtls-ciphers (opts.c). */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "buf.h"
#include "error.h"

#define KS_DTLS_VER_1_2 0xfefd	/* DTLS1_2_VERSION */
#define KS_DTLS_VER_BAD 0x0100	/* DTLS1_BAD_VER: Cisco's pre-RFC DTLS 1.0 */

struct ks_dtls_suite {
	const char *name;	/* in X-DTLS-CipherSuite, or X-DTLS12-CipherSuite if dtls12 */
	bool dtls12;
	const char *openssl;	/* OpenSSL's name; NULL: PSK-NEGOTIATE (its own list) */
	int version;
};

/* Every suite: --dtls-ciphers' default. */
#define KS_DTLS_SUITES_ALL 0x1ffu

/* The suite named name in the header of that kind, and its bit in a mask; NULL: none. */
const struct ks_dtls_suite *dtls_suite_find(const char *name, bool dtls12, uint32_t *bit);
/* --dtls-ciphers: names separated by ':' or ','. -EINVAL with the name that is unknown. */
int dtls_suites_parse(const char *list, uint32_t *mask, struct ks_error *e);
/* X-DTLS-CipherSuite and X-DTLS12-CipherSuite lines for the suites in mask. */
void dtls_suites_offer(struct ks_buf *req, uint32_t mask);
