// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <net/if_arp.h>
#include <linux/pkt_sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "ctl.h"
#include "log.h"
#include "nl.h"
#include "uplink.h"

#ifndef ARPHRD_IP6GRE
#define ARPHRD_IP6GRE 823
#endif
#ifndef ARPHRD_NETLINK
#define ARPHRD_NETLINK 824
#endif

#define UPLINK_PRIO 1 /* first in the chain: a filter before ours could pass a leak */
#define UPLINK_PROG_PREFIX "ks_tc_uplink"

/* What the filter sees at an interface's egress, by link type. */
enum link_kind {
	LINK_SKIP,	  /* loopback, or a link that carries no IP (CAN, 802.15.4, monitor) */
	LINK_ETHER,	  /* an Ethernet header (Ethernet, Wi-Fi, veth, bridges, bonds, VLANs) */
	LINK_HEADERLESS,  /* the IP header first (TUN, WireGuard, PPP, IP-in-IP, GRE, SIT) */
	LINK_UNSUPPORTED, /* IP behind a header the programs do not parse (IPoIB, ...) */
};

static enum link_kind kind_of(unsigned short type)
{
	switch (type) {
	case ARPHRD_ETHER:
		return LINK_ETHER;
	case ARPHRD_NONE:
	case ARPHRD_PPP:
	case ARPHRD_RAWIP:
	case ARPHRD_TUNNEL:
	case ARPHRD_TUNNEL6:
	case ARPHRD_SIT:
	case ARPHRD_IPGRE:
	case ARPHRD_IP6GRE:
		return LINK_HEADERLESS;
	case ARPHRD_CAN:
	case ARPHRD_NETLINK:
	case ARPHRD_IEEE802154:
	case ARPHRD_IEEE80211_RADIOTAP:
		return LINK_SKIP;
	default:
		return LINK_UNSUPPORTED;
	}
}

static int link_kind(const char *name, enum link_kind *kind)
{
	struct ifreq ifr = { 0 };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err = 0;

	if (fd < 0)
		return -errno;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	/* Two requests: the answers share one union, so read each before the next. */
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
	} else if (ifr.ifr_flags & IFF_LOOPBACK) {
		*kind = LINK_SKIP;
	} else if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
	} else {
		*kind = kind_of(ifr.ifr_hwaddr.sa_family);
	}
	close(fd);
	return err;
}

static int count_filter(const struct nlmsghdr *nh, void *arg)
{
	if (nh->nlmsg_type == RTM_NEWTFILTER)
		(*(int *)arg)++;
	return 0;
}

/* Filters under clsact's ingress and egress (the kernel lists each once per chain). */
static int clsact_filters(int ifindex)
{
	static const uint32_t parents[] = { TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_INGRESS),
					    TC_H_MAKE(TC_H_CLSACT, TC_H_MIN_EGRESS) };
	int n = 0;

	for (int i = 0; i < 2; i++) {
		struct tcmsg t = { .tcm_family = AF_UNSPEC, .tcm_ifindex = ifindex,
				   .tcm_parent = parents[i] };
		struct ks_nlmsg m;

		nl_init(&m, RTM_GETTFILTER, NLM_F_DUMP, &t, sizeof(t));
		if (nl_talk(&m, count_filter, &n))
			return -1;
	}
	return n;
}

static void save_state(const struct ks_uplinks *u)
{
	FILE *f;
	bool any = false;

	for (int i = 0; i < u->n; i++)
		any |= u->dev[i].created_clsact;
	if (!any) {
		unlink(u->state_path);
		return;
	}
	int fd = open(u->state_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f) {
		if (fd >= 0)
			close(fd);
		return;
	}
	for (int i = 0; i < u->n; i++)
		if (u->dev[i].created_clsact)
			fprintf(f, "%s\n", u->dev[i].name);
	fclose(f);
}

static bool created_by_dead(const char *state_path, const char *name)
{
	char line[IFNAMSIZ + 2];
	bool found = false;
	FILE *f = fopen(state_path, "re");

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = 0;
		found = !strcmp(line, name);
	}
	fclose(f);
	return found;
}

