// SPDX-License-Identifier: GPL-2.0-only
/* `kslice connect`: the monitor (privsep.h). It sets the system up from what the worker
 * reports, serves the control socket, keeps the split state in step with the tunnel and
 * undoes everything at the end; the worker talks to the gateway. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "ctl.h"
#include "dtls_record.h"
#include "env.h"
#include "esc.h"
#include "exitcodes.h"
#include "generated/config.h"
#include "log.h"
#include "metrics.h"
#include "residue.h"
#include "secret.h"
#include "session.h"
#include "totp.h"
#include "worker.h"
#include "monitor.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Never through a symlink, never into someone else's file or a hard link to one (the
 * directory may be /tmp): checked on the open file before it is truncated. */
static int write_pid_file(const char *path)
{
	char line[32];
	int fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0644);
	int n = snprintf(line, sizeof(line), "%d\n", (int)getpid());
	struct stat st;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_nlink != 1 || st.st_uid != geteuid()) {
		close(fd);
		return -EPERM;
	}
	if (ftruncate(fd, 0) || write(fd, line, (size_t)n) != n) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

/* What a SIGKILLed predecessor on this interface left on purpose (docs/design.md, "What
 * survives a crash": the uplink kill switch, the fixed rules, pinned maps) stays in force
 * while we log in: our own filters replace its filters in place (same handle), and only
 * then does the rest go (split_start). If we fail first, it is still there. */
static int reconcile(struct ks_session *s, struct ks_error *e)
{
	const struct ks_connect_opts *o = s->o;
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
	s->residue_kept = true;
	ks_warn("main", "event=takeover interface=%s pins=%d rules=%d uplink_filters=%d (%s) "
		"kept until this session's filters replace them",
		o->ifname, r.pins, r.rules, r.uplink_filters, esc(r.uplink_names));
	return 0;
}

/* --kill-switch: at the end of a session that was up, whether its kill switch stays. */
static bool keep_kill_switch(const struct ks_session *s)
{
	if (!s->split.started)
		return false;
	switch (s->o->kill_switch) {
	case KS_KILL_SWITCH_ALWAYS:
		return true;
	case KS_KILL_SWITCH_ON_FAILURE:
		return !s->user_stop;
	default:
		return false;
	}
}

static void keep_closed(struct ks_session *s, int rc)
{
	const char *name = s->o->ifname;

	split_keep_closed(&s->split);
	fprintf(stderr, "kslice: the kill switch stays in force (--kill-switch %s): corporate "
			"destinations are blocked until `kslice disconnect -i %s`, `kslice cleanup "
			"-i %s` or a new connect.\n",
		s->o->kill_switch == KS_KILL_SWITCH_ALWAYS ? "always" : "on-failure", name, name);
	ks_warn("main", "event=kill_switch_kept interface=%s exit=%d", name, rc);
}

/* After a failed connect: what the predecessor left still blocks corporate traffic. */
static void say_residue_kept(const struct ks_session *s)
{
	if (!s->residue_kept)
		return;
	fprintf(stderr, "kslice: the kill switch a previous kslice left on %s stays in force: "
			"corporate destinations remain blocked. `kslice cleanup -i %s` removes it.\n",
		s->o->ifname, s->o->ifname);
	ks_warn("main", "event=residue_kept interface=%s", s->o->ifname);
}

