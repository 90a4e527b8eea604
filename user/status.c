// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

#include "esc.h"
#include "json.h"
#include "split_report.h"
#include "status.h"

static void ip_list(struct ks_json *j, const char *key, const struct ks_ip *ips, int n)
{
	char a[INET6_ADDRSTRLEN];

	json_arr_open(j, key);
	for (int i = 0; i < n; i++)
		json_str(j, NULL, inet_ntop(ips[i].family, ips[i].addr, a, sizeof(a)));
	json_arr_close(j);
}

static void prefix_list(struct ks_json *j, const char *key, const struct ks_prefix *p, size_t n)
{
	char a[INET6_ADDRSTRLEN + 8];

	json_arr_open(j, key);
	for (size_t i = 0; i < n; i++)
		json_str(j, NULL, prefix_str(&p[i], a, sizeof(a)));
	json_arr_close(j);
}

static void tunnel_params(struct ks_json *j, const struct ks_cstp_params *p)
{
	char a[INET6_ADDRSTRLEN];

	json_obj_open(j, "tunnel");
	json_str(j, "address4", p->have4 ? inet_ntop(AF_INET, &p->addr4, a, sizeof(a)) : NULL);
	json_str(j, "netmask4", p->have4 ? inet_ntop(AF_INET, &p->mask4, a, sizeof(a)) : NULL);
	json_str(j, "address6", p->have6 ? inet_ntop(AF_INET6, &p->addr6, a, sizeof(a)) : NULL);
	json_u64(j, "prefix6", p->have6 ? p->prefix6 : 0);
	json_u64(j, "mtu", (uint64_t)p->mtu);
	ip_list(j, "dns", p->dns, p->ndns);
	ip_list(j, "nbns", p->nbns, p->nnbns);
	json_str(j, "default_domain", p->default_domain);
	json_arr_open(j, "split_dns");
	for (size_t i = 0; i < p->n_split_dns; i++)
		json_str(j, NULL, p->split_dns[i]);
	json_arr_close(j);
	prefix_list(j, "split_include", p->split_include, p->n_include);
	prefix_list(j, "split_exclude", p->split_exclude, p->n_exclude);
	json_bool(j, "tunnel_all_dns", p->tunnel_all_dns);
	json_str(j, "banner", p->banner);
	json_str(j, "proxy_pac", p->proxy_pac);
	json_i64(j, "dpd", p->dpd);
	json_i64(j, "keepalive", p->keepalive);
	json_i64(j, "idle_timeout", p->idle_timeout);
	json_i64(j, "disconnected_timeout", p->disconnected_timeout);
	json_i64(j, "session_timeout", p->session_timeout);
	json_i64(j, "rekey_time", p->rekey_time);
	json_str(j, "rekey_method", p->rekey_method[0] ? p->rekey_method : NULL);
	json_str(j, "compression", cstp_codec_name(p->codec));
	json_bool(j, "dtls_offered", p->dtls_offered || p->dtls_port > 0);
	json_str(j, "dtls_compression", cstp_codec_name(p->dtls_codec));
	json_i64(j, "dtls_port", p->dtls_port);
	json_u64(j, "rejected_headers", (uint64_t)p->warnings);
	json_obj_close(j);
}

static void datapath_json(struct ks_json *j, const struct ks_session *s)
{
	char names[64];

	json_obj_open(j, "datapath");
	json_str(j, "tun_offloads", tun_offload_names(&s->tun, names, sizeof(names)));
	json_bool(j, "gro", s->tun.vnet);
	json_u64(j, "coalesce_us", s->ps.shared ? s->ps.shared->coalesce_us : 0);
	json_obj_close(j);
}

