/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* A DNS message parser for BPF. The message is copied once into a per-CPU scratch buffer;
 * every cursor lives there too and every read is masked into it, so the verifier sees
 * bounded accesses, and bpf_loop() walks labels and records one token per iteration.
 * Nothing is written to a map until the whole message has parsed: a malformed answer
 * teaches nothing. */
#pragma once
#include <stdbool.h>
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#include "dns_maps.h"
#include "verdict.h"

#define KS_DNS_BUF 4096 /* bytes of a message looked at; the rest is counted as cut short */
#define KS_DNS_MASK (KS_DNS_BUF - 1)
#define KS_DNS_HDR 12
#define KS_DNS_MAX_LABELS 128 /* a 255-byte name has at most 127 */
#define KS_DNS_MAX_JUMPS 16   /* compression pointers followed per name: loops end here */
#define KS_DNS_MAX_ANSWERS 256
#define KS_DNS_MAX_CHAIN 16 /* the question name and the CNAME targets it leads to */
#define KS_DNS_MAX_STEPS 8192

#define KS_DNS_TYPE_A 1
#define KS_DNS_TYPE_CNAME 5
#define KS_DNS_TYPE_AAAA 28
#define KS_DNS_CLASS_IN 1

#define KS_FNV_OFFSET 0xcbf29ce484222325ULL
#define KS_FNV_PRIME 0x100000001b3ULL

/* The name being walked (one at a time). */
struct ks_name_walk {
	__u32 off;   /* next byte to read */
	__u32 end;   /* first byte after the name where it started (0: not yet known) */
	__u32 wire;  /* decoded length so far, without the root byte */
	__u32 jumps; /* compression pointers followed */
	__u64 hash;  /* FNV-1a of the lowercase labels: names compare by it */
};

struct ks_dns_staged {
	__u8 addr[16];
	__u32 family;
	__u32 ttl;
};

enum { KS_RR_OWNER, KS_RR_FIXED, KS_RR_CNAME };

/* Per-CPU, never pinned: only this file reads it. */
struct ks_dns_scratch {
	__u8 pkt[KS_DNS_BUF];
	__u32 len; /* bytes of pkt in use */
	__u32 cut; /* the message was longer than pkt */
	struct ks_name_walk w;
	__u32 done, err;
	/* question */
	__u16 label_off[KS_DNS_MAX_LABELS];
	__u32 nlabels, keypos, namepos;
	struct ks_domain_key key;
	char name[KS_LEARNED_NAME];
	/* answers */
	__u32 phase, rr, ancount, cur, rr_end;
	__u64 owner;
	__u64 chain[KS_DNS_MAX_CHAIN];
	__u32 nchain;
	__u32 nstaged;
	struct ks_dns_staged staged[KS_DNS_MAX_ANSWERS];
	/* commit */
	__u32 flags; /* the matched domain's KS_DOMAIN_* */
	__u32 uplink; /* the answer came by an uplink: its own maps */
	__u64 expires_base;
	__u32 ttl_max, learned4, learned6, refused_include, refused_private, failed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ks_dns_scratch);
} ks_dns_scratch SEC(".maps");

static __always_inline struct ks_dns_scratch *ks_scratch(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ks_dns_scratch, &zero);
}

static __always_inline __u8 ks_byte(const struct ks_dns_scratch *s, __u32 off)
{
	return s->pkt[off & KS_DNS_MASK];
}

static __always_inline __u32 ks_be16(const struct ks_dns_scratch *s, __u32 off)
{
	return (__u32)ks_byte(s, off) << 8 | ks_byte(s, off + 1);
}

static __always_inline __u8 ks_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

static __always_inline void ks_walk_start(struct ks_dns_scratch *s, __u32 off)
{
	s->w.off = off;
	s->w.end = 0;
	s->w.wire = 0;
	s->w.jumps = 0;
	s->w.hash = KS_FNV_OFFSET;
}

/* One label or pointer of the name under s->w: 0 more to come, 1 done, -1 malformed
 * (overrun, pointer loop or out of the message, reserved label type, over 255 bytes). */
