/*
 * Distributed attack: one account, many sources. The front door keeps, per
 * account (host + user name), the bounded set of sources failing for it
 * (limits.max_sources_per_account; the fact acct_entry.failures). An
 * episode is the run of failures for the account with gaps shorter than
 * the window, reported once at its end when at some moment
 * distributed.min_sources distinct sources had failed within the window.
 * While one is reported-to-be, the account's dist_hit fact says so (the
 * login-after-failures detector reads it).
 */
#include <errno.h>
#include <stdlib.h>

#include "core/list.h"
#include "detect/shared.h"

struct dacct {
	struct list link; /* on the detector's open episodes, by last failure */
	int64_t first, last;
	uint32_t count, peak;
	uint32_t ovf_base; /* the failing-sources set's overflow count when the episode began */
	struct addr sample[3];
	uint32_t n_sample;
	struct evid evid;
};

struct dist {
	const struct detect_config *cfg;
	struct detector_env env;
	struct list open;
	int64_t gap_us;
};

static void dist_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct dist *D = st;
	const struct detect_config *c = D->cfg;
	struct acct_entry *ac = x->acct;
	int64_t now = detect_now(d);
	uint32_t now_s = (uint32_t)(now / USEC_PER_SEC);

	if (!ac)
		return;
	struct dacct *p = acct_part(ac, &D->env);
	if (!list_linked(&p->link)) {
		p->first = now;
		p->count = p->peak = 0;
		ac->dist_hit = false;
		p->n_sample = 0;
		p->evid = (struct evid){ 0 };
		/* this failure's own overflow belongs to the episode */
		p->ovf_base = ac->failures.overflow - !x->src_kept;
	}
	list_push(&D->open, &p->link);
	p->last = now;
	p->count += x->n;
	evid_add(&p->evid, x->ref);

	if (!x->src_fresh)
		return;
	if (p->n_sample < ELEMENTSOF(p->sample))
		p->sample[p->n_sample++] = ev->source;
	/* No more sources are active than the set holds: once the episode's
	 * peak is that many, counting again changes nothing (the peak stays,
	 * and the alert was decided when it was reached). */
	if (p->peak >= ac->failures.n)
		return;
	/* full of fresh sources: at least that many (no need to count again) */
	uint32_t active = x->src_kept ? sset_live(&ac->failures, now_s, c->dist_window) : ac->failures.n;
	if (active > p->peak)
		p->peak = active;
	if (active >= c->dist_min_sources)
		ac->dist_hit = true;
}

static void dist_close(struct detect *d, struct dist *D, struct acct_entry *ac, struct dacct *p)
{
	const struct detect_config *c = D->cfg;
	char win[32], span[32], ab[ADDR_STRLEN];
	struct sbuf sb = { .n = 0 };
	struct alert *a;

	if (!list_linked(&p->link))
		return;
	list_unlink(&p->link);
	if (!ac->dist_hit)
		return;
	ac->dist_hit = false;
	a = alert_new(AK_DISTRIBUTED_ATTACK, p->peak >= c->dist_high_sources ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	detect_alert_host(d, a, ac->host);
	(void)alert_set_user(a, sv_make(ac->name, ac->name_len));
	alert_touch(a, p->first);
	alert_touch(a, p->last);
	a->count = p->count;
	fmt_duration(win, sizeof(win), (int64_t)c->dist_window * USEC_PER_SEC);
	fmt_duration(span, sizeof(span), p->last - p->first);
	(void)alert_add_why(a,
			    "%s%u different addresses failed to log in as this account within %s (threshold: %u; "
			    "high from %u)",
			    ac->failures.overflow != p->ovf_base ? "at least " : "", p->peak, win, c->dist_min_sources,
			    c->dist_high_sources);
	sb.b[0] = '\0';
	for (uint32_t i = 0; i < p->n_sample; i++)
		sb_printf(&sb, "%s%s", i ? ", " : "", addr_format(&p->sample[i], ab));
	(void)alert_add_why(a, "%u failed attempts in %s, from %s%s", p->count, span, sb.b,
			    p->peak > p->n_sample ? ", …" : "");
	(void)evid_to_alert(d, &p->evid, a);
	detect_emit(d, a);
}

static void dist_sweep(struct detect *d, void *st, int64_t now)
{
	struct dist *D = st;
	struct list *l;
	while ((l = list_oldest(&D->open))) {
		struct dacct *p = list_entry(l, struct dacct, link);
		if (now - p->last <= D->gap_us)
			break;
		dist_close(d, D, acct_of_part(p, &D->env), p);
	}
}

static int64_t dist_due(const void *st)
{
	const struct dist *D = st;
	struct list *l = list_oldest(&D->open);
	if (!l)
		return INT64_MAX;
	int64_t last = list_entry(l, struct dacct, link)->last;
	return last > INT64_MAX - D->gap_us ? INT64_MAX : last + D->gap_us;
}

static void dist_acct_drop(struct detect *d, void *st, struct acct_entry *e, void *part, enum part_drop why)
{
	(void)why;
	dist_close(d, st, e, part);
	list_unlink(&((struct dacct *)part)->link);
}

static int dist_init(struct detect *d, const struct detector_env *env, void **ret)
{
	struct dist *D = calloc(1, sizeof(*D));
	if (!D)
		return -ENOMEM;
	D->cfg = detect_cfg(d);
	D->env = *env;
	D->gap_us = (int64_t)D->cfg->dist_window * USEC_PER_SEC;
	list_init(&D->open);
	*ret = D;
	return 0;
}

static void dist_free(struct detect *d, void *st)
{
	(void)d;
	free(st);
}

static bool dist_enabled(const struct detect_config *c)
{
	return c->dist_enabled;
}

static uint32_t dist_keep(const struct detect_config *c)
{
	return c->dist_window;
}

static int64_t dist_min_gap(const struct detect_config *c)
{
	return (int64_t)c->dist_window * USEC_PER_SEC;
}

const struct detector_ops distributed_ops = {
	.name = "distributed",
	.kinds = KINDS_ATTEMPT,
	.needs = NEED_ACCT_FAILURES,
	.acct_size = sizeof(struct dacct),
	.init = dist_init,
	.feed = dist_feed,
	.sweep = dist_sweep,
	.due = dist_due,
	.min_gap = dist_min_gap,
	.acct_drop = dist_acct_drop,
	.acct_keep = dist_keep,
	.enabled = dist_enabled,
	.free_state = dist_free,
};
