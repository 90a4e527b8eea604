/* SPDX-License-Identifier: GPL-2.0-only */
/* One line per event, fixed shape: `level=warn sub=auth event=... key=value`. */
#pragma once
#include <stdbool.h>

enum ks_log_level { KS_LOG_ERR = 0, KS_LOG_WARN, KS_LOG_INFO, KS_LOG_DEBUG };

void log_setup(int verbosity, bool use_syslog);
void log_to_syslog(void);
/* While on, only errors are logged (the monitor re-reading what the worker logged). */
void log_quiet(bool on);
void ks_log(enum ks_log_level level, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define ks_err(sub, ...) ks_log(KS_LOG_ERR, sub, __VA_ARGS__)
#define ks_warn(sub, ...) ks_log(KS_LOG_WARN, sub, __VA_ARGS__)
#define ks_info(sub, ...) ks_log(KS_LOG_INFO, sub, __VA_ARGS__)
#define ks_dbg(sub, ...) ks_log(KS_LOG_DEBUG, sub, __VA_ARGS__)
