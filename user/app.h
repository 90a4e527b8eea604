/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-application policy: cgroups whose sockets and pings go through the tunnel whatever
 * the prefixes say (tunnel), never (direct), or as usual (split). The daemon's table of
 * ks_app_policy (kslice/maps.h), changed live by `kslice app` and `kslice exec`. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "buf.h"
#include "cgroup.h"
#include "error.h"
#include "json.h"

struct ks_split_state;

struct ks_app {
	uint64_t id; /* the cgroup's inode number: the map's key */
	uint32_t via; /* KS_VIA_* */
	char path[KS_CGROUP_PATH_MAX]; /* from the hierarchy's root */
};

struct ks_apps {
	struct ks_app *v;
	size_t n;
	int root; /* the cgroup hierarchy, opened at the first use (root_open) */
	bool root_open;
};

/* "split", "tunnel", "direct" <-> KS_VIA_*; -EINVAL for another word. */
int app_via_parse(const char *word, uint32_t *via);
const char *app_via_name(uint32_t via);
/* Sets (or changes) the policy of the cgroup that target names (cgroup.h, cgroup_find). */
int app_set(struct ks_split_state *sp, const char *target, uint32_t via, struct ks_error *e);
int app_del(struct ks_split_state *sp, const char *target, struct ks_error *e);
/* Cgroups that were removed (an `exec` that ended without a word): their entries go. */
void app_tick(struct ks_split_state *sp);
void app_free(struct ks_split_state *sp);
/* "apps": [{path, cgroup_id, via, hits}] into an open object; `app PATH VIA hits N` lines. */
void app_report_json(const struct ks_split_state *sp, struct ks_json *j);
void app_report_text(const struct ks_split_state *sp, struct ks_buf *out);
