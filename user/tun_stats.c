// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "tun_stats.h"
#include "tun_stats.skel.h"

int tun_stats_attach(struct ks_tun_bpf *b, const char *pin_dir, const char *ifname, int ifindex,
		     struct ks_error *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, in_opts, .handle = 1, .priority = 1);
	LIBBPF_OPTS(bpf_tc_opts, out_opts, .handle = 1, .priority = 1);
	int err;

	memset(b, 0, sizeof(*b));
	b->ifindex = ifindex;
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s", pin_dir);
	oo.pin_root_path = b->pin_dir;
	b->skel = ks_tun_stats_bpf__open_opts(&oo);
	if (!b->skel)
		return ks_fail(e, -errno, "bpf: open tun_stats: %m");
	b->skel->rodata->l2_len = 0; /* a TUN device carries no link-layer header */
	err = ks_tun_stats_bpf__load(b->skel);
	if (err)
		return ks_fail(e, err, "bpf: load tun_stats: %s", strerror(-err));
	/* The clsact qdisc lives and dies with the TUN device. */
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST)
		return ks_fail(e, err, "bpf: clsact on %s: %s", ifname, strerror(-err));
	b->hooked = true;
	hook.attach_point = BPF_TC_EGRESS;
	out_opts.prog_fd = bpf_program__fd(b->skel->progs.ks_tc_tun_egress);
	err = bpf_tc_attach(&hook, &out_opts);
	if (!err) {
		hook.attach_point = BPF_TC_INGRESS;
		in_opts.prog_fd = bpf_program__fd(b->skel->progs.ks_tc_tun_ingress);
		err = bpf_tc_attach(&hook, &in_opts);
	}
	if (err)
		return ks_fail(e, err, "bpf: attach to %s: %s", ifname, strerror(-err));
	return 0;
}

int tun_stats_read(const struct ks_tun_bpf *b, struct ks_tun_stat out[KS_DIR_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	struct ks_tun_stat *per;

	memset(out, 0, KS_DIR_MAX * sizeof(*out));
	if (!b->skel || ncpu <= 0)
		return -ENOENT;
	per = calloc((size_t)ncpu, sizeof(*per));
	if (!per)
		return -ENOMEM;
	for (__u32 dir = 0; dir < KS_DIR_MAX; dir++) {
		if (bpf_map__lookup_elem(b->skel->maps.ks_tun_stats, &dir, sizeof(dir), per,
					 (size_t)ncpu * sizeof(*per), 0))
			continue;
		for (int c = 0; c < ncpu; c++) {
			out[dir].packets += per[c].packets;
			out[dir].bytes += per[c].bytes;
			out[dir].ipv4 += per[c].ipv4;
			out[dir].ipv6 += per[c].ipv6;
			out[dir].malformed += per[c].malformed;
		}
	}
	free(per);
	return 0;
}

void tun_stats_detach(struct ks_tun_bpf *b)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (b->hooked)
		bpf_tc_hook_destroy(&hook); /* gone anyway if the device went first */
	if (b->skel) {
		bpf_map__unpin(b->skel->maps.ks_tun_stats, NULL);
		ks_tun_stats_bpf__destroy(b->skel);
	}
	memset(b, 0, sizeof(*b));
}
