// SPDX-License-Identifier: GPL-2.0-only
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ctl.h"
#include "exitcodes.h"
#include "generated/config.h"
#include "esc.h"
#include "log.h"
#include "residue.h"
#include "session.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* What a user needs to pin the certificate they were shown, openconnect style. */
static void print_cert_refusal(const struct ks_session *s, const char *why)
{
	const struct ks_tls_peer *p = &s->auth.peer;

	fprintf(stderr, "kslice: %s\n", why);
	if (!p->cert_sha256[0])
		return;
	fprintf(stderr, "  gateway %s presented: %s\n", s->o->host, esc(p->subject));
	if (p->verify_error[0])
		fprintf(stderr, "  CA check: %s\n", p->verify_error);
	fprintf(stderr, "  certificate: %s\n  public key:  %s\n", p->cert_sha256, p->pubkey_sha256);
	fprintf(stderr, "To trust this certificate, add:\n    --servercert %s\n", p->pubkey_sha256);
	ks_err("tls", "event=cert_rejected gateway=%s cert=%s pin=%s", s->o->host, p->cert_sha256,
	       p->pubkey_sha256);
}

static int exit_for(int err)
{
	switch (err) {
	case -EKEYREJECTED:
		return KS_EXIT_CERT;
	case -EACCES:
	case -ENOKEY:
		return KS_EXIT_AUTH;
	case -EPROTO:
	case -EBADMSG:
	case -EMSGSIZE:
	case -EPROTONOSUPPORT:
		return KS_EXIT_PROTOCOL;
	case -ECONNREFUSED:
	case -ECONNRESET:
	case -EHOSTUNREACH:
	case -ENETUNREACH:
	case -ETIMEDOUT:
	case -EIO:
	case -EPIPE:
		return KS_EXIT_NETWORK;
	case -EINVAL:
		return KS_EXIT_USAGE;
	default:
		return KS_EXIT_ERROR;
	}
}

static int write_pid_file(const char *path)
{
	char line[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());

	if (fd < 0)
		return -errno;
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

/* Forks; the parent waits for the child's "tunnel is up" byte and exits with its verdict. */
static int daemonize(int *ready_fd)
{
	int pipefd[2], status;
	pid_t pid;
	char c;

	if (pipe2(pipefd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid > 0) {
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) == 1)
			_exit(KS_EXIT_OK);
		/* The child died before the loop ran: report its exit code. */
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : KS_EXIT_ERROR);
		_exit(KS_EXIT_ERROR);
	}
	close(pipefd[0]);
	setsid();
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!isatty(2))
			dup2(null, 2); /* keep stderr for logs only if someone may read it */
		close(null);
	}
	*ready_fd = pipefd[1];
	return 0;
}

/* Waits up to `ms` for SIGINT/SIGTERM/SIGHUP (blocked since the tunnel ran). */
static bool stop_requested(int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000 };
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	return sigtimedwait(&mask, NULL, &ts) > 0;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The pause between reconnect attempts: `kslice status`, `route`, `domain` and
 * `disconnect` are still answered, the once-a-second tick still runs (uplink hotplug, DNS
 * expiry). True when a signal or a disconnect request says stop. */
static bool pause_serving(struct ks_session *s, int ms)
{
	int64_t end = mono_ms() + ms, next_tick = mono_ms() + 1000, now;

	while ((now = mono_ms()) < end) {
		struct pollfd p = { .fd = s->ctl ? ctl_server_fd(s->ctl) : -1, .events = POLLIN };
		int wait = (int)(end - now < 200 ? end - now : 200);

		if (stop_requested(0) || s->stop_requested)
			return true;
		if (s->ctl && poll(&p, 1, wait) > 0 && (p.revents & POLLIN))
			ctl_server_run(s->ctl);
		else if (!s->ctl && stop_requested(wait))
			return true;
		if (mono_ms() >= next_tick) {
			session_on_tick(s);
			if (s->ctl)
				ctl_server_run(s->ctl); /* deadlines of slow clients */
			next_tick += 1000;
		}
	}
	return stop_requested(0) || s->stop_requested;
}

/* A lost connection (not a goodbye from the gateway): CONNECT again with the cookie, the
 * TUN device and the BPF state kept, so applications see a pause. Backoff 0.25 s doubling
 * to 16 s: the first retry often meets a gateway still tidying up the old session. */
