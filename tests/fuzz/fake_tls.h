/* SPDX-License-Identifier: GPL-2.0-only */
/* A gateway made of fuzz input, behind user/tls.h's blocking calls, so that http.c and
 * auth.c run unchanged: reads come from the input in pieces of fuzzed sizes. */
#pragma once
#include <stddef.h>
#include <stdint.h>

typedef void (*fake_request_fn)(const uint8_t *req, size_t len);

/* One stream, there from the start (http_roundtrip). chunk 0: reads take what fits;
 * otherwise read sizes are drawn from 1..chunk*8 by a PRNG seeded with chunk. */
void fake_tls_stream(const uint8_t *data, size_t len, uint8_t chunk);
/* A conversation: the input cut at sep into responses, response i is the stream read
 * after request i is written. A connect with no response left fails. */
void fake_tls_records(const uint8_t *data, size_t len, const char *sep, uint8_t chunk);
/* Called with every request written (the bytes are valid during the call). */
void fake_tls_on_request(fake_request_fn fn);
unsigned int fake_tls_requests(void);
/* Bytes of the current stream handed out so far. */
size_t fake_tls_consumed(void);
