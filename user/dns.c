// SPDX-License-Identifier: GPL-2.0-only
/* Corporate domains in the BPF trie, the DNS config, the TUN learner, systemd-resolved,
 * and the expiry of learned addresses. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "generated/config.h"
#include "esc.h"
#include "dns.h"
#include "log.h"
#include "cstp_params.h"

#define RESOLVED_SOCKET "/run/systemd/resolve/io.systemd.Resolve"
#define TUN_DNS_PRIO 2 /* after tun_stats (1), which passes every packet on */
#define SWEEP_EVERY_NS 2000000000ULL
#define NAT_STALE_NS 30000000000ULL /* a resolver that waited this long has given up */

static uint64_t boot_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *dns_flags_str(uint32_t flags, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s",
		 flags & KS_DOMAIN_EXCLUDE ? "exclude" : flags & KS_DOMAIN_TUNNEL ? "tunnel" : "",
		 flags & KS_DOMAIN_RESOLVE ? "," : "", flags & KS_DOMAIN_RESOLVE ? "resolve" : "");
	return buf;
}

/* The trie key of a domain as given (checked and normalized first). */
static int domain_key(const char *domain, struct ks_domain_key *k)
{
	char norm[KS_DOMAIN_TEXT_MAX];
	const char *why;

	if (dns_domain_normalize(domain, norm, &why))
		return -EINVAL;
	dns_domain_key(norm, k);
	return 0;
}

int dns_domain_add(struct ks_dns *d, const char *domain, uint32_t flags, uint32_t origin)
{
	int fd = d->h.domains;
	struct ks_domain_info di = { 0 }, old;
	struct ks_domain_key k;

	if (domain_key(domain, &k))
		return -EINVAL;
	/* A lookup returns the longest covering domain: only an exact one is this one. */
	if (!bpf_map_lookup_elem(fd, &k, &old) && old.keylen * 8 == k.prefixlen) {
		if ((old.flags & KS_DOMAIN_EXCLUDE) != (flags & KS_DOMAIN_EXCLUDE))
			return -EEXIST; /* the opposite verdict: the caller says which wins */
		di = old;
	}
	di.flags |= flags;
	di.origin |= origin;
	di.keylen = k.prefixlen / 8;
	return bpf_map_update_elem(fd, &k, &di, BPF_ANY) ? -errno : 0;
}

int dns_domain_del(struct ks_dns *d, const char *domain)
{
	int fd = d->h.domains;
	struct ks_domain_key k;

	if (domain_key(domain, &k))
		return -EINVAL;
	return bpf_map_delete_elem(fd, &k) ? -errno : 0;
}

void dns_domain_walk(const struct ks_dns *d, ks_domain_fn fn, void *arg)
{
	struct ks_domain_key k, next, *prev = NULL;
	struct ks_domain_info di;
	char name[KS_DOMAIN_TEXT_MAX];
	int fd;

	if (!d->on)
		return;
	fd = d->h.domains;
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		prev = &k;
		if (!bpf_map_lookup_elem(fd, &k, &di) && !dns_domain_from_key(&k, name))
			fn(arg, name, &di);
	}
}

static void learned_walk_map(int fd, int family, bool uplink, ks_learned_fn fn, void *arg,
			     uint64_t now)
{
	uint8_t k[16], next[16];
	struct ks_learned l;
	void *prev = NULL;

	while (!bpf_map_get_next_key(fd, prev, next)) {
		memcpy(k, next, sizeof(k));
		prev = k;
		if (!bpf_map_lookup_elem(fd, k, &l)) {
			l.name[KS_LEARNED_NAME - 1] = 0;
			fn(arg, family, uplink, k, &l,
			   ((int64_t)l.expires_ns - (int64_t)now) / 1000000000LL);
		}
	}
}

