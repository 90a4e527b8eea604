// SPDX-License-Identifier: GPL-2.0-only
/* Cgroups a local user names (`kslice app add CGROUP`, through the control socket):
 * cgroup.c's clean_path and cgroup_find, against a tree of directories made once in a
 * temporary directory, shaped like a cgroup hierarchy (nested slices, a unit name found
 * twice, one found once). Accepted paths hold to a model (components that are not empty,
 * "." or "..", no control byte); what cgroup_find accepts is a path from the tree's root
 * whose directory exists and has the id it returned, and a bare name ends it; what it
 * refuses comes with a message of one printable line. The tree is made beside the binary
 * (build-fuzz/cgroup-tree.PID) and removed at exit; a crash leaves it there, with the
 * artifacts. */
#include "../../user/cgroup.c"

#include "fuzz.h"

static const char *const tree[] = {
	"user.slice",
	"user.slice/user-1000.slice",
	"user.slice/user-1000.slice/app-firefox.scope",
	"user.slice/user-1000.slice/app-ssh.scope",
	"system.slice",
	"system.slice/app-firefox.scope", /* the same unit name twice: refused as ambiguous */
	"system.slice/cron.service",
	"kslice.exec",
	"kslice.exec/ks0.42",
	"a",
	"a/b",
	"a/b/c",
	"a/b/c/d",
	"x y", /* a space is printable: allowed */
};
#define TREE_N (sizeof(tree) / sizeof(tree[0]))

static char top[4200];
static int root = -1;

static void remove_tree(void)
{
	for (size_t i = TREE_N; i-- > 0;)
		unlinkat(root, tree[i], AT_REMOVEDIR);
	close(root);
	rmdir(top);
}

static void make_tree(void)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		abort();
	exe[n] = 0;
	slash = strrchr(exe, '/');
	if (!slash)
		abort();
	*slash = 0;
	snprintf(top, sizeof(top), "%s/cgroup-tree.%d", exe, (int)getpid());
	if (mkdir(top, 0700))
		abort();
	root = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		abort();
	for (size_t i = 0; i < TREE_N; i++)
		if (mkdirat(root, tree[i], 0700))
			abort();
	atexit(remove_tree);
}

/* The model of a clean path: components split at '/', none empty, "." or "..", and no
 * control byte anywhere. */
static bool model_clean(const char *p)
{
	const char *c = p;

	if (!*p)
		return false;
	for (const char *q = p; *q; q++)
		if ((unsigned char)*q < 0x20 || *q == 0x7f)
			return false;
	for (;;) {
		const char *slash = strchr(c, '/');
		size_t n = slash ? (size_t)(slash - c) : strlen(c);

		if (!n || (n == 1 && c[0] == '.') || (n == 2 && !strncmp(c, "..", 2)))
			return false;
		if (!slash)
			return true;
		c = slash + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *arg = fuzz_cstr_all(data, size < 600 ? size : 600), path[KS_CGROUP_PATH_MAX];
	struct ks_error e = { { 0 } };
	uint64_t id = 0;
	int err;

	if (root < 0)
		make_tree();
	FUZZ_CHECK(clean_path(arg) == model_clean(arg), "clean_path('%s') is %d", arg,
		   clean_path(arg));
	memset(path, 0, sizeof(path));
	err = cgroup_find(root, arg, path, sizeof(path), &id, &e);
	if (!err) {
		const char *rel = arg[0] == '/' ? arg + 1 : arg;
		size_t n = strlen(path), r = strlen(rel);

		FUZZ_CHECK(path[0] == '/' && model_clean(path + 1), "'%s' gave the path '%s'", arg,
			   path);
		FUZZ_CHECK(id && cgroup_id_at(root, path) == id, "'%s': the id of '%s'", arg, path);
		/* A path names itself; a bare name, the last component of what was found. */
		FUZZ_CHECK(n >= r + 1 && !strcmp(path + n - r, rel) && path[n - r - 1] == '/',
			   "'%s' found '%s'", arg, path);
		FUZZ_LOG("'%s' -> %s (%llu)", arg, path, (unsigned long long)id);
	} else {
		FUZZ_CHECK(err < 0 && e.msg[0] && !fuzz_has_ctl(e.msg), "'%s': error %d '%s'", arg,
			   err, e.msg);
		FUZZ_LOG("'%s' -> %d %s", arg, err, e.msg);
	}
	free(arg);
	return 0;
}
