// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <stdio.h>

#include "origin.h"
#include "split_report.h"

static const char *const stat_names[KS_STAT_MAX] = { KS_SPLIT_STATS(KS_STAT_NAME_) };

static void json_prefix(void *arg, const struct ks_prefix *p, const struct ks_prefix_info *pi)
{
	struct ks_json *j = arg;
	char a[64], o[48];

	json_obj_open(j, NULL);
	json_str(j, "prefix", prefix_str(p, a, sizeof(a)));
	json_str(j, "origin", origin_str(pi->origin, o, sizeof(o)));
	json_u64(j, "hits", pi->hits);
	json_obj_close(j);
}

void split_report_json(const struct ks_split_state *sp, struct ks_json *j)
{
	struct ks_split_stats st;
	char m[16];

	json_obj_open(j, "split");
	json_bool(j, "active", sp->started);
	if (sp->started) {
		json_str(j, "mode", sp->full_tunnel ? "full" : "split");
		json_str(j, "state", sp->cfg.state == KS_STATE_UP ? "up" : "down");
		snprintf(m, sizeof(m), "0x%x", sp->cfg.mark);
		json_str(j, "mark", m);
		snprintf(m, sizeof(m), "0x%x", sp->cfg.own_mark);
		json_str(j, "own_mark", m);
		json_u64(j, "table", sp->policy.table);
		json_u64(j, "rule_pref", sp->policy.pref);
		json_arr_open(j, "include");
		split_prefix_walk(sp, false, json_prefix, j);
		json_arr_close(j);
		json_arr_open(j, "exclude");
		split_prefix_walk(sp, true, json_prefix, j);
		json_arr_close(j);
		json_arr_open(j, "uplinks");
		for (int i = 0; i < sp->uplinks.n; i++)
			json_str(j, NULL, sp->uplinks.dev[i].name);
		json_arr_close(j);
		app_report_json(sp, j);
		guests_report_json(&sp->guests, j);
		json_obj_open(j, "stats");
		if (!split_stats(sp, &st))
			for (int r = 0; r < KS_STAT_MAX; r++)
				json_u64(j, stat_names[r], ((__u64 *)&st)[r]);
		json_obj_close(j);
	}
	json_obj_close(j);
}

struct text_ctx {
	struct ks_buf *out;
	const char *set;
};

static void text_prefix(void *arg, const struct ks_prefix *p, const struct ks_prefix_info *pi)
{
	struct text_ctx *c = arg;
	char a[64], o[48];

	buf_printf(c->out, "%-8s %-28s %-16s hits %llu\n", c->set, prefix_str(p, a, sizeof(a)),
		   origin_str(pi->origin, o, sizeof(o)), (unsigned long long)pi->hits);
}

void split_report_routes(const struct ks_split_state *sp, struct ks_buf *out)
{
	struct text_ctx c = { .out = out, .set = "include" };

	split_prefix_walk(sp, false, text_prefix, &c);
	c.set = "exclude";
	split_prefix_walk(sp, true, text_prefix, &c);
	app_report_text(sp, out);
	guests_report_text(&sp->guests, out);
}

void split_report_text(const struct ks_split_state *sp, struct ks_buf *out)
{
	struct ks_split_stats st;

	if (!sp->started) {
		buf_printf(out, "split:     not active\n");
		return;
	}
	buf_printf(out, "split:     %s tunnel, %s, mark 0x%x, table %u, rules %u-%u, %d uplink(s)",
		   sp->full_tunnel ? "full" : "split",
		   sp->cfg.state == KS_STATE_UP ? "up" : "down (kill switch)", sp->cfg.mark,
		   sp->policy.table, sp->policy.pref, sp->policy.pref + 2, sp->uplinks.n);
	for (int i = 0; i < sp->uplinks.n; i++)
		buf_printf(out, "%s%s", i ? " " : ": ", sp->uplinks.dev[i].name);
	buf_printf(out, "\n");
	split_report_routes(sp, out);
	if (!split_stats(sp, &st))
		buf_printf(out,
			   "steered:   %llu connects, %llu datagrams, %llu pings into the tunnel; "
			   "%llu excluded\n"
			   "blocked:   %llu connects, %llu datagrams (tunnel down), %llu packets "
			   "dropped on uplinks\n",
			   (unsigned long long)st.connect_tunnel, (unsigned long long)st.sendmsg_tunnel,
			   (unsigned long long)st.egress_redirected,
			   (unsigned long long)st.connect_excluded,
			   (unsigned long long)st.connect_blocked,
			   (unsigned long long)st.sendmsg_blocked,
			   (unsigned long long)st.egress_dropped);
}
