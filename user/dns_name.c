// SPDX-License-Identifier: GPL-2.0-only
/* Domain names: validation, normalization, and the reversed-label trie key. */
#include <ctype.h>
#include <errno.h>
#include <string.h>

#include "dns_name.h"

static int label_char(int c)
{
	return isalnum(c) || c == '-' || c == '_';
}

int dns_domain_normalize(const char *in, char out[KS_DOMAIN_TEXT_MAX], const char **why)
{
	size_t n, label = 0;

	if (!strncmp(in, "*.", 2))
		in += 2;
	n = strlen(in);
	if (n && in[n - 1] == '.')
		n--;
	if (!n) {
		*why = "empty name";
		return -EINVAL;
	}
	if (n > KS_DOMAIN_TEXT_MAX - 1) {
		*why = "longer than 253 characters";
		return -EINVAL;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c == '.') {
			if (!label) {
				*why = "empty label";
				return -EINVAL;
			}
			label = 0;
		} else if (!label_char(c)) {
			*why = "a character that is not a letter, digit, '-' or '_'";
			return -EINVAL;
		} else if (++label > 63) {
			*why = "a label longer than 63 characters";
			return -EINVAL;
		}
		out[i] = (char)tolower(c);
	}
	if (!label) { /* "corp.." : the one trailing dot went, the name still ends in one */
		*why = "empty label";
		return -EINVAL;
	}
	out[n] = 0;
	return 0;
}

void dns_domain_key(const char *domain, struct ks_domain_key *key)
{
	size_t n = strlen(domain), pos = 0, end = n;

	memset(key, 0, sizeof(*key));
	/* Walk labels from the last: "a.b.c" becomes \1c\1b\1a. */
	while (end > 0) {
		size_t start = end;

		while (start > 0 && domain[start - 1] != '.')
			start--;
		key->name[pos++] = (__u8)(end - start);
		memcpy(key->name + pos, domain + start, end - start);
		pos += end - start;
		end = start ? start - 1 : 0;
	}
	key->prefixlen = (__u32)pos * 8;
}

int dns_domain_from_key(const struct ks_domain_key *key, char out[KS_DOMAIN_TEXT_MAX])
{
	size_t len = key->prefixlen / 8, pos = 0, o = len;
	size_t starts[128], n = 0;

	if (key->prefixlen % 8 || len == 0 || len > KS_DNS_KEY_MAX)
		return -EINVAL;
	while (pos < len) {
		size_t l = key->name[pos];

		if (!l || l > 63 || pos + 1 + l > len || n == 128)
			return -EINVAL;
		starts[n++] = pos;
		pos += 1 + l;
	}
	if (len > KS_DOMAIN_TEXT_MAX)
		return -EINVAL;
	o = 0;
	while (n--) {
		size_t l = key->name[starts[n]];

		memcpy(out + o, key->name + starts[n] + 1, l);
		o += l;
		out[o++] = n ? '.' : 0;
	}
	return 0;
}
