/* SPDX-License-Identifier: GPL-2.0-only */
/* IS_ENABLED() as in the kernel: 1 when CONFIG_X is defined to 1, else 0, usable in `if`. */
#pragma once

#define __KS_ARG_PLACEHOLDER_1 0,
#define __ks_take_second_arg(__ignored, val, ...) val
#define __ks_is_defined(x) ___ks_is_defined(x)
#define ___ks_is_defined(val) ____ks_is_defined(__KS_ARG_PLACEHOLDER_##val)
#define ____ks_is_defined(arg1_or_junk) __ks_take_second_arg(arg1_or_junk 1, 0)

#define IS_ENABLED(option) __ks_is_defined(option)
