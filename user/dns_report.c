// SPDX-License-Identifier: GPL-2.0-only
/* Corporate domains, learned addresses and DNS counters, for `kslice status` and
 * `kslice domain list`. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "dns.h"
#include "origin.h"

static const char *const stat_names[KS_DNS_STAT_MAX] = { KS_DNS_STATS(KS_STAT_NAME_) };

static void json_domain(void *arg, const char *domain, const struct ks_domain_info *di)
{
	struct ks_json *j = arg;
	char f[32], o[48];

	json_obj_open(j, NULL);
	json_str(j, "domain", domain);
	json_str(j, "action", dns_flags_str(di->flags, f, sizeof(f)));
	json_str(j, "origin", origin_str(di->origin, o, sizeof(o)));
	json_u64(j, "matches", di->matches);
	json_obj_close(j);
}

static void json_learned(void *arg, int family, bool uplink,
			 const uint8_t *addr, const struct ks_learned *l,
			 int64_t expires_in)
{
	struct ks_json *j = arg;
	char a[INET6_ADDRSTRLEN];

	if (expires_in < 0)
		return; /* expired, not yet swept: decides nothing */
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	json_obj_open(j, NULL);
	json_str(j, "address", a);
	json_str(j, "name", l->name);
	json_str(j, "action", l->flags & KS_DOMAIN_EXCLUDE ? "exclude" : "tunnel");
	json_str(j, "via", uplink ? "uplink" : "tunnel");
	json_u64(j, "ttl", l->ttl);
	json_i64(j, "expires_in", expires_in);
	json_u64(j, "hits", l->hits);
	json_obj_close(j);
}

void dns_report_json(const struct ks_dns *d, struct ks_json *j)
{
	struct ks_dns_stats st;
	char a[INET6_ADDRSTRLEN];

	json_obj_open(j, "dns");
	json_bool(j, "active", d->on);
	if (d->on) {
		json_str(j, "steering", d->cfg.flags & KS_DNS_STEER ? "bpf" : "none");
		json_bool(j, "resolved", d->resolved);
		json_arr_open(j, "servers");
		if (d->cfg.flags & KS_DNS_HAVE4)
			json_str(j, NULL, inet_ntop(AF_INET, d->cfg.server4, a, sizeof(a)));
		if (d->cfg.flags & KS_DNS_HAVE6)
			json_str(j, NULL, inet_ntop(AF_INET6, d->cfg.server6, a, sizeof(a)));
		json_arr_close(j);
		json_u64(j, "ttl_max", d->cfg.ttl_max_s);
		json_u64(j, "grace", d->cfg.grace_s);
		json_arr_open(j, "domains");
		dns_domain_walk(d, json_domain, j);
		json_arr_close(j);
		json_arr_open(j, "learned");
		dns_learned_walk(d, json_learned, j);
		json_arr_close(j);
		json_obj_open(j, "stats");
		if (!dns_stats(d, &st))
			for (int r = 0; r < KS_DNS_STAT_MAX; r++)
				json_u64(j, stat_names[r], ((__u64 *)&st)[r]);
		json_obj_close(j);
	}
	json_obj_close(j);
}

static void text_domain(void *arg, const char *domain, const struct ks_domain_info *di)
{
	char f[32], o[48];

	buf_printf(arg, "domain   %-32s %-16s %-16s matches %llu\n", domain,
		   dns_flags_str(di->flags, f, sizeof(f)), origin_str(di->origin, o, sizeof(o)),
		   (unsigned long long)di->matches);
}

static void text_learned(void *arg, int family, bool uplink,
			 const uint8_t *addr, const struct ks_learned *l,
			 int64_t expires_in)
{
	char a[INET6_ADDRSTRLEN];

	if (expires_in < 0)
		return;
	inet_ntop(family == 4 ? AF_INET : AF_INET6, addr, a, sizeof(a));
	buf_printf(arg, "learned  %-28s %-7s %-32s expires %llds hits %llu via %s\n", a,
		   l->flags & KS_DOMAIN_EXCLUDE ? "exclude" : "tunnel", l->name,
		   (long long)expires_in, (unsigned long long)l->hits, uplink ? "uplink" : "tunnel");
}

struct counter {
	size_t n;
};

static void count_learned(void *arg, int family, bool uplink,
			 const uint8_t *addr, const struct ks_learned *l,
			  int64_t expires_in)
{
	if (expires_in >= 0)
		((struct counter *)arg)->n++;
}

void dns_report_list(const struct ks_dns *d, bool learned, struct ks_buf *out)
{
	dns_domain_walk(d, text_domain, out);
	if (learned)
		dns_learned_walk(d, text_learned, out);
}

void dns_report_text(const struct ks_dns *d, struct ks_buf *out)
{
	const struct ks_dns_config *c = &d->cfg;
	struct ks_dns_stats st;
	struct counter n = { 0 };
	char a[INET6_ADDRSTRLEN], servers[2 * INET6_ADDRSTRLEN + 2] = "";

	if (!d->on) {
		buf_printf(out, "dns:       off\n");
		return;
	}
	if (c->flags & KS_DNS_HAVE4)
		strcat(servers, inet_ntop(AF_INET, c->server4, a, sizeof(a)));
	if (c->flags & KS_DNS_HAVE6) {
		if (servers[0])
			strcat(servers, " ");
		strcat(servers, inet_ntop(AF_INET6, c->server6, a, sizeof(a)));
	}
	dns_learned_walk(d, count_learned, &n);
	buf_printf(out, "dns:       servers %s, steering %s%s, %zu learned address(es)\n",
		   servers[0] ? servers : "none", c->flags & KS_DNS_STEER ? "bpf" : "none",
		   d->resolved ? " + systemd-resolved" : "", n.n);
	dns_domain_walk(d, text_domain, out);
	if (!dns_stats(d, &st))
		buf_printf(out,
			   "dns seen:  %llu answers, %llu corporate, learned %llu v4 / %llu v6, "
			   "%llu malformed, %llu fragmented\n"
			   "dns steer: %llu queries to the corporate DNS, %llu answers back, "
			   "%llu blocked\n",
			   (unsigned long long)st.answers_seen, (unsigned long long)st.answers_matched,
			   (unsigned long long)st.learned4, (unsigned long long)st.learned6,
			   (unsigned long long)st.malformed, (unsigned long long)st.fragmented,
			   (unsigned long long)st.queries_steered,
			   (unsigned long long)st.answers_translated,
			   (unsigned long long)st.queries_blocked);
	if (!dns_stats(d, &st))
		buf_printf(out,
			   "dns trust: %llu uplink queries tracked; refused %llu unsolicited, "
			   "%llu late, %llu other question, %llu corporate names by an uplink, "
			   "%llu excludes of included and %llu of private addresses\n",
			   (unsigned long long)st.queries_tracked,
			   (unsigned long long)st.answers_unsolicited,
			   (unsigned long long)st.answers_late,
			   (unsigned long long)st.answers_wrong_question,
			   (unsigned long long)st.answers_steered_name,
			   (unsigned long long)st.refused_include,
			   (unsigned long long)st.refused_private);
}
