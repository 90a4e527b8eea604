/* SPDX-License-Identifier: GPL-2.0-only */
/* Domain names as kslice takes them (command line, gateway headers) and as the BPF domain
 * trie keys them (labels reversed, length-prefixed, lowercase). */
#pragma once
#include <stddef.h>
#include "kslice/maps.h"

#define KS_DOMAIN_TEXT_MAX 254 /* "a.b.c" text of a 255-byte wire name, plus NUL */

/* Checks and normalizes a domain: lowercase, no trailing dot, a leading "*." dropped.
 * Labels of 1-63 letters, digits, '-' or '_', at most 253 characters in all.
 * 0, or -EINVAL with *why set to what was wrong. */
int dns_domain_normalize(const char *in, char out[KS_DOMAIN_TEXT_MAX], const char **why);
/* The trie key of a normalized domain. */
void dns_domain_key(const char *domain, struct ks_domain_key *key);
/* Back to text; -EINVAL if the key is not one dns_domain_key could have made. */
int dns_domain_from_key(const struct ks_domain_key *key, char out[KS_DOMAIN_TEXT_MAX]);
