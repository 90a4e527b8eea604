/* SPDX-License-Identifier: GPL-2.0-only */
/* Secrets (password, one-time code, TOTP key, session cookie): kept in OpenSSL's secure
 * heap (locked, never swapped, left out of core dumps, guard pages), wiped when freed;
 * the process is not dumpable; libxml2's allocations, which see the answers of a form,
 * are wiped when freed. */
#pragma once
#include <stddef.h>

/* Once, before any secret is read. Never fails: without a locked heap (RLIMIT_MEMLOCK)
 * secrets still live in ordinary memory and are still wiped. */
void secret_init(void);
/* The locked heap: in the process that will hold secrets (mlock is not inherited). */
void secret_heap_init(void);
/* n zeroed bytes in the secure heap (a buffer to read a secret into); NULL on ENOMEM. */
char *secret_alloc(size_t n);
/* A copy in the secure heap; NULL on ENOMEM. */
char *secret_strdup(const char *s);
/* Moves s (a heap string, e.g. from getline) into the secure heap; s is wiped and freed
 * whatever happens. */
char *secret_take(char *s);
/* Wipes and frees a string from either heap; NULL is fine. */
void secret_free(char *s);
/* Wipes argv's copy of a secret, so /proc/PID/cmdline no longer shows it. */
void secret_scrub_arg(char *arg);
