/*
 * Login after failures (credential stuffing, a guessed password): a
 * successful login that the failures before it could have led to, because
 * they could be the same actor's:
 *
 *  - from the same source, whose burst of failures is still open (any
 *    user name: a list was tried, one worked);
 *  - for the same account from other sources, guessing with the method the
 *    login then used (a password guessed from the internet says nothing of
 *    an admin's key login from the office).
 *
 * One alert per episode: a burst, or an account's run of failures, that
 * led to a login already reported is not reported again at the account's
 * later logins.
 *
 * It reads the facts the others wrote: the source's burst (the burst
 * detector: brute.c), the account's failing sources and runs of failures by
 * method (the front door) and whether they make a distributed attack
 * (distributed.c). A user who mistyped was forgiven by the front door
 * before this runs (the source is gone). Its own parts remember what it
 * reported.
 */
#include <errno.h>
#include <stdlib.h>

#include "detect/shared.h"

struct after_src {
	int64_t reported_first; /* the burst (by its first attempt) a login after it was reported for */
};

struct after_acct {
	uint32_t reported_run; /* the run of failures (by its first second) a login after it was reported for */
};

struct after {
	struct detector_env env;
};

static void after_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct after *A = st;
	const struct detect_config *c = detect_cfg(d);
	int64_t now = detect_now(d), win = (int64_t)c->after_window * USEC_PER_SEC;
	uint32_t now_s = (uint32_t)(now / USEC_PER_SEC), since_s = now_s >= c->after_window ? now_s - c->after_window : 0;
	struct src_entry *s = x->src;
	struct acct_entry *ac = x->acct;
	struct after_src *sp = s ? src_part(s, &A->env) : NULL;
	struct after_acct *ap = ac ? acct_part(ac, &A->env) : NULL;
	const struct fail_run *run = NULL;
	struct burst_fact b = { 0 };
	uint32_t other_n = 0, other_sum = 0;
	bool src_reason, user_reason, attacking = false;
	char span[32], wins[32], ab[ADDR_STRLEN];
	struct alert *a;

	/* the source's open burst, unless a login after it was reported */
	src_reason = s && now - s->last <= win && src_burst(s, now, &b) && b.count >= c->after_min_failures &&
		     sp->reported_first != b.first;
	if (ac) {
		other_n = acct_failures_since(ac, since_s, ev->source.family != ADDR_NONE ? x->src_h : 0, &other_sum);
		run = acct_failed_by(ac, ev->method, since_s);
	}
	user_reason = other_n >= 1 && other_sum >= c->after_min_failures && run &&
		      run->attempts >= c->after_min_failures && ap->reported_run != run->first_s;
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
		sp->reported_first = b.first;
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
		ap->reported_run = run->first_s;
		a->count += other_sum;
		(void)alert_add_why(a, "the account had %u failed logins from %u other address%s in the last %s%s",
				    other_sum, other_n, other_n == 1 ? "" : "es", wins,
				    ac->dist_hit ? ", a distributed attack" : "");
		(void)alert_add_why(a, "it was being guessed by %s, the method of this login (%u failures in a row)",
				    auth_method_name(ev->method), run->attempts);
	}
	(void)alert_add_evidence(a, &ev->origin);
	if (src_reason)
		detect_src_evidence(d, s, a);
	detect_emit(d, a);
}

static int after_init(struct detect *d, const struct detector_env *env, void **ret)
{
	struct after *A = calloc(1, sizeof(*A));
	(void)d;
	if (!A)
		return -ENOMEM;
	A->env = *env;
	*ret = A;
	return 0;
}

static void after_free(struct detect *d, void *st)
{
	(void)d;
	free(st);
}

static bool after_enabled(const struct detect_config *c)
{
	return c->after_enabled;
}

static uint32_t after_keep(const struct detect_config *c)
{
	return c->after_window;
}

static size_t after_src_size(const struct detect_config *c)
{
	(void)c;
	return sizeof(struct after_src);
}

const struct detector_ops after_ops = {
	.name = "login_after_failures",
	.kinds = KIND_BIT(EV_AUTH_SUCCESS),
	.needs = NEED_ACCT_FAILURES,
	.src_size = after_src_size,
	.acct_size = sizeof(struct after_acct),
	.init = after_init,
	.feed = after_feed,
	.free_state = after_free,
	.src_keep = after_keep,
	.acct_keep = after_keep,
	.enabled = after_enabled,
};
