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

static __always_inline int count(struct __sk_buff *skb, __u32 dir)
{
	struct ks_tun_stat *st = bpf_map_lookup_elem(&ks_tun_stats, &dir);
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	int v;

	if (!st)
		return TC_ACT_OK;
	/* Headers may sit outside the linear part: pull just what we read. */
	if (data + sizeof(struct ipv6hdr) > data_end) {
		bpf_skb_pull_data(skb, skb->len < 40 ? skb->len : 40);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	v = ks_ip_version(data, data_end);
	st->packets++;
	st->bytes += skb->len;
	if (v == 4)
		st->ipv4++;
	else if (v == 6)
		st->ipv6++;
	else
		st->malformed++;
	return TC_ACT_OK; /* observe only */
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