void dns_learned_walk(const struct ks_dns *d, ks_learned_fn fn, void *arg)
{
	uint64_t now = boot_ns();

	if (!d->on)
		return;
	learned_walk_map(d->h.learned4, 4, false, fn, arg, now);
	learned_walk_map(d->h.learned6, 6, false, fn, arg, now);
	learned_walk_map(d->h.learned4_uplink, 4, true, fn, arg, now);
	learned_walk_map(d->h.learned6_uplink, 6, true, fn, arg, now);
}

int dns_stats(const struct ks_dns *d, struct ks_dns_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	__u32 zero = 0;

	memset(sum, 0, sizeof(*sum));
	if (!d->on || ncpu <= 0)
		return -ENOENT;
	struct ks_dns_stats per[ncpu];

	if (bpf_map_lookup_elem(d->h.stats, &zero, per))
		return -errno;
	for (int c = 0; c < ncpu; c++)
		for (int i = 0; i < KS_DNS_STAT_MAX; i++)
			((__u64 *)sum)[i] += ((__u64 *)&per[c])[i];
	return 0;
}

/* --- sweeping ------------------------------------------------------------------------- */

static int sweep_learned(int fd, size_t klen, uint64_t now)
{
	uint8_t k[16], next[16], dead[64][16];
	struct ks_learned l;
	void *prev = NULL;
	int n = 0, gone = 0;

	/* Collect, then delete: deleting under get_next_key restarts the walk. */
	do {
		n = 0;
		prev = NULL;
		while (n < 64 && !bpf_map_get_next_key(fd, prev, next)) {
			memcpy(k, next, klen);
			prev = k;
			if (!bpf_map_lookup_elem(fd, k, &l) && l.expires_ns < now)
				memcpy(dead[n++], k, klen);
		}
		for (int i = 0; i < n; i++)
			gone += !bpf_map_delete_elem(fd, dead[i]);
	} while (n == 64);
	return gone;
}

static void sweep_nat(int fd, uint64_t now)
{
	struct ks_dns_nat_key k, next, *prev = NULL;
	struct ks_dns_nat n;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		k = next;
		if (!bpf_map_lookup_elem(fd, &k, &n) && n.created_ns + NAT_STALE_NS < now &&
		    !bpf_map_delete_elem(fd, &k))
			continue; /* the walk goes on from the deleted key's successor */
		prev = &k;
	}
}

void dns_tick(struct ks_dns *d)
{
	uint64_t now = boot_ns();
	int gone;

	if (!d->on || now - d->last_sweep_ns < SWEEP_EVERY_NS)
		return;
	d->last_sweep_ns = now;
	gone = sweep_learned(d->h.learned4, 4, now) +
	       sweep_learned(d->h.learned6, 16, now) +
	       sweep_learned(d->h.learned4_uplink, 4, now) +
	       sweep_learned(d->h.learned6_uplink, 16, now);
	if (gone)
		ks_dbg("dns", "event=learned_expired count=%d", gone);
	sweep_nat(d->h.nat, now);
}

/* --- systemd-resolved ------------------------------------------------------------------ */

static int run_resolvectl(char *const argv[])
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		execv("/usr/bin/resolvectl", argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -EIO;
}

struct resolved_args {
	char *argv[2 + 64 + 2];
	char bufs[64][KS_DOMAIN_TEXT_MAX + 2];
	int n;
};

static void resolved_domain(void *arg, const char *domain, const struct ks_domain_info *di)
{
	struct resolved_args *r = arg;

	if (!(di->flags & KS_DOMAIN_RESOLVE) || r->n >= 64)
		return;
	snprintf(r->bufs[r->n], sizeof(r->bufs[r->n]), "~%s", domain);
	r->argv[3 + r->n] = r->bufs[r->n];
	r->n++;
}

/* resolved sends the corporate domains' queries to the corporate servers on the TUN link,
 * and nothing else there (default-route no); it forgets both when the link goes. */
