// SPDX-License-Identifier: GPL-2.0-only
#include <inttypes.h>

#include <string.h>

#include "esc.h"
#include "json.h"


/* Valid JSON whatever the bytes: controls, DEL and C1 as \u00XX (a terminal showing the
 * JSON acts on none), bytes that are not UTF-8 as U+FFFD. */
static void put_string(struct ks_buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t cp;

	buf_putc(b, '"');
	for (size_t i = 0; i < n; i += len ? len : 1) {
		len = utf8_decode(p + i, n - i, &cp);
		if (!len) {
			buf_append(b, "\\ufffd", 6);
		} else if (cp == '"' || cp == '\\') {
			buf_putc(b, '\\');
			buf_putc(b, (char)cp);
		} else if (cp == '\n') {
			buf_append(b, "\\n", 2);
		} else if (cp == '\r') {
			buf_append(b, "\\r", 2);
		} else if (cp == '\t') {
			buf_append(b, "\\t", 2);
		} else if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
			char u[6] = { '\\', 'u', '0', '0', hex[cp >> 4], hex[cp & 15] };

			buf_append(b, u, sizeof(u));
		} else {
			buf_append(b, (const char *)p + i, len);
		}
	}
	buf_putc(b, '"');
}

static void begin_value(struct ks_json *j, const char *key)
{
	if (j->need_comma[j->depth])
		buf_putc(j->out, ',');
	j->need_comma[j->depth] = true;
	if (key) {
		put_string(j->out, key);
		buf_putc(j->out, ':');
	}
}

static void open_container(struct ks_json *j, const char *key, char c)
{
	begin_value(j, key);
	buf_putc(j->out, c);
	if (j->depth < 15)
		j->depth++;
	j->need_comma[j->depth] = false;
}

static void close_container(struct ks_json *j, char c)
{
	if (j->depth > 0)
		j->depth--;
	buf_putc(j->out, c);
}

void json_init(struct ks_json *j, struct ks_buf *out)
{
	*j = (struct ks_json){ .out = out };
}

void json_obj_open(struct ks_json *j, const char *key)
{
	open_container(j, key, '{');
}

void json_obj_close(struct ks_json *j)
{
	close_container(j, '}');
}

void json_arr_open(struct ks_json *j, const char *key)
{
	open_container(j, key, '[');
}

void json_arr_close(struct ks_json *j)
{
	close_container(j, ']');
}

void json_str(struct ks_json *j, const char *key, const char *val)
{
	begin_value(j, key);
	if (val)
		put_string(j->out, val);
	else
		buf_append(j->out, "null", 4);
}

void json_u64(struct ks_json *j, const char *key, uint64_t val)
{
	begin_value(j, key);
	buf_printf(j->out, "%" PRIu64, val);
}

void json_i64(struct ks_json *j, const char *key, int64_t val)
{
	begin_value(j, key);
	buf_printf(j->out, "%" PRId64, val);
}

void json_bool(struct ks_json *j, const char *key, bool val)
{
	begin_value(j, key);
	buf_append(j->out, val ? "true" : "false", val ? 4 : 5);
}