/* Room for one more entry in an array of cap elements of size sz: 0 or -ENOMEM. */
static int grow(void **arr, int n, int *cap, size_t sz)
{
	void *na;
	int want;

	if (n < *cap)
		return 0;
	want = *cap ? *cap * 2 : 16;
	na = realloc(*arr, (size_t)want * sz);
	if (!na)
		return -ENOMEM;
	*arr = na;
	*cap = want;
	return 0;
}

static void remember_failed(struct ks_uplinks *u, int ifindex)
{
	if (!grow((void **)&u->failed, u->n_failed, &u->failed_cap, sizeof(*u->failed)))
		u->failed[u->n_failed++] = ifindex;
}

static bool in_failed(struct ks_uplinks *u, int ifindex, bool forget)
{
	for (int i = 0; i < u->n_failed; i++)
		if (u->failed[i] == ifindex) {
			if (forget)
				u->failed[i] = u->failed[--u->n_failed];
			return true;
		}
	return false;
}

/* 1: covered; 0: nothing to cover (loopback, no IP); -errno: an uplink left uncovered,
 * said loudly the first time (quiet: it failed before and is being retried). */
/* Another kslice's tunnel (its control socket is in the run directory): that one judges
 * what leaves by it; our filter there would take its corporate packets for ours. */
static bool other_tunnel(const char *name)
{
	char path[108];
	struct stat st;

	return !ctl_path(name, path, sizeof(path)) && !lstat(path, &st) && S_ISSOCK(st.st_mode);
}

static int attach_one(struct ks_uplinks *u, int ifindex, const char *name, bool quiet)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = u->handle, .priority = UPLINK_PRIO);
	enum link_kind kind = LINK_SKIP;
	bool created_now = false;
	struct ks_uplink *d;
	int err;

	err = link_kind(name, &kind);
	if (err == -ENODEV)
		return 0; /* gone since the listing */
	if (!err && (kind == LINK_SKIP || other_tunnel(name)))
		return 0;
	if (!err && kind == LINK_UNSUPPORTED)
		err = -EPROTONOSUPPORT;
	if (!err && grow((void **)&u->dev, u->n, &u->cap, sizeof(*u->dev)))
		err = -ENOMEM;
	if (err)
		goto fail;
	d = &u->dev[u->n];
	memset(d, 0, sizeof(*d));
	d->ifindex = ifindex;
	snprintf(d->name, sizeof(d->name), "%s", name);
	d->l3 = kind == LINK_HEADERLESS;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		goto fail;
	created_now = !err;
	err = 0;
	/* Taking over from a killed kslice: the qdisc it created is ours to remove now. */
	d->created_clsact = created_now || created_by_dead(u->state_path, name);
	if (d->l3 && u->prog_l3_fd <= 0 && (!u->need_l3 || u->need_l3(u->need_l3_ctx)))
		err = -ENOENT;
	if (!err) {
		opts.prog_fd = d->l3 ? u->prog_l3_fd : u->prog_l2_fd;
		opts.flags = BPF_TC_F_REPLACE;
		err = bpf_tc_attach(&hook, &opts);
	}
	if (err) {
		/* Never a hook destroy here: it would take every filter on the hook with it,
		 * a killed predecessor's kill switch included. Only a qdisc made just now,
		 * and only if it holds nothing. */
		if (created_now && clsact_filters(ifindex) == 0) {
			hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
			bpf_tc_hook_destroy(&hook);
		}
		goto fail;
	}
	/* The learner misses this uplink's answers without it: worth a warning, not fatal. */
	if (u->prog_in_l2_fd > 0) {
		hook.attach_point = BPF_TC_INGRESS;
		opts.prog_fd = d->l3 ? u->prog_in_l3_fd : u->prog_in_l2_fd;
		opts.prog_id = 0;
		err = bpf_tc_attach(&hook, &opts);
		if (err)
			ks_warn("dns", "event=learner_attach_failed interface=%s reason=\"%s\"",
				name, strerror(-err));
	}
	u->n++;
	in_failed(u, ifindex, true);
	ks_info("split", "event=uplink_attached interface=%s ifindex=%d l3=%d", name, ifindex,
		d->l3);
	return 1;