static int bring_up(struct ks_session *s, struct ks_error *e)
{
	char a[64];
	int err;

	err = tun_configure(&s->tun, &s->params, e);
	if (err)
		return err;
	err = preload_wait(&s->preload, e);
	if (err)
		return err;
	/* A predecessor's pins: its filters hold its maps, so they keep working unpinned. */
	if (s->residue_kept)
		pin_dir_clear(s->tun.name);
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
			.mark = s->o->mark,
			.table = s->o->table,
			.pref = s->o->rule_pref,
			.split_only = s->o->split_only,
			.allow_lan = s->o->allow_lan,
			.keep_on_failure = s->residue_kept,
			.forward_from = s->o->forward_from,
			.n_forward_from = s->o->n_forward_from,
			.no_forward = s->o->no_forward,
			.gateway_ip = s->peer_ip,
			.dns = { .mode = s->o->dns_mode, .ttl_max_s = s->o->dns_ttl_max,
				 .grace_s = s->o->dns_grace, .domains = s->o->domains,
				 .n_domains = s->o->n_domains },
		}, e);
	if (err)
		return err;
	s->residue_kept = false; /* ours stands in its place now */
	err = tun_stats_attach(&s->bpf, s->pins.path, s->tun.name, s->tun.ifindex, e);
	if (err) {
		/* Counting is a nicety; the tunnel works without it. */
		ks_warn("bpf", "event=attach_failed reason=\"%s\"", esc(e->msg));
		tun_stats_detach(&s->bpf);
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

static bool is_address(const char *s)
{
	struct in6_addr a;

	return inet_pton(AF_INET, s, &a) == 1 || inet_pton(AF_INET6, s, &a) == 1;
}

/* A fingerprint as --servercert takes it (or empty: no certificate seen). */
static bool is_fingerprint(const char *s)
{
	struct ks_pin pin;

	return !*s || !tls_parse_pin(&pin, s, NULL);
}

/* The CONNECT answer as the worker passed it on: the monitor reads the X-CSTP-* headers
 * itself (the same bounded parser), so what it configures is what it checked. */
/* The fixed part of an UP message, checked like the gateway's words (the worker may be
 * subverted): its length, and the peer's address and fingerprints. */
static int take_up(const uint8_t *msg, size_t n, struct ks_ps_up *up, struct ks_error *e)
{
	if (n < sizeof(*up))
		return ks_fail(e, -EPROTO, "privsep: short UP message");
	memcpy(up, msg, sizeof(*up));
	if (up->head_len != n - sizeof(*up) || !up->head_len)
		return ks_fail(e, -EPROTO, "privsep: UP message of %zu bytes says head %u", n,
			       up->head_len);
	up->peer_ip[sizeof(up->peer_ip) - 1] = 0;
	up->local_ip[sizeof(up->local_ip) - 1] = 0;
	up->peer.cert_sha256[sizeof(up->peer.cert_sha256) - 1] = 0;
	up->peer.pubkey_sha256[sizeof(up->peer.pubkey_sha256) - 1] = 0;
	if (!is_address(up->peer_ip) || !is_address(up->local_ip) ||
	    !is_fingerprint(up->peer.cert_sha256) ||
	    !is_fingerprint(up->peer.pubkey_sha256))
		return ks_fail(e, -EPROTO, "privsep: the worker's UP message is malformed");
	return 0;
}

static int take_params(struct ks_session *s, const uint8_t *msg, size_t n, struct ks_error *e)
{
	struct ks_ps_up up;
	struct ks_http_resp resp;
	size_t head_len = 0;
	int err;

	err = take_up(msg, n, &up, e);
	if (err)
		return err;
	memset(&s->auth.peer, 0, sizeof(s->auth.peer)); /* subject and CA text: not needed */
	snprintf(s->auth.peer.cert_sha256, sizeof(s->auth.peer.cert_sha256), "%s",
		 up.peer.cert_sha256);
	snprintf(s->auth.peer.pubkey_sha256, sizeof(s->auth.peer.pubkey_sha256), "%s",
		 up.peer.pubkey_sha256);
	snprintf(s->peer_ip, sizeof(s->peer_ip), "%s", up.peer_ip);
	pathwatch_follow(&s->path, up.local_ip, up.peer_ip); /* the tunnel's path */
	err = http_parse_head((const char *)msg + sizeof(up), up.head_len, &resp, &head_len, e);
	if (err)
		return err;
	cstp_params_free(&s->params);
	memset(&s->params, 0, sizeof(s->params));
	log_quiet(true); /* the worker logged what it rejected */
	err = cstp_parse_response(&resp, &s->params, e);
	log_quiet(false);
	http_resp_free(&resp);
	return err;
}

/* --background: the launcher (the process the shell started) waits on ready_fd and exits
 * 0 when a byte arrives, or with our exit code if we end first. Forked before anything
 * else, so no thread is lost and the worker stays our child. */
static int launch_background(struct ks_connect_opts *o, int *ready_fd)
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
		/* The launcher only waits: no secret of the session stays with it. */
		totp_wipe(&o->totp);
		opts_wipe_passwd(o);
		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) == 1)
			_exit(KS_EXIT_OK);
		if (waitpid(pid, &status, 0) == pid && WIFEXITED(status))
			_exit(WEXITSTATUS(status) ? WEXITSTATUS(status) : KS_EXIT_ERROR);
		_exit(KS_EXIT_ERROR);
	}
	close(pipefd[0]);
	*ready_fd = pipefd[1];
	return 0;
}

