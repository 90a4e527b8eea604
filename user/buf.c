// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "buf.h"

#define BUF_DEFAULT_LIMIT (16u << 20)

int buf_reserve(struct ks_buf *b, size_t more)
{
	size_t limit = b->limit ? b->limit : BUF_DEFAULT_LIMIT;
	size_t want, cap;
	uint8_t *p;

	if (b->err)
		return b->err;
	if (more > limit || b->len > limit - more)
		return b->err = -EMSGSIZE;
	want = b->len + more + 1;
	if (want <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 256;
	while (cap < want)
		cap *= 2;
	/* Not realloc: the old block may hold a secret (a request with the cookie); it is
	 * wiped before it goes back to the allocator. Growth is rare (doubling). */
	p = malloc(cap);
	if (!p)
		return b->err = -ENOMEM;
	if (b->data) {
		memcpy(p, b->data, b->len);
		OPENSSL_cleanse(b->data, b->cap);
		free(b->data);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_append(struct ks_buf *b, const void *data, size_t len)
{
	int err = buf_reserve(b, len);

	if (err)
		return err;
	if (len)
		memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = 0;
	return 0;
}

int buf_putc(struct ks_buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_printf(struct ks_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, err;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return b->err = -EINVAL;
	err = buf_reserve(b, (size_t)n);
	if (err)
		return err;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void buf_consume(struct ks_buf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

const char *buf_cstr(struct ks_buf *b)
{
	if (!b->data && buf_reserve(b, 0))
		return "";
	b->data[b->len] = 0;
	return (const char *)b->data;
}

void buf_free(struct ks_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

void buf_free_secret(struct ks_buf *b)
{
	if (b->data)
		OPENSSL_cleanse(b->data, b->cap);
	buf_free(b);
}
