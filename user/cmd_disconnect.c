// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cmd_common.h"
#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"

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

int cmd_disconnect(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	struct ks_error e = { 0 };
	struct common_args a;
	char *ifname = a.ifname, path[108];
	const char *body;
	int pid = 0, err, rc = cmd_parse_common(argc, argv, &a, false,
			      "usage: kslice disconnect [-i NAME] [--table N --rule-pref N]\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	err = ctl_call(ifname, CTL_DISCONNECT, NULL, NULL, &reply, &body, &e);
	if (err == -ENOENT || err == -ECONNREFUSED) {
		buf_free(&reply);
		/* A daemon that died left its kill switch: disconnecting means removing it. */
		rc = cmd_clear_residue(&a);
		if (rc == 0)
			return KS_EXIT_OK;
		if (rc > 0)
			fprintf(stderr, "kslice: no kslice running on %s\n", ifname);
		return rc < 0 ? KS_EXIT_ERROR : KS_EXIT_NOT_RUNNING;
	}
	if (err || sscanf(body, "pid %d", &pid) != 1) {
		fprintf(stderr, "kslice: disconnect refused: %s\n", err ? e.msg : "no pid in the reply");
		buf_free(&reply);
		return KS_EXIT_ERROR;
	}
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
