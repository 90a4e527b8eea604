// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "generated/config.h"
#include "ctl.h"
#include "localnet.h"
#include "log.h"
#include "cgroup.h"
#include "split.h"
#include "split.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

void split_uplink_state_path(const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/%s.uplinks", ctl_run_dir(), ifname);
}

static int netns_cookie(__u64 *cookie)
{
	socklen_t len = sizeof(*cookie);
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, cookie, &len))
		err = -errno;
	close(fd);
	return err;
}

static void lpm_key(const struct ks_prefix *p, void *key, size_t *klen)
{
	if (p->family == AF_INET) {
		struct ks_lpm4_key *k = key;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr, 4);
		*klen = sizeof(*k);
	} else {
		struct ks_lpm6_key *k = key;

		k->prefixlen = p->len;
		memcpy(k->addr, p->addr, 16);
		*klen = sizeof(*k);
	}
}

static struct bpf_map *set_map(const struct ks_split_state *sp, int family, bool exclude)
{
	const struct ks_split_bpf *s = sp->skel;

	if (family == AF_INET)
		return exclude ? s->maps.ks_exclude4 : s->maps.ks_include4;
	return exclude ? s->maps.ks_exclude6 : s->maps.ks_include6;
}

int split_prefix_add(struct ks_split_state *sp, const struct ks_prefix *p, bool exclude,
		     uint32_t origin)
{
	struct bpf_map *m = set_map(sp, p->family, exclude);
	struct ks_prefix_info pi = { 0 };
	char key[sizeof(struct ks_lpm6_key)];
	size_t klen;
	int err;

	lpm_key(p, key, &klen);
	/* An entry named again keeps its counter and gains the origin. A lookup finds the
	 * longest covering prefix, so only an entry of the same length is this one. */
	if (bpf_map__lookup_elem(m, key, klen, &pi, sizeof(pi), 0) || pi.prefixlen != p->len)
		pi = (struct ks_prefix_info){ .prefixlen = p->len };
	else if ((pi.origin & origin) == origin)
		return 0;
	pi.origin |= origin;
	err = bpf_map__update_elem(m, key, klen, &pi, sizeof(pi), 0);
	return err == -ENOMEM || err == -ENOSPC ? -E2BIG : err;
}

int split_prefix_del(struct ks_split_state *sp, const struct ks_prefix *p, bool exclude)
{
	char key[sizeof(struct ks_lpm6_key)];
	size_t klen;

	lpm_key(p, key, &klen);
	return bpf_map__delete_elem(set_map(sp, p->family, exclude), key, klen, 0);
}

int split_prefix_walk(const struct ks_split_state *sp, bool exclude, ks_prefix_fn fn, void *arg)
{
	static const int families[] = { AF_INET, AF_INET6 };

	for (int f = 0; f < 2; f++) {
		struct bpf_map *m = set_map(sp, families[f], exclude);
		size_t klen = families[f] == AF_INET ? sizeof(struct ks_lpm4_key) :
						       sizeof(struct ks_lpm6_key);
		char key[sizeof(struct ks_lpm6_key)], next[sizeof(struct ks_lpm6_key)];
		struct ks_prefix_info pi;
		struct ks_prefix p;
		void *prev = NULL;

		while (!bpf_map__get_next_key(m, prev, next, klen)) {
			memcpy(key, next, klen);
			prev = key;
			if (bpf_map__lookup_elem(m, key, klen, &pi, sizeof(pi), 0))
				continue;
			memset(&p, 0, sizeof(p));
			p.family = (uint8_t)families[f];
			p.len = (uint8_t)((struct ks_lpm4_key *)key)->prefixlen;
			memcpy(p.addr, key + 4, families[f] == AF_INET ? 4 : 16);
			fn(arg, &p, &pi);
		}
	}
	return 0;
}

int split_stats(const struct ks_split_state *sp, struct ks_split_stats *sum)
{
	int ncpu = libbpf_num_possible_cpus();
	struct ks_split_stats *per;
	__u32 zero = 0;
	int err;

	memset(sum, 0, sizeof(*sum));
	if (!sp->skel || ncpu <= 0)
		return -ENOENT;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	err = bpf_map__lookup_elem(sp->skel->maps.ks_split_stats, &zero, sizeof(zero), per,
				   (size_t)ncpu * sizeof(*per), 0);
	for (int c = 0; !err && c < ncpu; c++)
		for (int r = 0; r < KS_STAT_MAX; r++)
			((__u64 *)sum)[r] += ((__u64 *)&per[c])[r];
	free(per);
	return err;
}