static int reconnect(struct ks_session *s, struct ks_error *e)
{
	time_t deadline = time(NULL) + s->o->reconnect_timeout_s;
	int wait_ms = 250, err = -ETIMEDOUT;

	for (int attempt = 1; time(NULL) < deadline; attempt++) {
		ks_warn("tunnel", "event=reconnecting attempt=%d", attempt);
		err = session_reconnect(s, e);
		if (!err) {
			ks_info("tunnel", "event=reconnected attempt=%d reconnects=%u", attempt,
				s->reconnects);
			return 0;
		}
		ks_warn("tunnel", "event=reconnect_failed attempt=%d reason=\"%s\"", attempt, esc(e->msg));
		if (err == -EACCES || err == -EADDRNOTAVAIL || err == -EKEYREJECTED)
			return err;
		if (pause_serving(s, wait_ms))
			return -EINTR;
		wait_ms = wait_ms < 16000 ? wait_ms * 2 : 16000;
	}
	return ks_fail(e, err, "reconnect: gave up after %d s: %s", s->o->reconnect_timeout_s,
		       e->msg);
}

static int run_tunnel(struct ks_session *s, int ready_fd, struct ks_error *e)
{
	struct ks_tunnel_cfg cfg = {
		.tun = &s->tun,
		.params = &s->params,
		.early = &s->early,
		.ctl = s->ctl,
		.on_tick = session_on_tick,
		.tick_ctx = s,
		.ready_fd = ready_fd,
		.coalesce_us = s->o->coalesce_us,
	};
	enum ks_tunnel_end end;
	int err;

	for (;;) {
		cfg.ssl = s->ssl;
		cfg.tls_fd = s->fd;
		s->tunnel = tunnel_new(&cfg, e);
		if (!s->tunnel)
			return KS_EXIT_ERROR;
		cfg.ready_fd = -1; /* the parent heard "up" once */
		end = tunnel_run(s->tunnel);
		ks_info("tunnel", "event=ended cause=%s reason=\"%s\" uptime_s=%ld",
			tunnel_end_name(end), esc(tunnel_end_reason(s->tunnel)),
			(long)(time(NULL) - s->connected_at));
		if ((end != KS_END_CLOSED && end != KS_END_DPD) || !s->o->reconnect_timeout_s)
			break;
		tunnel_free(s->tunnel);
		s->tunnel = NULL;
		split_set_state(&s->split, false); /* fail closed while there is no tunnel */
		err = reconnect(s, e);
		if (!err)
			split_set_state(&s->split, true);
		if (err == -EINTR)
			return KS_EXIT_OK;
		if (err) {
			fprintf(stderr, "kslice: session lost: %s\n", e->msg);
			return KS_EXIT_GATEWAY;
		}
	}
	switch (end) {
	case KS_END_LOCAL:
		return KS_EXIT_OK;
	case KS_END_GATEWAY_DISCONNECT:
	case KS_END_GATEWAY_TERMINATE:
	case KS_END_CLOSED:
	case KS_END_DPD:
		fprintf(stderr, "kslice: session ended by the gateway: %s\n",
			tunnel_end_reason(s->tunnel));
		return KS_EXIT_GATEWAY;
	case KS_END_PROTOCOL:
		return KS_EXIT_PROTOCOL;
	default:
		return KS_EXIT_ERROR;
	}
}

/* What a SIGKILLed predecessor on this interface left on purpose (DESIGN.md: the uplink
 * kill switch, the fixed rules, pinned maps) is taken over and cleared before we start. */
static int reconcile(const struct ks_connect_opts *o, struct ks_error *e)
{
	struct ks_residue r;
	int err = residue_scan(o->ifname, o->table, o->rule_pref, &r);

	if (err)
		return ks_fail(e, err, "cleanup: cannot inspect what a previous kslice left: %s",
			       strerror(-err));
	if (!residue_any(&r))
		return 0;
	if (r.other_instances)
		return ks_fail(e, -EBUSY,
			       "another kslice in this namespace uses rule preference %u / table %u; "
			       "give this one its own --rule-pref, --table and --mark",
			       o->rule_pref, o->table);
	residue_clear(o->ifname, o->table, o->rule_pref);
	ks_warn("main", "event=reconciled interface=%s pins=%d rules=%d uplink_filters=%d (%s)",
		o->ifname, r.pins, r.rules, r.uplink_filters, r.uplink_names);
	return 0;
}

