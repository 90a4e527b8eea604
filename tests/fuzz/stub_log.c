// SPDX-License-Identifier: GPL-2.0-only
/* ks_log for the fuzz targets: the message is formatted (so its arguments are read, as in
 * the program) and dropped, so that a fuzzer is not slowed down by a line per input. */
#include <stdarg.h>
#include <stdio.h>

#include "log.h"

void ks_log(enum ks_log_level level, const char *sub, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)level;
	(void)sub;
}

void log_setup(int verbosity, bool use_syslog)
{
}

void log_to_syslog(void)
{
}
