// SPDX-License-Identifier: GPL-2.0-only
#include <stdlib.h>
#include <unistd.h>

#include "env.h"

static bool trusted;

void env_set_trusted(bool on)
{
	trusted = on;
}

bool env_trusted(void)
{
	return trusted;
}

const char *env_override(const char *name)
{
	const char *v = getenv(name);

	if (!v || !*v)
		return NULL;
	if (!trusted && (getuid() != 0 || geteuid() != 0 || getenv("SUDO_UID")))
		return NULL;
	return v;
}
