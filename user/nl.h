/* SPDX-License-Identifier: GPL-2.0-only */
/* Minimal rtnetlink: build one request, send it, walk the answer (ack or dump). */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

struct ks_nlmsg {
	struct nlmsghdr nh;
	char body[1024];
};

/* Header `hdr` (ifaddrmsg, rtmsg, fib_rule_hdr, tcmsg...) right after the nlmsghdr. */
void nl_init(struct ks_nlmsg *m, uint16_t type, uint16_t flags, const void *hdr, size_t len);
void nl_attr(struct ks_nlmsg *m, uint16_t type, const void *data, size_t len);
void nl_attr_u32(struct ks_nlmsg *m, uint16_t type, uint32_t v);

/* Called for each message of a dump; a negative return stops the walk with that error. */
typedef int (*ks_nl_cb)(const struct nlmsghdr *nh, void *arg);

/* Sends m (NLM_F_ACK is added); 0 or the kernel's -errno. cb may be NULL. */
int nl_talk(struct ks_nlmsg *m, ks_nl_cb cb, void *arg);

/* Attributes of a message whose fixed header is hdrlen bytes: tb[type] or NULL, type <= max. */
void nl_parse(const struct nlmsghdr *nh, size_t hdrlen, const struct rtattr **tb, int max);
