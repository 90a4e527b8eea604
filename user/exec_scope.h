/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice exec` where systemd runs: COMMAND's cgroup goes inside a transient scope unit of
 * its own (systemd-run --scope, Delegate=yes), so systemd keeps it in its tree and its
 * accounting; elsewhere, kslice.exec/ at the hierarchy's root. */
#pragma once
#include <stdbool.h>
#include <stddef.h>

#define EXEC_SCOPE_ENV "KSLICE_EXEC_SCOPE" /* the unit, for the re-executed kslice inside */
#define EXEC_SCOPE_PREFIX "kslice-exec-"

/* When systemd runs (or KSLICE_SYSTEMD_RUN names a systemd-run, for tests) and this is not
 * the scope's own run yet: re-executes `kslice exec` (argv, from "exec") inside a new scope;
 * returns only when that failed (-errno) or is not wanted (0). */
int exec_scope_enter(const char *ifname, int argc, char **argv);
/* Inside the scope: its cgroup path from the root (without the leading '/') into base.
 * -ENOENT outside one; -EPERM when the cgroup is not the scope the variable names. */
int exec_scope_base(char *base, size_t len);
