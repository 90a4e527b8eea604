// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

#include "app.h"
#include "esc.h"
#include "log.h"
#include "split.h"
#include "split.skel.h"

static const char *const via_names[] = { "split", "tunnel", "direct" };

int app_via_parse(const char *word, uint32_t *via)
{
	for (uint32_t i = 0; i < 3; i++)
		if (!strcmp(word, via_names[i])) {
			*via = i;
			return 0;
		}
	return -EINVAL;
}

const char *app_via_name(uint32_t via)
{
	return via < 3 ? via_names[via] : "?";
}

static struct bpf_map *policy_map(const struct ks_split_state *sp)
{
	return sp->skel->maps.ks_app_policy;
}

/* KS_CFG_APPS follows the table: the hooks look cgroups up only while it has entries. */
static int sync_flag(struct ks_split_state *sp)
{
	uint32_t want = sp->apps.n ? KS_CFG_APPS : 0, was = sp->cfg.flags;
	int err;

	if ((was & KS_CFG_APPS) == want)
		return 0;
	sp->cfg.flags = (was & ~(uint32_t)KS_CFG_APPS) | want;
	err = split_config_update(sp);
	if (err)
		sp->cfg.flags = was; /* what the map still says */
	return err;
}

static struct ks_app *find(struct ks_apps *a, uint64_t id)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].id == id)
			return &a->v[i];
	return NULL;
}

static void forget(struct ks_split_state *sp, struct ks_app *app)
{
	bpf_map__delete_elem(policy_map(sp), &app->id, sizeof(app->id), 0);
	*app = sp->apps.v[--sp->apps.n];
	if (sync_flag(sp))
		ks_warn("app", "event=config_update_failed apps=%zu", sp->apps.n);
}

/* Levels below the root: "/a/b" is 2 (the BPF walk's level of b). */
static int depth(const char *path)
{
	int n = 0;

	for (const char *c = path; *c; c++)
		n += *c == '/';
	return n;
}

/* The daemon's own cgroup (from /proc/self/cgroup's "0::" line) into own. */
static int own_cgroup(char *own, size_t len)
{
	char line[KS_CGROUP_PATH_MAX + 8];
	FILE *f = fopen("/proc/self/cgroup", "re");
	int err = -ENOENT;

	while (f && err && fgets(line, sizeof(line), f))
		if (!strncmp(line, "0::", 3)) {
			line[strcspn(line, "\n")] = 0;
			err = (size_t)snprintf(own, len, "%.*s", KS_CGROUP_PATH_MAX - 1, line + 3) >=
					      len ? -ENAMETOOLONG : 0;
		}
	if (f)
		fclose(f);
	return err;
}

/* path holds kslice itself: its reconnects (the gateway's name, its address) must take
 * the normal path, never a tunnel that is down while they happen. */
static bool holds_us(const char *path)
{
	char own[KS_CGROUP_PATH_MAX];
	size_t n = strlen(path);

	return !own_cgroup(own, sizeof(own)) && !strncmp(own, path, n) &&
	       (own[n] == 0 || own[n] == '/');
}

static int resolve(struct ks_split_state *sp, const char *target, char *path, uint64_t *id,
		   struct ks_error *e)
{
	if (!sp->started)
		return ks_fail(e, -ENOTCONN, "split tunneling is not active");
	if (!sp->apps.root_open) {
		int fd = cgroup_root_fd();

		if (fd < 0)
			return ks_fail(e, fd, "app: no cgroup v2 hierarchy: %s", strerror(-fd));
		sp->apps.root = fd;
		sp->apps.root_open = true;
	}
	return cgroup_find(sp->apps.root, target, path, KS_CGROUP_PATH_MAX, id, e);
}

