/*
 * Login after failures (credential stuffing, a guessed password): a
 * successful login from a source that has just failed, or for an account
 * that has just failed from other sources.
 *
 * A user who mistypes is not an attacker: when the source's failures were
 * all for the user who now logs in, and no more than
 * brute_force.mistypes_forgiven, the source is forgotten without a word.
 */
#include "detect/internal.h"

void after_success(struct detect *d, const struct event *ev, uint16_t host)
{
	const struct detect_config *c = d->cfg;
	int64_t now = d->now_us, win = (int64_t)c->after_window * USEC_PER_SEC;
	uint32_t now_s = (uint32_t)(now / USEC_PER_SEC);
	uint64_t uh = ev->user.n ? detect_name_hash(d, ev->user) : 0;
	struct src *s = ev->source.family != ADDR_NONE ? brute_find(d, &ev->source) : NULL;
	struct sburst *b = NULL;
	struct acct *ac = NULL;
	uint32_t other_n = 0, other_sum = 0;
	bool src_reason, user_reason, attacking = false;
	char span[32], wins[32], ab[ADDR_STRLEN];
	struct alert *a;

	if (ev->user.n)
		ac = detect_acct(d, host, ev->user, false);
	if (s && brute_only_user(s, uh) && s->s_count <= c->bf_forgive) {
		/* forget the mistypes on the account's side too */
		struct sitem *it = ac ? sset_find(&ac->srcs, addr_hash(&ev->source, d->seed)) : NULL;
		if (it)
			sset_zero(&ac->srcs, it);
		brute_forgive(d, s);
		s = NULL;
	}
	if (!c->after_enabled)
		return;
	/* the source's open burst (a one-attempt burst is given a block to read) */
	b = s && now - s->last <= win ? brute_burst(d, s) : NULL;
	src_reason = b && b->count >= c->after_min_failures;
	if (ac)
		other_n = sset_active(&ac->srcs, now_s >= c->after_window ? now_s - c->after_window : 0,
				      ev->source.family != ADDR_NONE ? addr_hash(&ev->source, d->seed) : 0, &other_sum);
	user_reason = other_n >= 1 && other_sum >= c->after_min_failures;
	if (!src_reason && !user_reason)
		return;

	if (src_reason && (b->burst_hit || b->spray_hit || s->slow_hit))
		attacking = true;
	if (user_reason && ac->d_hit)
		attacking = true;
	a = alert_new(AK_LOGIN_AFTER_FAILURES, attacking ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	a->source = ev->source;
	detect_alert_host(d, a, host);
	(void)alert_set_user(a, ev->user);
	alert_touch(a, now);
	a->count = 1;
	fmt_duration(wins, sizeof(wins), win);
	if (src_reason) {
		fmt_duration(span, sizeof(span), now - b->first);
		alert_touch(a, b->first);
		a->count += b->count;
		(void)alert_add_why(a, "logged in after %u failed login attempts from %s in the %s before%s",
				    b->count, addr_format(&ev->source, ab), span,
				    b->burst_hit || b->spray_hit ? ", which was brute forcing"
				    : s->slow_hit		 ? ", which was slowly brute forcing"
								 : "");
		if (b->multi)
			(void)alert_add_why(a, "that address had tried %u different user names", b->users);
	}
	if (user_reason) {
		a->count += other_sum;
		(void)alert_add_why(a, "the account had %u failed logins from %u other address%s in the last %s%s",
				    other_sum, other_n, other_n == 1 ? "" : "es", wins,
				    ac->d_hit ? ", a distributed attack" : "");
	}
	(void)alert_add_evidence(a, &ev->origin);
	if (src_reason)
		brute_evidence(d, s, true, a);
	detect_emit(d, a);
}
