// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "env.h"
#include "esc.h"
#include "profile.h"
#include "secret_file.h"

int profile_path(const char *name, char *out, size_t len, struct ks_error *e)
{
	const char *dir = env_override("KSLICE_CONFIG_DIR");
	size_t n = strlen(name);

	/* A name, not a path: nothing that climbs out of the directory. */
	if (!n || n > 64 || name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyz"
						    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return ks_fail(e, -EINVAL, "profile '@%s': a name is 1..64 letters, digits, '.', "
			       "'_' or '-', not starting with '.'", esc(name));
	if ((size_t)snprintf(out, len, "%s/%s.conf", dir && dir[0] == '/' ? dir : KS_PROFILE_DIR,
			     name) >= len)
		return ks_fail(e, -ENAMETOOLONG, "profile '@%s': path too long", name);
	return 0;
}

/* Given inline (not @FILE, env:VAR or credential:NAME), a value that must stay private. */
static bool is_secret(const char *name, const char *value)
{
	if (!strcmp(name, "key-password") || !strcmp(name, "token-secret"))
		return value[0] != '@' && strncmp(value, "env:", 4) &&
		       strncmp(value, "credential:", 11);
	return !strcmp(name, "proxy") && strchr(value, '@'); /* user:password@ */
}

static int add_word(struct ks_profile *p, const char *name, const char *value, int line)
{
	char **words = realloc(p->words, (size_t)(p->n + 1) * sizeof(*words));
	int *lines;

	if (!words)
		return -ENOMEM;
	p->words = words;
	lines = realloc(p->lines, (size_t)(p->n + 1) * sizeof(*lines));
	if (!lines)
		return -ENOMEM;
	p->lines = lines;
	if ((value ? asprintf(&words[p->n], "--%s=%s", name, value) :
		     asprintf(&words[p->n], "--%s", name)) < 0)
		return -ENOMEM;
	lines[p->n++] = line;
	return 0;
}

/* One line (NUL-terminated, without its newline). *secret is set when it holds one. */
static int parse_line(struct ks_profile *p, char *s, int line, const struct option *opts,
		      bool *secret, struct ks_error *e)
{
	const struct option *o;
	char *name, *value, *end;
	size_t len = strlen(s);

	while (len && (s[len - 1] == ' ' || s[len - 1] == '\t' || s[len - 1] == '\r'))
		s[--len] = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') || s[i] == 0x7f)
			return ks_fail(e, -EINVAL, "%s:%d: control character at column %zu",
				       esc(p->path), line, i + 1);
	s += strspn(s, " \t");
	if (!*s || *s == '#')
		return 0;
	name = s;
	s += strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789-");
	end = s;
	s += strspn(s, " \t");
	if (*s == '=')
		s += 1 + strspn(s + 1, " \t");
	if (end == name || *name == '-' || (*end && *end != ' ' && *end != '\t' && *end != '='))
		return ks_fail(e, -EINVAL, "%s:%d: '%s' is not an option name (a long option "
			       "without its dashes, e.g. 'user alice')", esc(p->path), line,
			       escn(name, 40));
	*end = 0;
	value = *s ? s : NULL;
	if (!strcmp(name, "server")) {
		if (!value || value[0] == '-') /* it becomes a word getopt reads */
			return ks_fail(e, -EINVAL, "%s:%d: 'server' needs a value (a host, not an "
				       "option)", esc(p->path), line);
		free(p->server);
		p->server = strdup(value);
		return p->server ? 0 : -ENOMEM;
	}
	for (o = opts; o->name && strcmp(o->name, name); o++)
		;
	if (!o->name || !strcmp(name, "config") || !strcmp(name, "help"))
		return ks_fail(e, -EINVAL, "%s:%d: unknown option '%s'%s", esc(p->path), line,
			       esc(name), o->name ? " in a profile" : "");
	if (o->has_arg == required_argument && !value)
		return ks_fail(e, -EINVAL, "%s:%d: '%s' needs a value", esc(p->path), line, name);
	if (o->has_arg == no_argument && value)
		return ks_fail(e, -EINVAL, "%s:%d: '%s' takes no value", esc(p->path), line, name);
	if (value && is_secret(name, value))
		*secret = true;
	if (p->n >= KS_PROFILE_MAX_OPTIONS)
		return ks_fail(e, -E2BIG, "%s:%d: more than %d options", esc(p->path), line,
			       KS_PROFILE_MAX_OPTIONS);
	return add_word(p, name, value, line) ? ks_fail(e, -ENOMEM, "%s:%d: out of memory",
							 esc(p->path), line) : 0;
}

/* The whole file, if it is a regular one that only its owner (root or the caller) writes. */
static int read_file(const char *path, bool callers_own, char **out, struct stat *st,
		     struct ks_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK), err = 0;
	size_t len = 0;
	char *buf = NULL;
	ssize_t got;

	if (fd < 0)
		return ks_fail(e, -errno, "profile %s: %s", esc(path), strerror(errno));
	if (fstat(fd, st))
		err = ks_fail(e, -errno, "profile %s: %s", esc(path), strerror(errno));
	else if (!S_ISREG(st->st_mode))
		err = ks_fail(e, -EINVAL, "profile %s: not a regular file", esc(path));
	else if (st->st_uid != 0 && st->st_uid != secret_invoking_uid())
		err = ks_fail(e, -EPERM, "profile %s: belongs to uid %u, neither root nor you",
			      esc(path), (unsigned int)st->st_uid);
	else if (callers_own && st->st_uid != secret_invoking_uid() && !(st->st_mode & 004))
		err = ks_fail(e, -EPERM, "profile %s: neither yours nor readable by all (under "
			      "sudo, --config reads what you could read yourself)", esc(path));
	else if (st->st_mode & 022) /* root would take options from whoever may write it */
		err = ks_fail(e, -EPERM, "profile %s: others than its owner may change it (mode "
			      "%04o): chmod go-w it", esc(path), (unsigned int)(st->st_mode & 07777));
	else if (st->st_size > KS_PROFILE_MAX_BYTES)
		err = ks_fail(e, -EFBIG, "profile %s: larger than %d bytes", esc(path),
			      KS_PROFILE_MAX_BYTES);
	else if (!(buf = malloc(KS_PROFILE_MAX_BYTES + 1)))
		err = ks_fail(e, -ENOMEM, "profile %s: out of memory", esc(path));
	while (!err && len < KS_PROFILE_MAX_BYTES + 1 &&
	       (got = read(fd, buf + len, KS_PROFILE_MAX_BYTES + 1 - len)) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			err = ks_fail(e, -errno, "profile %s: %s", esc(path), strerror(errno));
		else
			len += (size_t)got;
	}
	close(fd);
	if (!err && len > KS_PROFILE_MAX_BYTES) /* it grew under us */
		err = ks_fail(e, -EFBIG, "profile %s: larger than %d bytes", esc(path),
			      KS_PROFILE_MAX_BYTES);
	if (err) {
		if (buf)
			OPENSSL_cleanse(buf, KS_PROFILE_MAX_BYTES + 1);
		free(buf);
		return err;
	}
	buf[len] = 0;
	st->st_size = (off_t)len;
	*out = buf;
	return 0;
}