/* The data path runs: the launcher's shell gets its prompt back, we leave its terminal. */
static void detach(struct ks_session *s)
{
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	(void)!write(s->ready_fd, "1", 1);
	close(s->ready_fd);
	s->ready_fd = -1;
	setsid();
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		if (!isatty(2))
			dup2(null, 2); /* keep stderr for logs only if someone may read it */
		close(null);
	}
	privsep_send_type(s->ps.fd, PS_DETACH);
}

static int signal_fd(void)
{
	sigset_t stop;

	/* From here on a signal is a request to the loop, which undoes it all, rather than
	 * an end half way. An inherited SIG_IGN (shell background jobs) would otherwise drop
	 * SIGINT before it is blocked. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGHUP);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	return signalfd(-1, &stop, SFD_CLOEXEC);
}

#define KS_REKEY_SOCKETS 4 /* a name with a few addresses, tried in turn */

/* A rekey the gateway asked for (X-CSTP-Rekey-*), and not sooner than half its period
 * after the last connection came up. */
static bool rekey_expected(const struct ks_session *s)
{
	const struct ks_cstp_params *p = &s->params;

	return p->rekey_time > 0 && (!strcmp(p->rekey_method, "ssl") ||
				     !strcmp(p->rekey_method, "new-tunnel")) &&
	       now_ms() >= s->rekey_allowed_ms;
}

/* DTLS sockets while the tunnel is up: one a second at most (the channel asks for one per
 * attempt, and waits seconds between attempts). */
#define KS_UDP_SOCKET_INTERVAL_MS 1000

/* Whether the worker may have this socket now: 0, -EPROTO (out of turn: a subverted
 * worker), or -EAGAIN (not now: told so). TCP only while it connects: logging in,
 * reconnecting, or a new tunnel for a rekey (a few: no stream of sockets that pass the
 * split programs while status says up). UDP when the gateway offered DTLS, at a bounded
 * rate. */
static int socket_allowed(struct ks_session *s, const struct ks_ps_socket *req)
{
	bool connecting = !s->split.started || s->worker_down || s->worker_rekeying;

	if (req->family != AF_INET && req->family != AF_INET6)
		return -EPROTO;
	if (req->sotype == SOCK_DGRAM) {
		if (!s->params.dtls_port)
			return -EPROTO;
		if (now_ms() - s->last_udp_socket_ms < KS_UDP_SOCKET_INTERVAL_MS)
			return -EAGAIN;
		s->last_udp_socket_ms = now_ms();
		return 0;
	}
	if (req->sotype != SOCK_STREAM || !connecting)
		return -EPROTO;
	return !s->worker_rekeying || ++s->rekey_sockets <= KS_REKEY_SOCKETS ? 0 : -EPROTO;
}

/* The worker wants a socket to the gateway: ours to make, marked as kslice's own so that
 * the split programs leave it alone whatever the gateway's address (split.h). */
static int give_socket(struct ks_session *s, const uint8_t *msg, size_t n)
{
	struct ks_ps_socket req, ans = { .type = PS_SOCKET };
	uint32_t mark = split_own_mark(s->o->mark);
	int fd, err;

	if (n != sizeof(req))
		return -EPROTO;
	memcpy(&req, msg, sizeof(req));
	ans.err = socket_allowed(s, &req);
	if (ans.err == -EPROTO)
		return -EPROTO;
	ans.family = req.family;
	ans.sotype = req.sotype;
	fd = ans.err ? -1
		     : socket(req.family, req.sotype | SOCK_NONBLOCK | SOCK_CLOEXEC,
			      req.sotype == SOCK_DGRAM ? IPPROTO_UDP : IPPROTO_TCP);
	if (!ans.err && (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark))))
		ans.err = -errno;
	if (ans.err && fd >= 0) {
		close(fd);
		fd = -1;
	}
	/* Never block on a worker that asks without reading the answers. */
	err = privsep_send_fd(s->ps.fd, &ans, sizeof(ans), fd, MSG_DONTWAIT);
	if (!err && fd >= 0 && req.sotype == SOCK_STREAM)
		s->cert.budget = 1; /* its handshake may sign once with the client certificate */
	if (fd >= 0)
		close(fd);
	return err;
}

