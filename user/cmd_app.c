// SPDX-License-Identifier: GPL-2.0-only
/* `kslice app add|del|list`: the per-cgroup policy of a running tunnel (app.h), live. */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "generated/config.h"
#include "app.h"
#include "commands.h"
#include "ctl.h"
#include "esc.h"
#include "exitcodes.h"
#include "opts.h"

static const char usage[] =
	"usage: kslice app add [--via tunnel|direct|split] CGROUP... [-i NAME]\n"
	"       kslice app del CGROUP... [-i NAME]\n"
	"       kslice app list [--json] [-i NAME]\n"
	"CGROUP: a unit that runs (app-firefox.scope, user@1000.service) or a cgroup path\n"
	"(/user.slice/...); what runs in it and below follows the policy for new connections:\n"
	"  -v, --via tunnel  everything through the tunnel (the default)\n"
	"      --via direct  never through it; corporate destinations stay blocked\n"
	"      --via split   the usual decision (for a subtree under a tunnel or direct one)\n"
	"      --json        list as JSON\n"
	"  -i, --interface NAME  the tunnel (default " CONFIG_DEFAULT_IFNAME ")\n";

int cmd_app(int argc, char **argv)
{
	static const struct option lo[] = { { "via", required_argument, NULL, 'v' },
					    { "json", no_argument, NULL, 'j' },
					    { "interface", required_argument, NULL, 'i' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char ifname[IFNAMSIZ] = CONFIG_DEFAULT_IFNAME;
	const char *via = NULL, *verb;
	bool json = false;
	uint32_t v;
	int c, r, rc = KS_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "v:ji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (app_via_parse(optarg, &v)) {
				fprintf(stderr, "kslice: app: --via '%s' is not tunnel, direct or "
					"split\n", escn(optarg, 32));
				return KS_EXIT_USAGE;
			}
			via = optarg;
			break;
		case 'j':
			json = true;
			break;
		default:
			r = opts_small_case(c, "app", usage, argv, ifname);
			if (r != OPTS_GO_ON)
				return r;
		}
	}
	verb = optind < argc ? argv[optind++] : "";
	if (!strcmp(verb, "list") && optind == argc && !via)
		return ctl_command(ifname, json ? CTL_APP_LIST_JSON : CTL_APP_LIST, NULL, NULL, true);
	if ((strcmp(verb, "add") && strcmp(verb, "del")) || optind == argc || json ||
	    (via && !strcmp(verb, "del"))) {
		fprintf(stderr, "kslice: app: expected add|del CGROUP... or list\n%s", usage);
		return KS_EXIT_USAGE;
	}
	for (int i = optind; i < argc && rc != KS_EXIT_NOT_RUNNING; i++) {
		int one = strcmp(verb, "add") ?
				ctl_command(ifname, CTL_APP_DEL, argv[i], NULL, false) :
				ctl_command(ifname, CTL_APP_SET, via ? via : "tunnel", argv[i], false);

		if (one != KS_EXIT_OK)
			rc = one;
	}
	return rc;
}
