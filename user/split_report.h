/* SPDX-License-Identifier: GPL-2.0-only */
/* The split set with its counters, for `kslice status` and `kslice route list`. */
#pragma once
#include "buf.h"
#include "json.h"
#include "split.h"

/* "split": {...} into an open JSON object. */
void split_report_json(const struct ks_split_state *sp, struct ks_json *j);
void split_report_text(const struct ks_split_state *sp, struct ks_buf *out);
/* Just the prefixes: "include 10.78.0.0/24 gateway hits 3" per line. */
void split_report_routes(const struct ks_split_state *sp, struct ks_buf *out);
