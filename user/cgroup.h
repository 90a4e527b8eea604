/* SPDX-License-Identifier: GPL-2.0-only */
/* The cgroup v2 hierarchy: its root, and a cgroup named by a path or a unit name. */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include "error.h"

#define KS_CGROUP_PATH_MAX 256

/* An fd of the hierarchy's root, wherever it is mounted; with none mounted, one mounted
 * privately for as long as it takes to open it. -errno. */
int cgroup_root_fd(void);
/* The cgroup that arg names: a path from the root ("/user.slice/x.scope", a leading '/'
 * optional) or, without a '/', the name of a cgroup anywhere below (a unit such as
 * "app-firefox.scope"; the first found, at most 8 levels down). Its path from the root
 * (with a leading '/') into path, its id (the inode number) into id. */
int cgroup_find(int root, const char *arg, char *path, size_t len, uint64_t *id,
		struct ks_error *e);
/* The id of the cgroup at path (from cgroup_find), or 0 if it is gone. */
uint64_t cgroup_id_at(int root, const char *path);
