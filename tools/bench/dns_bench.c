// SPDX-License-Identifier: GPL-2.0-only
/* Per-packet cost of kslice's DNS learner (bpf/lib/dns_parse.h), measured in the kernel
 * with BPF_PROG_TEST_RUN on the uplink ingress program: answers whose question is or is not
 * in a corporate domain, with 1 and 60 A records, against a UDP packet that is not DNS
 * (the floor: the program's fixed cost). Corporate answers are timed twice: repeated (the
 * addresses are known: a refresh) and with addresses never seen (an insert each). Prints a table and, with --json, one JSON line. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "dns_msg.h"
#include "dns_name.h"
#include "kslice/maps.h"
#include "split.skel.h"

#define REPEAT 200000

static double run_ns(struct ks_split_bpf *skel, const unsigned char *f, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)n, .repeat = REPEAT);

	if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_tc_uplink_ingress), &o))
		return -1;
	return (double)o.duration; /* the kernel's average per run, in ns */
}

/* An answer with `records` A records in 10.<net>.0.0/16. */
static size_t answer_in(unsigned char *f, const char *qname, int records, unsigned sport, int net)
{
	struct msg m;
	char a[32];

	header(&m, ANSWER, (unsigned)records);
	question(&m, qname, 1);
	for (int i = 0; i < records; i++) {
		snprintf(a, sizeof(a), "10.%d.%d.%d", net, i / 250, i % 250 + 1);
		rr_addr(&m, 12, NULL, a, 300);
	}
	return frame(f, "198.18.2.53", "198.18.2.2", sport, 40000, &m, 0);
}

static size_t answer(unsigned char *f, const char *qname, int records, unsigned sport)
{
	return answer_in(f, qname, records, sport, 79);
}

/* Addresses never seen before: one run per answer (a repeat would only refresh). */
static double first_learn_ns(struct ks_split_bpf *skel, int records)
{
	static unsigned char f[4096];
	double sum = 0;
	int n = 0;

	for (int net = 0; net < 256; net++) {
		size_t len = answer_in(f, "jira.corp.example", records, 53, net);
		LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f, .data_size_in = (__u32)len,
			    .repeat = 1);

		if (bpf_prog_test_run_opts(bpf_program__fd(skel->progs.ks_tc_uplink_ingress), &o))
			return -1;
		sum += o.duration;
		n++;
	}
	return sum / n;
}

int main(int argc, char **argv)
{
	static unsigned char f[4096];
	struct ks_domain_info di = { .flags = KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE };
	struct ks_dns_config dc = { .ttl_max_s = 3600, .grace_s = 300 };
	bool json = argc > 1 && !strcmp(argv[1], "--json");
	struct ks_domain_key k;
	struct bpf_map *m;
	struct ks_split_bpf *skel;
	double r[7];
	__u32 zero = 0;
	int err;

	skel = ks_split_bpf__open();
	if (!skel)
		return 1;
	bpf_object__for_each_map(m, skel->obj)
		bpf_map__set_pin_path(m, NULL);
	err = ks_split_bpf__load(skel);
	if (err) {
		fprintf(stderr, "dns_bench: load: %s\n", strerror(-err));
		return 1;
	}
	dns_domain_key("corp.example", &k);
	di.keylen = k.prefixlen / 8;
	bpf_map__update_elem(skel->maps.ks_domains, &k, sizeof(k), &di, sizeof(di), 0);
	bpf_map__update_elem(skel->maps.ks_dns_config, &zero, 4, &dc, sizeof(dc), 0);

	r[5] = first_learn_ns(skel, 1);
	r[6] = first_learn_ns(skel, 60);
	r[0] = run_ns(skel, f, answer(f, "www.public.example", 1, 5353)); /* not DNS: floor */
	r[1] = run_ns(skel, f, answer(f, "www.public.example", 1, 53));
	r[2] = run_ns(skel, f, answer(f, "jira.corp.example", 1, 53));
	r[3] = run_ns(skel, f, answer(f, "www.public.example", 60, 53));
	r[4] = run_ns(skel, f, answer(f, "jira.corp.example", 60, 53));
	ks_split_bpf__destroy(skel);
	if (json) {
		printf("{\"repeat\":%d,\"udp_not_dns_ns\":%.0f,\"public_1_ns\":%.0f,"
		       "\"corp_1_ns\":%.0f,\"public_60_ns\":%.0f,\"corp_60_ns\":%.0f,"
		       "\"corp_1_first_ns\":%.0f,\"corp_60_first_ns\":%.0f}\n",
		       REPEAT, r[0], r[1], r[2], r[3], r[4], r[5], r[6]);
		return 0;
	}
	printf("DNS learner, ns per packet (BPF_PROG_TEST_RUN x %d, uplink ingress program)\n",
	       REPEAT);
	printf("  %-44s %8.0f\n", "UDP, not port 53 (the floor)", r[0]);
	printf("  %-44s %8.0f\n", "answer, public name, 1 A record", r[1]);
	printf("  %-44s %8.0f\n", "answer, corporate name, 1 A record (refresh)", r[2]);
	printf("  %-44s %8.0f\n", "  ... its first time (new address, 1 run)", r[5]);
	printf("  %-44s %8.0f\n", "answer, public name, 60 A records", r[3]);
	printf("  %-44s %8.0f\n", "answer, corporate name, 60 A records (refresh)", r[4]);
	printf("  %-44s %8.0f\n", "  ... their first time (60 new, 1 run)", r[6]);
	return 0;
}
