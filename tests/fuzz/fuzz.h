/* SPDX-License-Identifier: GPL-2.0-only */
/* Shared by the libFuzzer targets: invariant checks and a reader over the input. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant the code under test promised: abort, so libFuzzer keeps the input. */
#define FUZZ_CHECK(cond, ...)                                                                      \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz: %s:%d: invariant '%s' failed: ", __FILE__,          \
				__LINE__, #cond);                                                  \
			fprintf(stderr, __VA_ARGS__);                                              \
			fputc('\n', stderr);                                                       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

/* Known findings (reported, not fixed yet) have an id; FUZZ_IGNORE=id,id... in the
 * environment turns those checks off, so that the target can look for something else. */
static inline bool fuzz_ignored(const char *id)
{
	static const char *list;
	size_t n = strlen(id);

	if (!list)
		list = getenv("FUZZ_IGNORE") ? getenv("FUZZ_IGNORE") : "";
	for (const char *p = strstr(list, id); p; p = strstr(p + 1, id))
		if ((p == list || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
			return true;
	return false;
}

#define FUZZ_CHECK_KNOWN(id, cond, ...)                                                            \
	do {                                                                                       \
		if (!(cond) && !fuzz_ignored(id))                                                  \
			FUZZ_CHECK(cond, "[" id "] " __VA_ARGS__);                                 \
	} while (0)

/* Control bytes taken from the front of the input, then the rest as payload. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	uint8_t v = 0;

	if (in->n) {
		v = in->p[0];
		in->p++;
		in->n--;
	}
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t hi = fuzz_u8(in);

	return (uint16_t)(hi << 8 | fuzz_u8(in));
}

/* Up to n bytes (fewer at the end of the input). */
static inline const uint8_t *fuzz_bytes(struct fuzz_in *in, size_t n, size_t *got)
{
	const uint8_t *p = in->p;

	*got = n < in->n ? n : in->n;
	in->p += *got;
	in->n -= *got;
	return p;
}

/* A malloc'd copy with exactly one NUL after it: ASan sees any read past the string. */
static inline char *fuzz_cstr(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	if (!s)
		abort();
	memcpy(s, p, n);
	s[n] = 0;
	return s;
}

/* The input cut at the first NUL (parsers of C strings see nothing past it anyway). */
static inline char *fuzz_cstr_all(const uint8_t *p, size_t n)
{
	const uint8_t *z = memchr(p, 0, n);

	return fuzz_cstr(p, z ? (size_t)(z - p) : n);
}

static inline bool fuzz_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return true;
	return false;
}

/* FUZZ_VERBOSE=1 in the environment: the targets say what each input did (for checking
 * that a new seed reaches what it was written for). */
#define FUZZ_LOG(...)                                                                              \
	do {                                                                                       \
		static int verbose_ = -1;                                                          \
		if (verbose_ < 0)                                                                  \
			verbose_ = getenv("FUZZ_VERBOSE") != NULL;                                 \
		if (verbose_) {                                                                    \
			fprintf(stderr, "fuzz: " __VA_ARGS__);                                     \
			fputc('\n', stderr);                                                       \
		}                                                                                  \
	} while (0)
