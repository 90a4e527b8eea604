// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>

#include "cmd_common.h"
#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"
#include "json.h"
#include "metrics.h"
#include "residue.h"

/* No daemon: say so, and show what a killed one left (the kill switch still holding). */
static int status_down(const struct common_args *a)
{
	struct ks_buf out = { 0 };
	struct ks_residue r;
	bool scanned = !residue_scan(a->ifname, a->table, a->pref, &r);

	if (a->prometheus) {
		metrics_down(a->ifname, &out);
	} else if (a->json) {
		struct ks_json j;

		json_init(&j, &out);
		json_obj_open(&j, NULL);
		json_u64(&j, "version", 1);
		json_str(&j, "state", "down");
		json_str(&j, "interface", a->ifname);
		if (scanned)
			residue_json(&r, &j);
		json_obj_close(&j);
		buf_putc(&out, '\n');
	} else {
		buf_printf(&out, "%s: not connected\n", a->ifname);
		if (scanned)
			residue_text(&r, a->ifname, &out);
	}
	fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	return KS_EXIT_NOT_RUNNING;
}

int cmd_status(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	struct ks_error e = { 0 };
	struct common_args a;
	const char *body;
	int err, rc = cmd_parse_common(argc, argv, &a, true,
			      "usage: kslice status [--json|--prometheus] [-i NAME] [--table N --rule-pref N]\n"
			      "  -i, --interface NAME  the tunnel (default: the only one running)\n"
			      "      --json            one JSON object, for scripts (kslice.1, STATUS)\n"
			      "      --prometheus      Prometheus text format (kslice_* metrics)\n"
			      "      --table N         with no daemon: where a killed one's rules are\n"
			      "      --rule-pref N     ... and their first preference\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (a.json && a.prometheus) {
		fprintf(stderr, "kslice: --json and --prometheus exclude each other\n");
		return KS_EXIT_USAGE;
	}
	err = ctl_call(a.ifname, a.prometheus ? CTL_STATUS_PROMETHEUS :
				 a.json ? CTL_STATUS_JSON : CTL_STATUS_TEXT, NULL, NULL, &reply,
		       &body, &e);
	if (err == -ENOENT || err == -ECONNREFUSED) {
		buf_free(&reply);
		return status_down(&a);
	}
	if (err) {
		fprintf(stderr, "kslice: %s\n", e.msg);
		buf_free(&reply);
		return KS_EXIT_ERROR;
	}
	fputs(body, stdout);
	buf_free(&reply);
	return KS_EXIT_OK;
}