/* The worker's messages; returns 1 when it ended (its code in *rc), 0 to go on. */
int monitor_on_worker(struct ks_session *s, uint8_t *msg, double t0, int *rc)
{
	struct ks_error e = { 0 };
	ssize_t n = privsep_recv(s->ps.fd, msg, PS_MAX_MSG);
	struct ks_ps_end end;
	uint32_t type;
	int err;

	if (n < 4) {
		if (!s->stop_sent) { /* not our stop that ended it */
			ks_err("main", "event=worker_died");
			*rc = KS_EXIT_ERROR;
		}
		return 1;
	}
	memcpy(&type, msg, 4);
	/* --authenticate: the worker only logs in. */
	if (s->login_only && type != PS_SOCKET && type != PS_SIGN && type != PS_END &&
	    type != PS_LISTEN && type != PS_BROWSE)
		goto violation;
	switch (type) {
	case PS_LISTEN:
	case PS_BROWSE:
		if (monitor_sso(s, type, msg, (size_t)n))
			goto violation;
		return 0;
	case PS_UP:
		if (s->split.started && (s->worker_down || s->worker_rekeying)) {
			/* A reconnect or a rekey's new tunnel: the worker checked address and
			 * MTU; the gateway's address may be another (a name that resolves
			 * elsewhere now). */
			struct ks_ps_up up;

			if (take_up(msg, (size_t)n, &up, &e))
				goto violation;
			snprintf(s->peer_ip, sizeof(s->peer_ip), "%s", up.peer_ip);
			pathwatch_follow(&s->path, up.local_ip, up.peer_ip);
			s->worker_rekeying = false;
			s->rekey_allowed_ms = now_ms() + s->params.rekey_time * 500.0;
			if (!s->worker_down)
				return 0; /* a rekey: there was no outage */
			s->worker_down = false;
			notify_send(&s->notify, "STATUS=connected to %s (reconnected %u times)",
				    s->o->host, s->history.count + 1);
			s->history.count++;
			s->history.last_at = time(NULL);
			s->history.down_total_ms += now_ms() - s->history.down_since_ms;
			split_set_state(&s->split, true);
			return 0;
		}
		if (s->split.started || s->stop_requested)
			goto violation;
		err = take_params(s, msg, (size_t)n, &e);
		if (!err)
			err = bring_up(s, &e);
		if (err) {
			fprintf(stderr, "kslice: %s\n", e.msg);
			ks_err("main", "event=connect_failed reason=\"%s\"", esc(e.msg));
			privsep_send_text(s->ps.fd, PS_STOP, "Client could not set up the tunnel");
			*rc = worker_exit_for(err);
			s->stop_requested = true; /* wait for the worker's END, keep our code */
			return 0;
		}
		s->rekey_allowed_ms = now_ms() + s->params.rekey_time * 500.0;
		privsep_send_type(s->ps.fd, PS_GO);
		return 0;
	case PS_READY:
		if (!s->split.started || s->worker_down)
			goto violation; /* only once the system is set up (after GO) */
		if (!s->connect_ms) {
			s->connect_ms = now_ms() - t0;
			notify_send(&s->notify, "READY=1\nSTATUS=connected to %s", s->o->host);
			if (s->ready_fd >= 0)
				detach(s);
			if (s->o->pid_file && (err = write_pid_file(s->o->pid_file)))
				ks_warn("main", "event=pid_file_failed path=\"%s\" reason=\"%s\"",
					esc(s->o->pid_file),
					err == -EPERM ? "not a plain file of ours (symlink, hard link, "
							"other owner)" : strerror(-err));
		}
		return 0;
	case PS_REKEY:
		if (!s->split.started || s->worker_down || s->worker_rekeying ||
		    !rekey_expected(s))
			goto violation;
		s->worker_rekeying = true;
		s->rekey_sockets = 0;
		return 0;
	case PS_DOWN:
		if (!s->split.started || s->worker_down)
			goto violation;
		s->worker_down = true;
		s->worker_rekeying = false;
		msg[n < PS_MAX_MSG ? n : PS_MAX_MSG - 1] = 0;
		snprintf(s->history.last_cause, sizeof(s->history.last_cause), "%s",
			 n > 4 ? (const char *)msg + 4 : "");
		s->history.down_since_ms = now_ms();
		split_set_state(&s->split, false); /* fail closed while there is no tunnel */
		notify_send(&s->notify, "STATUS=reconnecting to %s: %s", s->o->host,
			    esc(s->history.last_cause));
		return 0;
	case PS_SOCKET:
		if (give_socket(s, msg, (size_t)n))
			goto violation;
		return 0;
	case PS_SIGN: {
		struct ks_ps_sign ans;

		if (!s->cert.key)
			goto violation;
		client_cert_sign(&s->cert, msg, (size_t)n, &ans);
		/* A worker of ours asks once per connection, for a handshake's signature; only
		 * a subverted one asks more or for something else. A key that failed (-EIO: a
		 * token pulled out) is answered. */
		if (ans.err && ans.err != -EIO)
			goto violation;
		privsep_send_fd(s->ps.fd, &ans, offsetof(struct ks_ps_sign, data) + ans.len, -1,
				MSG_DONTWAIT);
		return 0;
	}
	case PS_END:
		if ((size_t)n < sizeof(end)) {
			*rc = KS_EXIT_ERROR;
			return 1;
		}
		memcpy(&end, msg, sizeof(end));
		if (!s->stop_requested || *rc == KS_EXIT_OK)
			*rc = end.exit_code >= 0 && end.exit_code < 128 ? end.exit_code : KS_EXIT_ERROR;
		return 1;
	default:
		goto violation;
	}
violation:
	/* Out of turn: a subverted worker. It goes; the session ends, closed. */
	ks_err("main", "event=worker_violation message=%u", type);
	kill(-s->ps.worker, SIGKILL);
	*rc = KS_EXIT_ERROR;
	return 1;
}

