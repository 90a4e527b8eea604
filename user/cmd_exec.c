// SPDX-License-Identifier: GPL-2.0-only
/* `kslice exec [--via tunnel|direct|split] -- COMMAND`: COMMAND in a cgroup of its own
 * (below kslice.exec/ in the cgroup hierarchy) whose policy is --via, as the user behind
 * sudo (or -u USER). The policy lasts while anything runs in that cgroup; then it and the
 * cgroup go. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <net/if.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "generated/config.h"
#include "app.h"
#include "cgroup.h"
#include "commands.h"
#include "ctl.h"
#include "esc.h"
#include "exec_scope.h"
#include "exitcodes.h"
#include "opts.h"

#define EXEC_DIR "kslice.exec"

static const char usage[] =
	"usage: kslice exec [--via tunnel|direct|split] [-u USER] [--no-scope] [-i NAME] [--]\n"
	"                   COMMAND [ARG...]\n"
	"COMMAND runs in a cgroup of its own, as the user behind sudo, and what it starts\n"
	"follows the policy until the last of them ends:\n"
	"  -v, --via tunnel  everything through the tunnel (the default)\n"
	"      --via direct  never through it; corporate destinations stay blocked\n"
	"      --via split   the usual decision\n"
	"  -u, --user USER   run COMMAND as USER (default: SUDO_UID's user, else who runs\n"
	"                    this; another user only for root)\n"
	"      --no-scope    where systemd runs, a cgroup under /kslice.exec all the same\n"
	"                    (not a transient scope unit, kslice-exec-NAME-PID.scope)\n"
	"  -i, --interface NAME  the tunnel (default " CONFIG_DEFAULT_IFNAME ")\n";

struct who {
	uid_t uid;
	gid_t gid;
	char name[64]; /* "" when the uid has no passwd entry */
	char home[256], shell[256];
};

static int who_from_pw(struct who *w, const struct passwd *pw)
{
	w->uid = pw->pw_uid;
	w->gid = pw->pw_gid;
	/* a name cut short could be another user's, for initgroups */
	if ((size_t)snprintf(w->name, sizeof(w->name), "%s", pw->pw_name) >= sizeof(w->name) ||
	    (size_t)snprintf(w->home, sizeof(w->home), "%s", pw->pw_dir) >= sizeof(w->home) ||
	    (size_t)snprintf(w->shell, sizeof(w->shell), "%s", pw->pw_shell) >= sizeof(w->shell))
		return -ENAMETOOLONG;
	return 0;
}

static bool parse_id(const char *s, unsigned long *v)
{
	char *end;

	if (!s || !*s || *s < '0' || *s > '9')
		return false;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return !*end && !errno && *v < 0x7fffffff;
}

/* Who COMMAND runs as: the user behind sudo (SUDO_UID, SUDO_GID), else the real user
 * (root for root). -u USER names another, but only for a caller who is root: a sudo rule
 * that allows `kslice exec` must not be a way into every account. */
static int whom(const char *user, struct who *w, const char **why)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	unsigned long uid, gid, asked;
	struct passwd *pw;

	memset(w, 0, sizeof(*w));
	if (getuid() == 0 && su) {
		if (!parse_id(su, &uid) || !parse_id(sg, &gid)) {
			*why = "SUDO_UID or SUDO_GID is not a number";
			return -EINVAL;
		}
	} else {
		uid = getuid();
		gid = getgid();
	}
	if (user) {
		pw = parse_id(user, &asked) ? getpwuid((uid_t)asked) : getpwnam(user);
		if (!pw) {
			*why = "-u: no such user";
			return -ENOENT;
		}
		if (uid != 0 && pw->pw_uid != uid) {
			*why = "-u: only root may run COMMAND as another user than the caller";
			return -EPERM;
		}
		*why = "-u: the user's name, home or shell is too long";
		return who_from_pw(w, pw);
	}
	pw = getpwuid((uid_t)uid);
	*why = "the user's name, home or shell is too long";
	if (pw && who_from_pw(w, pw))
		return -ENAMETOOLONG;
	w->uid = (uid_t)uid;
	w->gid = (gid_t)gid;
	return 0;
}

