/* SPDX-License-Identifier: GPL-2.0-only */
/* A small streaming JSON writer into a ks_buf; commas are placed for the caller. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include "buf.h"

struct ks_json {
	struct ks_buf *out;
	int depth;
	bool need_comma[16];
};

void json_init(struct ks_json *j, struct ks_buf *out);
void json_obj_open(struct ks_json *j, const char *key);
void json_obj_close(struct ks_json *j);
void json_arr_open(struct ks_json *j, const char *key);
void json_arr_close(struct ks_json *j);
void json_str(struct ks_json *j, const char *key, const char *val); /* NULL -> null */
void json_u64(struct ks_json *j, const char *key, uint64_t val);
void json_i64(struct ks_json *j, const char *key, int64_t val);
void json_bool(struct ks_json *j, const char *key, bool val);
