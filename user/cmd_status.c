// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
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
#include "opts.h"

/* -i given: that one. Else the default name, or the only running instance if that is not
 * the default (so `kslice status` works after `connect -i work0`). */
static void pick_interface(char *name, size_t len, bool given)
{
	struct ks_buf probe = { 0 };
	char only[IFNAMSIZ] = "";
	int count = 0;
	struct dirent *de;
	DIR *d;

	if (given || !ctl_request(name, "ping", &probe)) {
		buf_free(&probe);
		return;
	}
	buf_free(&probe);
	d = opendir(ctl_run_dir());
	if (!d)
		return;
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n > 5 && n - 5 < IFNAMSIZ && !strcmp(de->d_name + n - 5, ".sock")) {
			snprintf(only, sizeof(only), "%.*s", (int)(n - 5), de->d_name);
			count++;
		}
	}
	closedir(d);
	if (count == 1)
		snprintf(name, len, "%s", only);
}

static int parse_common(int argc, char **argv, char *ifname, bool *json, const char *usage)
{
	static const struct option lo[] = { { "json", no_argument, NULL, 'j' },
					    { "interface", required_argument, NULL, 'i' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	struct ks_error e;
	bool given = false;
	int c;

	snprintf(ifname, IFNAMSIZ, "%s", CONFIG_DEFAULT_IFNAME);
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "ji:h", lo, NULL)) != -1) {
		switch (c) {
		case 'j':
			if (!json)
				goto bad;
			*json = true;
			break;
		case 'i':
			if (opts_check_ifname(optarg, &e)) {
				fprintf(stderr, "kslice: %s\n", e.msg);
				return KS_EXIT_USAGE;
			}
			snprintf(ifname, IFNAMSIZ, "%s", optarg);
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

int cmd_status(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	char ifname[IFNAMSIZ];
	bool json = false;
	int rc = parse_common(argc, argv, ifname, &json,
			      "usage: kslice status [--json] [-i NAME]\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (ctl_request(ifname, json ? "status json" : "status text", &reply) || !reply.len) {
		if (json)
			printf("{\"version\":1,\"state\":\"down\",\"interface\":\"%s\"}\n", ifname);
		else
			printf("%s: not connected\n", ifname);
		buf_free(&reply);
		return KS_EXIT_NOT_RUNNING;
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

int cmd_disconnect(int argc, char **argv)
{
	struct ks_buf reply = { 0 };
	char ifname[IFNAMSIZ], path[108];
	int rc = parse_common(argc, argv, ifname, NULL, "usage: kslice disconnect [-i NAME]\n");

	if (rc)
		return rc < 0 ? KS_EXIT_OK : rc;
	if (ctl_request(ifname, "disconnect", &reply)) {
		fprintf(stderr, "kslice: no kslice running on %s\n", ifname);
		buf_free(&reply);
		return KS_EXIT_NOT_RUNNING;
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
