/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice status --prometheus` and --metrics-file: the session in Prometheus's text
 * exposition format (version 0.0.4), every family with HELP and TYPE, names kslice_*
 * with their unit (docs/operations.md lists them). */
#pragma once
#include "buf.h"

struct ks_session;

#define KS_METRICS_PERIOD_S 5
#define KS_METRICS_MAX_PREFIXES 256 /* per split set, with their hits */
#define KS_STR_(x) #x
#define KS_STR(x) KS_STR_(x)

void metrics_text(const struct ks_session *s, struct ks_buf *out);
/* No daemon on ifname: kslice_up 0, so that a scrape still says so. */
void metrics_down(const char *ifname, struct ks_buf *out);
/* text into path, whole or not at all: a temporary file beside it, renamed over it.
 * 0 or -errno. */
int metrics_write_file(const char *path, const struct ks_buf *text);
