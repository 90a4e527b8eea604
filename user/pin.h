/* SPDX-License-Identifier: GPL-2.0-only */
/* The bpffs directory <pin root>/<interface>/ that holds a tunnel's maps. */
#pragma once
#include <stdbool.h>
#include "error.h"

struct ks_pin_dir {
	char path[256];
	bool open;
	bool mounted_bpffs; /* we mounted /sys/fs/bpf, so we unmount it if we leave it empty */
};

/* $KSLICE_PIN_ROOT (see env_override()) or CONFIG_PIN_ROOT. */
const char *pin_root(void);
void pin_dir_name(const char *ifname, char *out, size_t len);
/* Mounts bpffs on /sys/fs/bpf if nothing has, creates the directory. */
int pin_dir_open(struct ks_pin_dir *pd, const char *ifname, struct ks_error *e);
/* Removes every pin in <pin root>/<ifname>/ (left by a kslice that died; the caller made
 * sure none runs there) and the directory. 1 if something was removed. */
int pin_dir_clear(const char *ifname);
/* How many of our pins are in <pin root>/<ifname>/. */
int pin_dir_count(const char *ifname);
/* Removes the (now empty) directory, the pin root if empty, and bpffs if we mounted it. */
void pin_dir_close(struct ks_pin_dir *pd);
