/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Every counter of the split and DNS programs, once: X(name, NAME, action, what it counts).
 * From each list come the struct of a per-CPU stats map (the field names bpftool shows),
 * the reason indexes BPF code counts by (KS_STAT_<NAME>, KS_DNS_STAT_<NAME>), the names
 * user space prints, and what a TC program does with a packet given that reason: its
 * helpers return a reason, and only the program's entry point turns it into an action
 * (bpf/lib/verdict.h). The order is ABI (pinned maps): add at the end. */
#pragma once
#include <linux/types.h>

/* What becomes of a packet (or a socket call) counted under a reason. */
#define KS_ACT_PASS 0	  /* left to the normal path (TC: the next filter) */
#define KS_ACT_DROP 1	  /* dropped (TC_ACT_SHOT), or the call fails with EPERM */
#define KS_ACT_REDIRECT 2 /* sent elsewhere by bpf_redirect() in the helper */

#define KS_SPLIT_STATS(X)                                                                        \
	X(connect_tunnel, CONNECT_TUNNEL, KS_ACT_PASS, "connect() marked into the tunnel")      \
	X(connect_excluded, CONNECT_EXCLUDED, KS_ACT_PASS, "destination in an exclude prefix") \
	X(connect_blocked, CONNECT_BLOCKED, KS_ACT_DROP, "corporate, tunnel down: EPERM")       \
	X(sendmsg_tunnel, SENDMSG_TUNNEL, KS_ACT_PASS, "unconnected UDP sent from the tunnel address") \
	X(sendmsg_blocked, SENDMSG_BLOCKED, KS_ACT_DROP, "... refused, tunnel down: EPERM")     \
	X(egress_redirected, EGRESS_REDIRECTED, KS_ACT_REDIRECT, "ICMP echo on an uplink, into the TUN") \
	X(egress_dropped, EGRESS_DROPPED, KS_ACT_DROP, "corporate packet on an uplink: the kill switch") \
	X(egress_malformed, EGRESS_MALFORMED, KS_ACT_DROP, "IP frame too short or inconsistent to judge") \
	X(egress_blocked, EGRESS_BLOCKED, KS_ACT_DROP, "corporate, no tunnel to carry it (down, no address of its family)") \
	X(egress_passed, EGRESS_PASSED, KS_ACT_PASS, "IP packet that is not corporate")         \
	X(egress_not_ip, EGRESS_NOT_IP, KS_ACT_PASS, "ARP, LLDP and other non-IP frames")       \
	X(egress_vlan_depth, EGRESS_VLAN_DEPTH, KS_ACT_DROP, "more VLAN tags than parsed (2)")  \
	X(egress_own, EGRESS_OWN, KS_ACT_PASS, "packets of kslice's own connection to the gateway") \
	X(connect_own, CONNECT_OWN, KS_ACT_PASS, "kslice's own connect() to the gateway: left alone") \
	X(app_tunnel, APP_TUNNEL, KS_ACT_PASS, "decided by a cgroup's policy: through the tunnel") \
	X(app_direct, APP_DIRECT, KS_ACT_PASS, "decided by a cgroup's policy: not through it") \
	X(app_blocked, APP_BLOCKED, KS_ACT_DROP, "a cgroup's policy, no tunnel for it (down) or corporate for a direct one") \
	X(egress_app_leak, EGRESS_APP_LEAK, KS_ACT_DROP, "a tunnel-only cgroup's packet on an uplink (a socket bound to it, or connected before the policy)") \
	X(app_dns, APP_DNS, KS_ACT_PASS, "a tunnel cgroup's DNS query sent to the corporate DNS server instead of the resolver it named") \
	X(fwd_tunnel, FWD_TUNNEL, KS_ACT_PASS, "a guest's corporate packet (container, VM), marked into the tunnel") \
	X(fwd_blocked, FWD_BLOCKED, KS_ACT_DROP, "a guest's corporate packet, tunnel down: the kill switch") \
	X(fwd_snat, FWD_SNAT, KS_ACT_PASS, "a guest's packet given the tunnel address at the TUN") \
	X(fwd_unsupported, FWD_UNSUPPORTED, KS_ACT_DROP, "a guest's packet the NAT cannot carry (a fragment, not TCP, UDP or echo)") \
	X(fwd_ports_full, FWD_PORTS_FULL, KS_ACT_DROP, "a guest's new flow, no free port for it") \
	X(fwd_answer, FWD_ANSWER, KS_ACT_PASS, "an answer from the tunnel given back the guest's address") \
	X(fwd_spoofed, FWD_SPOOFED, KS_ACT_DROP, "a guest's packet from the tunnel's or a link-local address") \
	X(egress_to_guest, EGRESS_TO_GUEST, KS_ACT_PASS, "corporate-looking, to a guest on a guest interface's own network: not a leak")

