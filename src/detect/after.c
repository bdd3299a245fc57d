/*
 * Login after failures (credential stuffing, a guessed password): a
 * successful login from a source whose burst of failures is still open, or
 * for an account that has just failed from other sources.
 *
 * It keeps no state of its own: it reads the facts the others wrote, the
 * source's burst (the burst detector: brute.c) and the account's failing
 * sources (the front door) and whether they make a distributed attack
 * (distributed.c). A user who mistyped was forgiven by the front door
 * before this runs (the source is gone).
 */
#include "detect/shared.h"

static void after_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	const struct detect_config *c = detect_cfg(d);
	int64_t now = detect_now(d), win = (int64_t)c->after_window * USEC_PER_SEC;
	uint32_t now_s = (uint32_t)(now / USEC_PER_SEC);
	struct src_entry *s = x->src;
	struct acct_entry *ac = x->acct;
	struct burst_fact b = { 0 };
	uint32_t other_n = 0, other_sum = 0;
	bool src_reason, user_reason, attacking = false;
	char span[32], wins[32], ab[ADDR_STRLEN];
	struct alert *a;
	(void)st;

	/* the source's open burst */
	src_reason = s && now - s->last <= win && src_burst(s, now, &b) && b.count >= c->after_min_failures;
	if (ac)
		other_n = acct_failures_since(ac, now_s >= c->after_window ? now_s - c->after_window : 0,
					      ev->source.family != ADDR_NONE ? x->src_h : 0, &other_sum);
	user_reason = other_n >= 1 && other_sum >= c->after_min_failures;
	if (!src_reason && !user_reason)
		return;

	if (src_reason && (b.fast || b.slow))
		attacking = true;
	if (user_reason && ac->dist_hit)
		attacking = true;
	a = alert_new(AK_LOGIN_AFTER_FAILURES, attacking ? SEV_HIGH : SEV_MEDIUM);
	if (!a)
		return;
	a->source = ev->source;
	detect_alert_host(d, a, x->host);
	(void)alert_set_user(a, ev->user);
	alert_touch(a, now);
	a->count = 1;
	fmt_duration(wins, sizeof(wins), win);
	if (src_reason) {
		fmt_duration(span, sizeof(span), now - b.first);
		alert_touch(a, b.first);
		a->count += b.count;
		(void)alert_add_why(a, "logged in after %u failed login attempts from %s in the %s before%s", b.count,
				    addr_format(&ev->source, ab), span,
				    b.fast   ? ", which was brute forcing"
				    : b.slow ? ", which was slowly brute forcing"
					     : "");
		if (b.multi)
			(void)alert_add_why(a, "that address had tried %s%u different user names",
					    b.users_at_least ? "at least " : "", b.users);
	}
	if (user_reason) {
		a->count += other_sum;
		(void)alert_add_why(a, "the account had %u failed logins from %u other address%s in the last %s%s",
				    other_sum, other_n, other_n == 1 ? "" : "es", wins,
				    ac->dist_hit ? ", a distributed attack" : "");
	}
	(void)alert_add_evidence(a, &ev->origin);
	if (src_reason)
		detect_src_evidence(d, s, a);
	detect_emit(d, a);
}

static bool after_enabled(const struct detect_config *c)
{
	return c->after_enabled;
}

static uint32_t after_keep(const struct detect_config *c)
{
	return c->after_window;
}

const struct detector_ops after_ops = {
	.name = "login_after_failures",
	.kinds = KIND_BIT(EV_AUTH_SUCCESS),
	.needs = NEED_ACCT_FAILURES,
	.feed = after_feed,
	.src_keep = after_keep,
	.acct_keep = after_keep,
	.enabled = after_enabled,
};
