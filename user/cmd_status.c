// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "generated/config.h"
#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"
#include "json.h"
#include "residue.h"
#include "opts.h"

/* -i given: that one. Else the default name, or the only running instance if that is not
 * the default (so `kslice status` works after `connect -i work0`). */
static void pick_interface(char *name, size_t len, bool given)
{
	struct ks_buf probe = { 0 };
	char names[2][IFNAMSIZ];

	if (given || !ctl_request(name, "ping", &probe)) {
		buf_free(&probe);
		return;
	}
	buf_free(&probe);
	if (ctl_list(names, 2) == 1)
		snprintf(name, len, "%s", names[0]);
}

struct common_args {
	char ifname[IFNAMSIZ];
	bool json;
	uint32_t table, pref; /* of a kslice that died: where its residue is */
};

static int parse_common(int argc, char **argv, struct common_args *a, bool json_ok,
			const char *usage)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "interface", required_argument, NULL, 'i' },
					    { "table", required_argument, NULL, 'T' },
					    { "rule-pref", required_argument, NULL, 'P' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char *ifname = a->ifname;
	struct ks_error e;
	bool given = false;
	int c;

	a->json = false;
	a->table = CONFIG_SPLIT_TABLE;
	a->pref = CONFIG_SPLIT_RULE_PREF;
	snprintf(ifname, IFNAMSIZ, "%s", CONFIG_DEFAULT_IFNAME);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!json_ok)
				goto bad;
			a->json = true;
			break;
		case 'T':
		case 'P':
			if ((c == 'T' ? opts_parse_table(optarg, &a->table, &e) :
					opts_parse_rule_pref(optarg, &a->pref, &e))) {
				fprintf(stderr, "kslice: %s\n", e.msg);
				return KS_EXIT_USAGE;
			}
			break;
		case 'i':
			if (!opts_ifname_arg(optarg, ifname))
				return KS_EXIT_USAGE;
			given = true;
			break;
		case 'h':
			printf("%s", usage);
			return -1;
		default:
			goto bad;
		}
	}
	if (optind < argc)
		goto bad;
	pick_interface(ifname, IFNAMSIZ, given);
	return 0;
bad:
	fprintf(stderr, "kslice: bad arguments\n%s", usage);
	return KS_EXIT_USAGE;
}

/* No daemon: say so, and show what a killed one left (the kill switch still holding). */
static int status_down(const struct common_args *a)
{
	struct ks_buf out = { 0 };
	struct ks_residue r;
	bool scanned = !residue_scan(a->ifname, a->table, a->pref, &r);

	if (a->json) {
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
	struct common_args a;
	int rc = parse_common(argc, argv, &a, true,
			      "usage: kslice status [--json] [-i NAME] [--table N --rule-pref N]\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (ctl_request(a.ifname, a.json ? "status json" : "status text", &reply) || !reply.len) {
		buf_free(&reply);
		return status_down(&a);
	}
	fwrite(reply.data, 1, reply.len, stdout);
	buf_free(&reply);
	return KS_EXIT_OK;
}

/* A zombie waiting for its reaper counts as gone. */
static bool process_alive(pid_t pid)
{
	char path[64], state = 0;
	FILE *f;

	if (pid <= 0)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	if (fscanf(f, "%*d (%*[^)]) %c", &state) != 1)
		state = 0;
	fclose(f);
	return state && state != 'Z' && state != 'X';
}

/* Removes a dead kslice's residue; 0 if there was some, 1 if nothing, -1 if refused. */
static int clear_residue(const struct common_args *a)
{
	struct ks_residue r;
	int err = residue_scan(a->ifname, a->table, a->pref, &r);

	if (err) {
		fprintf(stderr, "kslice: cannot inspect leftovers: %s\n", strerror(-err));
		return -1;
	}
	if (!residue_any(&r))
		return 1;
	if (residue_conflicts(&r)) {
		fprintf(stderr,
			"kslice: rules at preference %u / filters with handle %u may belong to "
			"another running kslice; give --rule-pref/--table of the dead one\n",
			a->pref, a->table);
		return -1;
	}
	residue_clear(a->ifname, a->table, a->pref);
	printf("%s: removed what a killed kslice left: %d rule(s), %d uplink filter(s)%s%s, "
	       "%d pinned map(s)\n",
	       a->ifname, r.rules, r.uplink_filters, r.uplink_filters ? " on " : "",
	       r.uplink_names, r.pins);
	return 0;
}

int cmd_cleanup(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	struct common_args a;
	int rc = parse_common(argc, argv, &a, false,
			      "usage: kslice cleanup [-i NAME] [--table N] [--rule-pref N]\n"
			      "Removes the kill switch a killed kslice left (uplink filters, "
			      "policy rules, pinned maps).\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (!ctl_request(a.ifname, "ping", &reply)) {
		buf_free(&reply);
		fprintf(stderr, "kslice: a kslice is running on %s: use `kslice disconnect`\n",
			a.ifname);
		return KS_EXIT_ERROR;
	}
	buf_free(&reply);
	rc = clear_residue(&a);
	if (rc > 0)
		printf("%s: nothing to clean up\n", a.ifname);
	return rc < 0 ? KS_EXIT_ERROR : KS_EXIT_OK;
}

int cmd_disconnect(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	struct common_args a;
	char *ifname = a.ifname, path[108];
	int rc = parse_common(argc, argv, &a, false,
			      "usage: kslice disconnect [-i NAME] [--table N --rule-pref N]\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (ctl_request(ifname, "disconnect", &reply)) {
		buf_free(&reply);
		/* A daemon that died left its kill switch: disconnecting means removing it. */
		rc = clear_residue(&a);
		if (rc == 0)
			return KS_EXIT_OK;
		if (rc > 0)
			fprintf(stderr, "kslice: no kslice running on %s\n", ifname);
		return rc < 0 ? KS_EXIT_ERROR : KS_EXIT_NOT_RUNNING;
	}
	if (!strstr(buf_cstr(&reply), "\"ok\":true")) {
		fprintf(stderr, "kslice: disconnect refused: %s", buf_cstr(&reply));
		buf_free(&reply);
		return KS_EXIT_ERROR;
	}
	const char *p = strstr(buf_cstr(&reply), "\"pid\":");
	pid_t pid = p ? (pid_t)atoi(p + 6) : 0;

	buf_free(&reply);
	/* Done when the daemon has exited, its socket and its device are gone (10 s at most). */
	ctl_path(ifname, path, sizeof(path));
	for (int i = 0; i < 100; i++) {
		if (access(path, F_OK) && !if_nametoindex(ifname) && !process_alive(pid))
			return KS_EXIT_OK;
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	fprintf(stderr, "kslice: %s did not go down within 10 s\n", ifname);
	return KS_EXIT_ERROR;
}
