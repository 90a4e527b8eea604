/* SPDX-License-Identifier: GPL-2.0-only */
/* DNS messages built byte by byte, in Ethernet + IP + UDP frames, for the BPF tests and
 * tools/bench/dns_bench. */
#pragma once
#include <stddef.h>

#define ANSWER 0x8180 /* QR, RD, RA, NOERROR */

struct msg {
	unsigned char b[8192];
	size_t n;
};

void put8(struct msg *m, unsigned v);
void put16(struct msg *m, unsigned v);
void put32(struct msg *m, unsigned v);
/* Labels of a dotted name, then the root byte unless ptr >= 0 ends it with a pointer. */
void put_name(struct msg *m, const char *name, int ptr);
/* Id 0x1234, one question, an answers, nothing else. */
void header(struct msg *m, unsigned flags, unsigned an);
void question(struct msg *m, const char *name, unsigned type);
/* An A or AAAA record whose owner is a pointer (or a spelled name when ptr < 0). */
void rr_addr(struct msg *m, int ptr, const char *owner, const char *addr, unsigned ttl);
/* A CNAME from the owner at ptr to target (spelled, ending with pointer tptr if >= 0). */
void rr_cname(struct msg *m, int ptr, const char *target, int tptr);
/* Ethernet + IPv4 or IPv6 + UDP around a message; udp_extra lies about the UDP length. */
size_t frame(unsigned char *f, const char *src, const char *dst, unsigned sport, unsigned dport,
	     const struct msg *m, int udp_extra);