fail:
	if (!quiet) {
		remember_failed(u, ifindex);
		ks_err("split", "event=uplink_not_covered interface=%s reason=\"%s\" effect=\"raw "
		       "and forwarded corporate packets could leave by it; retried every second\"",
		       name, err == -EPROTONOSUPPORT ? "a link type the filter cannot parse"
						   : strerror(-err));
	}
	return err;
}

int uplinks_sync(struct ks_uplinks *u)
{
	struct if_nameindex *all = if_nameindex(), *it;
	int added = 0, err = 0, r;

	if (!all)
		return -errno;
	/* Forget interfaces that went away (their qdisc and filter went with them). */
	for (int i = 0; i < u->n;) {
		bool present = false;

		for (it = all; it->if_index; it++)
			present |= (int)it->if_index == u->dev[i].ifindex;
		if (present) {
			i++;
			continue;
		}
		ks_info("split", "event=uplink_gone interface=%s", u->dev[i].name);
		u->dev[i] = u->dev[--u->n];
	}
	for (it = all; it->if_index; it++) {
		bool known = (int)it->if_index == u->skip_ifindex;

		for (int i = 0; i < u->n && !known; i++)
			known = u->dev[i].ifindex == (int)it->if_index;
		if (known)
			continue;
		r = attach_one(u, (int)it->if_index, it->if_name,
			       in_failed(u, (int)it->if_index, false));
		if (r < 0) {
			err = err ? err : r;
			continue;
		}
		added += r;
	}
	if_freenameindex(all);
	if (added)
		save_state(u);
	return err ? err : added;
}

static void detach_one(uint32_t handle, int ifindex, bool created)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = UPLINK_PRIO);

	bpf_tc_detach(&hook, &opts);
	hook.attach_point = BPF_TC_INGRESS;
	bpf_tc_detach(&hook, &opts);
	if (created && clsact_filters(ifindex) == 0) {
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
}

void uplinks_free(struct ks_uplinks *u)
{
	free(u->dev);
	free(u->failed);
	u->dev = NULL;
	u->failed = NULL;
	u->n = u->cap = u->n_failed = u->failed_cap = 0;
}

void uplinks_detach(struct ks_uplinks *u)
{
	for (int i = 0; i < u->n; i++)
		detach_one(u->handle, u->dev[i].ifindex, u->dev[i].created_clsact);
	/* The state file is ours once we covered an uplink; before that it may still be a
	 * killed predecessor's, which cleanup needs. */
	if (u->state_path[0] && u->n)
		unlink(u->state_path);
	u->n = 0;
}

static bool ours(const struct bpf_tc_opts *opts)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(opts->prog_id);
	bool match;

	if (fd < 0)
		return false;
	match = !bpf_obj_get_info_by_fd(fd, &info, &len) &&
		!strncmp(info.name, UPLINK_PROG_PREFIX, strlen(UPLINK_PROG_PREFIX));
	close(fd);
	return match;
}

int uplinks_reconcile(uint32_t handle, const char *state_path, bool dry_run, char *names,
		      size_t names_len)
{
	struct if_nameindex *all = if_nameindex(), *it;
	size_t used = 0;
	int found = 0;

	if (names_len)
		names[0] = 0;
	if (!all)
		return -errno;
	for (it = all; it->if_index; it++) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = (int)it->if_index,
			    .attach_point = BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = UPLINK_PRIO);

		if (bpf_tc_query(&hook, &opts) || !ours(&opts))
			continue;
		found++;
		if (used < names_len)
			used += (size_t)snprintf(names + used, names_len - used, "%s%s",
						 used ? " " : "", it->if_name);
		if (!dry_run)
			detach_one(handle, (int)it->if_index,
				   created_by_dead(state_path, it->if_name));
	}
	if_freenameindex(all);
	if (!dry_run)
		unlink(state_path);
	return found;
}
