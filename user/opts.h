/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice connect` options: parsed and validated before anything touches the network. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include "error.h"
#include "tls.h"
#include "totp.h"

enum ks_compress { KS_COMPRESS_NONE, KS_COMPRESS_ALL };

struct ks_connect_opts {
	char host[256];
	char port[6];
	char path[256]; /* URL path incl. leading '/', the group URL on an ASA */
	const char *user;
	bool passwd_on_stdin;
	bool cookie_on_stdin;
	struct ks_tls_trust trust;
	bool have_totp;
	struct ks_totp totp;
	const char *authgroup;
	char ifname[IFNAMSIZ];
	bool background;
	const char *pid_file;
	bool syslog;
	int verbosity;
	enum ks_compress compress;
	bool ipv6;
	const char *useragent;
	int timeout_s;
	int reconnect_timeout_s; /* 0: a lost connection ends the session */
	bool no_tty_prompt; /* never prompt, even on a terminal */
};

int opts_parse_server(struct ks_connect_opts *o, const char *arg, struct ks_error *e);
int opts_check_ifname(const char *name, struct ks_error *e);
/* argv as given after `connect`. -EAGAIN: --help was printed. */
int opts_parse_connect(struct ks_connect_opts *o, int argc, char **argv, struct ks_error *e);
void opts_free(struct ks_connect_opts *o);
void opts_connect_usage(FILE *f);