static void stop_worker(struct ks_session *s, const char *why)
{
	notify_send(&s->notify, "STOPPING=1\nSTATUS=disconnecting: %s", why);
	s->stop_sent = true;
	privsep_send_text(s->ps.fd, PS_STOP, why);
	/* Logging in, it reads no messages: the signal ends it (its data path takes the same
	 * signal as a request to say goodbye to the gateway). */
	if (!s->split.started)
		kill(s->ps.worker, SIGTERM);
}

/* The worker and anything it started (its process group) are gone when this returns:
 * nothing of the session may outlive the cleanup. */
static void reap_worker(struct ks_session *s)
{
	int status;

	for (int i = 0; i < 20; i++) { /* it normally exits right after END */
		if (waitpid(s->ps.worker, &status, WNOHANG) == s->ps.worker)
			break;
		if (i == 19) {
			ks_warn("main", "event=worker_killed reason=\"did not exit\"");
			kill(-s->ps.worker, SIGKILL);
			waitpid(s->ps.worker, &status, 0);
			break;
		}
		nanosleep(&(struct timespec){ .tv_nsec = 100 * 1000 * 1000 }, NULL);
	}
	kill(-s->ps.worker, SIGKILL); /* whatever is left in its process group */
}

/* The path of the worker's connection broke or changed (why), or, while it reconnects,
 * anything in the network changed (any): it tries again at once. */
