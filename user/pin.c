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

#include "generated/config.h"
#include "env.h"
#include "pin.h"

const char *pin_root(void)
{
	const char *d = env_override("KSLICE_PIN_ROOT");

	return d ? d : CONFIG_PIN_ROOT;
}

void pin_dir_name(const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/%s", pin_root(), ifname);
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

int pin_dir_open(struct ks_pin_dir *pd, const char *ifname, struct ks_error *e)
{
	int err;

	memset(pd, 0, sizeof(*pd));
	pin_dir_name(ifname, pd->path, sizeof(pd->path));
	err = ensure_bpffs(pin_root(), &pd->mounted_bpffs);
	if (err)
		return ks_fail(e, err, "bpf: cannot mount bpffs on /sys/fs/bpf: %s", strerror(-err));
	pd->open = true;
	if ((mkdir(pin_root(), 0755) && errno != EEXIST) ||
	    (mkdir(pd->path, 0755) && errno != EEXIST))
		return ks_fail(e, -errno, "bpf: cannot create %s: %m (is bpffs mounted?)", pd->path);
	return 0;
}

/* Our pins (ks_*) in <pin root>/<ifname>/: counted, or removed when unpin. */
static int each_pin(const char *ifname, bool unpin)
{
	char dir[256], path[600];
	struct dirent *de;
	int n = 0;
	DIR *d;

	pin_dir_name(ifname, dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return 0;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "ks_", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		n += !unpin || !unlink(path);
	}
	closedir(d);
	return n;
}

int pin_dir_count(const char *ifname)
{
	return each_pin(ifname, false);
}

int pin_dir_clear(const char *ifname)
{
	char dir[256];
	int removed = each_pin(ifname, true);

	pin_dir_name(ifname, dir, sizeof(dir));
	rmdir(dir);
	rmdir(pin_root()); /* only succeeds when no other interface uses it */
	return removed > 0;
}

void pin_dir_close(struct ks_pin_dir *pd)
{
	if (!pd->open)
		return;
	rmdir(pd->path);
	rmdir(pin_root());
	if (pd->mounted_bpffs)
		release_bpffs();
	memset(pd, 0, sizeof(*pd));
}
