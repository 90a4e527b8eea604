// SPDX-License-Identifier: GPL-2.0-only
/* Suspend and resume, as the monitor sees them: CLOCK_BOOTTIME runs on through a suspend,
 * CLOCK_MONOTONIC does not (a real suspend cannot be had in a test VM). */
#include "ks_test.h"
#include "pathwatch.h"

#define S 1000000000ULL

void test_pathwatch_resume(void)
{
	static const struct {
		const char *name;
		uint64_t boot_step, mono_step;
		bool resumed;
	} steps[] = {
		{ "a plain second", 1 * S, 1 * S, false },
		{ "a late tick (a busy machine): both clocks ran", 5 * S, 5 * S, false },
		{ "BOOTTIME 2 s ahead: not more than the slack", 3 * S, 1 * S, false },
		{ "a suspend of 30 s", 31 * S, 1 * S, true },
		{ "the second after it", 1 * S, 1 * S, false },
		{ "a suspend just over the slack", 3 * S + 1, 1 * S, true },
	};
	struct ks_pathwatch w;
	uint64_t boot = 1000 * S, mono = 500 * S;

	pathwatch_init(&w, 0);
	pathwatch_clocks(&w, boot, mono);
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		const char *why;

		boot += steps[i].boot_step;
		mono += steps[i].mono_step;
		why = pathwatch_clocks(&w, boot, mono);
		KS_CHECK((why != NULL) == steps[i].resumed, "%s: got %s", steps[i].name,
			 why ? why : "nothing");
	}
	pathwatch_close(&w);
}