/* The child's identity and the environment a login of that user would have. */
static int become(const struct who *w)
{
	char run[64];
	struct stat st;

	if (w->uid != 0 || getuid() != 0) {
		if ((w->name[0] ? initgroups(w->name, w->gid) : setgroups(0, NULL)) ||
		    setresgid(w->gid, w->gid, w->gid) || setresuid(w->uid, w->uid, w->uid))
			return -errno;
		if (w->uid != 0 && setuid(0) == 0)
			return -EPERM; /* root must be out of reach now */
	}
	if (w->name[0]) {
		setenv("USER", w->name, 1);
		setenv("LOGNAME", w->name, 1);
		setenv("HOME", w->home, 1);
		setenv("SHELL", w->shell[0] ? w->shell : "/bin/sh", 1);
	}
	snprintf(run, sizeof(run), "/run/user/%u", (unsigned int)w->uid);
	if (!stat(run, &st) && st.st_uid == w->uid)
		setenv("XDG_RUNTIME_DIR", run, 1);
	else
		unsetenv("XDG_RUNTIME_DIR");
	return 0;
}

/* The child: into the cgroup, down to the user, then COMMAND. */
static void child(int root, const char *rel, const struct who *w, char **cmd,
		  const sigset_t *old)
{
	char procs[KS_CGROUP_PATH_MAX + 16];
	int fd, err;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", rel);
	fd = openat(root, procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "0\n", 2) != 2) {
		fprintf(stderr, "kslice: exec: cannot enter the cgroup: %m\n");
		_exit(126);
	}
	close(fd);
	close(root);
	err = become(w);
	if (err) {
		fprintf(stderr, "kslice: exec: cannot become uid %u: %s\n", (unsigned int)w->uid,
			strerror(-err));
		_exit(126);
	}
	/* what kslice ignores (SIGPIPE) must not stay ignored in COMMAND */
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			signal(sig, SIG_DFL);
	sigprocmask(SIG_SETMASK, old, NULL);
	unsetenv(EXEC_SCOPE_ENV); /* a kslice exec inside COMMAND makes a scope of its own */
	execvp(cmd[0], cmd);
	fprintf(stderr, "kslice: exec: %s: %m\n", escn(cmd[0], 128));
	_exit(errno == ENOENT ? 127 : 126);
}

/* cgroup.events: 1 something runs in the cgroup, 0 nothing, -1 the cgroup is gone.
 * Reading it also re-arms its POLLPRI (which comes with POLLERR: kernfs's way). */
static int events_read(int events)
{
	char buf[256];
	ssize_t n = pread(events, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return -1;
	buf[n] = 0;
	return !strstr(buf, "populated 0");
}

static bool populated(int events)
{
	return events_read(events) > 0;
}

static int exit_code(int status)
{
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* What is left in the cgroup, killed (cgroup.kill), and a moment for it to go. */
static void kill_rest(int root, const char *rel, int events)
{
	char path[KS_CGROUP_PATH_MAX + 16];
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.kill", rel);
	fd = openat(root, path, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, "1", 1) != 1)
		fprintf(stderr, "kslice: exec: cannot kill what is left: %m\n");
	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 50 && events >= 0 && populated(events); i++) {
		struct pollfd p = { .fd = events, .events = POLLPRI };

		poll(&p, 1, 100);
	}
}

/* Until the child and everything it left in the cgroup are gone. A signal while the
 * child runs is passed on to it (one from the terminal reached it already); one while
 * only what it left runs ends those. Returns the child's exit code as a shell gives it. */
