// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esc.h"
#include "kslice/stats.h"
#include "metrics.h"
#include "origin.h"
#include "session.h"
#include "split_report.h"
#include "status.h"
#include "version.h"



/* A label value: backslash, double quote and newline escaped, as the format asks; other
 * control bytes and what is not UTF-8 become '?' (a scraper drops a whole file for one). */
static void label(struct ks_buf *out, const char *v)
{
	size_t left = v ? strlen(v) : 0;

	while (left) {
		uint32_t cp;
		size_t n = utf8_decode((const uint8_t *)v, left, &cp);

		if (*v == '\\' || *v == '"')
			buf_printf(out, "\\%c", *v);
		else if (*v == '\n')
			buf_printf(out, "\\n");
		else if (!n || (unsigned char)*v < ' ' || *v == 0x7f)
			buf_putc(out, '?');
		else
			buf_append(out, v, n);
		n = n ? n : 1;
		v += n;
		left -= n;
	}
}

static void family(struct ks_buf *out, const char *name, const char *type, const char *help)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{interface="IF"[,key="value"]} value */
static void sample(struct ks_buf *out, const char *name, const char *ifname, const char *key,
		   const char *value, double v)
{
	buf_printf(out, "%s{interface=\"", name);
	label(out, ifname);
	if (key) {
		buf_printf(out, "\",%s=\"", key);
		label(out, value);
	}
	buf_printf(out, "\"} %.17g\n", v);
}

static void one(struct ks_buf *out, const char *name, const char *type, const char *help,
		const char *ifname, double v)
{
	family(out, name, type, help);
	sample(out, name, ifname, NULL, NULL, v);
}

void metrics_down(const char *ifname, struct ks_buf *out)
{
	one(out, "kslice_up", "gauge", "1 while the tunnel carries traffic, else 0.", ifname, 0);
}

struct hits_ctx {
	struct ks_buf *out;
	const char *ifname, *set;
	unsigned int n; /* prefixes seen in this set */
};

static void prefix_hits(void *arg, const struct ks_prefix *p, const struct ks_prefix_info *pi)
{
	struct hits_ctx *c = arg;
	char a[64], o[48];

	/* A gateway may push thousands: a series each would swamp the scraper. */
	if (c->n++ >= KS_METRICS_MAX_PREFIXES)
		return;
	buf_printf(c->out, "kslice_split_prefix_hits_total{interface=\"");
	label(c->out, c->ifname);
	buf_printf(c->out, "\",set=\"%s\",prefix=\"%s\",origin=\"", c->set,
		   prefix_str(p, a, sizeof(a)));
	label(c->out, origin_str(pi->origin, o, sizeof(o)));
	buf_printf(c->out, "\"} %llu\n", (unsigned long long)pi->hits);
}

static void count_learned(void *arg, int family, bool uplink, const uint8_t *addr,
			  const struct ks_learned *l, int64_t expires_in_s)
{
	(*(uint64_t *)arg)++;
}

