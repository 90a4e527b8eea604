// SPDX-License-Identifier: GPL-2.0-only
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "json.h"
#include "pin.h"
#include "policy.h"
#include "residue.h"
#include "split.h"
#include "uplink.h"

/* Another kslice answering on its control socket (ours, if any, is not counted). */
static bool others_alive(const char *ifname)
{
	char names[64][IFNAMSIZ];
	int n = ctl_list(names, 64);
	bool found = false;

	for (int i = 0; i < n && !found; i++)
		found = strcmp(names[i], ifname) && ctl_alive(names[i]);
	return found;
}

int residue_scan(const char *ifname, uint32_t table, uint32_t pref, struct ks_residue *r)
{
	char state[128];

	memset(r, 0, sizeof(*r));
	split_uplink_state_path(ifname, state, sizeof(state));
	r->pins = pin_dir_count(ifname);
	r->rules = policy_count(pref);
	if (r->rules < 0)
		return r->rules;
	r->uplink_filters =
		uplinks_reconcile(table, state, true, r->uplink_names, sizeof(r->uplink_names));
	if (r->uplink_filters < 0)
		return r->uplink_filters;
	r->other_instances = others_alive(ifname);
	r->stale_socket = ctl_stale(ifname, false);
	return 0;
}

bool residue_any(const struct ks_residue *r)
{
	return r->pins || r->rules || r->uplink_filters || r->stale_socket;
}

bool residue_conflicts(const struct ks_residue *r)
{
	return r->other_instances && (r->rules || r->uplink_filters);
}

void residue_clear(const char *ifname, uint32_t table, uint32_t pref)
{
	struct ks_policy p = { .table = table, .pref = pref };
	char state[128];

	split_uplink_state_path(ifname, state, sizeof(state));
	uplinks_reconcile(table, state, false, NULL, 0);
	/* The mark is only matched when given; deleting by preference and table/action
	 * finds the rules whatever mark the dead daemon used. */
	policy_remove(&p);
	pin_dir_clear(ifname);
	ctl_stale(ifname, true);
}

void residue_text(const struct ks_residue *r, const char *ifname, struct ks_buf *out)
{
	if (r->stale_socket)
		buf_printf(out, "a dead kslice's control socket is left; `kslice cleanup -i %s` "
				"removes it\n", ifname);
	if (!r->pins && !r->rules && !r->uplink_filters)
		return;
	buf_printf(out,
		   "kill switch still active (left by a kslice that was killed, or whose session "
		   "ended without you: --kill-switch):\n"
		   "  %d policy rule(s), %d uplink filter(s)%s%s, %d pinned map(s)\n"
		   "  corporate destinations stay blocked; `kslice cleanup -i %s` puts them back\n"
		   "  on the normal path, `kslice connect` takes over\n",
		   r->rules, r->uplink_filters, r->uplink_filters ? " on " : "", r->uplink_names,
		   r->pins, ifname);
}

void residue_json(const struct ks_residue *r, struct ks_json *j)
{
	json_obj_open(j, "residue");
	json_u64(j, "rules", (uint64_t)r->rules);
	json_u64(j, "uplink_filters", (uint64_t)r->uplink_filters);
	json_str(j, "uplinks", r->uplink_names);
	json_u64(j, "pins", (uint64_t)r->pins);
	json_bool(j, "stale_socket", r->stale_socket);
	json_obj_close(j);
}