int split_config_update(struct ks_split_state *sp)
{
	__u32 zero = 0;

	return bpf_map__update_elem(sp->skel->maps.ks_split_config, &zero, sizeof(zero), &sp->cfg,
				    sizeof(sp->cfg), 0);
}

void split_set_state(struct ks_split_state *sp, bool up)
{
	if (!sp->started)
		return;
	sp->cfg.state = up ? KS_STATE_UP : KS_STATE_DOWN;
	if (split_config_update(sp))
		ks_err("split", "event=state_update_failed state=%s", up ? "up" : "down");
	else
		ks_info("split", "event=state state=%s", up ? "up" : "down");
}

static int add_list(struct ks_split_state *sp, const struct ks_prefix *list, size_t n,
		    bool exclude, uint32_t origin, struct ks_error *e)
{
	char a[64];

	for (size_t i = 0; i < n; i++) {
		int err = split_prefix_add(sp, &list[i], exclude, origin);

		if (err)
			return ks_fail(e, err, "split: cannot add %s %s: %s",
				       exclude ? "exclude" : "include",
				       prefix_str(&list[i], a, sizeof(a)),
				       err == -E2BIG ? "map full (CONFIG_SPLIT_MAX_PREFIXES)" :
						       strerror(-err));
	}
	return 0;
}

/* --allow-lan in full tunnel: the local networks localnet.h allows become excludes. */
static int exclude_local_nets(struct ks_split_state *sp, const struct ks_split_setup *su,
			      struct ks_error *e)
{
	struct ks_prefix lan[KS_LOCALNET_MAX];
	int n;

	if (!localnet_permitted(su->params)) {
		ks_warn("split", "event=lan_not_permitted reason=\"the gateway does not allow local "
			"LAN access (no split-exclude 0.0.0.0/32): --allow-lan has no effect\"");
		return 0;
	}
	n = localnet_prefixes(su->params, su->tun_name, lan, KS_LOCALNET_MAX);
	if (n < 0)
		return ks_fail(e, n, "split: local networks: %s", strerror(-n));
	return add_list(sp, lan, (size_t)n, true, KS_ORIGIN_AUTO, e);
}

static int fill_sets(struct ks_split_state *sp, const struct ks_split_setup *su,
		     struct ks_error *e)
{
	const struct ks_cstp_params *p = su->params;
	struct ks_prefix all4 = { .family = AF_INET }, all6 = { .family = AF_INET6 };
	int err;

	err = add_list(sp, p->split_include, p->n_include, false, KS_ORIGIN_GATEWAY, e);
	if (!err)
		err = add_list(sp, p->split_exclude, p->n_exclude, true, KS_ORIGIN_GATEWAY, e);
	if (!err)
		err = add_list(sp, su->user_include, su->n_user_include, false, KS_ORIGIN_USER, e);
	if (!err)
		err = add_list(sp, su->user_exclude, su->n_user_exclude, true, KS_ORIGIN_USER, e);
	if (err)
		return err;
	/* No include at all from anyone means "everything", as AnyConnect clients read it. */
	sp->full_tunnel = !p->n_include && !su->n_user_include && !su->split_only;
	if (sp->full_tunnel) {
		/* ::/0 also without an IPv6 address from the gateway: then the decision is
		 * "blocked" (KS_CFG_HAVE6 unset), not "direct". */
		err = add_list(sp, &all4, 1, false, KS_ORIGIN_AUTO, e);
		if (!err)
			err = add_list(sp, &all6, 1, false, KS_ORIGIN_AUTO, e);
		if (!err && su->allow_lan)
			err = exclude_local_nets(sp, su, e);
		if (err)
			return err;
	}
	/* The gateway's address is not excluded: only kslice's own socket to it is
	 * (own_mark), so a name that resolves to a shared or hostile address cannot open a
	 * hole for everything else (TunnelCrack "ServerIP"). */
	return 0;
}

