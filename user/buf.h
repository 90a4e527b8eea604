/* SPDX-License-Identifier: GPL-2.0-only */
/* A growable byte buffer with a hard cap: every append checks it, errors are sticky. */
#pragma once
#include <stddef.h>
#include <stdint.h>

struct ks_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t limit; /* 0: 16 MiB */
	int err;      /* first -errno hit, then every append is a no-op */
};

int buf_reserve(struct ks_buf *b, size_t more);
int buf_append(struct ks_buf *b, const void *data, size_t len);
int buf_printf(struct ks_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_putc(struct ks_buf *b, char c);
/* Drops the first n bytes (consumed input). */
void buf_consume(struct ks_buf *b, size_t n);
/* NUL-terminates without counting the NUL in len. */
const char *buf_cstr(struct ks_buf *b);
void buf_free(struct ks_buf *b);
/* Wipes the content before freeing: for buffers that held a secret. */
void buf_free_secret(struct ks_buf *b);