static void path_changed(struct ks_session *s, const char *why, bool any)
{
	/* A rekey's new connection takes the path as it is now (PS_UP says which). */
	if (s->stop_sent || !s->split.started || s->worker_rekeying)
		return;
	if (s->worker_down && any) {
		/* A burst of events (a link going down flushes many routes): one retry now,
		 * and one more when the burst is 500 ms old, for what came after the first
		 * (an address added back while an attempt was already under way). */
		if (now_ms() - s->path.retry_ms < 500) {
			s->path.retry_pending = true;
			return;
		}
		s->path.retry_ms = now_ms();
		s->path.retry_pending = false;
		why = why ? why : "changed";
	} else if (s->worker_down || !why) {
		return;
	}
	ks_info("main", "event=path_changed reason=\"%s\" reconnecting=%d", why, s->worker_down);
	privsep_send_text(s->ps.fd, PS_PATH, why);
}

/* --metrics-file: every KS_METRICS_PERIOD_S, and a last time (down) at the end. */
static void write_metrics(struct ks_session *s, bool last)
{
	struct ks_buf text = { 0 };
	int err;

	/* The last one only over a file of ours: a second instance that failed to start
	 * must not mark the running one down. */
	if (!s->o->metrics_file || (last && !s->metrics_at) ||
	    (!last && now_ms() - s->metrics_at < KS_METRICS_PERIOD_S * 1000.0 - 100))
		return;
	s->metrics_at = now_ms();
	if (last)
		metrics_down(s->o->ifname, &text);
	else
		metrics_text(s, &text);
	err = text.len ? metrics_write_file(s->o->metrics_file, &text) : -ENOMEM;
	if (err && !s->metrics_failed) /* once, not every 5 s (a read-only directory) */
		ks_warn("main", "event=metrics_file_failed path=\"%s\" reason=\"%s\"",
			esc(s->o->metrics_file), strerror(-err));
	s->metrics_failed = err != 0;
	buf_free(&text);
}

