// SPDX-License-Identifier: GPL-2.0-only
/* kslice: an AnyConnect-compatible VPN client with split tunneling in eBPF. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "env.h"
#include "exitcodes.h"
#include "log.h"

#include "version.h"

static const struct {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *what;
} commands[] = {
	{ "connect", cmd_connect, "log in to a gateway and bring the tunnel up" },
	{ "status", cmd_status, "show a running tunnel (--json for scripts)" },
	{ "disconnect", cmd_disconnect, "end a running tunnel cleanly" },
	{ "route", cmd_route, "add, remove or list split prefixes of a running tunnel" },
	{ "domain", cmd_domain, "add, remove or list corporate domains; learned addresses" },
	{ "app", cmd_app, "per-application policy: a cgroup through the tunnel, or never" },
	{ "exec", cmd_exec, "run a command with its own policy (--via tunnel|direct)" },
	{ "cleanup", cmd_cleanup, "remove the kill switch a killed kslice left behind" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: kslice [--trust-env] COMMAND [options]\n\n");
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].what);
	fprintf(f, "\n`kslice COMMAND --help` for its options; exit codes in kslice(1).\n");
}

int main(int argc, char **argv)
{
	/* A peer that hangs up (a control client, the gateway) is an error to handle, never
	 * a signal that kills the daemon; every socket write also says MSG_NOSIGNAL. */
	signal(SIGPIPE, SIG_IGN);
	if (argc >= 2 && !strcmp(argv[1], "--trust-env")) {
		env_set_trusted(true); /* KSLICE_RUN_DIR/KSLICE_PIN_ROOT under sudo too */
		argc--;
		argv++;
	}
	if (argc < 2) {
		usage(stderr);
		return KS_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return KS_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "version")) {
		printf("kslice %s\n", KSLICE_VERSION);
		return KS_EXIT_OK;
	}
	log_setup(KS_LOG_WARN, false); /* `connect` sets its own level */
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "kslice: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return KS_EXIT_USAGE;
}
