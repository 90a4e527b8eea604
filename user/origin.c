// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "origin.h"

const char *origin_str(uint32_t origin, char *buf, size_t len)
{
	static const char *const names[] = { "gateway", "user", "runtime", "auto" };
	size_t used = 0;

	buf[0] = 0;
	for (int i = 0; i < 4; i++)
		if (origin & (1u << i) && used < len)
			used += (size_t)snprintf(buf + used, len - used, "%s%s", used ? "," : "",
						 names[i]);
	return buf;
}
