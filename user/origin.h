/* SPDX-License-Identifier: GPL-2.0-only */
/* Where a prefix or a domain came from (KS_ORIGIN_* of kslice/maps.h), as words. */
#pragma once
#include <stddef.h>
#include <stdint.h>

/* "gateway,user": the bits of origin, comma separated, into buf. */
const char *origin_str(uint32_t origin, char *buf, size_t len);