static int attach_hooks(struct ks_split_state *sp, struct ks_error *e)
{
	struct bpf_program *progs[KS_HOOK_MAX] = {
		sp->skel->progs.ks_cgroup_connect4, sp->skel->progs.ks_cgroup_connect6,
		sp->skel->progs.ks_cgroup_sendmsg4, sp->skel->progs.ks_cgroup_sendmsg6,
		sp->skel->progs.ks_cgroup_recvmsg4, sp->skel->progs.ks_cgroup_recvmsg6,
		sp->skel->progs.ks_cgroup_getpeername4, sp->skel->progs.ks_cgroup_getpeername6,
	};
	int cg = cgroup_root_fd(), err = 0;

	if (cg < 0)
		return ks_fail(e, cg, "split: no cgroup v2 hierarchy to attach to: %s",
			       strerror(-cg));
	/* Links, not pinned: they die with the daemon (docs/design.md, "What survives a crash"). */
	for (int h = 0; h < KS_HOOK_MAX && !err; h++) {
		sp->links[h] = bpf_program__attach_cgroup(progs[h], cg);
		if (!sp->links[h]) {
			err = -errno;
			ks_fail(e, err, "split: attach %s to the cgroup v2 root: %s",
				bpf_program__name(progs[h]), strerror(-err));
		}
	}
	close(cg);
	return err;
}

/* Which programs each part loads; the first instance (split_preload) takes the cgroup
 * hooks, whose programs are in no part. */
static bool in_part(const struct ks_split_bpf *k, const struct bpf_program *p, int part)
{
	switch (part) {
	case KS_PART_EGRESS:
		return p == k->progs.ks_tc_uplink_egress || p == k->progs.ks_tc_tun_fwd_egress ||
		       p == k->progs.ks_tc_tun_fwd_ingress;
	case KS_PART_INGRESS:
		return p == k->progs.ks_tc_uplink_ingress || p == k->progs.ks_tc_tun_dns;
	case KS_PART_L3:
		return p == k->progs.ks_tc_uplink_egress_l3 || p == k->progs.ks_tc_uplink_ingress_l3;
	}
	return false;
}

/* The first instance loads what no part does (the cgroup hooks; a new program left out
 * of in_part still loads, only sooner), except the tests' probe, which none loads. */
static bool first_instance_loads(const struct ks_split_bpf *k, const struct bpf_program *p)
{
	for (int part = 0; part < KS_PART_MAX; part++)
		if (in_part(k, p, part))
			return false;
	return p != k->progs.ks_tc_decide_probe;
}

int split_preload(struct ks_split_preload *pl, uint32_t max_prefixes, struct ks_error *e)
{
	struct ks_split_bpf *skel = ks_split_bpf__open();
	struct bpf_program *p;
	struct bpf_map *m;
	unsigned int i = 0;
	int err;

	memset(pl, 0, sizeof(*pl));
	if (!skel)
		return ks_fail(e, -errno, "split: open bpf object: %m");
	bpf_map__set_max_entries(skel->maps.ks_include4, max_prefixes);
	bpf_map__set_max_entries(skel->maps.ks_exclude4, max_prefixes);
	bpf_map__set_max_entries(skel->maps.ks_include6, max_prefixes);
	bpf_map__set_max_entries(skel->maps.ks_exclude6, max_prefixes);
	bpf_map__set_max_entries(skel->maps.ks_learned4, CONFIG_DNS_MAX_LEARNED);
	bpf_map__set_max_entries(skel->maps.ks_learned6, CONFIG_DNS_MAX_LEARNED);
	bpf_map__set_max_entries(skel->maps.ks_learned4_uplink, CONFIG_DNS_MAX_LEARNED);
	bpf_map__set_max_entries(skel->maps.ks_learned6_uplink, CONFIG_DNS_MAX_LEARNED);
	bpf_map__set_max_entries(skel->maps.ks_dns_queries, CONFIG_DNS_MAX_QUERIES);
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, first_instance_loads(skel, p));
	/* No pins yet (the directory is the session's, made once the gateway said yes):
	 * remember which maps want one, pin them in split_start. */
	bpf_object__for_each_map(m, skel->obj) {
		if (i < 64 && bpf_map__pin_path(m))
			pl->pinned |= 1ull << i;
		bpf_map__set_pin_path(m, NULL);
		i++;
	}
	err = ks_split_bpf__load(skel);
	if (err) {
		ks_split_bpf__destroy(skel);
		return ks_fail(e, err, "split: load bpf programs: %s", strerror(-err));
	}
	/* Own copies of the map fds: the parts may load after skel has gone. */
	bpf_object__for_each_map(m, skel->obj) {
		if (pl->n_maps == KS_SPLIT_MAX_MAPS)
			break;
		pl->map_fds[pl->n_maps++] = fcntl(bpf_map__fd(m), F_DUPFD_CLOEXEC, 0);
	}
	pl->skel = skel;
	return 0;
}