#define KS_DNS_STATS(X)                                                                          \
	X(answers_seen, ANSWERS_SEEN, KS_ACT_PASS, "UDP answers from port 53 looked at")       \
	X(answers_matched, ANSWERS_MATCHED, KS_ACT_PASS, "... whose question is a corporate domain's") \
	X(learned4, LEARNED4, KS_ACT_PASS, "IPv4 addresses learned (inserted or refreshed)")    \
	X(learned6, LEARNED6, KS_ACT_PASS, "IPv6 addresses learned")                           \
	X(malformed, MALFORMED, KS_ACT_PASS, "answers rejected whole: nothing learned")        \
	X(fragmented, FRAGMENTED, KS_ACT_PASS, "IP fragments: not parsed")                     \
	X(queries_steered, QUERIES_STEERED, KS_ACT_REDIRECT, "corporate query taken into the tunnel") \
	X(queries_blocked, QUERIES_BLOCKED, KS_ACT_DROP, "corporate query dropped: tunnel down, no server of its family, TCP") \
	X(answers_translated, ANSWERS_TRANSLATED, KS_ACT_REDIRECT, "steered query's answer handed back") \
	X(cut_short, CUT_SHORT, KS_ACT_PASS, "answer longer than the parse buffer")             \
	X(rewrite_failed, REWRITE_FAILED, KS_ACT_DROP, "steered packet whose rewrite failed")  \
	X(queries_tracked, QUERIES_TRACKED, KS_ACT_PASS, "uplink queries for a learning domain, recorded") \
	X(answers_unsolicited, ANSWERS_UNSOLICITED, KS_ACT_PASS, "uplink answers matching no query (resolver, ports, ID): not learned") \
	X(answers_late, ANSWERS_LATE, KS_ACT_PASS, "... for a query that expired: not learned") \
	X(answers_wrong_question, ANSWERS_WRONG_QUESTION, KS_ACT_PASS, "... with another question than the query's: not learned") \
	X(answers_steered_name, ANSWERS_STEERED_NAME, KS_ACT_PASS, "uplink answers for a name resolved through the tunnel: not learned") \
	X(refused_include, REFUSED_INCLUDE, KS_ACT_PASS, "learned excludes refused: the address is included") \
	X(refused_private, REFUSED_PRIVATE, KS_ACT_PASS, "learned excludes refused: a private or local address") \
	X(learn_failed, LEARN_FAILED, KS_ACT_PASS, "addresses not stored (map update failed)")

#define KS_STAT_FIELD_(name, NAME, act, doc) __u64 name;
#define KS_STAT_ACTION_(name, NAME, act, doc) act,
#define KS_STAT_NAME_(name, NAME, act, doc) #name,

/* ks_split_stats: per-CPU array of one. */
#define KS_STAT_INDEX_(name, NAME, act, doc) KS_STAT_##NAME,
enum { KS_SPLIT_STATS(KS_STAT_INDEX_) KS_STAT_MAX };
struct ks_split_stats {
	KS_SPLIT_STATS(KS_STAT_FIELD_)
};
_Static_assert(sizeof(struct ks_split_stats) == 8 * KS_STAT_MAX, "ABI: struct ks_split_stats");

/* ks_dns_stats: per-CPU array of one. */
#define KS_DNS_STAT_INDEX_(name, NAME, act, doc) KS_DNS_STAT_##NAME,
enum { KS_DNS_STATS(KS_DNS_STAT_INDEX_) KS_DNS_STAT_MAX };
struct ks_dns_stats {
	KS_DNS_STATS(KS_STAT_FIELD_)
};
_Static_assert(sizeof(struct ks_dns_stats) == 8 * KS_DNS_STAT_MAX, "ABI: struct ks_dns_stats");

/* One reason space for the TC programs' helpers: split reasons as they are, DNS reasons
 * from KS_REASON_DNS on; KS_REASON_NONE means "not decided here, go on". */
#define KS_REASON_DNS 64
#define KS_REASON_NONE (-1)
#define KS_DNS_REASON(NAME) (KS_REASON_DNS + KS_DNS_STAT_##NAME)
_Static_assert(KS_STAT_MAX <= KS_REASON_DNS, "split reasons overlap the DNS ones");