int app_set(struct ks_split_state *sp, const char *target, uint32_t via, struct ks_error *e)
{
	struct ks_app_policy pol = { .via = via };
	char path[KS_CGROUP_PATH_MAX];
	struct ks_app *app, *grown;
	uint64_t id;
	int err = resolve(sp, target, path, &id, e);

	if (err)
		return err;
	if (depth(path) >= KS_CGROUP_MAX_DEPTH)
		return ks_fail(e, -E2BIG, "app: %s is %d levels deep; the hooks look at %d", esc(path),
			       depth(path), KS_CGROUP_MAX_DEPTH - 1);
	if (via != KS_VIA_SPLIT && holds_us(path))
		return ks_fail(e, -EPERM, "app: %s holds kslice itself (its reconnects must not "
			       "depend on the tunnel): give a cgroup below it", esc(path));
	app = find(&sp->apps, id);
	if (!app) {
		if (sp->apps.n >= KS_APP_MAX)
			return ks_fail(e, -E2BIG, "app: more than %d cgroups have a policy", KS_APP_MAX);
		grown = realloc(sp->apps.v, (sp->apps.n + 1) * sizeof(*grown));
		if (!grown)
			return ks_fail(e, -ENOMEM, "app: out of memory");
		sp->apps.v = grown;
		app = &sp->apps.v[sp->apps.n];
		*app = (struct ks_app){ .id = id };
	} else {
		/* a change keeps the hits counted so far */
		bpf_map__lookup_elem(policy_map(sp), &id, sizeof(id), &pol, sizeof(pol), 0);
		pol.via = via;
	}
	err = bpf_map__update_elem(policy_map(sp), &id, sizeof(id), &pol, sizeof(pol), 0);
	if (err)
		return ks_fail(e, err, "app: cannot set the policy of %s: %s", esc(path),
			       strerror(-err));
	if (app == &sp->apps.v[sp->apps.n])
		sp->apps.n++;
	app->via = via;
	snprintf(app->path, sizeof(app->path), "%s", path);
	err = sync_flag(sp);
	if (err) {
		forget(sp, app);
		return ks_fail(e, err, "app: cannot update the split config: %s", strerror(-err));
	}
	ks_info("app", "event=policy cgroup=\"%s\" id=%llu via=%s", esc(path),
		(unsigned long long)id, app_via_name(via));
	return 0;
}

int app_del(struct ks_split_state *sp, const char *target, struct ks_error *e)
{
	char path[KS_CGROUP_PATH_MAX];
	struct ks_app *app = NULL;
	uint64_t id;
	int err;

	/* a path of the table first: its cgroup may be gone already */
	for (size_t i = 0; i < sp->apps.n && !app; i++)
		if (!strcmp(sp->apps.v[i].path, target) ||
		    (target[0] != '/' && !strcmp(sp->apps.v[i].path + 1, target)))
			app = &sp->apps.v[i];
	if (!app) {
		err = resolve(sp, target, path, &id, e);
		if (err)
			return err;
		app = find(&sp->apps, id);
		if (!app)
			return ks_fail(e, -ENOENT, "app: %s has no policy", esc(path));
	}
	ks_info("app", "event=policy_removed cgroup=\"%s\"", esc(app->path));
	forget(sp, app);
	return 0;
}

void app_tick(struct ks_split_state *sp)
{
	for (size_t i = 0; i < sp->apps.n;) {
		struct ks_app *app = &sp->apps.v[i];

		/* gone, or another cgroup now at that path: not the one that was meant */
		if (cgroup_id_at(sp->apps.root, app->path) != app->id) {
			ks_info("app", "event=cgroup_gone cgroup=\"%s\"", esc(app->path));
			forget(sp, app);
			continue;
		}
		i++;
	}
}

void app_free(struct ks_split_state *sp)
{
	free(sp->apps.v);
	sp->apps.v = NULL;
	sp->apps.n = 0;
	if (sp->apps.root_open)
		close(sp->apps.root);
	sp->apps.root_open = false;
}

static uint64_t hits(const struct ks_split_state *sp, uint64_t id)
{
	struct ks_app_policy pol = { 0 };

	bpf_map__lookup_elem(policy_map(sp), &id, sizeof(id), &pol, sizeof(pol), 0);
	return pol.hits;
}

void app_report_json(const struct ks_split_state *sp, struct ks_json *j)
{
	json_arr_open(j, "apps");
	for (size_t i = 0; i < sp->apps.n; i++) {
		json_obj_open(j, NULL);
		json_str(j, "cgroup", sp->apps.v[i].path);
		json_u64(j, "cgroup_id", sp->apps.v[i].id);
		json_str(j, "via", app_via_name(sp->apps.v[i].via));
		json_u64(j, "hits", hits(sp, sp->apps.v[i].id));
		json_obj_close(j);
	}
	json_arr_close(j);
}

void app_report_text(const struct ks_split_state *sp, struct ks_buf *out)
{
	for (size_t i = 0; i < sp->apps.n; i++)
		buf_printf(out, "app      %-28s %-16s hits %llu\n", esc(sp->apps.v[i].path),
			   app_via_name(sp->apps.v[i].via),
			   (unsigned long long)hits(sp, sp->apps.v[i].id));
}