static int supervise(pid_t pid, int root, const char *rel, int events, int sig_fd)
{
	/* events: -1 once the cgroup is gone from under us (the caller closes the fd) */
	int pidfd = (int)syscall(SYS_pidfd_open, pid, 0), status = 0, rc = -1;
	struct signalfd_siginfo si;

	for (;;) {
		struct pollfd p[3] = { { .fd = pidfd, .events = POLLIN },
				       { .fd = sig_fd, .events = POLLIN },
				       { .fd = events, .events = POLLPRI } };

		if (rc < 0 && pidfd < 0) { /* no pidfd (before 5.3): wait the plain way */
			if (waitpid(pid, &status, 0) == pid)
				rc = exit_code(status);
			else if (errno != EINTR)
				return KS_EXIT_ERROR;
			continue;
		}
		if (rc >= 0 && (events < 0 || !populated(events)))
			break;
		if (poll(p, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[2].revents && events_read(events) < 0)
			events = -1; /* removed under us: nothing more to watch there */
		if (rc < 0 && (p[0].revents & POLLIN)) {
			pid_t w = waitpid(pid, &status, WNOHANG);

			if (w == 0)
				continue;
			/* reaped already (SIGCHLD was ignored): ended, status unknown */
			rc = w == pid ? exit_code(status) : KS_EXIT_ERROR;
			close(pidfd);
			pidfd = -1;
			if (events >= 0 && populated(events))
				fprintf(stderr, "kslice: exec: waiting for what it left running (a "
					"signal ends them, and the policy)\n");
		}
		if ((p[1].revents & POLLIN) && read(sig_fd, &si, sizeof(si)) == sizeof(si)) {
			if (rc >= 0) {
				kill_rest(root, rel, events);
				break;
			}
			if (si.ssi_code == SI_USER || si.ssi_code == SI_QUEUE)
				kill(pid, (int)si.ssi_signo);
		}
	}
	if (pidfd >= 0)
		close(pidfd);
	return rc < 0 ? KS_EXIT_ERROR : rc;
}

/* PARENT/IFNAME.PID, PARENT kslice.exec (made if need be; another exec may remove it
 * between the two mkdirs) or a scope of systemd's. */
static int make_cgroup(int root, const char *parent, const char *rel)
{
	for (int tries = 0; tries < 5; tries++) {
		if (!strcmp(parent, EXEC_DIR) && mkdirat(root, EXEC_DIR, 0755) && errno != EEXIST)
			return -errno;
		if (!mkdirat(root, rel, 0755))
			return 0;
		/* a killed exec's, with our PID: empty, so it goes (its policy with it) */
		if (errno == EEXIST && !unlinkat(root, rel, AT_REMOVEDIR))
			continue;
		if (errno != ENOENT)
			return -errno;
	}
	return -ENOENT;
}

/* The cgroup, once what ran in it is gone (it can take a moment to be reaped), and
 * kslice.exec if nothing else uses it (a scope goes by itself, once we have). */
static void remove_cgroup(int root, const char *parent, const char *rel)
{
	int err = 0;

	for (int i = 0; i < 20; i++) {
		if (!unlinkat(root, rel, AT_REMOVEDIR) || errno == ENOENT) {
			err = 0;
			break;
		}
		err = errno;
		if (err != EBUSY)
			break;
		usleep(50 * 1000);
	}
	if (err)
		fprintf(stderr, "kslice: exec: left the cgroup /%s: %s\n", rel, strerror(err));
	if (!strcmp(parent, EXEC_DIR))
		unlinkat(root, EXEC_DIR, AT_REMOVEDIR);
}

int cmd_exec(int argc, char **argv)
{
	static const struct option lo[] = { { "via", required_argument, NULL, 'v' },
					    { "user", required_argument, NULL, 'u' },
					    { "no-scope", no_argument, NULL, 'S' },
					    { "interface", required_argument, NULL, 'i' },
					    { "help", no_argument, NULL, 'h' },
					    { 0 } };
	char ifname[IFNAMSIZ] = CONFIG_DEFAULT_IFNAME, rel[KS_CGROUP_PATH_MAX],
	     path[KS_CGROUP_PATH_MAX + 1], ev[KS_CGROUP_PATH_MAX + 16], base[KS_CGROUP_PATH_MAX];
	const char *parent = EXEC_DIR;
	bool no_scope = false;
	const char *via = "tunnel", *user = NULL, *why = "";
	int c, r, err, root, rc, events = -1, sig_fd;
	sigset_t mask, old;
	struct who w;
	uint32_t v;
	pid_t pid;

	optind = 1;
	opterr = 0;
	/* '+': the first word that is not ours is COMMAND; its options are its own */
	while ((c = getopt_long(argc, argv, "+v:u:i:h", lo, NULL)) != -1) {
		switch (c) {
		case 'v':
			if (app_via_parse(optarg, &v)) {
				fprintf(stderr, "kslice: exec: --via '%s' is not tunnel, direct or "
					"split\n", escn(optarg, 32));
				return KS_EXIT_USAGE;
			}
			via = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 'S':
			no_scope = true;
			break;
		default:
			r = opts_small_case(c, "exec", usage, argv, ifname);
			if (r != OPTS_GO_ON)
				return r;
		}
	}
	if (optind == argc) {
		fprintf(stderr, "kslice: exec: no COMMAND\n%s", usage);
		return KS_EXIT_USAGE;
	}
	if (geteuid() != 0) {
		fprintf(stderr, "kslice: exec: needs root (sudo kslice exec ...): it makes a cgroup "
			"and gives it a policy; COMMAND runs as you\n");
		return KS_EXIT_ERROR;
	}
	err = whom(user, &w, &why);
	if (err) {
		fprintf(stderr, "kslice: exec: %s\n", why);
		return KS_EXIT_USAGE;
	}
	/* where systemd runs, again inside a scope of our own (this returns when it is done) */
	err = no_scope ? 0 : exec_scope_enter(ifname, argc, argv);
	if (err)
		fprintf(stderr, "kslice: exec: no systemd scope (%s): a cgroup under /" EXEC_DIR
			" instead\n", strerror(-err));
	err = exec_scope_base(base, sizeof(base));
	if (err && err != -ENOENT) {
		fprintf(stderr, "kslice: exec: " EXEC_SCOPE_ENV ": not the scope we are in\n");
		return KS_EXIT_ERROR;
	}
	if (!err)
		parent = base;
	root = cgroup_root_fd();
	if (root < 0) {
		fprintf(stderr, "kslice: exec: no cgroup v2 hierarchy: %s\n", strerror(-root));
		return KS_EXIT_ERROR;
	}
	/* From here a signal is taken (and passed on), never acted upon: the policy and the
	 * cgroup are always removed. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGQUIT);
	sigprocmask(SIG_BLOCK, &mask, &old);
	signal(SIGCHLD, SIG_DFL); /* a caller's SIG_IGN would reap COMMAND before us */
	sig_fd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (sig_fd < 0) {
		fprintf(stderr, "kslice: exec: signalfd: %m\n");
		rc = KS_EXIT_ERROR;
		goto out;
	}
	if ((size_t)snprintf(rel, sizeof(rel), "%s/%s.%d", parent, ifname, (int)getpid()) >=
	    sizeof(rel)) {
		fprintf(stderr, "kslice: exec: the scope's cgroup path is too long\n");
		rc = KS_EXIT_ERROR;
		goto out;
	}
	err = make_cgroup(root, parent, rel);
	if (err) {
		fprintf(stderr, "kslice: exec: cannot make the cgroup /%s: %s\n", rel,
			strerror(-err));
		if (!strcmp(parent, EXEC_DIR))
			unlinkat(root, EXEC_DIR, AT_REMOVEDIR);
		rc = KS_EXIT_ERROR;
		goto out;
	}
	snprintf(path, sizeof(path), "/%s", rel);
	rc = ctl_command(ifname, CTL_APP_SET, via, path, false);
	if (rc != KS_EXIT_OK) {
		remove_cgroup(root, parent, rel);
		goto out;
	}
	snprintf(ev, sizeof(ev), "%s/cgroup.events", rel);
	events = openat(root, ev, O_RDONLY | O_CLOEXEC);
	if (events < 0) {
		fprintf(stderr, "kslice: exec: %s: %m\n", ev);
		ctl_command(ifname, CTL_APP_DEL, path, NULL, false);
		remove_cgroup(root, parent, rel);
		rc = KS_EXIT_ERROR;
		goto out;
	}
	pid = fork();
	if (pid == 0)
		child(root, rel, &w, argv + optind, &old);
	if (pid < 0)
		fprintf(stderr, "kslice: exec: fork: %m\n");
	rc = pid < 0 ? KS_EXIT_ERROR : supervise(pid, root, rel, events, sig_fd);
	/* The policy goes only once nothing runs in the cgroup; else it stays, and the daemon
	 * drops it when the cgroup is removed. */
	if (!populated(events)) {
		ctl_command(ifname, CTL_APP_DEL, path, NULL, false);
		remove_cgroup(root, parent, rel);
	} else {
		fprintf(stderr, "kslice: exec: /%s still runs something: its policy stays until "
			"the cgroup is removed\n", rel);
	}
out:
	if (events >= 0)
		close(events);
	if (sig_fd >= 0)
		close(sig_fd);
	close(root);
	return rc;
}
