// SPDX-License-Identifier: GPL-2.0-only
/* The cookie jar: Set-Cookie headers of one or two responses (the second after a blank
 * line ends the first head) into one jar, against a model of what it must hold (the last
 * value per name, in first-seen order, at most HTTP_MAX_COOKIES), and the Cookie header
 * it writes back. */
#include "../../user/http.c"

#include "fuzz.h"

struct model {
	char name[HTTP_MAX_COOKIES][128];
	char *value[HTTP_MAX_COOKIES];
	int n;
	bool full; /* a new name did not fit: the update stops there with -ENOSPC */
};

static void model_update(struct model *m, const struct ks_http_resp *r)
{
	for (size_t i = 0; i < r->nheaders && !m->full; i++) {
		char *v, *eq;
		int j;

		if (strcasecmp(r->headers[i].name, "Set-Cookie"))
			continue;
		v = strdup(r->headers[i].value);
		v[strcspn(v, ";")] = 0;
		eq = strchr(v, '=');
		if (!eq || eq == v || eq - v >= 128) {
			free(v);
			continue;
		}
		*eq = 0;
		/* Spaces around name and value go; a cookie that could not be sent back in a
		 * Cookie header line (a control byte, space, ';', ',', '"', '\\') is ignored. */
		char *name = v, *val = eq + 1, *end;
		bool bad = false;

		while (*name == ' ' || *name == '\t')
			name++;
		for (end = name + strlen(name); end > name && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = 0;
		while (*val == ' ' || *val == '\t')
			val++;
		for (end = val + strlen(val); end > val && (end[-1] == ' ' || end[-1] == '\t');)
			*--end = 0;
		for (const char *p = name; *p; p++)
			bad |= (unsigned char)*p <= ' ' || *p == 0x7f || strchr(";,\"\\=", *p);
		for (const char *p = val; *p; p++)
			bad |= (unsigned char)*p <= ' ' || *p == 0x7f || strchr(";,\"\\", *p);
		if (bad || !*name) {
			free(v);
			continue;
		}
		memmove(v, name, strlen(name) + 1);
		eq = v + strlen(v);
		memmove(eq + 1, val, strlen(val) + 1);
		for (j = 0; j < m->n && strcmp(m->name[j], v); j++)
			;
		if (j == m->n) {
			if (m->n == HTTP_MAX_COOKIES) {
				m->full = true;
				free(v);
				break;
			}
			snprintf(m->name[m->n++], 128, "%s", v);
		} else {
			free(m->value[j]);
		}
		m->value[j] = strdup(eq + 1);
		free(v);
	}
}

static void check_jar(const struct ks_cookie_jar *jar, const struct model *m)
{
	struct ks_buf want = { 0 }, got = { 0 };
	int emitted = 0;

	FUZZ_CHECK(jar->n == m->n, "jar holds %d cookies, model %d", jar->n, m->n);
	for (int i = 0; i < m->n; i++) {
		const char *v = http_jar_get(jar, m->name[i]);
		size_t nl = strlen(m->name[i]);

		FUZZ_CHECK(!strncmp(jar->cookies[i], m->name[i], nl) &&
				   jar->cookies[i][nl] == '=' &&
				   !strcmp(jar->cookies[i] + nl + 1, m->value[i]),
			   "cookie %d is '%s', model %s=%s", i, jar->cookies[i], m->name[i],
			   m->value[i]);
		FUZZ_CHECK(v && !strcmp(v, m->value[i]), "get(%s)", m->name[i]);
		if (*m->value[i])
			buf_printf(&want, "%s%s=%s", emitted++ ? "; " : "Cookie: ", m->name[i],
				   m->value[i]);
	}
	if (emitted)
		buf_printf(&want, "\r\n");
	http_jar_header(jar, &got);
	FUZZ_CHECK(got.len == want.len && (!got.len || !memcmp(got.data, want.data, got.len)),
		   "Cookie header '%s', want '%s'", buf_cstr(&got), buf_cstr(&want));
	buf_free(&want);
	buf_free(&got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ks_cookie_jar jar = { .n = 0 };
	struct model m = { .n = 0 };
	struct ks_http_resp r;
	size_t off = 0, hl;
	int err = 0;

	for (int round = 0; round < 2 && !m.full && off < size; round++) {
		if (http_parse_head((const char *)data + off, size - off, &r, &hl, NULL))
			break;
		model_update(&m, &r);
		err = http_jar_update(&jar, &r);
		http_resp_free(&r);
		FUZZ_CHECK(m.full ? err == -ENOSPC : !err, "update: %d, model full %d", err,
			   m.full);
		check_jar(&jar, &m);
		off += hl;
	}
	/* What auth.c does with the result. */
	http_jar_get(&jar, "webvpn");
	http_jar_free(&jar);
	FUZZ_CHECK(jar.n == 0, "jar not emptied");
	for (int i = 0; i < m.n; i++)
		free(m.value[i]);
	return 0;
}
