// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/fib_rules.h>

#include "esc.h"
#include "log.h"
#include "nl.h"
#include "policy.h"

static int add_route(const struct ks_policy *p, int family)
{
	struct rtmsg rt = {
		.rtm_family = (unsigned char)family,
		.rtm_table = RT_TABLE_UNSPEC,
		.rtm_protocol = RTPROT_STATIC,
		.rtm_scope = RT_SCOPE_LINK,
		.rtm_type = RTN_UNICAST,
	};
	struct ks_nlmsg m;

	nl_init(&m, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, &rt, sizeof(rt));
	nl_attr_u32(&m, RTA_TABLE, p->table);
	nl_attr_u32(&m, RTA_OIF, (uint32_t)p->ifindex);
	if (family == AF_INET)
		nl_attr(&m, RTA_PREFSRC, &p->addr4, 4);
	else
		nl_attr(&m, RTA_PREFSRC, &p->addr6, 16);
	return nl_talk(&m, NULL, NULL);
}

enum rule_kind { RULE_MARK, RULE_FROM, RULE_UNREACHABLE };

static void rule_msg(struct ks_nlmsg *m, uint16_t type, const struct ks_policy *p, int family,
		     enum rule_kind kind)
{
	struct fib_rule_hdr h = {
		.family = (unsigned char)family,
		.action = kind == RULE_UNREACHABLE ? FR_ACT_UNREACHABLE : FR_ACT_TO_TBL,
	};

	if (kind == RULE_FROM && type == RTM_NEWRULE)
		h.src_len = family == AF_INET ? 32 : 128;
	nl_init(m, type, type == RTM_NEWRULE ? NLM_F_CREATE | NLM_F_EXCL : 0, &h, sizeof(h));
	nl_attr_u32(m, FRA_PRIORITY, p->pref + (uint32_t)kind);
	if (kind != RULE_UNREACHABLE)
		nl_attr_u32(m, FRA_TABLE, p->table);
	if (kind != RULE_FROM) {
		nl_attr_u32(m, FRA_FWMARK, p->mark);
		nl_attr_u32(m, FRA_FWMASK, p->mark);
	} else if (type == RTM_NEWRULE) {
		if (family == AF_INET)
			nl_attr(m, FRA_SRC, &p->addr4, 4);
		else
			nl_attr(m, FRA_SRC, &p->addr6, 16);
	}
}

static int install_family(const struct ks_policy *p, int family, bool have_addr,
			  struct ks_error *e)
{
	const char *fam = family == AF_INET ? "IPv4" : "IPv6";
	struct ks_nlmsg m;
	int err;

	if (have_addr) {
		err = add_route(p, family);
		if (err)
			return ks_fail(e, err, "policy: %s default route in table %u: %s", fam,
				       p->table, strerror(-err));
	}
	for (enum rule_kind k = RULE_MARK; k <= RULE_UNREACHABLE; k++) {
		if (k == RULE_FROM && !have_addr)
			continue;
		rule_msg(&m, RTM_NEWRULE, p, family, k);
		err = nl_talk(&m, NULL, NULL);
		if (err)
			return ks_fail(e, err, "policy: %s rule at preference %u: %s", fam,
				       p->pref + (uint32_t)k, strerror(-err));
	}
	return 0;
}

int policy_install(const struct ks_policy *p, struct ks_error *e)
{
	int err = install_family(p, AF_INET, p->have4, e);

	if (!err)
		err = install_family(p, AF_INET6, p->have6, e);
	if (err == -EAFNOSUPPORT && !p->have6) {
		/* A kernel without IPv6 has no v6 traffic to steer. */
		ks_warn("policy", "event=no_ipv6_rules reason=\"%s\"", esc(e->msg));
		e->msg[0] = 0;
		err = 0;
	}
	if (err)
		policy_remove(p);
	else
		ks_dbg("policy", "event=installed table=%u pref=%u mark=0x%x", p->table, p->pref,
		       p->mark);
	return err;
}

int policy_remove(const struct ks_policy *p)
{
	static const int families[] = { AF_INET, AF_INET6 };
	struct ks_nlmsg m;
	int removed = 0;

	for (int f = 0; f < 2; f++) {
		for (enum rule_kind k = RULE_MARK; k <= RULE_UNREACHABLE; k++) {
			/* Matching on preference and table/action only: also removes a rule a
			 * killed predecessor made for another tunnel address. */
			for (int tries = 0; tries < 8; tries++) {
				rule_msg(&m, RTM_DELRULE, p, families[f], k);
				if (nl_talk(&m, NULL, NULL))
					break;
				removed++;
			}
		}
	}
	return removed;
}

struct count_ctx {
	uint32_t lo, hi;
	int n;
};

static int count_rule(const struct nlmsghdr *nh, void *arg)
{
	struct count_ctx *c = arg;
	const struct rtattr *tb[FRA_MAX + 1];
	uint32_t pref;

	nl_parse(nh, sizeof(struct fib_rule_hdr), tb, FRA_MAX);
	if (!tb[FRA_PRIORITY] || RTA_PAYLOAD(tb[FRA_PRIORITY]) < 4)
		return 0;
	memcpy(&pref, RTA_DATA(tb[FRA_PRIORITY]), 4);
	if (pref >= c->lo && pref <= c->hi)
		c->n++;
	return 0;
}

int policy_count(uint32_t pref)
{
	struct fib_rule_hdr h = { .family = AF_UNSPEC };
	struct count_ctx c = { .lo = pref, .hi = pref + 2 };
	struct ks_nlmsg m;
	int err;

	nl_init(&m, RTM_GETRULE, NLM_F_DUMP, &h, sizeof(h));
	err = nl_talk(&m, count_rule, &c);
	return err ? err : c.n;
}