static __always_inline int ks_name_token(struct ks_dns_scratch *s, bool record)
{
	__u32 o = s->w.off, len = s->len, ptr;
	__u64 h;
	__u8 c;

	if (o >= len)
		return -1;
	c = ks_byte(s, o);
	if (c == 0) {
		if (!s->w.end)
			s->w.end = o + 1;
		return 1;
	}
	if ((c & 0xc0) == 0xc0) {
		if (o + 1 >= len)
			return -1;
		ptr = (__u32)(c & 0x3f) << 8 | ks_byte(s, o + 1);
		if (!s->w.end)
			s->w.end = o + 2;
		if (++s->w.jumps > KS_DNS_MAX_JUMPS || ptr < KS_DNS_HDR || ptr >= len)
			return -1;
		s->w.off = ptr;
		return 0;
	}
	if (c & 0xc0)
		return -1; /* 0x40 and 0x80: extended and reserved label types */
	if (o + 1 + c >= len)
		return -1; /* the label, or the byte after it, lies past the end */
	s->w.wire += c + 1;
	if (s->w.wire > 254)
		return -1;
	if (record) {
		if (s->nlabels >= KS_DNS_MAX_LABELS)
			return -1;
		s->label_off[s->nlabels & (KS_DNS_MAX_LABELS - 1)] = o;
		s->nlabels++;
	}
	h = (s->w.hash ^ c) * KS_FNV_PRIME;
	for (__u32 i = 0; i < 63; i++) {
		if (i >= c)
			break;
		h = (h ^ ks_lower(ks_byte(s, o + 1 + i))) * KS_FNV_PRIME;
	}
	s->w.hash = h;
	s->w.off = o + 1 + c;
	return 0;
}

static long ks_qname_step(__u32 i, void *ctx)
{
	struct ks_dns_scratch *s = ks_scratch();
	int r;

	if (!s)
		return 1;
	r = ks_name_token(s, true);
	if (r < 0)
		s->err = 1;
	else if (r > 0)
		s->done = 1;
	return r != 0;
}

/* Label i of the question: into the domain key reversed (label nlabels-1-i first) and
 * into the display name in order. */
static long ks_key_step(__u32 i, void *ctx)
{
	struct ks_dns_scratch *s = ks_scratch();
	__u32 o, pos, c;

	if (!s || i >= s->nlabels)
		return 1;
	o = s->label_off[(s->nlabels - 1 - i) & (KS_DNS_MAX_LABELS - 1)];
	c = ks_byte(s, o) & 0x3f;
	pos = s->keypos;
	if (pos + 1 + c > KS_DNS_KEY_MAX)
		return 1;
	s->key.name[pos & (KS_DNS_KEY_MAX - 1)] = (__u8)c;
	for (__u32 j = 0; j < 63; j++) {
		if (j >= c)
			break;
		s->key.name[(pos + 1 + j) & (KS_DNS_KEY_MAX - 1)] = ks_lower(ks_byte(s, o + 1 + j));
	}
	s->keypos = pos + 1 + c;

	o = s->label_off[i & (KS_DNS_MAX_LABELS - 1)];
	c = ks_byte(s, o) & 0x3f;
	for (__u32 j = 0; j < 64; j++) {
		__u32 p = s->namepos;
		__u8 b;

		if (j > c || p >= KS_LEARNED_NAME - 1)
			break;
		b = j == c ? '.' : ks_lower(ks_byte(s, o + 1 + j));
		/* Shown by status and bpftool: keep it printable. */
		if (b <= ' ' || b > '~')
			b = '?';
		s->name[p & (KS_LEARNED_NAME - 1)] = b;
		s->namepos = p + 1;
	}
	return 0;
}

/* Copies the UDP payload at off (len bytes) into the scratch; 0 or -1. */
static __always_inline int ks_dns_load(struct __sk_buff *skb, struct ks_dns_scratch *s, __u32 off,
				       __u32 len)
{
	__u32 n = len;

	if (n < KS_DNS_HDR)
		return -1;
	s->cut = n > KS_DNS_BUF;
	if (n > KS_DNS_BUF)
		n = KS_DNS_BUF;
	if (bpf_skb_load_bytes(skb, off, s->pkt, n))
		return -1;
	s->len = n;
	return 0;
}

/* The message's one question: walks it, builds the domain key and looks it up. Returns the
 * matched domain (counted) or NULL; *malformed says whether the question was garbage. */
static __always_inline struct ks_domain_info *ks_dns_question(struct ks_dns_scratch *s,
							      bool *malformed)
{
	struct ks_domain_info *di;
	__u32 i;

	*malformed = true;
	if (ks_be16(s, 4) != 1)
		return NULL; /* QDCOUNT: every resolver sends exactly one */
	s->nlabels = 0;
	s->keypos = 0;
	s->namepos = 0;
	s->done = 0;
	s->err = 0;
	ks_walk_start(s, KS_DNS_HDR);
	bpf_loop(KS_DNS_MAX_LABELS + KS_DNS_MAX_JUMPS + 1, ks_qname_step, NULL, 0);
	if (!s->done || s->err || s->w.end + 4 > s->len)
		return NULL;
	*malformed = false;
	bpf_loop(KS_DNS_MAX_LABELS, ks_key_step, NULL, 0);
	i = s->namepos;
	if (i > 1)
		i--; /* no trailing dot */
	s->name[i & (KS_LEARNED_NAME - 1)] = 0;
	if (!s->keypos)
		return NULL; /* the root is no one's domain */
	s->key.prefixlen = s->keypos * 8;
	di = bpf_map_lookup_elem(&ks_domains, &s->key);
	if (di)
		__sync_fetch_and_add(&di->matches, 1);
	return di;
}

