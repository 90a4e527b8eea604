// SPDX-License-Identifier: GPL-2.0-only
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "generated/config.h"
#include "cmd_common.h"
#include "ctl.h"
#include "exitcodes.h"
#include "opts.h"
#include "residue.h"

/* -i given: that one. Else the default name, or the only running instance if that is not
 * the default (so `kslice status` works after `connect -i work0`). */
static void pick_interface(char *name, size_t len, bool given)
{
	char names[2][IFNAMSIZ];

	if (given || ctl_alive(name))
		return;
	if (ctl_list(names, 2) == 1)
		snprintf(name, len, "%s", names[0]);
}

int cmd_parse_common(int argc, char **argv, struct common_args *a, bool json_ok,
			const char *usage)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "prometheus", no_argument, NULL, 'M' },
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
	a->prometheus = false;
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
		case 'M':
			if (!json_ok) /* status alone */
				goto bad;
			a->prometheus = true;
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

int cmd_clear_residue(const struct common_args *a)
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
	       "%d pinned map(s)%s\n",
	       a->ifname, r.rules, r.uplink_filters, r.uplink_filters ? " on " : "",
	       r.uplink_names, r.pins, r.stale_socket ? ", its control socket" : "");
	return 0;
}

