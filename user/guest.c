// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "guest.h"
#include "kslice/maps.h"
#include "log.h"
#include "nl.h"

/* What the guest rules need of a link, from an RTM_GETLINK dump (sysfs may show another
 * network namespace than ours). */
struct link {
	int ifindex, master;
	char kind[16]; /* IFLA_INFO_KIND: "bridge", "veth"...; "" for none */
};

struct links {
	struct link v[2048];
	int n;
};

static int on_link(const struct nlmsghdr *nh, void *arg)
{
	const struct ifinfomsg *ifi = NLMSG_DATA(nh);
	const struct rtattr *tb[IFLA_MAX + 1], *info;
	struct links *ls = arg;
	struct link *l;
	int left;

	if (nh->nlmsg_type != RTM_NEWLINK || nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)) ||
	    ls->n >= (int)(sizeof(ls->v) / sizeof(ls->v[0])))
		return 0;
	nl_parse(nh, sizeof(*ifi), tb, IFLA_MAX);
	l = &ls->v[ls->n++];
	memset(l, 0, sizeof(*l));
	l->ifindex = ifi->ifi_index;
	if (tb[IFLA_MASTER] && RTA_PAYLOAD(tb[IFLA_MASTER]) >= 4)
		memcpy(&l->master, RTA_DATA(tb[IFLA_MASTER]), 4);
	if (!(info = tb[IFLA_LINKINFO]))
		return 0;
	left = (int)RTA_PAYLOAD(info);
	for (struct rtattr *a = RTA_DATA(info); RTA_OK(a, left); a = RTA_NEXT(a, left))
		if (a->rta_type == IFLA_INFO_KIND) {
			size_t n = RTA_PAYLOAD(a);

			n = n < sizeof(l->kind) ? n : sizeof(l->kind) - 1;
			memcpy(l->kind, RTA_DATA(a), n);
			l->kind[n] = 0;
		}
	return 0;
}

static const struct link *link_of(const struct links *ls, int ifindex)
{
	for (int i = 0; i < ls->n; i++)
		if (ls->v[i].ifindex == ifindex)
			return &ls->v[i];
	return NULL;
}

/* Ports of a container runtime's or a hypervisor's making: veths, and taps (kind "tun"). */
static bool virtual_port(const struct link *l)
{
	return !strcmp(l->kind, "veth") || !strcmp(l->kind, "tun");
}

/* A bridge whose ports are all virtual (one with a NIC in it is a LAN, not guests: its
 * other machines must not reach the tunnel through us), or a veth that is no bridge's port
 * (a bridge's ports are covered by the bridge, where their frames come up to be routed). */
static bool guest_kind(const struct links *ls, int ifindex)
{
	const struct link *l = link_of(ls, ifindex), *m;

	if (!l)
		return false;
	if (!strcmp(l->kind, "bridge")) {
		for (int i = 0; i < ls->n; i++)
			if (ls->v[i].master == ifindex && !virtual_port(&ls->v[i]))
				return false;
		return true;
	}
	m = l->master ? link_of(ls, l->master) : NULL;
	return !strcmp(l->kind, "veth") && !(m && !strcmp(m->kind, "bridge"));
}

/* 32 hex digits of /proc/net/ipv6_route into 16 bytes. */
static bool hex16(const char *s, uint8_t *out)
{
	for (int i = 0; i < 16; i++) {
		unsigned int b;

		if (sscanf(s + 2 * i, "%2x", &b) != 1)
			return false;
		out[i] = (uint8_t)b;
	}
	return true;
}

static bool covers6(const uint8_t *net, unsigned int len, const uint8_t *a)
{
	for (unsigned int i = 0; i < 16 && len; i++) {
		unsigned int bits = len >= 8 ? 8 : len;
		uint8_t mask = (uint8_t)(0xff << (8 - bits));

		if ((net[i] ^ a[i]) & mask)
			return false;
		len -= bits;
	}
	return true;
}

/* An uplink: a default route goes by it, or the route to the gateway does (the kernel
 * tables of this namespace: /proc/net/route and /proc/net/ipv6_route). */