static __always_inline bool ks_in_chain(const struct ks_dns_scratch *s, __u64 h)
{
	for (__u32 i = 0; i < KS_DNS_MAX_CHAIN; i++) {
		if (i >= s->nchain)
			break;
		if (s->chain[i] == h)
			return true;
	}
	return false;
}

/* Past the current record: 1 when that was the last one. */
static __always_inline long ks_next_rr(struct ks_dns_scratch *s)
{
	s->cur = s->rr_end;
	if (++s->rr >= s->ancount) {
		s->done = 1;
		return 1;
	}
	s->phase = KS_RR_OWNER;
	ks_walk_start(s, s->cur);
	return 0;
}

static __always_inline long ks_rr_fail(struct ks_dns_scratch *s)
{
	s->err = 1;
	return 1;
}

/* The fixed part of a record at s->cur (its owner is already walked). */
static __always_inline long ks_rr_fixed(struct ks_dns_scratch *s)
{
	__u32 o = s->cur, type, class, ttl, rdlen, rd;
	struct ks_dns_staged *st;

	if (o + 10 > s->len) {
		if (!s->cut)
			return ks_rr_fail(s);
		s->done = 1; /* the buffer ended, not the message: keep what parsed */
		return 1;
	}
	type = ks_be16(s, o);
	class = ks_be16(s, o + 2);
	ttl = ks_be16(s, o + 4) << 16 | ks_be16(s, o + 6);
	rdlen = ks_be16(s, o + 8);
	rd = o + 10;
	if (rd + rdlen > s->len) {
		if (!s->cut)
			return ks_rr_fail(s);
		s->done = 1;
		return 1;
	}
	s->rr_end = rd + rdlen;
	if (class != KS_DNS_CLASS_IN || !ks_in_chain(s, s->owner))
		return ks_next_rr(s); /* not about the question: no business of ours */
	if (ttl & 0x80000000)
		ttl = 0; /* RFC 2181 8: read as zero */
	if (type == KS_DNS_TYPE_CNAME) {
		s->phase = KS_RR_CNAME;
		ks_walk_start(s, rd);
		return 0;
	}
	if (type != KS_DNS_TYPE_A && type != KS_DNS_TYPE_AAAA)
		return ks_next_rr(s);
	if (rdlen != (type == KS_DNS_TYPE_A ? 4 : 16))
		return ks_rr_fail(s);
	if (s->nstaged >= KS_DNS_MAX_ANSWERS)
		return ks_next_rr(s);
	st = &s->staged[s->nstaged & (KS_DNS_MAX_ANSWERS - 1)];
	st->family = type == KS_DNS_TYPE_A ? 4 : 6;
	st->ttl = ttl;
	for (__u32 j = 0; j < 16; j++)
		st->addr[j] = j < rdlen ? ks_byte(s, rd + j) : 0;
	s->nstaged++;
	return ks_next_rr(s);
}

static long ks_rr_step(__u32 i, void *ctx)
{
	struct ks_dns_scratch *s = ks_scratch();
	int r;

	if (!s)
		return 1;
	if (s->phase == KS_RR_FIXED)
		return ks_rr_fixed(s);
	r = ks_name_token(s, false);
	if (r < 0)
		return ks_rr_fail(s);
	if (r == 0)
		return 0;
	if (s->phase == KS_RR_OWNER) {
		s->owner = s->w.hash;
		s->cur = s->w.end;
		s->phase = KS_RR_FIXED;
		return 0;
	}
	/* KS_RR_CNAME: the target must fill the RDATA exactly; it joins the chain. */
	if (s->w.end != s->rr_end)
		return ks_rr_fail(s);
	if (s->nchain < KS_DNS_MAX_CHAIN) {
		s->chain[s->nchain & (KS_DNS_MAX_CHAIN - 1)] = s->w.hash;
		s->nchain++;
	}
	return ks_next_rr(s);
}