static int bring_up(struct ks_session *s, struct ks_error *e)
{
	sigset_t stop;
	char a[64];
	int err;

	/* From here on kslice changes the system (address, pins, hooks, rules): a signal must
	 * wait for the loop, which undoes it all, rather than end us half way. An inherited
	 * SIG_IGN (shell background jobs) would otherwise drop SIGINT before the loop blocks it. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);

	err = tun_configure(&s->tun, &s->params, e);
	if (err)
		return err;
	err = preload_wait(&s->preload, e);
	if (err)
		return err;
	err = pin_dir_open(&s->pins, s->tun.name, e);
	if (err)
		return err;
	err = split_start(&s->split, &(struct ks_split_setup){
			.preload = &s->preload.pl,
			.wait_l3 = preload_take_l3,
			.wait_l3_ctx = &s->preload,
			.pin_dir = s->pins.path,
			.tun_name = s->tun.name,
			.tun_ifindex = s->tun.ifindex,
			.params = &s->params,
			.user_include = s->o->include,
			.user_exclude = s->o->exclude,
			.n_user_include = s->o->n_include,
			.n_user_exclude = s->o->n_exclude,
			.gateway_ip = s->peer_ip,
			.mark = s->o->mark,
			.table = s->o->table,
			.pref = s->o->rule_pref,
			.split_only = s->o->split_only,
			.no_local_exclude = s->o->no_lan,
			.dns = { .mode = s->o->dns_mode, .ttl_max_s = s->o->dns_ttl_max,
				 .grace_s = s->o->dns_grace, .domains = s->o->domains,
				 .n_domains = s->o->n_domains },
		}, e);
	if (err)
		return err;
	err = stats_bpf_attach(&s->bpf, s->pins.path, s->tun.name, s->tun.ifindex, e);
	if (err) {
		/* Counting is a nicety; the tunnel works without it. */
		ks_warn("bpf", "event=attach_failed reason=\"%s\"", esc(e->msg));
		stats_bpf_detach(&s->bpf);
		e->msg[0] = 0;
	} else {
		s->bpf_ok = true;
	}
	s->connected_at = time(NULL);
	ks_info("tunnel", "event=up interface=%s address=%s mtu=%d gateway=%s dns=%d includes=%zu",
		s->tun.name, s->params.have4 ? inet_ntop(AF_INET, &s->params.addr4, a, sizeof(a)) : "-",
		s->params.mtu, s->peer_ip, s->params.ndns, s->params.n_include);
	return 0;
}

int cmd_connect(int argc, char **argv)
{
	struct ks_connect_opts o;
	struct ks_session s = { .o = &o, .fd = -1, .ctl_fd = -1, .tun = { .fd = -1 } };
	struct ks_error e = { 0 };
	double t0 = now_ms();
	int err, rc, ready_fd = -1;

	err = opts_parse_connect(&o, argc, argv, &e);
	if (err == -EAGAIN)
		return KS_EXIT_OK;
	if (err) {
		fprintf(stderr, "kslice: %s\n", e.msg);
		opts_free(&o);
		return KS_EXIT_USAGE;
	}
	log_setup(o.verbosity, o.syslog);
	preload_start(&s.preload, CONFIG_SPLIT_MAX_PREFIXES); /* nothing pinned or attached yet */
	/* Claim the interface first: a second instance must fail before it logs in. */
	s.ctl_fd = ctl_listen(o.ifname, s.ctl_path, sizeof(s.ctl_path), &e);
	if (s.ctl_fd < 0) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	s.ctl = ctl_server_new(s.ctl_fd, session_on_request, &s);
	if (!s.ctl) {
		ks_fail(&e, -errno, "control: %m");
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	err = reconcile(&o, &e);
	if (err) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	err = tun_open(&s.tun, o.ifname, !o.no_offload, &e);
	if (err) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	err = session_establish(&s, &e);
	if (err == -EKEYREJECTED) {
		print_cert_refusal(&s, e.msg);
		rc = KS_EXIT_CERT;
		goto out;
	}
	if (!err)
		err = bring_up(&s, &e);
	if (err) {
		rc = exit_for(err);
		goto out_msg;
	}
	s.connect_ms = now_ms() - t0;
	if (o.background && daemonize(&ready_fd)) {
		rc = KS_EXIT_ERROR;
		goto out;
	}
	if (o.pid_file && write_pid_file(o.pid_file))
		ks_warn("main", "event=pid_file_failed path=%s", o.pid_file);
	rc = run_tunnel(&s, ready_fd, &e);
	if (rc == KS_EXIT_ERROR && e.msg[0])
		ks_err("main", "event=failed reason=\"%s\"", esc(e.msg));
	session_close(&s);
	if (o.pid_file)
		unlink(o.pid_file); /* last: scripts read "file gone" as "kslice gone" */
	goto out;
out_msg:
	fprintf(stderr, "kslice: %s\n", e.msg);
	ks_err("main", "event=connect_failed exit=%d reason=\"%s\"", rc, esc(e.msg));
out:
	session_close(&s);
	opts_free(&o);
	return rc;
}
