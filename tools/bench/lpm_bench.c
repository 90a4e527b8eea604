// SPDX-License-Identifier: GPL-2.0-only
/* Cost of kslice's split classification as the prefix set grows (tools/bench/prefixes runs
 * it in a namespace of its own). For N random IPv4 prefixes it prints one JSON line:
 * the time to load them into ks_include4 (one bpf() update each, as kslice does), the
 * per-packet decision (BPF_PROG_TEST_RUN of the shared decision, hit and miss), and the
 * per-connect() cost with the cgroup hook attached against the bare syscall. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "kslice/maps.h"
#include "split.skel.h"

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint32_t rng = 2463534242u;

static uint32_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

/* Ethernet + IPv4 + 8 bytes of UDP to dst, for the decision probe. */
static void frame(unsigned char *f, uint32_t dst_be)
{
	memset(f, 0, 42);
	f[12] = 0x08;
	f[14] = 0x45;
	f[17] = 28;
	f[22] = 64;
	f[23] = 17;
	memcpy(f + 30, &dst_be, 4);
}

static double decide_ns(struct ks_split_bpf *skel, uint32_t dst_be)
{
	unsigned char f[42];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = sizeof(f), .repeat = 200000);

	frame(f, dst_be);
	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_tc_decide_probe), &o))
		return -1;
	return o.duration; /* ns per run, averaged by the kernel */
}

static double connect_ns(uint32_t dst_be, int rounds)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(7000) };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	uint64_t t0;

	sa.sin_addr.s_addr = dst_be;
	t0 = now_ns();
	for (int i = 0; i < rounds; i++)
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)))
			return -errno;
	close(fd);
	return (double)(now_ns() - t0) / rounds;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1000, rounds = 200000, cg;
	struct ks_split_config cfg = { .state = KS_STATE_UP, .flags = KS_CFG_HAVE4, .mark = 0x400000 };
	struct ks_prefix_info pi = { .origin = KS_ORIGIN_USER };
	socklen_t cl = sizeof(cfg.netns_cookie);
	uint32_t hit = 0, zero = 0;
	struct bpf_link *link;
	struct ks_split_bpf *skel;
	struct bpf_map *m;
	uint64_t t0, t_insert;
	double bare_hit, bare_miss;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (n < 1 || argc < 3) {
		fprintf(stderr, "usage: lpm_bench N CGROUP2-ROOT (run it in a network namespace of its own)\n");
		return 2;
	}
	getsockopt(s, SOL_SOCKET, SO_NETNS_COOKIE, &cfg.netns_cookie, &cl);
	close(s);
	skel = ks_split_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	bpf_map__set_max_entries(skel->maps.ks_include4, (uint32_t)n + 16);
	if (ks_split_bpf__load(skel)) {
		fprintf(stderr, "load failed\n");
		return 1;
	}
	bpf_map__update_elem(skel->maps.ks_split_config, &zero, 4, &cfg, sizeof(cfg), 0);
	int fd = bpf_map__fd(skel->maps.ks_include4);

	t0 = now_ns();
	for (int i = 0; i < n; i++) {
		struct ks_lpm4_key k;
		uint32_t len = 8 + xorshift() % 25, a = xorshift() & (len == 32 ? ~0u : ~(~0u >> len));

		/* keep 198.51.100.0/24 free for the misses, 10/8 for the hits */
		if ((a >> 8) == 0xc63364 || (a >> 24) == 10)
			a ^= 0x20000000;
		k.prefixlen = len;
		a = htonl(a);
		memcpy(k.addr, &a, 4);
		pi.prefixlen = len;
		if (bpf_map_update_elem(fd, &k, &pi, BPF_ANY)) {
			fprintf(stderr, "update %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	t_insert = now_ns() - t0;
	{
		struct ks_lpm4_key k = { .prefixlen = 24, .addr = { 10, 1, 2, 0 } };

		bpf_map_update_elem(fd, &k, &pi, BPF_ANY);
		hit = htonl(0x0a010203);
	}
	uint32_t miss = htonl(0xc6336407);

	bare_hit = connect_ns(hit, rounds);
	bare_miss = connect_ns(miss, rounds);
	cg = open(argv[2], O_RDONLY | O_DIRECTORY);
	link = cg >= 0 ? bpf_program__attach_cgroup(skel->progs.ks_cgroup_connect4, cg) : NULL;
	printf("{\"n\":%d,\"insert_ms\":%.2f,\"insert_ns_per_prefix\":%.0f,"
	       "\"decide_ns_hit\":%.0f,\"decide_ns_miss\":%.0f,"
	       "\"connect_ns_bare\":%.0f,\"connect_ns_hooked_hit\":%.0f,"
	       "\"connect_ns_bare_miss\":%.0f,\"connect_ns_hooked_miss\":%.0f}\n",
	       n, t_insert / 1e6, (double)t_insert / n, decide_ns(skel, hit), decide_ns(skel, miss),
	       bare_hit, link ? connect_ns(hit, rounds) : -1, bare_miss,
	       link ? connect_ns(miss, rounds) : -1);
	bpf_link__destroy(link);
	ks_split_bpf__destroy(skel);
	return 0;
}