static int monitor_run(struct ks_session *s, double t0)
{
	uint8_t *msg = malloc(PS_MAX_MSG);
	int sig_fd = signal_fd(), rc = KS_EXIT_OK;
	int64_t next_tick = (int64_t)now_ms() + 1000, stop_deadline = 0;

	if (!msg || sig_fd < 0) {
		free(msg);
		return KS_EXIT_ERROR;
	}
	notify_send(&s->notify, "STATUS=logging in to %s", s->o->host);
	pathwatch_init(&s->path, split_own_mark(s->o->mark));
	if (pathwatch_open(&s->path) < 0)
		ks_warn("main", "event=pathwatch_off reason=\"%s\" effect=\"a changed network "
			"path is noticed by DPD only\"", strerror(errno));
	for (;;) {
		struct pollfd p[4] = { { .fd = s->ps.fd, .events = POLLIN },
				       { .fd = ctl_server_fd(s->ctl), .events = POLLIN },
				       { .fd = sig_fd, .events = POLLIN },
				       { .fd = s->path.nl_fd, .events = POLLIN } };
		int64_t wait = next_tick - (int64_t)now_ms();

		if (s->path.retry_pending && (int64_t)(s->path.retry_ms + 500 - now_ms()) < wait)
			wait = (int64_t)(s->path.retry_ms + 500 - now_ms());
		if (poll(p, 4, wait > 0 ? (int)wait : 0) < 0 && errno != EINTR)
			break;
		if (p[3].revents & POLLIN)
			path_changed(s, pathwatch_events(&s->path), true);
		else if (s->path.retry_pending && now_ms() >= s->path.retry_ms + 500)
			path_changed(s, NULL, true);
		if (p[2].revents & POLLIN) {
			struct signalfd_siginfo si;

			if (read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
				s->user_stop = true;
				stop_worker(s, si.ssi_signo == SIGINT ? "Client received SIGINT" :
					       si.ssi_signo == SIGHUP ? "Client received SIGHUP" :
									"Client received SIGTERM");
			}
		}
		if (p[1].revents & POLLIN)
			ctl_server_run(s->ctl);
		if (s->stop_requested && !s->stop_sent) {
			stop_worker(s, "Client requested disconnect");
			s->stop_sent = true;
		}
		if (s->stop_sent && !stop_deadline)
			stop_deadline = (int64_t)now_ms() + 5000;
		if (stop_deadline && (int64_t)now_ms() > stop_deadline) {
			ks_err("main", "event=worker_killed reason=\"no end 5 s after stop\"");
			rc = KS_EXIT_ERROR;
			break;
		}
		if ((p[0].revents & (POLLIN | POLLHUP)) && monitor_on_worker(s, msg, t0, &rc))
			break;
		if ((int64_t)now_ms() >= next_tick) {
			path_changed(s, pathwatch_tick(&s->path), false);
			session_on_tick(s);
			notify_watchdog(&s->notify, now_ms());
			write_metrics(s, false);
			ctl_server_run(s->ctl); /* deadlines of slow clients */
			next_tick += 1000;
		}
	}
	free(msg);
	close(sig_fd);
	pathwatch_close(&s->path);
	reap_worker(s);
	return rc;
}

