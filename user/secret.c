// SPDX-License-Identifier: GPL-2.0-only
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <libxml/xmlmemory.h>
#include <openssl/crypto.h>

#include "secret.h"

#define SECURE_HEAP (64u << 10)

/* libxml2 allocates the reply tree (the password is in it) and its text dump: wipe every
 * block it gives back. malloc_usable_size is the block's real extent. */
static void xml_wipe_free(void *p)
{
	if (p)
		OPENSSL_cleanse(p, malloc_usable_size(p));
	free(p);
}

static void *xml_wipe_realloc(void *p, size_t n)
{
	size_t old = p ? malloc_usable_size(p) : 0;
	void *q = malloc(n ? n : 1);

	if (!q)
		return NULL;
	if (p) {
		memcpy(q, p, old < n ? old : n);
		xml_wipe_free(p);
	}
	return q;
}

void secret_init(void)
{
	/* No core file, no ptrace by other users, /proc/PID/{mem,environ} root's alone. */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	/* --passwd-on-stdin, --cookie-on-stdin: no copy left in stdio's buffer. */
	setvbuf(stdin, NULL, _IONBF, 0);
	xmlMemSetup(xml_wipe_free, malloc, xml_wipe_realloc, strdup);
}

void secret_heap_init(void)
{
	if (!CRYPTO_secure_malloc_initialized())
		CRYPTO_secure_malloc_init(SECURE_HEAP, 32);
}

char *secret_alloc(size_t n)
{
	char *c = OPENSSL_secure_zalloc(n);

	return c ? c : calloc(1, n); /* the locked heap is full: ordinary memory, wiped */
}

char *secret_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *c = OPENSSL_secure_malloc(n);

	if (!c) /* the locked heap is full (a 100 KB cookie): ordinary memory, still wiped */
		c = malloc(n);
	if (c)
		memcpy(c, s, n);
	return c;
}

char *secret_take(char *s)
{
	char *c;

	if (!s)
		return NULL;
	c = secret_strdup(s);
	OPENSSL_cleanse(s, strlen(s));
	free(s);
	return c;
}

void secret_free(char *s)
{
	if (!s)
		return;
	if (CRYPTO_secure_allocated(s)) {
		OPENSSL_secure_clear_free(s, strlen(s) + 1);
		return;
	}
	OPENSSL_cleanse(s, strlen(s));
	free(s);
}

void secret_scrub_arg(char *arg)
{
	if (arg)
		OPENSSL_cleanse(arg, strlen(arg));
}
