/* SPDX-License-Identifier: GPL-2.0-only */
/* What the small commands (status, disconnect, cleanup) share: -i/--json/--table/--rule-pref
 * parsing, the interface to talk to, and clearing what a killed daemon left. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

struct common_args {
	char ifname[IFNAMSIZ];
	bool json;
	bool prometheus; /* status --prometheus */
	uint32_t table, pref; /* of a kslice that died: where its residue is */
};

/* 0: parsed; -1: --help printed; else a KS_EXIT_* code. */
int cmd_parse_common(int argc, char **argv, struct common_args *a, bool json_ok,
		     const char *usage);
/* Removes a dead kslice's residue; 0 if there was some, 1 if nothing, -1 if refused. */
int cmd_clear_residue(const struct common_args *a);
