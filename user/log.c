// SPDX-License-Identifier: GPL-2.0-only
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <bpf/libbpf.h>

#include "esc.h"
#include "log.h"

static int verbosity = KS_LOG_INFO;
static bool syslog_on;
static bool journal_prefix; /* stderr is the journal's stream: "<N>" gives the priority */

static const char *const level_names[] = { "err", "warn", "info", "debug" };

/* libbpf speaks one level lower than we do: its warnings are our info, the rest debug.
 * The kernel's extack text arrives as a warning, but the caller reports that failure
 * itself (or expects it, as a query for a filter that is not there): debug. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	enum ks_log_level ours = level == LIBBPF_WARN ? KS_LOG_INFO : KS_LOG_DEBUG;
	char line[512];
	size_t n;

	vsnprintf(line, sizeof(line), fmt, ap);
	if (strstr(line, "Kernel error message:"))
		ours = KS_LOG_DEBUG;
	if ((int)ours > verbosity)
		return 0;
	n = strlen(line);
	if (n && line[n - 1] == '\n')
		line[n - 1] = 0;
	ks_log(ours, "libbpf", "event=message text=\"%s\"", esc(line));
	return 0;
}

/* systemd sets JOURNAL_STREAM to stderr's device:inode when stderr goes to the journal
 * (systemd.exec(5)); a line that starts with <N> is then stored at priority N. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	return js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && !fstat(2, &st) &&
	       (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_setup(int v, bool use_syslog)
{
	verbosity = v;
	journal_prefix = stderr_is_journal();
	libbpf_set_print(libbpf_print);
	if (use_syslog)
		log_to_syslog();
}

static bool quiet;

void log_quiet(bool on)
{
	quiet = on;
}

void log_to_syslog(void)
{
	if (!syslog_on)
		openlog("kslice", LOG_PID, LOG_DAEMON);
	syslog_on = true;
}

void ks_log(enum ks_log_level level, const char *sub, const char *fmt, ...)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char raw[1024], msg[1024];
	va_list ap;

	if (((int)level > verbosity || quiet) && level != KS_LOG_ERR)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* One event, one line: a control byte that slipped past a call site's esc() is
	 * escaped here (quoted values are the call sites' job). */
	esc_controls(msg, sizeof(msg), raw, strlen(raw));
	if (syslog_on) {
		syslog(prio[level], "level=%s sub=%s %s", level_names[level], sub, msg);
		return;
	}
	/* One write a line: the worker shares the stream, and a prefix apart could land
	 * before its line. */
	if (journal_prefix)
		fprintf(stderr, "<%d>level=%s sub=%s %s\n", prio[level], level_names[level], sub,
			msg);
	else
		fprintf(stderr, "level=%s sub=%s %s\n", level_names[level], sub, msg);
}