/* The gateway's banner, one escaped line per line it has (bounded: 4 KB of it). */
static void banner_text(const char *banner, struct ks_buf *out)
{
	char line[ESC_SHORT_MAX];
	size_t left = banner ? strnlen(banner, 4096) : 0;

	for (const char *at = banner; left;) {
		const char *nl = memchr(at, '\n', left);
		size_t n = nl ? (size_t)(nl - at) : left;

		if (n && at[n - 1] == '\r')
			n--;
		esc_text(line, sizeof(line), at, n);
		buf_printf(out, "%s%s\n", at == banner ? "banner:    " : "           ", line);
		n = nl ? (size_t)(nl - at) + 1 : left;
		at += n;
		left -= n;
	}
}

/* What the worker publishes (privsep.h). */
const char *status_state(const struct ks_session *s)
{
	static const char *const names[] = { "connecting", "connected", "reconnecting" };
	uint32_t st = s->ps.shared ? s->ps.shared->state : 0;

	return names[st < 3 ? st : 0];
}

/* The worker's text, copied whole-bounded: the monitor trusts no byte of that page. */
static const char *shared_text(const char *src, size_t len)
{
	static __thread char copy[64];

	snprintf(copy, sizeof(copy), "%.*s", (int)strnlen(src, len), src);
	return esc(copy);
}

static const char *tls_version(const struct ks_session *s)
{
	const struct ks_shared *sh = s->ps.shared;

	return sh && sh->state == PS_STATE_CONNECTED && sh->tls_version[0] ?
		       shared_text(sh->tls_version, sizeof(sh->tls_version)) : NULL;
}

static const char *tls_cipher(const struct ks_session *s)
{
	return shared_text(s->ps.shared->tls_cipher, sizeof(s->ps.shared->tls_cipher));
}

const char *status_transport(const struct ks_session *s)
{
	const struct ks_shared *sh = s->ps.shared;

	return sh && sh->state == PS_STATE_CONNECTED && sh->transport[0] ?
		       shared_text(sh->transport, sizeof(sh->transport)) : NULL;
}

/* The DTLS link's version and cipher, when it carries data (else false). */
static bool dtls_link(const struct ks_session *s, char *version, size_t vlen, char *cipher,
		      size_t clen)
{
	const struct ks_shared *sh = s->ps.shared;
	const char *t = status_transport(s);

	if (!t || strcmp(t, "dtls"))
		return false;
	snprintf(version, vlen, "%s", shared_text(sh->dtls_version, sizeof(sh->dtls_version)));
	snprintf(cipher, clen, "%s", shared_text(sh->dtls_cipher, sizeof(sh->dtls_cipher)));
	return true;
}

double status_down_ms(const struct ks_session *s)
{
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
	return s->history.down_total_ms + (s->worker_down ? now - s->history.down_since_ms : 0);
}

/* "reconnect": the session's history, kept by the monitor across reconnects. */
static void reconnect_history(struct ks_json *j, const struct ks_session *s)
{
	json_obj_open(j, "reconnect");
	json_u64(j, "count", s->history.count);
	json_bool(j, "down", s->worker_down);
	json_u64(j, "down_ms", (uint64_t)status_down_ms(s));
	json_str(j, "last_cause", s->history.last_cause[0] ? s->history.last_cause : NULL);
	json_i64(j, "last_at", s->history.last_at);
	json_obj_close(j);
}

