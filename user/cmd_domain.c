// SPDX-License-Identifier: GPL-2.0-only
/* `kslice domain add|del|list`: the corporate domains of a running tunnel, through its
 * control socket. New answers are learned from at once. */
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>

#include "generated/config.h"
#include "commands.h"
#include "ctl.h"
#include "dns_name.h"
#include "exitcodes.h"
#include "opts.h"

static const char usage[] =
	"usage: kslice domain add [--learn-only|--exclude] DOMAIN... [-i NAME]\n"
	"       kslice domain del DOMAIN... [-i NAME]\n"
	"       kslice domain list [--learned] [--json] [-i NAME]\n"
	"add makes DOMAIN corporate: its names resolve through the corporate DNS and their\n"
	"addresses go through the tunnel. --learn-only: only the addresses (it resolves where\n"
	"it always did); --exclude: its addresses never go through the tunnel.\n"
	"list --learned adds the addresses learned from answers, with their expiry.\n";

int cmd_domain(int argc, char **argv)
{
	static const struct option lo[] = { { "learn-only", no_argument, NULL, 'L' },
					    { "exclude", no_argument, NULL, 'x' },
					    { "learned", no_argument, NULL, 'l' },
					    { "json", no_argument, NULL, 'j' },
					    { "interface", required_argument, NULL, 'i' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char ifname[IFNAMSIZ] = CONFIG_DEFAULT_IFNAME;
	char norm[KS_DOMAIN_TEXT_MAX];
	const char *kind = "tunnel", *verb, *why;
	bool json = false, learned = false, kind_set = false;
	int c, r, rc = KS_EXIT_OK;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "lji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'L':
		case 'x':
			kind = c == 'L' ? "learn" : "exclude";
			kind_set = true;
			break;
		case 'l':
			learned = true;
			break;
		case 'j':
			json = true;
			break;
		default:
			r = opts_small_case(c, "domain", usage, argv, ifname);
			if (r != OPTS_GO_ON)
				return r;
		}
	}
	verb = optind < argc ? argv[optind++] : "";
	if (!strcmp(verb, "list") && optind == argc && !kind_set)
		return ctl_command(ifname,
				   json ? CTL_DOMAIN_LIST_JSON
				   : learned ? CTL_DOMAIN_LIST_LEARNED : CTL_DOMAIN_LIST,
				   NULL, NULL, true);
	if ((strcmp(verb, "add") && strcmp(verb, "del")) || optind == argc || json || learned ||
	    (kind_set && strcmp(verb, "add"))) {
		fprintf(stderr, "kslice: domain: expected add|del DOMAIN... or list\n%s", usage);
		return KS_EXIT_USAGE;
	}
	/* Check every name before changing anything. */
	for (int i = optind; i < argc; i++) {
		if (dns_domain_normalize(argv[i], norm, &why)) {
			fprintf(stderr, "kslice: domain: '%.80s' is not a domain name: %s\n", argv[i],
				why);
			return KS_EXIT_USAGE;
		}
	}
	for (int i = optind; i < argc && rc != KS_EXIT_NOT_RUNNING; i++) {
		dns_domain_normalize(argv[i], norm, &why);
		int r = !strcmp(verb, "add") ? ctl_command(ifname, CTL_DOMAIN_ADD, kind, norm, false)
					     : ctl_command(ifname, CTL_DOMAIN_DEL, norm, NULL, false);

		if (r)
			rc = r;
	}
	return rc;
}
