/* SPDX-License-Identifier: GPL-2.0-only */
/* `kslice status`: one struct, rendered as JSON (stable, for scripts) or text. */
#pragma once
#include "buf.h"
#include "session.h"

void status_json(const struct ks_session *s, struct ks_buf *out);
void status_text(const struct ks_session *s, struct ks_buf *out);
