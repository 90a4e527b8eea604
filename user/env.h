/* SPDX-License-Identifier: GPL-2.0-only */
/* Environment overrides of where kslice keeps its state (KSLICE_RUN_DIR, KSLICE_PIN_ROOT):
 * for tests and a root shell, not for a caller who could aim root at their own files. */
#pragma once
#include <stdbool.h>

/* `kslice --trust-env COMMAND`: honour them under sudo too. */
void env_set_trusted(bool on);
bool env_trusted(void);
/* The variable, or NULL: ignored unless real and effective uid are root and kslice was not
 * started through sudo (SUDO_UID), or --trust-env was given. */
const char *env_override(const char *name);