int cmd_connect(int argc, char **argv)
{
	struct ks_connect_opts o;
	struct ks_session s = { .o = &o, .fd = -1, .ctl_fd = -1, .tun = { .fd = -1 },
				.ps = { .fd = -1, .devnull = -1 }, .ready_fd = -1,
				.notify = { .fd = -1 } };
	struct termios tty;
	bool have_tty = isatty(0) && !tcgetattr(0, &tty);
	struct ks_error e = { 0 };
	double t0 = now_ms();
	int err, rc;

	secret_init(); /* before anything reads a secret */
	err = opts_parse_connect(&o, argc, argv, &e);
	if (err == -EAGAIN)
		return KS_EXIT_OK;
	if (!err)
		err = privsep_user(&s.ps, o.setuid_user ? o.setuid_user : CONFIG_PRIVSEP_USER, &e);
	if (err) {
		fprintf(stderr, "kslice: %s\n", e.msg);
		opts_free(&o);
		return KS_EXIT_USAGE;
	}
	if (o.background && env_override("NOTIFY_SOCKET")) {
		/* READY=1 would come from a PID systemd does not watch (NotifyAccess=main). */
		fprintf(stderr, "kslice: --background under a Type=notify unit: leave it out, "
			"systemd runs kslice in the background\n");
		opts_free(&o);
		return KS_EXIT_USAGE;
	}
	if (o.background && (err = launch_background(&o, &s.ready_fd))) {
		fprintf(stderr, "kslice: --background: %s\n", strerror(-err));
		opts_free(&o);
		return KS_EXIT_ERROR;
	}
	log_setup(o.verbosity, o.syslog);
	if (o.authenticate) { /* a login, no tunnel: nothing of the system is touched */
		s.ctx = tls_ctx_new(&o.trust, &e);
		if (!s.ctx || (o.key_pass_on_stdin && monitor_read_key_pass(&o, &e))) {
			rc = KS_EXIT_USAGE;
			goto out_msg;
		}
		rc = monitor_authenticate(&s, &e); /* failures said there */
		goto out;
	}
	notify_open(&s.notify); /* before the fork: the worker must not see NOTIFY_SOCKET */
	/* Claim the interface first: a second instance must fail before it logs in. */
	s.ctl_fd = ctl_listen(o.ifname, s.ctl_path, sizeof(s.ctl_path), &e);
	if (s.ctl_fd < 0) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	err = reconcile(&s, &e);
	if (!err)
		err = tun_open(&s.tun, o.ifname, !o.no_offload, &e);
	if (err) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	s.ctx = tls_ctx_new(&o.trust, &e); /* as root: --cafile may be root's alone */
	if (!s.ctx) {
		rc = KS_EXIT_USAGE;
		goto out_msg;
	}
	/* The key's password is stdin's first line, before the worker reads any answer. */
	if (o.key_pass_on_stdin && monitor_read_key_pass(&o, &e)) {
		rc = KS_EXIT_USAGE;
		goto out_msg;
	}
	/* KSLICE_DTLS_GCM=openssl: the DTLS records' AES-GCM from OpenSSL (comparisons) */
	if (env_override("KSLICE_DTLS_GCM") && !strcmp(env_override("KSLICE_DTLS_GCM"), "openssl"))
		dtls_fast_allow_own_gcm(false);
	err = privsep_fork(&s.ps, &e);
	if (err == 0) {
		/* The worker: none of the monitor's files. Its secrets in locked memory (locks
		 * are not inherited). The key and its password are the monitor's alone. */
		opts_wipe_key_pass(&o);
		notify_close(&s.notify);
		close(s.ctl_fd);
		s.ctl_fd = -1;
		if (s.ready_fd >= 0)
			close(s.ready_fd);
		s.ready_fd = -1;
		rc = worker_main(&s);
		session_close(&s);
		opts_free(&o);
		return rc;
	}
	if (err < 0) {
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	totp_wipe(&o.totp); /* the worker's alone from now on */
	opts_wipe_passwd(&o);
	OPENSSL_cleanse(o.proxy.basic, sizeof(o.proxy.basic)); /* the proxy's credentials */
	if (o.cert && monitor_give_cert(&s, &e)) {
		privsep_send_text(s.ps.fd, PS_STOP, "Client certificate not usable");
		rc = KS_EXIT_AUTH;
		goto out_msg;
	}
	preload_start(&s.preload, CONFIG_SPLIT_MAX_PREFIXES); /* loads while the worker logs in */
	s.auth.user = o.user ? strdup(o.user) : NULL;
	s.ctl = ctl_server_new(s.ctl_fd, session_on_request, &s);
	if (!s.ctl) {
		ks_fail(&e, -errno, "control: %m");
		privsep_send_text(s.ps.fd, PS_STOP, "Client could not start");
		rc = KS_EXIT_ERROR;
		goto out_msg;
	}
	rc = monitor_run(&s, t0);
	goto out;
out_msg:
	fprintf(stderr, "kslice: %s\n", e.msg);
	ks_err("main", "event=connect_failed exit=%d reason=\"%s\"", rc, esc(e.msg));
	notify_send(&s.notify, "STATUS=failed: %s", e.msg);
out:
	if (!o.authenticate)
		write_metrics(&s, true);
	notify_close(&s.notify);
	if (keep_kill_switch(&s))
		keep_closed(&s, rc);
	session_close(&s);
	if (rc != KS_EXIT_OK)
		say_residue_kept(&s);
	if (have_tty) /* a worker killed while it prompted with echo off */
		tcsetattr(0, TCSANOW, &tty);
	if (o.pid_file && s.connect_ms)
		unlink(o.pid_file); /* last: scripts read "file gone" as "kslice gone" */
	opts_free(&o);
	return rc;
}