static bool is_uplink(const struct ks_guests *g, const char *name)
{
	char line[256], ifn[IFNAMSIZ + 1];
	bool up = false;
	FILE *f = fopen("/proc/net/route", "re");

	while (f && !up && fgets(line, sizeof(line), f)) {
		unsigned int dst, gw, flags, mask;

		if (sscanf(line, "%16s %x %x %x %*d %*d %*d %x", ifn, &dst, &gw, &flags, &mask) != 5 ||
		    strcmp(ifn, name))
			continue;
		if (!dst && !mask)
			up = true;
		else if (g->gw_family == 4) {
			uint32_t a;

			memcpy(&a, g->gw, 4);
			up = (a & mask) == dst;
		}
	}
	if (f)
		fclose(f);
	f = fopen("/proc/net/ipv6_route", "re");
	while (f && !up && fgets(line, sizeof(line), f)) {
		char dst[33];
		unsigned int len;
		uint8_t net[16];

		if (sscanf(line, "%32s %x %*s %*s %*s %*s %*s %*s %*s %16s", dst, &len, ifn) != 3 ||
		    strcmp(ifn, name) || !hex16(dst, net) || len > 128)
			continue;
		up = len == 0 || (g->gw_family == 6 && covers6(net, len, g->gw));
	}
	if (f)
		fclose(f);
	return up;
}

static bool named(const struct ks_guests *g, const char *name)
{
	for (int i = 0; i < g->su.n_from && i < KS_FORWARD_FROM_MAX; i++)
		if (!strcmp(g->from[i], name))
			return true;
	return false;
}

static bool wanted(const struct ks_guests *g, const struct links *ls,
		   const struct if_nameindex *it)
{
	if ((int)it->if_index == g->su.tun_ifindex || !strcmp(it->if_name, "lo"))
		return false;
	if (g->su.n_from) /* named, but never the way to the gateway */
		return named(g, it->if_name) && !is_uplink(g, it->if_name);
	return guest_kind(ls, (int)it->if_index) && !is_uplink(g, it->if_name);
}

static const struct ks_guest_if *find(const struct ks_guest_if *v, int n,
				      const struct ks_guest_if *want)
{
	for (int i = 0; i < n; i++)
		if (v[i].ifindex == want->ifindex && v[i].net == want->net &&
		    v[i].flags == want->flags)
			return &v[i];
	return NULL;
}

/* What ks_guests should hold now: the guest interfaces, and their bridges' ports (the way
 * out to a guest: the kill switch there must know it). */
static int desired(const struct ks_guests *g, const struct links *ls, struct if_nameindex *all,
		   struct ks_guest_if *want)
{
	int n = 0;

	for (struct if_nameindex *it = all; it->if_index && n < KS_GUEST_MAX; it++)
		if (wanted(g, ls, it)) {
			want[n] = (struct ks_guest_if){ .ifindex = (int)it->if_index,
							.net = (int)it->if_index,
							.flags = KS_GUEST_WAY_IN };
			snprintf(want[n++].name, IFNAMSIZ, "%s", it->if_name);
		}
	for (int b = 0, guests = n; b < guests; b++)
		for (int i = 0; i < ls->n && n < KS_GUEST_MAX; i++)
			if (ls->v[i].master == want[b].ifindex) {
				want[n] = (struct ks_guest_if){ .ifindex = ls->v[i].ifindex,
								.net = want[b].ifindex,
								.flags = KS_GUEST_PORT };
				if (!if_indextoname((unsigned int)ls->v[i].ifindex, want[n].name))
					snprintf(want[n].name, IFNAMSIZ, "#%d", ls->v[i].ifindex);
				n++;
			}
	return n;
}

bool guests_sync(struct ks_guests *g)
{
	struct ifinfomsg ifi = { .ifi_family = AF_UNSPEC };
	static struct links ls; /* 48 KiB: not on the stack */
	static struct ks_guest_if want[KS_GUEST_MAX];
	struct ks_guest_if *v;
	struct if_nameindex *all;
	struct ks_nlmsg m;
	bool changed = false;
	int n;

	if (g->su.off)
		return false;
	/* the gateway's address may change with a reconnect: its uplink with it */
	g->gw_family = 0;
	if (g->su.gateway_ip && inet_pton(AF_INET, g->su.gateway_ip, g->gw) == 1)
		g->gw_family = 4;
	else if (g->su.gateway_ip && inet_pton(AF_INET6, g->su.gateway_ip, g->gw) == 1)
		g->gw_family = 6;
	ls.n = 0;
	nl_init(&m, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, &ifi, sizeof(ifi));
	if (nl_talk(&m, on_link, &ls) || !(all = if_nameindex()))
		return false;
	n = desired(g, &ls, all, want);
	if_freenameindex(all);
	for (int i = 0; i < g->n; i++) {
		if (find(want, n, &g->v[i]))
			continue;
		bpf_map_delete_elem(g->su.map_fd, &g->v[i].ifindex);
		if (g->v[i].flags & KS_GUEST_WAY_IN)
			ks_info("forward", "event=guest_gone interface=%s", g->v[i].name);
		changed = true;
	}
	for (int i = 0; i < n; i++) {
		struct ks_guest val = { .flags = want[i].flags, .net_ifindex = (uint32_t)want[i].net };
		uint32_t key = (uint32_t)want[i].ifindex;

		if (find(g->v, g->n, &want[i]))
			continue;
		if (bpf_map_update_elem(g->su.map_fd, &key, &val, BPF_ANY)) {
			ks_warn("forward", "event=guest_not_added interface=%s reason=\"%s\"",
				want[i].name, strerror(errno));
			want[i--] = want[--n]; /* not in the map: not in the table */
			continue;
		}
		if (want[i].flags & KS_GUEST_WAY_IN)
			ks_info("forward", "event=guest interface=%s ifindex=%u", want[i].name, key);
		changed = true;
	}
	v = realloc(g->v, (size_t)(n ? n : 1) * sizeof(*v));
	if (!v)
		return changed;
	memcpy(v, want, (size_t)n * sizeof(*v));
	g->v = v;
	g->n = n;
	return changed;
}

