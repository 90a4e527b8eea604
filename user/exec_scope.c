// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "env.h"
#include "exec_scope.h"

int exec_scope_enter(const char *ifname, int argc, char **argv)
{
	const char *run = env_override("KSLICE_SYSTEMD_RUN");
	char unit[64], desc[96], self[PATH_MAX];
	char *args[16 + argc];
	ssize_t n;
	int a = 0;

	if (getenv(EXEC_SCOPE_ENV))
		return 0; /* inside already */
	if (!run) {
		if (access("/run/systemd/system", F_OK))
			return 0;
		run = "systemd-run";
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -errno;
	self[n] = 0;
	snprintf(unit, sizeof(unit), EXEC_SCOPE_PREFIX "%s-%d.scope", ifname, (int)getpid());
	snprintf(desc, sizeof(desc), "kslice exec: a policy of its own on %s", ifname);
	args[a++] = (char *)run;
	args[a++] = "--scope";
	args[a++] = "--quiet";
	args[a++] = "--collect";
	args[a++] = "--property=Delegate=yes";
	args[a++] = "--unit";
	args[a++] = unit;
	args[a++] = "--description";
	args[a++] = desc;
	args[a++] = "--";
	args[a++] = self;
	if (env_trusted())
		args[a++] = "--trust-env";
	for (int i = 0; i < argc; i++)
		args[a++] = argv[i];
	args[a] = NULL;
	if (setenv(EXEC_SCOPE_ENV, unit, 1))
		return -errno;
	execvp(run, args);
	n = -errno;
	unsetenv(EXEC_SCOPE_ENV);
	return (int)n;
}

int exec_scope_base(char *base, size_t len)
{
	const char *unit = getenv(EXEC_SCOPE_ENV), *last;
	char line[512];
	FILE *f;
	int err = -ENOENT;

	if (!unit)
		return -ENOENT;
	f = fopen("/proc/self/cgroup", "re");
	while (f && err && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = 0;
		last = strrchr(line, '/') + 1;
		/* the scope that was asked for, not whatever cgroup a caller's variable finds us in */
		if (strcmp(last, unit) || strncmp(unit, EXEC_SCOPE_PREFIX, strlen(EXEC_SCOPE_PREFIX)))
			err = -EPERM;
		else
			err = (size_t)snprintf(base, len, "%s", line + 4) >= len ? -ENAMETOOLONG : 0;
		break;
	}
	if (f)
		fclose(f);
	return err;
}