static void counters(struct ks_json *j, const struct ks_session *s)
{
	static const struct ks_counters none;
	const struct ks_counters *c = s->ps.shared ? &s->ps.shared->c : &none;
	struct ks_tun_stat k[KS_DIR_MAX];
	static const char *const dirs[] = { "to_gateway", "from_gateway" };

	json_obj_open(j, "counters");
	json_u64(j, "tx_packets", c->tx_packets);
	json_u64(j, "tx_bytes", c->tx_bytes);
	json_u64(j, "rx_packets", c->rx_packets);
	json_u64(j, "rx_bytes", c->rx_bytes);
	json_u64(j, "tx_dropped", c->tx_dropped);
	json_u64(j, "rx_dropped", c->rx_dropped);
	json_u64(j, "rx_bad_frames", c->rx_bad_frames);
	json_u64(j, "rx_unknown_frames", c->rx_unknown_frames);
	json_u64(j, "rx_oversized", c->rx_oversized);
	json_u64(j, "tx_compressed", c->tx_compressed);
	json_u64(j, "rx_compressed", c->rx_compressed);
	json_u64(j, "dpd_sent", c->dpd_sent);
	json_u64(j, "dpd_answered", c->dpd_answered);
	json_u64(j, "dpd_received", c->dpd_received);
	json_u64(j, "keepalives_sent", c->keepalives_sent);
	json_u64(j, "tls_writes", c->tls_writes);
	json_u64(j, "socket_sends", c->socket_sends);
	json_u64(j, "socket_recvs", c->socket_recvs);
	json_u64(j, "ring_submits", c->submits);
	json_u64(j, "tun_reads", c->tun_read_cqes);
	json_u64(j, "tun_writes", c->tun_writes);
	json_u64(j, "rekeys", c->rekeys);
	json_i64(j, "last_rekey_at", c->last_rekey_at);
	json_u64(j, "key_updates_received", c->key_updates_received);
	json_u64(j, "tx_super_packets", c->tx_super_packets);
	json_u64(j, "rx_super_packets", c->rx_gro.super_packets);
	json_u64(j, "rx_coalesced", c->rx_gro.coalesced);
	json_u64(j, "rx_bad_checksums", c->rx_gro.bad_checksums);
	json_u64(j, "dtls_tx_packets", c->dtls_tx_packets);
	json_u64(j, "dtls_rx_packets", c->dtls_rx_packets);
	json_u64(j, "dtls_handshakes", c->dtls_handshakes);
	json_u64(j, "dtls_falls", c->dtls_falls);
	json_u64(j, "dtls_failed_attempts", c->dtls_failed_attempts);
	json_u64(j, "dtls_too_big", c->dtls_too_big);
	json_u64(j, "dtls_dpd_sent", c->dtls_dpd_sent);
	json_u64(j, "dtls_dpd_answered", c->dtls_dpd_answered);
	json_u64(j, "dtls_bad_records", c->dtls_bad_records);
	json_u64(j, "udp_sends", c->udp_sends);
	json_u64(j, "udp_gso_sends", c->udp_gso_sends);
	json_u64(j, "udp_send_errors", c->udp_send_errors);
	json_u64(j, "udp_recvs", c->udp_recvs);
	json_u64(j, "udp_gro_recvs", c->udp_gro_recvs);
	json_u64(j, "udp_dropped", c->udp_dropped);
	json_obj_close(j);
	json_obj_open(j, "kernel");
	json_bool(j, "bpf_attached", s->bpf_ok);
	if (s->bpf_ok && !tun_stats_read(&s->bpf, k)) {
		for (int d = 0; d < KS_DIR_MAX; d++) {
			json_obj_open(j, dirs[d]);
			json_u64(j, "packets", k[d].packets);
			json_u64(j, "bytes", k[d].bytes);
			json_u64(j, "ipv4", k[d].ipv4);
			json_u64(j, "ipv6", k[d].ipv6);
			json_u64(j, "malformed", k[d].malformed);
			json_obj_close(j);
		}
	}
	json_str(j, "pin_dir", s->bpf_ok ? s->bpf.pin_dir : NULL);
	json_obj_close(j);
}

