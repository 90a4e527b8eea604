// SPDX-License-Identifier: GPL-2.0-only
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <linux/magic.h>
#include <unistd.h>

#include "cgroup.h"
#include "esc.h"

int cgroup_root_fd(void)
{
	char line[1024], tmpl[] = "/run/kslice-cg.XXXXXX";
	FILE *f = fopen("/proc/self/mountinfo", "re");
	int fd = -1;

	while (f && fd < 0 && fgets(line, sizeof(line), f)) {
		char root[512], mnt[512], *dash = strstr(line, " - cgroup2 ");
		struct statfs sf;

		/* fields: id parent maj:min root mountpoint ...; only a mount of the hierarchy's
		 * root (a bind mount of a subtree is not), at an absolute path without escapes
		 * (mountinfo writes a space as \040) */
		if (!dash || sscanf(line, "%*s %*s %*s %511s %511s", root, mnt) != 2 ||
		    strcmp(root, "/") || mnt[0] != '/' || strchr(mnt, '\\'))
			continue;
		fd = open(mnt, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0 && (fstatfs(fd, &sf) || sf.f_type != CGROUP2_SUPER_MAGIC)) {
			close(fd);
			fd = -1;
		}
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		return fd;
	if (!mkdtemp(tmpl))
		return -errno;
	if (mount("cgroup2", tmpl, "cgroup2", 0, NULL) == 0) {
		fd = open(tmpl, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			fd = -errno;
		umount2(tmpl, MNT_DETACH);
	} else {
		fd = -errno;
	}
	rmdir(tmpl);
	return fd;
}

/* A path below the root: printable, no "." or ".." component, no "//". */
static bool clean_path(const char *p)
{
	if (!*p)
		return false;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c < ' ' || *c == 0x7f)
			return false;
	for (const char *c = p; *c;) {
		size_t n = strcspn(c, "/");

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' && c[1] == '.'))
			return false;
		c += n;
		if (*c == '/' && !*++c)
			return false; /* a trailing slash */
	}
	return true;
}

uint64_t cgroup_id_at(int root, const char *path)
{
	struct stat st;

	if (fstatat(root, path[0] == '/' ? path + 1 : path, &st, AT_SYMLINK_NOFOLLOW) ||
	    !S_ISDIR(st.st_mode))
		return 0;
	return st.st_ino;
}

struct search {
	const char *name;
	unsigned int budget; /* directories looked at, at most */
	int found;	     /* matches so far */
	char *path;	     /* the first one */
	size_t len;
	char other[KS_CGROUP_PATH_MAX]; /* the second one */
};

/* Depth-first below dir (its path from the root: at), for directories named s->name. */
static int search(int dir, const char *at, int depth, struct search *s)
{
	DIR *d = fdopendir(dir);
	struct dirent *de;
	int err = 0;

	if (!d) {
		close(dir);
		return -errno;
	}
	while (!err && s->found < 2 && (de = readdir(d))) {
		char sub[KS_CGROUP_PATH_MAX];
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		if (!s->budget) {
			err = -E2BIG;
			break;
		}
		s->budget--;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", at, de->d_name) >= sizeof(sub))
			continue;
		if (!strcmp(de->d_name, s->name)) {
			if (s->found++)
				snprintf(s->other, sizeof(s->other), "%s", sub);
			else
				snprintf(s->path, s->len, "%s", sub);
		}
		if (depth < 8 && (fd = openat(dirfd(d), de->d_name,
					      O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) >= 0)
			err = search(fd, sub, depth + 1, s);
	}
	closedir(d);
	return err;
}

int cgroup_find(int root, const char *arg, char *path, size_t len, uint64_t *id,
		struct ks_error *e)
{
	const char *rel = arg[0] == '/' ? arg + 1 : arg;
	struct search s = { .name = rel, .budget = 100000, .path = path, .len = len };
	int err, fd;

	if (strlen(arg) >= KS_CGROUP_PATH_MAX - 1 || !clean_path(rel))
		return ks_fail(e, -EINVAL, "cgroup '%s': not a path below the cgroup root",
			       escn(arg, 80));
	if (strchr(rel, '/') || arg[0] == '/') {
		snprintf(path, len, "/%s", rel);
	} else {
		fd = openat(root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		err = fd < 0 ? -errno : search(fd, "", 0, &s);
		if (err == -E2BIG)
			return ks_fail(e, err, "cgroup '%s': too many cgroups to search (over "
				       "100000): give its path", esc(arg));
		if (err)
			return ks_fail(e, err, "cgroup '%s': %s", esc(arg), strerror(-err));
		if (!s.found)
			return ks_fail(e, -ENOENT, "cgroup '%s': no such cgroup (a unit that runs, "
				       "e.g. app-firefox.scope, or a path)", esc(arg));
		if (s.found > 1)
			return ks_fail(e, -EEXIST, "cgroup '%s' names more than one (%s and %s): "
				       "give its path", esc(arg), esc(path), esc(s.other));
	}
	*id = cgroup_id_at(root, path);
	if (!*id)
		return ks_fail(e, -ENOENT, "cgroup '%s': no such cgroup", esc(path));
	return 0;
}
