/*
 * Distributed attack: one account, many sources. Each account (host + user
 * name) keeps a bounded set of the sources failing for it
 * (limits.max_sources_per_account); an episode is the run of failures for
 * the account with gaps shorter than the window, reported once at its end
 * when at some moment distributed.min_sources distinct sources had failed
 * within the window.
 */
#include "detect/internal.h"

void dist_feed(struct detect *d, struct acct *ac, const struct addr *src, uint64_t src_h, uint32_t n)
{
	const struct detect_config *c = d->cfg;
	uint32_t now_s = (uint32_t)(d->now_us / USEC_PER_SEC), prev_s;
	bool fresh;

	if (src->family == ADDR_NONE)
		return;
	if (!dl_linked(&ac->dist)) {
		ac->d_first = d->now_us;
		ac->d_count = ac->d_peak = 0;
		ac->d_hit = false;
		ac->n_d_sample = 0;
		ac->d_evid = (struct evid){ 0 };
		ac->srcs.overflow = 0;
	}
	dl_push(&d->dist_open, &ac->dist);
	ac->d_last = d->now_us;
	ac->d_count += n;
	evid_add(&ac->d_evid, d->ref);

	struct sitem *it = sset_touch(&ac->srcs, src_h, now_s, c->dist_window,
				      c->max_sources_per_account, n, &fresh, &prev_s);
	if (!fresh)
		return;
	if (ac->n_d_sample < ELEMENTSOF(ac->d_sample))
		ac->d_sample[ac->n_d_sample++] = *src;
	/* No more sources are active than the set holds: once the episode's
	 * peak is that many, counting again changes nothing (the peak stays,
	 * and the alert was decided when it was reached). */
	if (ac->d_peak >= ac->srcs.n)
		return;
	/* full of fresh sources: at least that many (no need to count again) */
	uint32_t active = it ? sset_live(&ac->srcs, now_s, c->dist_window) : ac->srcs.n;
	if (active > ac->d_peak)
		ac->d_peak = active;
	if (c->dist_enabled && active >= c->dist_min_sources)
		ac->d_hit = true;
}

void dist_close(struct detect *d, struct acct *ac)
{
	const struct detect_config *c = d->cfg;
	char win[32], span[32], ab[ADDR_STRLEN];
	struct sbuf sb = { .n = 0 };
	struct alert *a;

	if (!dl_linked(&ac->dist))
		return;
	dl_unlink(&ac->dist);
	if (!ac->d_hit)
		return;
	ac->d_hit = false;
	a = alert_new(AK_DISTRIBUTED_ATTACK, ac->d_peak >= c->dist_high_sources ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	detect_alert_host(d, a, ac->host);
	(void)alert_set_user(a, sv_make(ac->name, ac->name_len));
	alert_touch(a, ac->d_first);
	alert_touch(a, ac->d_last);
	a->count = ac->d_count;
	fmt_duration(win, sizeof(win), (int64_t)c->dist_window * USEC_PER_SEC);
	fmt_duration(span, sizeof(span), ac->d_last - ac->d_first);
	(void)alert_add_why(a,
			    "%s%u different addresses failed to log in as this account within %s (threshold: %u; "
			    "high from %u)",
			    ac->srcs.overflow ? "at least " : "", ac->d_peak, win, c->dist_min_sources,
			    c->dist_high_sources);
	sb.b[0] = '\0';
	for (uint32_t i = 0; i < ac->n_d_sample; i++)
		sb_printf(&sb, "%s%s", i ? ", " : "", addr_format(&ac->d_sample[i], ab));
	(void)alert_add_why(a, "%u failed attempts in %s, from %s%s", ac->d_count, span, sb.b,
			    ac->d_peak > ac->n_d_sample ? ", …" : "");
	(void)evid_to_alert(d, &ac->d_evid, a);
	detect_emit(d, a);
}

void dist_sweep(struct detect *d, int64_t now)
{
	int64_t gap = (int64_t)d->cfg->dist_window * USEC_PER_SEC;
	struct dlink *l;
	while ((l = dl_oldest(&d->dist_open))) {
		struct acct *ac = container_of(l, struct acct, dist);
		if (now - ac->d_last <= gap)
			break;
		dist_close(d, ac);
	}
}