static const char *iso_date(time_t t, char *out, size_t len)
{
	struct tm tm;

	if (!t || !gmtime_r(&t, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "?");
	return out;
}

/* The client certificate (-c): who we are to the gateway, and until when. */
static void client_cert_json(struct ks_json *j, const struct ks_session *s)
{
	char date[32];

	if (!s->cert.cert) {
		json_str(j, "client_cert", NULL);
		return;
	}
	json_obj_open(j, "client_cert");
	json_str(j, "subject", s->cert.subject);
	json_str(j, "not_after", iso_date(s->cert.not_after, date, sizeof(date)));
	json_i64(j, "days_left", client_cert_days_left(&s->cert));
	json_str(j, "source", s->cert.where);
	json_u64(j, "signatures", s->cert.signed_count);
	json_obj_close(j);
}

void status_json(const struct ks_session *s, struct ks_buf *out)
{
	const struct ks_shared *sh = s->ps.shared;
	char dver[32], dcipher[80];
	struct ks_json j;

	json_init(&j, out);
	json_obj_open(&j, NULL);
	json_u64(&j, "version", 1);
	json_str(&j, "state", status_state(s));
	json_str(&j, "interface", s->tun.name);
	json_u64(&j, "ifindex", (uint64_t)s->tun.ifindex);
	json_i64(&j, "pid", getpid());
	json_i64(&j, "connected_at", s->connected_at);
	json_i64(&j, "uptime_s", time(NULL) - s->connected_at);
	json_u64(&j, "connect_ms", (uint64_t)s->connect_ms);
	json_u64(&j, "reconnects", sh ? sh->reconnects : 0);
	json_str(&j, "transport", status_transport(s));
	reconnect_history(&j, s);
	json_obj_open(&j, "gateway");
	json_str(&j, "host", s->o->host);
	json_str(&j, "port", s->o->port);
	json_str(&j, "address", s->peer_ip);
	json_str(&j, "user", s->auth.user);
	const char *version = tls_version(s); /* one look at the worker's page */

	json_str(&j, "tls_version", version);
	json_str(&j, "tls_cipher", version ? tls_cipher(s) : NULL);
	bool dtls = dtls_link(s, dver, sizeof(dver), dcipher, sizeof(dcipher));

	json_str(&j, "dtls_version", dtls ? dver : NULL);
	json_str(&j, "dtls_cipher", dtls ? dcipher : NULL);
	json_str(&j, "cert_sha256", s->auth.peer.cert_sha256);
	json_str(&j, "pubkey_sha256", s->auth.peer.pubkey_sha256);
	json_str(&j, "proxy", s->o->proxy.set ? s->o->proxy.shown : NULL);
	json_obj_close(&j);
	client_cert_json(&j, s);
	tunnel_params(&j, &s->params);
	split_report_json(&s->split, &j);
	dns_report_json(&s->split.dns, &j);
	datapath_json(&j, s);
	counters(&j, s);
	json_obj_close(&j);
	buf_putc(out, '\n');
}

void status_text(const struct ks_session *s, struct ks_buf *out)
{
	const struct ks_shared *sh = s->ps.shared;
	const char *version = tls_version(s);
	const struct ks_cstp_params *p = &s->params;
	static const struct ks_counters none;
	const struct ks_counters *c = s->ps.shared ? &s->ps.shared->c : &none;
	char a[INET6_ADDRSTRLEN + 8], names[64], dver[32], dcipher[80], date[32];
	struct ks_tun_stat k[KS_DIR_MAX];

	buf_printf(out, "interface: %s (pid %d), connected %lds ago in %.0f ms\n", s->tun.name,
		   (int)getpid(), (long)(time(NULL) - s->connected_at), s->connect_ms);
	buf_printf(out, "gateway:   %s:%s (%s) user %s, %s %s\n", s->o->host, s->o->port,
		   s->peer_ip, s->auth.user ? esc(s->auth.user) : "-",
		   version ? version : status_state(s), version ? tls_cipher(s) : "");
	buf_printf(out, "cert:      %s\n", s->auth.peer.pubkey_sha256);
	if (s->o->proxy.set)
		buf_printf(out, "proxy:     %s\n", s->o->proxy.shown);
	if (s->cert.cert)
		buf_printf(out, "client:    %s, expires %s (%ld days)\n", esc(s->cert.subject),
			   iso_date(s->cert.not_after, date, sizeof(date)),
			   client_cert_days_left(&s->cert));
	if (dtls_link(s, dver, sizeof(dver), dcipher, sizeof(dcipher)))
		buf_printf(out, "transport: dtls (%s %s), %llu packets out, %llu in\n", dver,
			   dcipher, (unsigned long long)c->dtls_tx_packets,
			   (unsigned long long)c->dtls_rx_packets);
	else if (status_transport(s))
		buf_printf(out, "transport: tls%s\n",
			   c->dtls_handshakes || c->dtls_failed_attempts ?
				   " (DTLS down: trying again)" : "");
	if (s->history.count || s->worker_down)
		buf_printf(out, "reconnects: %u, down %.1f s in all%s; last cause: %s\n",
			   s->history.count, status_down_ms(s) / 1000.0,
			   s->worker_down ? " (down now)" : "",
			   s->history.last_cause[0] ? esc(s->history.last_cause) : "-");
	if (p->have4)
		buf_printf(out, "address:   %s\n", inet_ntop(AF_INET, &p->addr4, a, sizeof(a)));
	if (p->have6)
		buf_printf(out, "address6:  %s\n", inet_ntop(AF_INET6, &p->addr6, a, sizeof(a)));
	buf_printf(out, "mtu:       %d  dpd %ds  keepalive %ds  compression %s\n", p->mtu, p->dpd,
		   p->keepalive, cstp_codec_name(p->codec));
	for (int i = 0; i < p->ndns; i++)
		buf_printf(out, "dns:       %s\n",
			   inet_ntop(p->dns[i].family, p->dns[i].addr, a, sizeof(a)));
	if (p->default_domain)
		buf_printf(out, "domain:    %s\n", esc(p->default_domain));
	for (size_t i = 0; i < p->n_split_dns; i++)
		buf_printf(out, "split-dns: %s\n", esc(p->split_dns[i]));
	split_report_text(&s->split, out);
	if (s->split.started)
		dns_report_text(&s->split.dns, out);
	buf_printf(out, "sent:      %llu packets, %llu bytes (%llu dropped)\n",
		   (unsigned long long)c->tx_packets, (unsigned long long)c->tx_bytes,
		   (unsigned long long)c->tx_dropped);
	buf_printf(out, "received:  %llu packets, %llu bytes (%llu dropped, %llu bad)\n",
		   (unsigned long long)c->rx_packets, (unsigned long long)c->rx_bytes,
		   (unsigned long long)c->rx_dropped, (unsigned long long)c->rx_bad_frames);
	buf_printf(out, "datapath:  offloads %s, gro %s, coalesce %u us; %llu super-packets out, %llu in (%llu packets)\n",
		   s->tun.vnet ? tun_offload_names(&s->tun, names, sizeof(names)) : "none",
		   s->tun.vnet ? "on" : "off", sh ? sh->coalesce_us : 0,
		   (unsigned long long)c->tx_super_packets, (unsigned long long)c->rx_gro.super_packets,
		   (unsigned long long)c->rx_gro.coalesced);
	buf_printf(out, "dpd:       %llu sent, %llu answered, %llu received\n",
		   (unsigned long long)c->dpd_sent, (unsigned long long)c->dpd_answered,
		   (unsigned long long)c->dpd_received);
	if (p->rekey_time > 0 && p->rekey_method[0])
		buf_printf(out, "rekey:     %s every %d s, %llu done\n", esc(p->rekey_method),
			   p->rekey_time, (unsigned long long)c->rekeys);
	if (s->bpf_ok && !tun_stats_read(&s->bpf, k))
		buf_printf(out, "kernel:    %llu packets out, %llu in (bpf, %s)\n",
			   (unsigned long long)k[KS_DIR_TO_GATEWAY].packets,
			   (unsigned long long)k[KS_DIR_FROM_GATEWAY].packets, s->bpf.pin_dir);
	banner_text(p->banner, out);
}
