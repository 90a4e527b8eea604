/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice connect` options: parsed and validated before anything touches the network. */
#pragma once
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include "cstp_params.h"
#include "dns.h"
#include "profile.h"
#include "proxy.h"
#include "error.h"
#include "guest.h"
#include "tls.h"
#include "totp.h"

/* What stays when a session ends (--kill-switch; docs/design.md, "What survives a crash"). */
enum ks_kill_switch {
	KS_KILL_SWITCH_ON_FAILURE, /* kept when the session ends without the user asking */
	KS_KILL_SWITCH_ALWAYS,	   /* kept at every end: only cleanup or a new connect lift it */
	KS_KILL_SWITCH_OFF,	   /* removed at every end (a crash still leaves it) */
};

struct ks_connect_opts {
	char host[256];
	char port[6];
	char path[256]; /* URL path incl. leading '/', the group URL on an ASA */
	const char *user;
	bool passwd_on_stdin;
	bool cookie_on_stdin;
	bool authenticate;	/* --authenticate: log in, print the cookie (shell), end */
	const char *external_browser; /* --external-browser[=COMMAND] (sso.h); NULL: none */
	bool sso_token_on_stdin;
	int sso_timeout_s;
	bool have_passwd;	/* --passwd-file: the first password field's answer */
	char passwd[1024];	/* ... wiped by the monitor after the fork, mlocked in the worker */
	struct ks_tls_trust trust;
	/* the client certificate (client_cert.h): loaded by the monitor after the fork */
	const char *cert;	/* -c FILE or pkcs11: URI */
	const char *sslkey;	/* -k FILE or URI; NULL: in cert */
	bool have_key_pass;
	bool key_pass_on_stdin;	/* read by cmd_connect before the fork: stdin's first line */
	char key_pass[1024];	/* the key's password or token PIN; wiped by the worker at
				 * once, by the monitor once the key is loaded */
	int cert_warn_days;	/* --cert-expire-warning */
	bool have_totp;
	struct ks_totp totp;
	const char *authgroup;
	char ifname[IFNAMSIZ];
	bool background;
	const char *pid_file;
	const char *setuid_user;	/* the worker's user (privsep.h); NULL: CONFIG_PRIVSEP_USER */
	bool syslog;
	int verbosity;
	enum ks_offer compress;	/* --compression (cstp_params.h) */
	bool ipv6;
	bool no_dtls; /* --no-dtls: data over TLS only */
	struct ks_proxy proxy;	/* --proxy, or https_proxy & co (proxy.h) */
	const char *proxy_from;	/* where it came from: "--proxy" or the variable */
	bool no_proxy;		/* --no-proxy: ignore the environment's */
	uint32_t dtls_suites; /* --dtls-ciphers (dtls_suites.h) */
	const char *useragent;
	int timeout_s;
	int reconnect_timeout_s; /* 0: a lost connection ends the session */
	int force_dpd_s;	 /* 0: the gateway's X-CSTP-DPD */
	bool no_tty_prompt; /* never prompt, even on a terminal */
	/* split tunneling */
	struct ks_prefix *include, *exclude; /* --include/positional, --exclude */
	size_t n_include, n_exclude;
	bool split_only;		     /* never "everything" by default */
	bool allow_lan;			     /* full tunnel: the local networks stay off it */
	char forward_from[KS_FORWARD_FROM_MAX][IFNAMSIZ]; /* --forward-from: the guests' interfaces */
	int n_forward_from;
	bool no_forward;
	uint32_t mark, table, rule_pref;
	/* DNS */
	struct ks_domain_arg *domains; /* --domain, --learn-domain, --exclude-domain */
	size_t n_domains;
	enum ks_dns_mode dns_mode;
	enum ks_kill_switch kill_switch;
	uint32_t dns_ttl_max, dns_grace;
	/* data path */
	bool no_offload;	/* plain packets on the TUN: no TSO, GRO or checksum offload */
	unsigned int coalesce_us; /* batch completions under load this long; 0: never */
	const char *metrics_file; /* --metrics-file: status --prometheus, rewritten (metrics.h) */
	bool metrics_from_root;	  /* ... named by a profile of root's */
	/* --config FILE or @NAME (profile.h): the words given to getopt, the first
	 * n_from_profile of them (after argv[0]) the profile's */
	struct ks_profile profile;
	char **profile_words;
	int n_from_profile;
};

void opts_wipe_key_pass(struct ks_connect_opts *o);
int opts_parse_server(struct ks_connect_opts *o, const char *arg, struct ks_error *e);
int opts_check_ifname(const char *name, struct ks_error *e);
/* -i/--interface of the small commands: checks NAME into out, or prints why (false). */
bool opts_ifname_arg(const char *name, char out[IFNAMSIZ]);
/* The getopt cases the small commands share: -i NAME into ifname, -h (usage on stdout),
 * anything else (a bad option, said with usage). OPTS_GO_ON, or the exit code to end with. */
#define OPTS_GO_ON (-1)
int opts_small_case(int c, const char *cmd, const char *usage, char *const argv[],
		    char ifname[IFNAMSIZ]);
/* "10.0.0.0/8", "10.0.0.0/255.0.0.0", "fd00::/64" or a bare address; the message names
 * the option and what was wrong. */
int opts_parse_prefix(const char *opt, const char *arg, struct ks_prefix *out,
		      struct ks_error *e);
/* --mark (one bit), --table, --rule-pref: shared with `kslice cleanup`. */
int opts_parse_mark(const char *arg, uint32_t *out, struct ks_error *e);
int opts_parse_table(const char *arg, uint32_t *out, struct ks_error *e);
int opts_parse_rule_pref(const char *arg, uint32_t *out, struct ks_error *e);
/* A domain for --domain and friends; flags KS_DOMAIN_*. */
int opts_add_domain(struct ks_domain_arg **arr, size_t *n, const char *opt, const char *arg,
		    uint32_t flags, struct ks_error *e);
/* argv as given after `connect`. -EAGAIN: --help was printed. */
int opts_parse_connect(struct ks_connect_opts *o, int argc, char **argv, struct ks_error *e);
void opts_free(struct ks_connect_opts *o);
/* The --passwd-file password, wiped (the monitor, once the worker has its copy). */
void opts_wipe_passwd(struct ks_connect_opts *o);
void opts_connect_usage(FILE *f);
/* getopt_long's table of `connect` (the profile reader checks names against it). */
struct option;
const struct option *opts_connect_options(void);
