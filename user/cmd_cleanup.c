// SPDX-License-Identifier: GPL-2.0-only
#include <stdio.h>

#include "cmd_common.h"
#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"

int cmd_cleanup(int argc, char **argv)
{
	struct common_args a;
	int rc = cmd_parse_common(argc, argv, &a, false,
			      "usage: kslice cleanup [-i NAME] [--table N] [--rule-pref N]\n"
			      "Removes the kill switch a killed kslice left (uplink filters, "
			      "policy rules, pinned maps).\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (ctl_alive(a.ifname)) {
		fprintf(stderr, "kslice: a kslice is running on %s: use `kslice disconnect`\n",
			a.ifname);
		return KS_EXIT_ERROR;
	}
	rc = cmd_clear_residue(&a);
	if (rc > 0)
		printf("%s: nothing to clean up\n", a.ifname);
	return rc < 0 ? KS_EXIT_ERROR : KS_EXIT_OK;
}