static int resolved_register(struct ks_dns *d, const struct ks_cstp_params *p)
{
	struct resolved_args r = { 0 };
	char servers[8][INET6_ADDRSTRLEN];
	char *dns_argv[4 + 8] = { "resolvectl", "dns", d->tun_name };
	char *dr_argv[] = { "resolvectl", "default-route", d->tun_name, "no", NULL };
	int n = 0, err;

	for (int i = 0; i < p->ndns && n < 8; i++) {
		inet_ntop(p->dns[i].family, p->dns[i].addr, servers[n], sizeof(servers[n]));
		dns_argv[3 + n] = servers[n];
		n++;
	}
	if (!n)
		return -ENOENT;
	r.argv[0] = "resolvectl";
	r.argv[1] = "domain";
	r.argv[2] = d->tun_name;
	dns_domain_walk(d, resolved_domain, &r);
	err = run_resolvectl(dns_argv);
	if (!err)
		err = run_resolvectl(r.argv);
	if (!err)
		err = run_resolvectl(dr_argv);
	return err;
}

/* resolved manages the links of the host's network namespace only. */
static bool resolved_running(void)
{
	struct stat self, init;

	if (stat("/proc/self/ns/net", &self) || stat("/proc/1/ns/net", &init) ||
	    self.st_ino != init.st_ino || self.st_dev != init.st_dev)
		return false;
	return !access(RESOLVED_SOCKET, F_OK) && !access("/usr/bin/resolvectl", X_OK);
}

/* --- start / stop ---------------------------------------------------------------------- */

static int add_names(struct ks_dns *d, char *const *names, size_t n, uint32_t flags,
		     uint32_t origin)
{
	for (size_t i = 0; i < n; i++) {
		int err = dns_domain_add(d, names[i], flags, origin);

		if (err == -EINVAL || err == -EEXIST) {
			ks_warn("dns", "event=domain_skipped domain=\"%s\" reason=\"%s\"", escn(names[i], 80),
				err == -EINVAL ? "not a domain name" : "both included and excluded");
			continue;
		}
		if (err)
			return err;
	}
	return 0;
}

static int fill_domains(struct ks_dns *d, const struct ks_dns_setup *su,
			struct ks_error *e)
{
	const struct ks_cstp_params *p = su->params;
	int err;

	/* The user's first: a user exclude of a gateway include then wins (skipped above). */
	for (size_t i = 0; i < su->opts.n_domains; i++) {
		err = dns_domain_add(d, su->opts.domains[i].name, su->opts.domains[i].flags,
				     KS_ORIGIN_USER);
		if (err)
			return ks_fail(e, err, "dns: domain %s: %s", su->opts.domains[i].name,
				       err == -EEXIST ? "given both as a domain and excluded"
						      : strerror(-err));
	}
	err = add_names(d, p->split_dns, p->n_split_dns, KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE,
			KS_ORIGIN_GATEWAY);
	if (!err && p->default_domain) {
		/* Some gateways list several, space or comma separated. */
		char *copy = strdup(p->default_domain), *save = NULL;

		if (!copy)
			return ks_fail(e, -ENOMEM, "dns: out of memory");
		for (char *name = strtok_r(copy, " ,", &save); name && !err;
		     name = strtok_r(NULL, " ,", &save))
			err = add_names(d, &name, 1, KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE,
					KS_ORIGIN_GATEWAY);
		free(copy);
	}
	/* The ASA's dynamic split domains: addresses follow the name, resolution stays. */
	if (!err)
		err = add_names(d, p->dyn_include_domains, p->n_dyn_include, KS_DOMAIN_TUNNEL,
				KS_ORIGIN_GATEWAY);
	if (!err)
		err = add_names(d, p->dyn_exclude_domains, p->n_dyn_exclude, KS_DOMAIN_EXCLUDE,
				KS_ORIGIN_GATEWAY);
	if (err)
		return ks_fail(e, err, "dns: fill the domain map: %s", strerror(-err));
	return 0;
}

