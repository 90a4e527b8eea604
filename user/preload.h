/* SPDX-License-Identifier: GPL-2.0-only */
/* The split BPF object loads on a thread of its own while the gateway authenticates: the
 * verifier's few hundred ms leave the launch-to-usable time. Its maps and cgroup hooks
 * come first, then its two tc parts at once (a second thread), then the programs for
 * uplinks without Ethernet, waited for only if such an uplink shows up. */
#pragma once
#include <pthread.h>
#include <stdbool.h>
#include "error.h"
#include "split.h"

struct ks_preload {
	pthread_t thread;
	bool started; /* preload_start ran: the lock exists, the load is ours to undo */
	bool running;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool main_done; /* the maps, cgroup hooks and tc parts are loaded (or failed) */
	int err, err_l3;
	struct ks_error e, e_l3;
	uint32_t max_prefixes;
	struct ks_split_preload pl;
};

/* Starts the load (signals stay with the main thread). If no thread can be started, the
 * waits below load in place. */
void preload_start(struct ks_preload *p, uint32_t max_prefixes);
/* Waits for the maps, cgroup hooks and tc parts; the error, if any, in e. */
int preload_wait(struct ks_preload *p, struct ks_error *e);
/* Waits for the L3 programs and hands them over (NULL, logged, if they failed). */
struct ks_split_bpf *preload_take_l3(void *preload);
/* Waits and drops what was loaded and not taken. */
void preload_free(struct ks_preload *p);
