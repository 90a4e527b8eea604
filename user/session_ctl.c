// SPDX-License-Identifier: GPL-2.0-only
/* What the control socket's requests do to a running session (the grammar is in
 * ctl_proto.c, the transport in ctl_server.c). */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "json.h"
#include "log.h"
#include "session.h"
#include "split_report.h"
#include "metrics.h"
#include "status.h"

/* route add include|exclude PREFIX, route del include|exclude|any PREFIX */
static int route_change(struct ks_session *s, const struct ks_ctl_req *req, struct ks_error *e)
{
	const char *set = req->args[0], *verb = req->verb == CTL_ROUTE_ADD ? "add" : "del";
	bool add = req->verb == CTL_ROUTE_ADD, any = !strcmp(set, "any");
	struct ks_prefix p;
	char a[64];
	int err, gone = 0;

	if (strcmp(set, "include") && strcmp(set, "exclude") && !(any && !add))
		return ks_fail(e, -EINVAL, "route: '%s' is not include%s", escn(set, 16),
			       add ? " or exclude" : ", exclude or any");
	err = opts_parse_prefix("route", req->args[1], &p, e);
	if (err)
		return err;
	if (!s->split.started)
		return ks_fail(e, -ENOTCONN, "split tunneling is not active");
	if (add) {
		err = split_prefix_add(&s->split, &p, !strcmp(set, "exclude"), KS_ORIGIN_RUNTIME);
		if (err)
			return ks_fail(e, err, "route: cannot add %s: %s", prefix_str(&p, a, sizeof(a)),
				       err == -E2BIG ? "map full" : strerror(-err));
	} else {
		if (strcmp(set, "exclude"))
			gone += !split_prefix_del(&s->split, &p, false);
		if (strcmp(set, "include"))
			gone += !split_prefix_del(&s->split, &p, true);
		if (!gone)
			return ks_fail(e, -ENOENT, "route: %s is not in the %s set",
				       prefix_str(&p, a, sizeof(a)), any ? "include or exclude" : set);
	}
	ks_info("ctl", "event=route_%s set=%s prefix=%s", verb, set, prefix_str(&p, a, sizeof(a)));
	return 0;
}

/* domain add tunnel|learn|exclude DOMAIN, domain del DOMAIN */
static int domain_change(struct ks_session *s, const struct ks_ctl_req *req, struct ks_error *e)
{
	bool add = req->verb == CTL_DOMAIN_ADD;
	const char *kind = add ? req->args[0] : "", *name = req->args[add ? 1 : 0], *why = "";
	char norm[KS_DOMAIN_TEXT_MAX];
	uint32_t flags;
	int err;

	flags = !strcmp(kind, "tunnel")	 ? KS_DOMAIN_TUNNEL | KS_DOMAIN_RESOLVE
		: !strcmp(kind, "learn") ? KS_DOMAIN_TUNNEL
		: !strcmp(kind, "exclude") ? KS_DOMAIN_EXCLUDE
					   : 0;
	if (add && !flags)
		return ks_fail(e, -EINVAL, "domain: '%s' is not tunnel, learn or exclude",
			       escn(kind, 16));
	if (dns_domain_normalize(name, norm, &why))
		return ks_fail(e, -EINVAL, "domain: '%s' is not a domain name: %s", escn(name, 80),
			       why);
	if (!s->split.dns.on)
		return ks_fail(e, -ENOTCONN, "DNS learning is off (--dns off)");
	err = add ? dns_domain_add(&s->split.dns, norm, flags, KS_ORIGIN_RUNTIME)
		  : dns_domain_del(&s->split.dns, norm);
	if (err && add)
		return ks_fail(e, err, "domain: cannot add %s: %s", norm,
			       err == -EEXIST ? "it is there with the opposite action (del it first)"
			       : err == -E2BIG ? "map full" : strerror(-err));
	if (err)
		return ks_fail(e, err, "domain: %s is not a corporate domain", norm);
	ks_info("ctl", "event=domain_%s domain=%s", add ? "add" : "del", norm);
	return 0;
}

static void split_json(const struct ks_session *s, struct ks_json *j)
{
	split_report_json(&s->split, j);
}

static void apps_json(const struct ks_session *s, struct ks_json *j)
{
	app_report_json(&s->split, j);
}

static void dns_json(const struct ks_session *s, struct ks_json *j)
{
	dns_report_json(&s->split.dns, j);
}

/* {"version":1, <one report object>} */
static void report_json(const struct ks_session *s, struct ks_buf *body,
			void (*report)(const struct ks_session *, struct ks_json *))
{
	struct ks_json j;

	json_init(&j, body);
	json_obj_open(&j, NULL);
	json_u64(&j, "version", 1);
	report(s, &j);
	json_obj_close(&j);
	buf_putc(body, '\n');
}

int session_on_request(void *ctx, const struct ks_ctl_req *req, uid_t uid, struct ks_buf *body,
		       struct ks_error *e)
{
	struct ks_session *s = ctx;
	uint32_t via;

	switch (req->verb) {
	case CTL_PING:
		return 0;
	case CTL_STATUS_JSON:
		status_json(s, body);
		return 0;
	case CTL_STATUS_TEXT:
		status_text(s, body);
		return 0;
	case CTL_STATUS_PROMETHEUS:
		metrics_text(s, body);
		return 0;
	case CTL_APP_LIST:
		app_report_text(&s->split, body);
		return 0;
	case CTL_APP_LIST_JSON:
		report_json(s, body, apps_json);
		return 0;
	case CTL_APP_SET:
		if (app_via_parse(req->args[0], &via))
			return ks_fail(e, -EINVAL, "app: '%s' is not split, tunnel or direct",
				       escn(req->args[0], 16));
		return app_set(&s->split, req->args[1], via, e);
	case CTL_APP_DEL:
		return app_del(&s->split, req->args[0], e);
	case CTL_ROUTE_LIST:
		split_report_routes(&s->split, body);
		return 0;
	case CTL_ROUTE_LIST_JSON:
		report_json(s, body, split_json);
		return 0;
	case CTL_ROUTE_ADD:
	case CTL_ROUTE_DEL:
		return route_change(s, req, e);
	case CTL_DOMAIN_LIST:
	case CTL_DOMAIN_LIST_LEARNED:
		dns_report_list(&s->split.dns, req->verb == CTL_DOMAIN_LIST_LEARNED, body);
		return 0;
	case CTL_DOMAIN_LIST_JSON:
		report_json(s, body, dns_json);
		return 0;
	case CTL_DOMAIN_ADD:
	case CTL_DOMAIN_DEL:
		return domain_change(s, req, e);
	case CTL_DISCONNECT:
		buf_printf(body, "pid %d\n", (int)getpid());
		ks_info("ctl", "event=disconnect_requested uid=%u", (unsigned int)uid);
		s->stop_requested = true; /* the monitor's loop tells the worker */
		s->user_stop = true;
		return 0;
	default:
		return ks_fail(e, -EINVAL, "unknown request");
	}
}