int split_preload_part(struct ks_split_preload *pl, enum ks_split_part part, struct ks_error *e)
{
	static const char *const names[KS_PART_MAX] = { [KS_PART_EGRESS] = "egress",
							[KS_PART_INGRESS] = "ingress",
							[KS_PART_L3] = "L3 uplink" };
	struct ks_split_bpf *skel = ks_split_bpf__open();
	struct bpf_program *p;
	struct bpf_map *m;
	int i = 0, err = 0;

	if (!skel)
		return ks_fail(e, -errno, "split: open bpf object: %m");
	bpf_object__for_each_program(p, skel->obj)
		bpf_program__set_autoload(p, in_part(skel, p, part));
	bpf_object__for_each_map(m, skel->obj) {
		bpf_map__set_pin_path(m, NULL);
		err = i < pl->n_maps && pl->map_fds[i] >= 0 ? bpf_map__reuse_fd(m, pl->map_fds[i])
							     : -EBADF;
		if (err)
			break;
		i++;
	}
	if (!err)
		err = ks_split_bpf__load(skel);
	if (err) {
		ks_split_bpf__destroy(skel);
		return ks_fail(e, err, "split: load the %s programs: %s", names[part],
			       strerror(-err));
	}
	pl->part[part] = skel;
	return 0;
}

void split_preload_free(struct ks_split_preload *pl)
{
	for (int i = 0; i < pl->n_maps; i++)
		if (pl->map_fds[i] >= 0)
			close(pl->map_fds[i]);
	pl->n_maps = 0;
	ks_split_bpf__destroy(pl->skel);
	pl->skel = NULL;
	for (int part = 0; part < KS_PART_MAX; part++) {
		ks_split_bpf__destroy(pl->part[part]);
		pl->part[part] = NULL;
	}
}

/* The first uplink without Ethernet: its programs, loaded by now or waited for. */
static int need_l3(void *ctx)
{
	struct ks_split_state *sp = ctx;

	if (!sp->skel_l3 && sp->wait_l3)
		sp->skel_l3 = sp->wait_l3(sp->wait_l3_ctx);
	if (!sp->skel_l3)
		return -ENOENT;
	sp->uplinks.prog_l3_fd = bpf_program__fd(sp->skel_l3->progs.ks_tc_uplink_egress_l3);
	if (sp->uplinks.prog_in_l2_fd > 0)
		sp->uplinks.prog_in_l3_fd =
			bpf_program__fd(sp->skel_l3->progs.ks_tc_uplink_ingress_l3);
	return 0;
}

/* Takes the preloaded object and pins its maps under the session's directory. */
static int adopt(struct ks_split_state *sp, const struct ks_split_setup *su, struct ks_error *e)
{
	char path[PATH_MAX];
	struct bpf_map *m;
	unsigned int i = 0;
	int err;

	if (!su->preload || !su->preload->skel || !su->preload->part[KS_PART_EGRESS] ||
	    !su->preload->part[KS_PART_INGRESS])
		return ks_fail(e, -EINVAL, "split: bpf object not loaded");
	sp->skel = su->preload->skel;
	sp->skel_egress = su->preload->part[KS_PART_EGRESS];
	sp->skel_ingress = su->preload->part[KS_PART_INGRESS];
	su->preload->skel = su->preload->part[KS_PART_EGRESS] = NULL;
	su->preload->part[KS_PART_INGRESS] = NULL;
	bpf_object__for_each_map(m, sp->skel->obj) {
		if (i < 64 && (su->preload->pinned & (1ull << i))) {
			snprintf(path, sizeof(path), "%s/%s", su->pin_dir, bpf_map__name(m));
			err = bpf_map__pin(m, path);
			if (err)
				return ks_fail(e, err, "split: pin %s: %s", path, strerror(-err));
		}
		i++;
	}
	return 0;
}

