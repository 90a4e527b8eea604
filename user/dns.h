/* SPDX-License-Identifier: GPL-2.0-only */
/* Corporate domains: fills the domain trie and the DNS config of bpf/split, attaches the
 * learner on the TUN (the uplinks get theirs from uplink.c), registers the corporate DNS
 * with systemd-resolved where it runs, and expires learned addresses. It works on the maps
 * and program split hands it (struct ks_dns_handles): split depends on DNS, not back. */
#pragma once
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "buf.h"
#include "dns_name.h"
#include "error.h"
#include "json.h"
#include "kslice/maps.h"

struct ks_cstp_params;

/* How corporate queries reach the corporate DNS. */
enum ks_dns_mode {
	KS_DNS_AUTO,	 /* resolved where it runs, eBPF steering always */
	KS_DNS_BPF,	 /* eBPF steering only */
	KS_DNS_RESOLVED, /* systemd-resolved only (an error if it does not run) */
	KS_DNS_OFF,	 /* no steering, no learning: prefixes only */
};

struct ks_domain_arg {
	char name[KS_DOMAIN_TEXT_MAX];
	uint32_t flags; /* KS_DOMAIN_* */
};

struct ks_dns_opts {
	enum ks_dns_mode mode;
	uint32_t ttl_max_s, grace_s;
	const struct ks_domain_arg *domains; /* --domain, --learn-domain, --exclude-domain */
	size_t n_domains;
};

/* File descriptors of bpf/split's DNS maps and of the TUN's learner, owned by split. */
struct ks_dns_handles {
	int domains, config, stats, nat, queries;
	int learned4, learned6, learned4_uplink, learned6_uplink;
	int tun_prog; /* ks_tc_tun_dns */
};

struct ks_dns_setup {
	struct ks_dns_handles h;
	const struct ks_cstp_params *params;
	const char *tun_name;
	int tun_ifindex;
	struct ks_dns_opts opts;
};

struct ks_dns {
	bool on;
	struct ks_dns_handles h;
	bool tun_filter;    /* our learner on the TUN's ingress */
	bool resolved;	    /* the TUN link is registered with systemd-resolved */
	int tun_ifindex;
	char tun_name[16];
	struct ks_dns_config cfg;
	uint64_t last_sweep_ns;
};

/* The first corporate DNS server of each family is the steering target; have4/have6 say
 * which were found. */
int dns_start(struct ks_dns *d, const struct ks_dns_setup *su, struct ks_error *e);
void dns_stop(struct ks_dns *d);
/* Expires learned addresses and forgotten steering entries. */
void dns_tick(struct ks_dns *d);

/* -EEXIST with the same flags is not an error: origins merge. */
int dns_domain_add(struct ks_dns *d, const char *domain, uint32_t flags, uint32_t origin);
/* -ENOENT: no such domain. */
int dns_domain_del(struct ks_dns *d, const char *domain);

typedef void (*ks_domain_fn)(void *arg, const char *domain, const struct ks_domain_info *di);
/* uplink: learned from an answer on an uplink (else through the tunnel). */
typedef void (*ks_learned_fn)(void *arg, int family, bool uplink, const uint8_t *addr,
			      const struct ks_learned *l, int64_t expires_in_s);
void dns_domain_walk(const struct ks_dns *d, ks_domain_fn fn, void *arg);
void dns_learned_walk(const struct ks_dns *d, ks_learned_fn fn, void *arg);
int dns_stats(const struct ks_dns *d, struct ks_dns_stats *sum);

/* "tunnel,resolve" */
const char *dns_flags_str(uint32_t flags, char *buf, size_t len);
/* "dns": {...} into an open JSON object; and the text lines of `kslice status`. */
void dns_report_json(const struct ks_dns *d, struct ks_json *j);
void dns_report_text(const struct ks_dns *d, struct ks_buf *out);
/* `kslice domain list`: domains, then with learned the learned addresses. */
void dns_report_list(const struct ks_dns *d, bool learned, struct ks_buf *out);
