// SPDX-License-Identifier: GPL-2.0-only
/* SERVER on the command line: opts_parse_server() (host, host:port, [v6]:port,
 * https://host[:port][/path]). What it accepts is a usable host, port and path, and
 * written back as a URL it parses to the same thing. */
#include "../../user/opts.c"

#include "fuzz.h"

static void check_server(const struct ks_connect_opts *o)
{
	struct ks_connect_opts back = { .host = "" };
	char url[600];
	unsigned long port;
	char *end;

	FUZZ_CHECK(o->host[0] && strlen(o->host) < sizeof(o->host), "host");
	for (const char *c = o->host; *c; c++)
		FUZZ_CHECK(isalnum((unsigned char)*c) || strchr("-._:", *c), "host '%s'", o->host);
	port = strtoul(o->port, &end, 10);
	FUZZ_CHECK(!*end && port >= 1 && port <= 65535 && o->port[0] != '0', "port '%s'", o->port);
	FUZZ_CHECK(o->path[0] == '/' && strlen(o->path) < sizeof(o->path), "path '%s'", o->path);
	FUZZ_CHECK(!fuzz_has_ctl(o->path) && !strpbrk(o->path, " \"<>"), "path '%s'", o->path);
	snprintf(url, sizeof(url), "https://[%s]:%s%s", o->host, o->port, o->path);
	FUZZ_CHECK(!opts_parse_server(&back, url, NULL), "'%s' refused", url);
	FUZZ_CHECK(!strcmp(back.host, o->host) && !strcmp(back.port, o->port) &&
			   !strcmp(back.path, o->path),
		   "'%s' parsed to %s %s %s", url, back.host, back.port, back.path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = fuzz_cstr_all(data, size);
	struct ks_connect_opts o;
	struct ks_error e = { { 0 } };
	int err;

	memset(&o, 0, sizeof(o));
	err = opts_parse_server(&o, arg, &e);
	if (!err)
		check_server(&o);
	else
		FUZZ_CHECK(err == -EINVAL && e.msg[0], "err %d", err);
	free(arg);
	return 0;
}
