/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice status`: one struct, rendered as JSON (stable, for scripts) or text. */
#pragma once
#include "buf.h"
#include "session.h"

void status_json(const struct ks_session *s, struct ks_buf *out);
void status_text(const struct ks_session *s, struct ks_buf *out);
/* What the worker publishes: "connecting", "connected" or "reconnecting". */
const char *status_state(const struct ks_session *s);
/* What carries data now: "dtls" or "tls"; NULL while there is no tunnel. */
const char *status_transport(const struct ks_session *s);
/* Time without a tunnel, the current outage included (ms). */
double status_down_ms(const struct ks_session *s);
