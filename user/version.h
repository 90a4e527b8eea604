/* SPDX-License-Identifier: GPL-2.0-only */
/* The one version string: --version, the metrics, the package (Makefile reads it). */
#pragma once
#define KSLICE_VERSION "0.1.0"
