/* SPDX-License-Identifier: GPL-2.0-only */
/* What a kslice killed without a goodbye leaves on purpose, fail closed (docs/design.md, "What survives a crash"): the
 * uplink kill-switch filters, the fixed policy rules, the pinned maps. Found and cleared
 * by the next `connect`, by `cleanup` and by `disconnect`; shown by `status`. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "buf.h"

struct ks_residue {
	int pins;	    /* files in <pin root>/<ifname>/ */
	int rules;	    /* policy rules at pref..pref+2 */
	int uplink_filters; /* our TC filters on interfaces of this namespace */
	char uplink_names[256];
	bool other_instances; /* another live kslice answers in the run directory */
	bool stale_socket;    /* <run dir>/<ifname>.sock with nobody behind it */
};

int residue_scan(const char *ifname, uint32_t table, uint32_t pref, struct ks_residue *r);
bool residue_any(const struct ks_residue *r);
/* The rules or filters may belong to a live kslice on another interface. */
bool residue_conflicts(const struct ks_residue *r);
void residue_clear(const char *ifname, uint32_t table, uint32_t pref);
void residue_text(const struct ks_residue *r, const char *ifname, struct ks_buf *out);
struct ks_json;
/* "residue": {...} into an open object. */
void residue_json(const struct ks_residue *r, struct ks_json *j);
