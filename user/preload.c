// SPDX-License-Identifier: GPL-2.0-only
#include <signal.h>
#include <string.h>

#include "esc.h"
#include "log.h"
#include "preload.h"

struct part_job {
	struct ks_split_preload *pl;
	int err;
	struct ks_error e;
};

static void *load_ingress(void *arg)
{
	struct part_job *j = arg;

	j->err = split_preload_part(j->pl, KS_PART_INGRESS, &j->e);
	return NULL;
}

/* The two tc parts at once, the ingress one on a second thread (it inherits this one's
 * blocked signals); one after the other if that thread cannot start. */
static int load_tc_parts(struct ks_preload *p)
{
	struct part_job in = { .pl = &p->pl };
	pthread_t t;
	bool apart = pthread_create(&t, NULL, load_ingress, &in) == 0;
	int err = split_preload_part(&p->pl, KS_PART_EGRESS, &p->e);

	if (apart)
		pthread_join(t, NULL);
	else if (!err)
		load_ingress(&in);
	if (!err && in.err) {
		err = in.err;
		p->e = in.e;
	}
	return err;
}

static void *load(void *arg)
{
	struct ks_preload *p = arg;

	p->err = split_preload(&p->pl, p->max_prefixes, &p->e);
	if (!p->err)
		p->err = load_tc_parts(p);
	pthread_mutex_lock(&p->lock);
	p->main_done = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
	if (!p->err)
		p->err_l3 = split_preload_part(&p->pl, KS_PART_L3, &p->e_l3);
	return NULL;
}

void preload_start(struct ks_preload *p, uint32_t max_prefixes)
{
	sigset_t all, old;

	memset(p, 0, sizeof(*p));
	p->started = true;
	p->max_prefixes = max_prefixes;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old); /* the thread inherits "all blocked" */
	p->running = pthread_create(&p->thread, NULL, load, p) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static void join(struct ks_preload *p)
{
	if (p->running) {
		pthread_join(p->thread, NULL);
		p->running = false;
	} else if (!p->main_done) {
		load(p);
	}
}

int preload_wait(struct ks_preload *p, struct ks_error *e)
{
	if (!p->running) {
		join(p);
	} else {
		pthread_mutex_lock(&p->lock);
		while (!p->main_done)
			pthread_cond_wait(&p->cond, &p->lock);
		pthread_mutex_unlock(&p->lock);
	}
	if (p->err)
		*e = p->e;
	return p->err;
}

struct ks_split_bpf *preload_take_l3(void *preload)
{
	struct ks_preload *p = preload;
	struct ks_split_bpf *skel;

	join(p);
	if (p->err_l3)
		ks_err("split", "event=l3_programs_failed reason=\"%s\"", esc(p->e_l3.msg));
	skel = p->pl.part[KS_PART_L3];
	p->pl.part[KS_PART_L3] = NULL;
	return skel;
}

void preload_free(struct ks_preload *p)
{
	if (!p->started)
		return;
	if (p->running) /* else nothing is loading: no load in place only to free it */
		join(p);
	split_preload_free(&p->pl);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	p->started = false;
}