/* DNS works on our maps (dns.h); what it needs of the split set, we add here. */
static int start_dns(struct ks_split_state *sp, const struct ks_split_setup *su,
		     struct ks_error *e)
{
	const struct ks_cstp_params *p = su->params;
	const struct ks_split_bpf *k = sp->skel;
	struct ks_dns_setup ds = {
		.h = { .domains = bpf_map__fd(k->maps.ks_domains),
		       .config = bpf_map__fd(k->maps.ks_dns_config),
		       .stats = bpf_map__fd(k->maps.ks_dns_stats),
		       .nat = bpf_map__fd(k->maps.ks_dns_nat),
		       .queries = bpf_map__fd(k->maps.ks_dns_queries),
		       .learned4 = bpf_map__fd(k->maps.ks_learned4),
		       .learned6 = bpf_map__fd(k->maps.ks_learned6),
		       .learned4_uplink = bpf_map__fd(k->maps.ks_learned4_uplink),
		       .learned6_uplink = bpf_map__fd(k->maps.ks_learned6_uplink),
		       .tun_prog = bpf_program__fd(sp->skel_ingress->progs.ks_tc_tun_dns) },
		.params = p,
		.tun_name = su->tun_name,
		.tun_ifindex = su->tun_ifindex,
		.opts = su->dns,
	};
	int err = dns_start(&sp->dns, &ds, e);

	if (err || !sp->dns.on)
		return err;
	/* Queries sent straight to a corporate server (resolved's, dig @server) go through the
	 * tunnel whatever the split set says. The gateway named these servers: as its
	 * includes, no learned exclude may take them out, also in full tunnel (a /32 that
	 * said "auto" would hide a covering named include from the longest-match lookup). */
	for (int i = 0; i < p->ndns; i++) {
		struct ks_prefix srv = { .family = p->dns[i].family,
					 .len = p->dns[i].family == AF_INET ? 32 : 128 };

		memcpy(srv.addr, p->dns[i].addr, 16);
		if ((srv.family == AF_INET ? p->have4 : p->have6) &&
		    (err = split_prefix_add(sp, &srv, false, KS_ORIGIN_GATEWAY)) && err != -EEXIST)
			return ks_fail(e, err, "dns: include the corporate DNS server: %s",
				       strerror(-err));
	}
	return 0;
}

/* KS_CFG_FORWARD follows the guests: no NAT work on the TUN while there are none. */
static void sync_forward_flag(struct ks_split_state *sp)
{
	uint32_t was = sp->cfg.flags;

	sp->cfg.flags = sp->guests.n ? was | KS_CFG_FORWARD : was & ~(uint32_t)KS_CFG_FORWARD;
	if (sp->cfg.flags != was && split_config_update(sp)) {
		sp->cfg.flags = was;
		ks_warn("forward", "event=config_update_failed guests=%d", sp->guests.n);
	}
}

static int start_guests(struct ks_split_state *sp, const struct ks_split_setup *su,
			struct ks_error *e)
{
	const struct ks_split_bpf *k = sp->skel, *ke = sp->skel_egress;
	int err = guests_start(&sp->guests, &(struct ks_guest_setup){
			.from = su->forward_from,
			.n_from = su->n_forward_from,
			.off = su->no_forward,
			.gateway_ip = su->gateway_ip,
			.tun_ifindex = su->tun_ifindex,
			.tun_name = su->tun_name,
			.map_fd = bpf_map__fd(k->maps.ks_guests),
			.prog_egress_fd = bpf_program__fd(ke->progs.ks_tc_tun_fwd_egress),
			.prog_ingress_fd = bpf_program__fd(ke->progs.ks_tc_tun_fwd_ingress),
		}, e);

	if (!err)
		sync_forward_flag(sp);
	return err;
}

/* The programs go with their instances; an attached one stays while its link or filter
 * holds it (the kill switch kept). */
static void destroy_skels(struct ks_split_state *sp)
{
	ks_split_bpf__destroy(sp->skel);
	ks_split_bpf__destroy(sp->skel_egress);
	ks_split_bpf__destroy(sp->skel_ingress);
	ks_split_bpf__destroy(sp->skel_l3);
	sp->skel = sp->skel_egress = sp->skel_ingress = sp->skel_l3 = NULL;
}

void split_keep_closed(struct ks_split_state *sp)
{
	app_free(sp); /* the pinned policies stay: a tunnel-only cgroup stays closed too */
	free(sp->guests.v); /* the guests' packets stay blocked at the way in (the kill switch) */
	sp->cfg.state = KS_STATE_DOWN;
	if (split_config_update(sp)) /* the filters would think a dead tunnel is up: better none */
		uplinks_detach(&sp->uplinks);
	for (int h = 0; h < KS_HOOK_MAX; h++)
		bpf_link__destroy(sp->links[h]);
	dns_stop(&sp->dns);
	destroy_skels(sp);
	if (!sp->started && !sp->uplinks.n)
		return;
	ks_warn("split", "event=kill_switch_kept uplinks=%d", sp->uplinks.n);
	uplinks_free(&sp->uplinks);
	memset(sp, 0, sizeof(*sp));
}

