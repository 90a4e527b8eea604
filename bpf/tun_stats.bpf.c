// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/* TC on the TUN device: counts what really crosses it, per direction and family, so
 * `kslice status` and `bpftool map dump` show the kernel's view beside the daemon's. */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>

#include "kslice/maps.h"
#include "lib/parse.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, KS_DIR_MAX);
	__type(key, __u32);
	__type(value, struct ks_tun_stat);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} ks_tun_stats SEC(".maps");

/* Bytes before the IP header: 0 on a TUN device (no L2), 14 where frames carry Ethernet
 * (BPF_PROG_TEST_RUN always does). Set by the loader from the device type. */
const volatile __u32 l2_len = 0;

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	struct ks_tun_stat *st = bpf_map_lookup_elem(&ks_tun_stats, &dir);
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	int v;

	if (!st)
		return TC_ACT_OK;
	__u32 off = l2_len > 14 ? 14 : l2_len;

	/* Headers may sit outside the linear part: pull just what we read. */
	if (data + off + sizeof(struct ipv6hdr) > data_end) {
		bpf_skb_pull_data(skb, skb->len < off + 40 ? skb->len : off + 40);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	if (data + off > data_end)
		v = 0;
	else
		v = ks_ip_version(data + off, data_end);
	/* A super-packet (TSO out, GRO in) counts as the packets it carries. */
	st->packets += skb->gso_segs > 1 ? skb->gso_segs : 1;
	st->bytes += skb->len - off;
	if (v == 4)
		st->ipv4++;
	else if (v == 6)
		st->ipv6++;
	else
		st->malformed++;
	return TC_ACT_UNSPEC; /* observe only: later filters (DNS) run too */
}

SEC("tc")
int ks_tc_tun_egress(struct __sk_buff *skb)
{
	return count(skb, KS_DIR_TO_GATEWAY);
}

SEC("tc")
int ks_tc_tun_ingress(struct __sk_buff *skb)
{
	return count(skb, KS_DIR_FROM_GATEWAY);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
