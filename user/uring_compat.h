/* SPDX-License-Identifier: GPL-2.0-only */
/* What liburing 2.3 (Debian 12) lacks but the running kernel may have. */
#pragma once
#include <liburing.h>

#ifndef IORING_SETUP_SINGLE_ISSUER
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#endif
#ifndef IORING_SETUP_DEFER_TASKRUN
#define IORING_SETUP_DEFER_TASKRUN (1U << 13)
#endif
/* IORING_OP_READ_MULTISHOT: kernel 6.7+, liburing 2.6+. */
#define KS_IORING_OP_READ_MULTISHOT 49
