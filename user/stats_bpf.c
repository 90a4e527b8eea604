// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "generated/config.h"
#include "stats_bpf.h"
#include "tun_stats.skel.h"

const char *bpf_pin_root(void)
{
	const char *d = getenv("KSLICE_PIN_ROOT");

	return d && *d ? d : CONFIG_PIN_ROOT;
}

static void remove_pin_dir(const char *dir)
{
	char path[320];

	snprintf(path, sizeof(path), "%s/ks_tun_stats", dir);
	unlink(path);
	rmdir(dir);
	rmdir(bpf_pin_root()); /* only succeeds when no other interface uses it */
}

void stats_bpf_clear_stale(const char *ifname)
{
	char dir[256];

	snprintf(dir, sizeof(dir), "%s/%s", bpf_pin_root(), ifname);
	remove_pin_dir(dir);
}

/* Systems without systemd may not have bpffs mounted; mount it where everyone expects it. */
static int ensure_bpffs(const char *root, bool *mounted)
{
	struct statfs st;

	*mounted = false;
	if (strncmp(root, "/sys/fs/bpf", 11))
		return 0;
	if (!statfs("/sys/fs/bpf", &st) && st.f_type == BPF_FS_MAGIC)
		return 0;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	*mounted = true;
	return 0;
}

/* Undoes our mount when nothing but the kernel's own preloaded entries is in it: the
 * machine is left as we found it, and nobody else's pins are touched. */
static void release_bpffs(void)
{
	DIR *d = opendir("/sys/fs/bpf");
	struct dirent *de;
	bool empty = true;

	if (!d)
		return;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..") &&
		    strcmp(de->d_name, "maps.debug") && strcmp(de->d_name, "progs.debug"))
			empty = false;
	closedir(d);
	if (empty)
		umount2("/sys/fs/bpf", MNT_DETACH);
}

int stats_bpf_attach(struct ks_tun_bpf *b, const char *ifname, int ifindex, struct ks_error *e)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo);
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, in_opts, .handle = 1, .priority = 1);
	LIBBPF_OPTS(bpf_tc_opts, out_opts, .handle = 1, .priority = 1);
	int err;

	memset(b, 0, sizeof(*b));
	b->ifindex = ifindex;
	snprintf(b->pin_dir, sizeof(b->pin_dir), "%s/%s", bpf_pin_root(), ifname);
	err = ensure_bpffs(bpf_pin_root(), &b->mounted_bpffs);
	if (err)
		return ks_fail(e, err, "bpf: cannot mount bpffs on /sys/fs/bpf: %s", strerror(-err));
	if ((mkdir(bpf_pin_root(), 0755) && errno != EEXIST) ||
	    (mkdir(b->pin_dir, 0755) && errno != EEXIST))
		return ks_fail(e, -errno, "bpf: cannot create %s: %m (is bpffs mounted?)",
			       b->pin_dir);
	oo.pin_root_path = b->pin_dir;
	b->skel = ks_tun_stats__open_opts(&oo);
	if (!b->skel)
		return ks_fail(e, -errno, "bpf: open tun_stats: %m");
	b->skel->rodata->l2_len = 0; /* a TUN device carries no link-layer header */
	err = ks_tun_stats__load(b->skel);
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

int stats_bpf_read(const struct ks_tun_bpf *b, struct ks_tun_stat out[KS_DIR_MAX])
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

void stats_bpf_detach(struct ks_tun_bpf *b)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = b->ifindex,
		    .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);

	if (b->hooked)
		bpf_tc_hook_destroy(&hook); /* gone anyway if the device went first */
	if (b->skel) {
		bpf_map__unpin(b->skel->maps.ks_tun_stats, NULL);
		ks_tun_stats__destroy(b->skel);
	}
	if (b->pin_dir[0])
		remove_pin_dir(b->pin_dir);
	if (b->mounted_bpffs)
		release_bpffs();
	memset(b, 0, sizeof(*b));
}