static void split_and_dns(const struct ks_session *s, struct ks_buf *out)
{
	static const char *const split_names[] = { KS_SPLIT_STATS(KS_STAT_NAME_) };
	static const char *const dns_names[] = { KS_DNS_STATS(KS_STAT_NAME_) };
	struct hits_ctx c = { .out = out, .ifname = s->tun.name };
	struct ks_split_stats st;
	struct ks_dns_stats dst;
	uint64_t learned = 0;
	unsigned int n_include;

	if (!s->split.started)
		return;
	if (!split_stats(&s->split, &st)) {
		family(out, "kslice_split_events_total", "counter",
		       "Decisions of the split programs by event (kslice.1, bpftool.md); the "
		       "_blocked and _dropped ones are the kill switch at work.");
		for (int r = 0; r < KS_STAT_MAX; r++)
			sample(out, "kslice_split_events_total", s->tun.name, "event",
			       split_names[r], (double)((__u64 *)&st)[r]);
	}
	family(out, "kslice_split_prefix_hits_total", "counter",
	       "Connections and packets matched by each split prefix.");
	c.set = "include";
	split_prefix_walk(&s->split, false, prefix_hits, &c);
	n_include = c.n;
	c.set = "exclude";
	c.n = 0;
	split_prefix_walk(&s->split, true, prefix_hits, &c);
	family(out, "kslice_split_prefixes", "gauge",
	       "Prefixes in each split set (hits are shown for the first "
	       KS_STR(KS_METRICS_MAX_PREFIXES) " of each).");
	sample(out, "kslice_split_prefixes", s->tun.name, "set", "include", n_include);
	sample(out, "kslice_split_prefixes", s->tun.name, "set", "exclude", c.n);
	if (!s->split.dns.on)
		return;
	if (!dns_stats(&s->split.dns, &dst)) {
		family(out, "kslice_dns_events_total", "counter",
		       "What the DNS learner saw and did by event: answers, learnings, steered "
		       "queries, refusals.");
		for (int r = 0; r < KS_DNS_STAT_MAX; r++)
			sample(out, "kslice_dns_events_total", s->tun.name, "event", dns_names[r],
			       (double)((__u64 *)&dst)[r]);
	}
	dns_learned_walk(&s->split.dns, count_learned, &learned);
	one(out, "kslice_dns_learned_addresses", "gauge",
	    "Addresses learned from corporate names, in force now.", s->tun.name,
	    (double)learned);
}