int profile_load(struct ks_profile *p, const char *path, const struct option *opts,
		 bool callers_own, struct ks_error *e)
{
	struct stat st;
	bool secret = false;
	char *buf = NULL, *line;
	int err, no = 0;
	size_t left;

	memset(p, 0, sizeof(*p));
	if ((size_t)snprintf(p->path, sizeof(p->path), "%s", path) >= sizeof(p->path))
		return ks_fail(e, -ENAMETOOLONG, "profile: path too long");
	err = read_file(path, callers_own, &buf, &st, e);
	if (err)
		return err;
	p->owner = st.st_uid;
	left = (size_t)st.st_size;
	for (line = buf; !err && left;) {
		char *nl = memchr(line, '\n', left);
		size_t n = nl ? (size_t)(nl - line) : left;

		no++;
		if (memchr(line, 0, n))
			err = ks_fail(e, -EINVAL, "%s:%d: NUL byte", esc(p->path), no);
		else if (n > KS_PROFILE_MAX_LINE)
			err = ks_fail(e, -EINVAL, "%s:%d: longer than %d bytes", esc(p->path), no,
				      KS_PROFILE_MAX_LINE);
		if (err)
			break;
		line[n] = 0;
		err = parse_line(p, line, no, opts, &secret, e);
		n = nl ? n + 1 : n;
		line += n;
		left -= n;
	}
	OPENSSL_cleanse(buf, KS_PROFILE_MAX_BYTES + 1);
	free(buf);
	if (!err && secret && (st.st_mode & 044))
		err = ks_fail(e, -EPERM, "profile %s holds a secret and others may read it (mode "
			      "%04o): chmod go-r it, or keep the secret in a file of its own "
			      "(@FILE, credential:NAME)", esc(p->path),
			      (unsigned int)(st.st_mode & 07777));
	if (err)
		profile_free(p);
	return err;
}

void profile_free(struct ks_profile *p)
{
	for (int i = 0; i < p->n; i++) {
		OPENSSL_cleanse(p->words[i], strlen(p->words[i]));
		free(p->words[i]);
	}
	free(p->words);
	free(p->lines);
	free(p->server);
	p->words = NULL;
	p->lines = NULL;
	p->server = NULL;
	p->n = 0;
}