int split_start(struct ks_split_state *sp, const struct ks_split_setup *su, struct ks_error *e)
{
	const struct ks_cstp_params *p = su->params;
	int err;

	memset(sp, 0, sizeof(*sp));
	sp->keep_on_failure = su->keep_on_failure;
	err = adopt(sp, su, e);
	if (err)
		goto fail;
	sp->cfg.tun_ifindex = (uint32_t)su->tun_ifindex;
	sp->cfg.mark = su->mark;
	sp->cfg.own_mark = split_own_mark(su->mark);
	sp->cfg.state = KS_STATE_DOWN;
	sp->cfg.flags = (p->have4 ? KS_CFG_HAVE4 : 0) | (p->have6 ? KS_CFG_HAVE6 : 0);
	memcpy(sp->cfg.addr4, &p->addr4, 4);
	memcpy(sp->cfg.addr6, &p->addr6, 16);
	err = netns_cookie(&sp->cfg.netns_cookie);
	if (err) {
		ks_fail(e, err, "split: network namespace cookie: %s", strerror(-err));
		goto fail;
	}
	err = split_config_update(sp);
	if (!err)
		err = fill_sets(sp, su, e);
	if (err)
		goto fail;
	sp->started = true;
	sp->policy = (struct ks_policy){ .mark = su->mark, .table = su->table, .pref = su->pref,
					 .ifindex = su->tun_ifindex, .have4 = p->have4,
					 .have6 = p->have6, .addr4 = p->addr4, .addr6 = p->addr6 };
	policy_remove(&sp->policy); /* a killed predecessor's, at the same preferences */
	err = policy_install(&sp->policy, e);
	if (err)
		goto fail;
	sp->policy_installed = true;
	sp->uplinks.handle = su->table;
	sp->uplinks.skip_ifindex = su->tun_ifindex;
	sp->uplinks.prog_l2_fd = bpf_program__fd(sp->skel_egress->progs.ks_tc_uplink_egress);
	sp->uplinks.need_l3 = need_l3;
	sp->uplinks.need_l3_ctx = sp;
	sp->wait_l3 = su->wait_l3;
	sp->wait_l3_ctx = su->wait_l3_ctx;
	err = start_dns(sp, su, e);
	if (err)
		goto fail;
	/* Ingress: the DNS learner and the guests' way in; its L3 twin comes with the L3
	 * programs (need_l3). */
	sp->uplinks.prog_in_l2_fd = bpf_program__fd(sp->skel_ingress->progs.ks_tc_uplink_ingress);
	split_uplink_state_path(su->tun_name, sp->uplinks.state_path,
				sizeof(sp->uplinks.state_path));
	err = uplinks_sync(&sp->uplinks);
	if (err < 0) {
		ks_fail(e, err, "split: not every uplink could be covered: %s", strerror(-err));
		goto fail;
	}
	err = attach_hooks(sp, e);
	if (!err)
		err = start_guests(sp, su, e);
	if (err)
		goto fail;
	split_set_state(sp, true);
	ks_info("split", "event=ready mode=%s mark=0x%x table=%u pref=%u uplinks=%d",
		sp->full_tunnel ? "full" : "split", su->mark, su->table, su->pref, sp->uplinks.n);
	return 0;
fail:
	if (sp->keep_on_failure && sp->uplinks.n)
		split_keep_closed(sp);
	else
		split_stop(sp);
	return err;
}

void split_tick(struct ks_split_state *sp)
{
	if (!sp->started)
		return;
	uplinks_sync(&sp->uplinks);
	if (guests_sync(&sp->guests))
		sync_forward_flag(sp);
	dns_tick(&sp->dns);
	if (sp->apps.n)
		app_tick(sp);
}

void split_stop(struct ks_split_state *sp)
{
	app_free(sp);
	guests_stop(&sp->guests);
	for (int h = 0; h < KS_HOOK_MAX; h++)
		bpf_link__destroy(sp->links[h]);
	uplinks_detach(&sp->uplinks);
	dns_stop(&sp->dns);
	if (sp->policy_installed)
		policy_remove(&sp->policy);
	if (sp->skel)
		bpf_object__unpin_maps(sp->skel->obj, NULL);
	destroy_skels(sp);
	uplinks_free(&sp->uplinks);
	memset(sp, 0, sizeof(*sp));
}
