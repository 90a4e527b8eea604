// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>

#include "dns_msg.h"

void put8(struct msg *m, unsigned v)
{
	m->b[m->n++] = (unsigned char)v;
}

void put16(struct msg *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v);
}

void put32(struct msg *m, unsigned v)
{
	put16(m, v >> 16);
	put16(m, v);
}

/* Labels of a dotted name, then the root byte unless ptr >= 0 ends it with a pointer. */
void put_name(struct msg *m, const char *name, int ptr)
{
	while (*name) {
		const char *dot = strchr(name, '.');
		size_t l = dot ? (size_t)(dot - name) : strlen(name);

		put8(m, (unsigned)l);
		memcpy(m->b + m->n, name, l);
		m->n += l;
		name += l + (dot ? 1 : 0);
	}
	if (ptr >= 0)
		put16(m, 0xc000 | (unsigned)ptr);
	else
		put8(m, 0);
}

void header(struct msg *m, unsigned flags, unsigned an)
{
	m->n = 0;
	put16(m, 0x1234);
	put16(m, flags);
	put16(m, 1);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

void question(struct msg *m, const char *name, unsigned type)
{
	put_name(m, name, -1);
	put16(m, type);
	put16(m, 1);
}

/* An A or AAAA record whose owner is a pointer (or a spelled name when ptr < 0). */
void rr_addr(struct msg *m, int ptr, const char *owner, const char *addr, unsigned ttl)
{
	unsigned char a[16];
	int v6 = strchr(addr, ':') != NULL;

	if (ptr >= 0)
		put16(m, 0xc000 | (unsigned)ptr);
	else
		put_name(m, owner, -1);
	put16(m, v6 ? 28 : 1);
	put16(m, 1);
	put32(m, ttl);
	put16(m, v6 ? 16 : 4);
	inet_pton(v6 ? AF_INET6 : AF_INET, addr, a);
	memcpy(m->b + m->n, a, v6 ? 16 : 4);
	m->n += v6 ? 16 : 4;
}

/* A CNAME from the owner at ptr to target (spelled, ending with tptr if >= 0). */
void rr_cname(struct msg *m, int ptr, const char *target, int tptr)
{
	size_t len_at;

	put16(m, 0xc000 | (unsigned)ptr);
	put16(m, 5);
	put16(m, 1);
	put32(m, 300);
	len_at = m->n;
	put16(m, 0);
	put_name(m, target, tptr);
	m->b[len_at] = (unsigned char)((m->n - len_at - 2) >> 8);
	m->b[len_at + 1] = (unsigned char)(m->n - len_at - 2);
}

/* Ethernet + IPv4 or IPv6 + UDP around a message. udp_extra lies about the UDP length. */
size_t frame(unsigned char *f, const char *src, const char *dst, unsigned sport,
		    unsigned dport, const struct msg *m, int udp_extra)
{
	int v6 = strchr(src, ':') != NULL;
	size_t l3 = 14, l4 = l3 + (v6 ? 40 : 20), ulen = 8 + m->n;
	unsigned char *ip = f + l3, *u = f + l4;

	memset(f, 0, l4 + 8);
	memcpy(f, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	if (v6) {
		f[12] = 0x86;
		f[13] = 0xdd;
		ip[0] = 0x60;
		ip[4] = (unsigned char)(ulen >> 8);
		ip[5] = (unsigned char)ulen;
		ip[6] = 17;
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
	} else {
		f[12] = 0x08;
		ip[0] = 0x45;
		ip[2] = (unsigned char)((20 + ulen) >> 8);
		ip[3] = (unsigned char)(20 + ulen);
		ip[8] = 64;
		ip[9] = 17;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
	}
	u[0] = (unsigned char)(sport >> 8);
	u[1] = (unsigned char)sport;
	u[2] = (unsigned char)(dport >> 8);
	u[3] = (unsigned char)dport;
	u[4] = (unsigned char)((ulen + udp_extra) >> 8);
	u[5] = (unsigned char)(ulen + udp_extra);
	memcpy(u + 8, m->b, m->n);
	return l4 + ulen;
}