static int attach(int ifindex, enum bpf_tc_attach_point where, int prog)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = KS_GUEST_PRIO, .prog_fd = prog);
	int err = bpf_tc_hook_create(&hook);

	if (err && err != -EEXIST)
		return err;
	return bpf_tc_attach(&hook, &opts);
}

static void detach(int ifindex, enum bpf_tc_attach_point where)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = 1, .priority = KS_GUEST_PRIO);

	bpf_tc_detach(&hook, &opts);
}

/* An answer for a guest comes out of the TUN from a corporate address that the main table
 * routes by an uplink, or not at all: strict reverse-path filtering ("all" at 1) would
 * drop it. The TUN is ours (and goes with us), so its setting is ours to make: loose (the
 * kernel applies the larger of "all" and the device's). Left alone otherwise: loose would
 * drop what the main table has no route back for, where none was checked before. */
static void loose_rp_filter(const char *tun)
{
	char path[96], all[8] = "";
	FILE *f = fopen("/proc/sys/net/ipv4/conf/all/rp_filter", "re");

	if (f) {
		if (!fgets(all, sizeof(all), f))
			all[0] = 0;
		fclose(f);
	}
	if (all[0] != '1')
		return;
	snprintf(path, sizeof(path), "/proc/sys/net/ipv4/conf/%s/rp_filter", tun);
	f = fopen(path, "we");
	if (!f || fputs("2\n", f) < 0)
		ks_warn("forward", "event=rp_filter_not_set interface=%s reason=\"%s\" effect=\"with "
			"strict reverse-path filtering, guests get no answers\"", tun, strerror(errno));
	if (f)
		fclose(f);
}

int guests_start(struct ks_guests *g, const struct ks_guest_setup *su, struct ks_error *e)
{
	int err;

	memset(g, 0, sizeof(*g));
	g->su = *su;
	if (su->off)
		return 0;
	for (int i = 0; i < su->n_from && i < KS_FORWARD_FROM_MAX; i++)
		snprintf(g->from[i], IFNAMSIZ, "%s", su->from[i]);
	g->su.from = NULL;
	loose_rp_filter(su->tun_name);
	err = attach(su->tun_ifindex, BPF_TC_EGRESS, su->prog_egress_fd);
	if (!err)
		err = attach(su->tun_ifindex, BPF_TC_INGRESS, su->prog_ingress_fd);
	if (err) {
		detach(su->tun_ifindex, BPF_TC_EGRESS);
		return ks_fail(e, err, "forward: attach the NAT to the TUN: %s", strerror(-err));
	}
	g->tun_attached = true;
	guests_sync(g);
	return 0;
}

void guests_stop(struct ks_guests *g)
{
	if (g->tun_attached) {
		detach(g->su.tun_ifindex, BPF_TC_EGRESS);
		detach(g->su.tun_ifindex, BPF_TC_INGRESS);
	}
	free(g->v);
	memset(g, 0, sizeof(*g));
}

void guests_report_json(const struct ks_guests *g, struct ks_json *j)
{
	json_obj_open(j, "forward");
	json_bool(j, "enabled", !g->su.off);
	json_str(j, "interfaces_from", g->su.n_from ? "option" : "detected");
	json_arr_open(j, "guests");
	for (int i = 0; i < g->n; i++)
		if (g->v[i].flags & KS_GUEST_WAY_IN)
			json_str(j, NULL, g->v[i].name);
	json_arr_close(j);
	json_obj_close(j);
}

void guests_report_text(const struct ks_guests *g, struct ks_buf *out)
{
	for (int i = 0; i < g->n; i++)
		if (g->v[i].flags & KS_GUEST_WAY_IN)
			buf_printf(out, "forward  %-28s guests behind it: their corporate traffic "
				   "is carried\n", g->v[i].name);
}