static int write_dns_config(struct ks_dns *d)
{
	__u32 zero = 0;

	return bpf_map_update_elem(d->h.config, &zero, &d->cfg,
				   BPF_ANY)
		       ? -errno
		       : 0;
}

static int attach_tun(struct ks_dns *d, struct ks_error *e)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->tun_ifindex,
		    .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = TUN_DNS_PRIO,
		    .prog_fd = d->h.tun_prog);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return ks_fail(e, err, "dns: clsact on %s: %s", d->tun_name, strerror(-err));
	err = bpf_tc_attach(&hook, &opts);
	if (err)
		return ks_fail(e, err, "dns: attach the learner to %s: %s", d->tun_name,
			       strerror(-err));
	d->tun_filter = true;
	return 0;
}

int dns_start(struct ks_dns *d, const struct ks_dns_setup *su, struct ks_error *e)
{
	const struct ks_cstp_params *p = su->params;
	bool have4 = false, have6 = false, resolved;
	int err;

	if (su->opts.mode == KS_DNS_OFF)
		return 0;
	d->on = true;
	d->h = su->h;
	d->tun_ifindex = su->tun_ifindex;
	snprintf(d->tun_name, sizeof(d->tun_name), "%s", su->tun_name);
	err = fill_domains(d, su, e);
	if (err)
		return err;
	/* The first corporate server of each family is the steering target. */
	for (int i = 0; i < p->ndns; i++) {
		if (p->dns[i].family == AF_INET && !have4 && p->have4) {
			memcpy(d->cfg.server4, p->dns[i].addr, 4);
			have4 = true;
		} else if (p->dns[i].family == AF_INET6 && !have6 && p->have6) {
			memcpy(d->cfg.server6, p->dns[i].addr, 16);
			have6 = true;
		}
	}
	resolved = su->opts.mode != KS_DNS_BPF && resolved_running();
	if (su->opts.mode == KS_DNS_RESOLVED && !resolved)
		return ks_fail(e, -ENOENT, "dns: --dns resolved, but systemd-resolved is not running");
	d->cfg.flags = (have4 ? KS_DNS_HAVE4 : 0) | (have6 ? KS_DNS_HAVE6 : 0) |
			    (su->opts.mode != KS_DNS_RESOLVED ? KS_DNS_STEER : 0);
	d->cfg.ttl_max_s = su->opts.ttl_max_s;
	d->cfg.grace_s = su->opts.grace_s;
	d->cfg.query_timeout_s = CONFIG_DNS_QUERY_TIMEOUT;
	err = write_dns_config(d);
	if (err)
		return ks_fail(e, err, "dns: write ks_dns_config: %s", strerror(-err));
	err = attach_tun(d, e);
	if (err)
		return err;
	if (resolved) {
		err = resolved_register(d, p);
		d->resolved = !err;
		if (err && err != -ENOENT)
			ks_warn("dns", "event=resolved_failed reason=\"%s\" fallback=bpf",
				strerror(-err));
	}
	if (!have4 && !have6)
		ks_warn("dns", "event=no_corporate_dns reason=\"the gateway pushed no DNS server\" "
			       "effect=\"corporate names resolve where they always did\"");
	ks_info("dns", "event=ready steering=%s resolved=%d server4=%d server6=%d",
		d->cfg.flags & KS_DNS_STEER ? "bpf" : "none", d->resolved, have4, have6);
	return 0;
}

void dns_stop(struct ks_dns *d)
{
	char *revert[] = { "resolvectl", "revert", d->tun_name, NULL };

	if (d->tun_filter) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = d->tun_ifindex,
			    .attach_point = BPF_TC_INGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = TUN_DNS_PRIO);

		bpf_tc_detach(&hook, &opts);
	}
	if (d->resolved)
		run_resolvectl(revert);
	memset(d, 0, sizeof(*d));
}