void metrics_text(const struct ks_session *s, struct ks_buf *out)
{
	static const struct ks_counters none;
	static const char *const states[] = { "connecting", "connected", "reconnecting" };
	const struct ks_counters *c = s->ps.shared ? &s->ps.shared->c : &none;
	const char *state = status_state(s), *transport = status_transport(s);
	const char *ifn = s->tun.name;
	const struct {
		const char *reason;
		uint64_t n;
	} drops[] = {
		{ "to_gateway", c->tx_dropped },	 { "from_gateway", c->rx_dropped },
		{ "bad_frame", c->rx_bad_frames },	 { "unknown_frame", c->rx_unknown_frames },
		{ "oversized", c->rx_oversized },	 { "dtls_bad_record", c->dtls_bad_records },
		{ "udp_send", c->udp_dropped },
	};

	one(out, "kslice_up", "gauge", "1 while the tunnel carries traffic, else 0.", ifn,
	    !strcmp(state, "connected"));
	family(out, "kslice_info", "gauge", "The session: gateway, user and kslice version.");
	buf_printf(out, "kslice_info{interface=\"");
	label(out, ifn);
	buf_printf(out, "\",gateway=\"");
	label(out, s->o->host);
	buf_printf(out, "\",user=\"");
	label(out, s->auth.user);
	buf_printf(out, "\",version=\"" KSLICE_VERSION "\"} 1\n");
	family(out, "kslice_state", "gauge", "The session's state: 1 for the current one.");
	for (int i = 0; i < 3; i++)
		sample(out, "kslice_state", ifn, "state", states[i], !strcmp(state, states[i]));
	family(out, "kslice_transport", "gauge", "What carries data: 1 for dtls or tls.");
	sample(out, "kslice_transport", ifn, "transport", "dtls", transport && !strcmp(transport, "dtls"));
	sample(out, "kslice_transport", ifn, "transport", "tls", transport && !strcmp(transport, "tls"));
	one(out, "kslice_connected_timestamp_seconds", "gauge",
	    "When the session started (Unix time).", ifn, (double)s->connected_at);
	one(out, "kslice_uptime_seconds", "gauge", "Seconds since the session started.", ifn,
	    s->connected_at ? (double)(time(NULL) - s->connected_at) : 0);
	one(out, "kslice_connect_duration_seconds", "gauge",
	    "From launch to the tunnel usable.", ifn, s->connect_ms / 1000.0);
	one(out, "kslice_reconnects_total", "counter",
	    "Times the tunnel came back after it was lost.", ifn, s->history.count);
	one(out, "kslice_down_seconds_total", "counter",
	    "Time without a tunnel since the session started, the current outage included.",
	    ifn, status_down_ms(s) / 1000.0);
	family(out, "kslice_packets_total", "counter", "Packets through the tunnel by direction.");
	sample(out, "kslice_packets_total", ifn, "direction", "to_gateway", (double)c->tx_packets);
	sample(out, "kslice_packets_total", ifn, "direction", "from_gateway", (double)c->rx_packets);
	family(out, "kslice_bytes_total", "counter", "Bytes of packets through the tunnel by direction.");
	sample(out, "kslice_bytes_total", ifn, "direction", "to_gateway", (double)c->tx_bytes);
	sample(out, "kslice_bytes_total", ifn, "direction", "from_gateway", (double)c->rx_bytes);
	family(out, "kslice_dropped_packets_total", "counter",
	       "Packets the data path dropped, by reason.");
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		sample(out, "kslice_dropped_packets_total", ifn, "reason", drops[i].reason,
		       (double)drops[i].n);
	family(out, "kslice_dtls_packets_total", "counter", "Of those, packets over DTLS.");
	sample(out, "kslice_dtls_packets_total", ifn, "direction", "to_gateway", (double)c->dtls_tx_packets);
	sample(out, "kslice_dtls_packets_total", ifn, "direction", "from_gateway", (double)c->dtls_rx_packets);
	family(out, "kslice_dtls_events_total", "counter",
	       "DTLS links made, lost, failed, and packets too big for a record.");
	sample(out, "kslice_dtls_events_total", ifn, "event", "handshake", (double)c->dtls_handshakes);
	sample(out, "kslice_dtls_events_total", ifn, "event", "fall", (double)c->dtls_falls);
	sample(out, "kslice_dtls_events_total", ifn, "event", "failed_attempt", (double)c->dtls_failed_attempts);
	sample(out, "kslice_dtls_events_total", ifn, "event", "too_big", (double)c->dtls_too_big);
	family(out, "kslice_dpd_total", "counter", "Dead peer detection over TLS and DTLS.");
	sample(out, "kslice_dpd_total", ifn, "event", "sent", (double)(c->dpd_sent + c->dtls_dpd_sent));
	sample(out, "kslice_dpd_total", ifn, "event", "answered",
	       (double)(c->dpd_answered + c->dtls_dpd_answered));
	sample(out, "kslice_dpd_total", ifn, "event", "received", (double)c->dpd_received);
	one(out, "kslice_rekeys_total", "counter", "Rekeys the gateway asked for, done.", ifn,
	    (double)c->rekeys);
	if (s->cert.cert)
		one(out, "kslice_client_cert_expiry_timestamp_seconds", "gauge",
		    "When the client certificate expires (Unix time).", ifn,
		    (double)s->cert.not_after);
	split_and_dns(s, out);
}

int metrics_write_file(const char *path, const struct ks_buf *text)
{
	char tmp[4096], dirname[4096];
	const char *slash = strrchr(path, '/');
	struct stat dir;
	int fd, err = 0;

	/* node_exporter reads *.prom files only: the temporary name is not one. */
	if (!slash || (size_t)snprintf(tmp, sizeof(tmp), "%.*s/.%s.XXXXXX", (int)(slash - path),
				       path, slash + 1) >= sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	/* The corporate prefixes are in it: readable by the directory's group (the
	 * collector's, e.g. prometheus), not by all. */
	snprintf(dirname, sizeof(dirname), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dirname, &dir))
		err = -errno;
	errno = 0;
	if (!err && (fchown(fd, (uid_t)-1, dir.st_gid) || fchmod(fd, 0640) ||
		     write(fd, text->data, text->len) != (ssize_t)text->len))
		err = errno ? -errno : -EIO;
	close(fd);
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