/* The answer section: stages the A/AAAA records of the question's CNAME chain. 0 or -1. */
static __always_inline int ks_dns_answers(struct ks_dns_scratch *s)
{
	__u32 an = ks_be16(s, 6);

	s->chain[0] = s->w.hash; /* the question's, still in the walker */
	s->nchain = 1;
	s->nstaged = 0;
	s->rr = 0;
	s->done = 0;
	s->err = 0;
	if (!an)
		return 0;
	if (an > KS_DNS_MAX_ANSWERS) {
		an = KS_DNS_MAX_ANSWERS;
		ks_dns_count(KS_DNS_STAT_CUT_SHORT);
	}
	s->ancount = an;
	s->cur = s->w.end + 4;
	s->phase = KS_RR_OWNER;
	ks_walk_start(s, s->cur);
	bpf_loop(KS_DNS_MAX_STEPS, ks_rr_step, NULL, 0);
	return s->done && !s->err ? 0 : -1;
}

/* Not where a public service lives: loopback, private, shared (CGNAT), link-local,
 * unique-local. An exclude domain names public services; such an answer is a lie or a
 * split-horizon one, and excluding it could take a corporate host out of the tunnel. */
static __always_inline bool ks_private_addr(const __u8 *a, __u32 family)
{
	if (family == 4)
		return a[0] == 10 || a[0] == 127 || a[0] == 0 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 169 && a[1] == 254) ||
		       (a[0] == 100 && (a[1] & 0xc0) == 64);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) ||
	       (a[0] == 0 && a[1] == 0 && a[2] == 0 && a[3] == 0 && a[4] == 0 && a[5] == 0 &&
		a[6] == 0 && a[7] == 0 && a[8] == 0 && a[9] == 0);
}

/* An include named by the gateway, the user or `route add` covers the address. */
static __always_inline bool ks_named_include(const __u8 *a, __u32 family)
{
	struct ks_prefix_info *pi;

	if (family == 4) {
		struct ks_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, a, 4);
		pi = bpf_map_lookup_elem(&ks_include4, &k);
	} else {
		struct ks_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, a, 16);
		pi = bpf_map_lookup_elem(&ks_include6, &k);
	}
	return pi && (pi->origin & (KS_ORIGIN_GATEWAY | KS_ORIGIN_USER | KS_ORIGIN_RUNTIME));
}

static __always_inline void *ks_learned_map(__u32 family, __u32 uplink)
{
	if (family == 4)
		return uplink ? (void *)&ks_learned4_uplink : (void *)&ks_learned4;
	return uplink ? (void *)&ks_learned6_uplink : (void *)&ks_learned6;
}

static long ks_commit_step(__u32 i, void *ctx)
{
	struct ks_dns_scratch *s = ks_scratch();
	struct ks_learned v = {}, *old;
	struct ks_dns_staged *st;
	__u32 ttl;
	void *map;

	if (!s || i >= s->nstaged)
		return 1;
	st = &s->staged[i & (KS_DNS_MAX_ANSWERS - 1)];
	if (s->flags & KS_DOMAIN_EXCLUDE) {
		if (ks_private_addr(st->addr, st->family)) {
			s->refused_private++;
			return 0;
		}
		if (ks_named_include(st->addr, st->family)) {
			s->refused_include++;
			return 0;
		}
	}
	ttl = st->ttl < s->ttl_max ? st->ttl : s->ttl_max;
	v.expires_ns = s->expires_base + (__u64)ttl * 1000000000ULL;
	v.flags = s->flags & (KS_DOMAIN_TUNNEL | KS_DOMAIN_EXCLUDE);
	v.ttl = st->ttl;
	__builtin_memcpy(v.name, s->name, KS_LEARNED_NAME);
	map = ks_learned_map(st->family, s->uplink);
	old = bpf_map_lookup_elem(map, st->addr);
	if (old && old->flags == v.flags) {
		/* A refresh, in place (an update would reallocate the LRU element). A cached,
		 * shorter-lived copy of the answer must not cut the entry short. */
		if (old->expires_ns < v.expires_ns)
			old->expires_ns = v.expires_ns;
		old->ttl = v.ttl;
	} else if (bpf_map_update_elem(map, st->addr, &v, BPF_ANY)) {
		s->failed++;
		return 0;
	}
	if (st->family == 4)
		s->learned4++;
	else
		s->learned6++;
	return 0;
}

