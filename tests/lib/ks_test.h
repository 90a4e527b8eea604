/* SPDX-License-Identifier: GPL-2.0-only */
/* A small test_progs-style runner: test_<name>() functions, subtests, one summary line. */
#pragma once
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

extern int ks_test_failed_now;
extern int ks_test_skipped_now;

bool test__start_subtest(const char *name);
void test__skip(const char *why);
const char *ks_srcdir(void);

#define KS_CHECK(cond, fmt, ...)                                                           \
	({                                                                                 \
		bool ok_ = (cond);                                                         \
		if (!ok_) {                                                                \
			ks_test_failed_now++;                                              \
			fprintf(stderr, "  FAIL %s:%d: " fmt "\n", __FILE__, __LINE__,     \
				##__VA_ARGS__);                                            \
		}                                                                          \
		ok_;                                                                       \
	})

#define ASSERT_OK(x, what) ({ long long v_ = (long long)(x); KS_CHECK(v_ == 0, "%s: got %lld", what, v_); })
#define ASSERT_ERR(x, what) ({ long long v_ = (long long)(x); KS_CHECK(v_ < 0, "%s: expected an error, got %lld", what, v_); })
#define ASSERT_EQ(a, b, what)                                                               \
	({                                                                                 \
		long long a_ = (long long)(a), b_ = (long long)(b);                        \
		KS_CHECK(a_ == b_, "%s: %lld != %lld", what, a_, b_);                      \
	})
#define ASSERT_TRUE(x, what) KS_CHECK((x), "%s", what)
#define ASSERT_STREQ(a, b, what)                                                            \
	({                                                                                 \
		const char *a_ = (a), *b_ = (b);                                           \
		KS_CHECK(a_ && b_ && !strcmp(a_, b_), "%s: '%s' != '%s'", what,            \
			 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                           \
	})
#define ASSERT_OK_PTR(p, what) KS_CHECK((p) != NULL, "%s: NULL", what)
