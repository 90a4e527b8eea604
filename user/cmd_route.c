// SPDX-License-Identifier: GPL-2.0-only
/* `kslice route add|del|list`: changes the live split set of a running tunnel through its
 * control socket. The daemon updates the maps; new connections follow at once. */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "generated/config.h"
#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"
#include "opts.h"

static const char usage[] =
	"usage: kslice route add [--exclude] PREFIX... [-i NAME]\n"
	"       kslice route del [--include|--exclude] PREFIX... [-i NAME]\n"
	"       kslice route list [--json] [-i NAME]\n"
	"add puts PREFIX in the include set (through the tunnel), or with --exclude in the\n"
	"exclude set (never through it); del removes it from the set(s) holding it.\n";

int cmd_route(int argc, char **argv)
{
	static const struct option lo[] = { { "exclude", no_argument, NULL, 'x' },
					    { "include", no_argument, NULL, 'n' },
					    { "json", no_argument, NULL, 'j' },
					    { "interface", required_argument, NULL, 'i' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char ifname[IFNAMSIZ] = CONFIG_DEFAULT_IFNAME;
	const char *set = NULL, *verb;
	struct ks_error e;
	struct ks_prefix p;
	bool json = false;
	int c, r, rc = KS_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "xji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'x':
		case 'n':
			set = c == 'x' ? "exclude" : "include";
			break;
		case 'j':
			json = true;
			break;
		default:
			r = opts_small_case(c, "route", usage, argv, ifname);
			if (r != OPTS_GO_ON)
				return r;
		}
	}
	verb = optind < argc ? argv[optind++] : "";
	if (!strcmp(verb, "list") && optind == argc)
		return ctl_command(ifname, json ? CTL_ROUTE_LIST_JSON : CTL_ROUTE_LIST, NULL, NULL,
				   true);
	if ((strcmp(verb, "add") && strcmp(verb, "del")) || optind == argc || json) {
		fprintf(stderr, "kslice: route: expected add|del PREFIX... or list\n%s", usage);
		return KS_EXIT_USAGE;
	}
	/* Check every prefix before changing anything. */
	for (int i = optind; i < argc; i++) {
		if (opts_parse_prefix("route", argv[i], &p, &e)) {
			fprintf(stderr, "kslice: %s\n", e.msg);
			return KS_EXIT_USAGE;
		}
	}
	if (!set)
		set = strcmp(verb, "add") ? "any" : "include";
	for (int i = optind; i < argc && rc != KS_EXIT_NOT_RUNNING; i++) {
		int r = ctl_command(ifname, strcmp(verb, "add") ? CTL_ROUTE_DEL : CTL_ROUTE_ADD, set,
				    argv[i], false);

		if (r)
			rc = r;
	}
	return rc;
}