/* Writes the staged addresses to the learned maps of where the answer came from. */
static __always_inline void ks_dns_commit(struct ks_dns_scratch *s, __u32 flags,
					  const struct ks_dns_config *dc, bool uplink)
{
	__u32 zero = 0;
	struct ks_dns_stats *st;

	s->flags = flags;
	s->uplink = uplink;
	s->ttl_max = dc->ttl_max_s;
	s->expires_base = bpf_ktime_get_boot_ns() + (__u64)dc->grace_s * 1000000000ULL;
	s->learned4 = 0;
	s->learned6 = 0;
	s->refused_include = 0;
	s->refused_private = 0;
	s->failed = 0;
	bpf_loop(KS_DNS_MAX_ANSWERS, ks_commit_step, NULL, 0);
	st = bpf_map_lookup_elem(&ks_dns_stats, &zero);
	if (st) {
		st->learned4 += s->learned4;
		st->learned6 += s->learned6;
		st->refused_include += s->refused_include;
		st->refused_private += s->refused_private;
		st->learn_failed += s->failed;
	}
}

static __always_inline struct ks_dns_config *ks_dns_cfg(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&ks_dns_config, &zero);
}

/* A query for a learning domain leaves by an uplink (its question already walked): the
 * answer to expect. */
static __always_inline void ks_dns_query_record(struct ks_dns_scratch *s,
						const struct ks_dns_query_key *qk)
{
	struct ks_dns_query q = {
		.sent_ns = bpf_ktime_get_boot_ns(),
		.qhash = s->w.hash,
		.qtype = (__u16)ks_be16(s, s->w.end),
		.qclass = (__u16)ks_be16(s, s->w.end + 2),
	};

	bpf_map_update_elem(&ks_dns_queries, qk, &q, BPF_ANY);
}

/* An answer that came by an uplink (its question already walked) must answer a query
 * still outstanding: same resolver and ports, same ID, same question. 0 if it does (the
 * query is answered: gone), else -1 with the refusal counted. */
static __always_inline int ks_dns_query_check(struct ks_dns_scratch *s,
					      const struct ks_dns_query_key *qk,
					      const struct ks_dns_config *dc)
{
	struct ks_dns_query *q = bpf_map_lookup_elem(&ks_dns_queries, qk);

	if (!q) {
		ks_dns_count(KS_DNS_STAT_ANSWERS_UNSOLICITED);
		return -1;
	}
	if (q->sent_ns + (__u64)dc->query_timeout_s * 1000000000ULL < bpf_ktime_get_boot_ns()) {
		bpf_map_delete_elem(&ks_dns_queries, qk);
		ks_dns_count(KS_DNS_STAT_ANSWERS_LATE);
		return -1;
	}
	if (q->qhash != s->w.hash || q->qtype != ks_be16(s, s->w.end) ||
	    q->qclass != ks_be16(s, s->w.end + 2)) {
		ks_dns_count(KS_DNS_STAT_ANSWERS_WRONG_QUESTION);
		return -1;
	}
	bpf_map_delete_elem(&ks_dns_queries, qk);
	return 0;
}

/* An answer in the scratch (already loaded): learn from it if its question is ours and,
 * when it came by an uplink (qk: its key as a query's), it answers a query this host sent
 * and the name is not one the corporate DNS resolves (those are learned from the tunnel
 * only). qk NULL: it came through the tunnel. */
static __always_inline void ks_dns_learn_loaded(struct ks_dns_scratch *s,
						const struct ks_dns_query_key *qk)
{
	struct ks_dns_config *dc = ks_dns_cfg();
	struct ks_domain_info *di;
	bool malformed;
	__u32 flags;

	if (!dc)
		return;
	ks_dns_count(KS_DNS_STAT_ANSWERS_SEEN);
	flags = ks_be16(s, 2);
	/* QR set, a standard query, NOERROR: anything else carries no addresses to learn. */
	if (!(flags & 0x8000) || (flags & 0x7800) || (flags & 0x000f))
		return;
	di = ks_dns_question(s, &malformed);
	if (!di) {
		if (malformed)
			ks_dns_count(KS_DNS_STAT_MALFORMED);
		return;
	}
	ks_dns_count(KS_DNS_STAT_ANSWERS_MATCHED);
	flags = di->flags;
	if (!(flags & (KS_DOMAIN_TUNNEL | KS_DOMAIN_EXCLUDE)))
		return;
	if (qk && (flags & KS_DOMAIN_RESOLVE)) {
		ks_dns_count(KS_DNS_STAT_ANSWERS_STEERED_NAME);
		return;
	}
	if (qk && ks_dns_query_check(s, qk, dc))
		return;
	if (ks_dns_answers(s)) {
		ks_dns_count(KS_DNS_STAT_MALFORMED);
		return;
	}
	if (s->cut)
		ks_dns_count(KS_DNS_STAT_CUT_SHORT);
	ks_dns_commit(s, flags, dc, qk != NULL);
}
