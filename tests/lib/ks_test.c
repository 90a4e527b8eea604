// SPDX-License-Identifier: GPL-2.0-only
#include <fnmatch.h>
#include <stdlib.h>

#include "ks_test.h"

#define KS_TEST(name) void name(void);
#include "tests.h"
#undef KS_TEST

struct test_def {
	const char *name;
	void (*fn)(void);
};

#define KS_TEST(name) { #name, name },
static const struct test_def tests[] = {
#include "tests.h"
};
#undef KS_TEST

int ks_test_failed_now;
int ks_test_skipped_now;
static const char *current;
static const char *filter;
static int passed, failed, skipped;
static char sub_name[128];
static int sub_failed_at;

/* Closes the previous subtest of the current test, if one is open. */
static void end_subtest(void)
{
	if (!sub_name[0])
		return;
	if (ks_test_failed_now > sub_failed_at) {
		printf("not ok %s/%s\n", current, sub_name);
		failed++;
	} else {
		printf("ok %s/%s\n", current, sub_name);
		passed++;
	}
	sub_name[0] = 0;
}

bool test__start_subtest(const char *name)
{
	end_subtest();
	snprintf(sub_name, sizeof(sub_name), "%s", name);
	sub_failed_at = ks_test_failed_now;
	return true;
}

void test__skip(const char *why)
{
	ks_test_skipped_now++;
	printf("skip %s: %s\n", current, why);
}

const char *ks_srcdir(void)
{
	return KS_SRCDIR;
}

int main(int argc, char **argv)
{
	filter = argc > 1 ? argv[1] : NULL;
	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		const char *short_name = tests[i].name + 5; /* drop "test_" */
		int failed_before;

		if (filter && fnmatch(filter, short_name, 0))
			continue;
		current = short_name;
		ks_test_failed_now = ks_test_skipped_now = 0;
		sub_name[0] = 0;
		failed_before = failed;
		int passed_before = passed;

		tests[i].fn();
		end_subtest();
		if (ks_test_skipped_now && !ks_test_failed_now) {
			skipped++;
			continue;
		}
		/* A test with subtests counted them; one without counts as one. */
		if (failed == failed_before && passed == passed_before) {
			if (ks_test_failed_now) {
				printf("not ok %s\n", current);
				failed++;
			} else {
				printf("ok %s\n", current);
				passed++;
			}
		} else if (ks_test_failed_now && failed == failed_before) {
			printf("not ok %s (outside subtests)\n", current);
			failed++;
		}
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	return failed ? 1 : 0;
}
