/*
 * Correlation: an unusual login followed, in the same session, by
 * privilege-escalation attempts, a successful sudo or su, or an account
 * change on that host is one story and makes one alert. The unusual-login
 * alert is held until the session closes (sshd's session close with the
 * login's pid, or the disconnect of that user from that address), the
 * correlation window passes, or the input ends; then it goes out once, its
 * severity raised (critical when privilege was gained, high for attempts)
 * and its why listing what followed. The privilege-escalation events it
 * absorbed are not reported again on their own: while an account is
 * followed, its acct_entry.followed fact says so, and the
 * privilege-escalation detector leaves its events alone.
 *
 * This is the second half of the unusual-login detector (follow.h).
 */
#include <stdlib.h>
#include <string.h>

#include "core/list.h"
#include "detect/follow.h"
#include "detect/shared.h"

#define TEXT_MAX 120

struct follow {
	struct detector_env env;
	struct list pending; /* oldest deadline at the tail */
};

struct pending {
	struct list link; /* in pending, oldest deadline at the tail */
	struct acct_entry *ac;
	struct alert *a;
	int64_t deadline;
	int32_t pid;
	struct addr source;
	uint32_t refused, sudo_fail, su_fail, sudo_ok, su_ok, changes, n_events;
	/* sudo commands and su the account never used before; of the habitual
	 * ones, the fewest earlier uses */
	uint32_t new_ok, habit_min;
	char *refused_detail, *su_fail_target, *first_cmd, *su_target, *change, *first_new;
};

static char *dup_sv(struct sv v)
{
	return v.n ? strndup(v.p, MIN(v.n, (size_t)TEXT_MAX)) : NULL;
}

static void pending_free(struct pending *p)
{
	free(p->refused_detail);
	free(p->su_fail_target);
	free(p->first_cmd);
	free(p->su_target);
	free(p->change);
	free(p->first_new);
	alert_free(p->a);
	free(p);
}

struct follow *follow_new(struct detect *d, const struct detector_env *env)
{
	struct follow *f = calloc(1, sizeof(*f));
	(void)d;
	if (!f)
		return NULL;
	f->env = *env;
	list_init(&f->pending);
	return f;
}

void follow_free(struct follow *f)
{
	free(f);
}

static struct uacct *part_of(struct follow *f, struct acct_entry *ac)
{
	return acct_part(ac, &f->env);
}

void follow_open(struct detect *d, struct follow *f, struct acct_entry *ac, struct alert *a, const struct event *ev)
{
	const struct detect_config *c = detect_cfg(d);
	struct pending *p;

	if (!c->corr_enabled || !ac) {
		detect_emit(d, a);
		return;
	}
	follow_close(d, f, ac);
	p = calloc(1, sizeof(*p));
	if (!p) {
		detect_emit(d, a);
		return;
	}
	p->ac = ac;
	p->a = a;
	p->deadline = detect_now(d) + (int64_t)c->corr_window * USEC_PER_SEC;
	p->pid = ev->pid;
	p->source = ev->source;
	part_of(f, ac)->pend = p;
	ac->followed = true;
	list_push(&f->pending, &p->link);
}

static void note(struct detect *d, struct pending *p, const struct event *ev, uint32_t n, uint32_t habit)
{
	if (ev->kind == EV_SUDO_COMMAND || ev->kind == EV_SU_SUCCESS) {
		if (!habit) {
			p->new_ok += n;
			if (!p->first_new)
				p->first_new = dup_sv(ev->kind == EV_SU_SUCCESS ? ev->target : ev->command);
		} else if (!p->habit_min || habit < p->habit_min) {
			p->habit_min = habit;
		}
	}
	switch (ev->kind) {
	case EV_SUDO_REFUSED:
		p->refused += n;
		if (!p->refused_detail)
			p->refused_detail = dup_sv(ev->detail);
		break;
	case EV_SUDO_FAILURE:
		p->sudo_fail += n;
		break;
	case EV_SU_FAILURE:
		p->su_fail += n;
		if (!p->su_fail_target)
			p->su_fail_target = dup_sv(ev->target);
		break;
	case EV_SUDO_COMMAND:
		p->sudo_ok += n;
		if (!p->first_cmd)
			p->first_cmd = dup_sv(ev->command);
		break;
	case EV_SU_SUCCESS:
		p->su_ok += n;
		if (!p->su_target)
			p->su_target = dup_sv(ev->target);
		break;
	default: {
		struct sbuf sb = { .n = 0 };
		sb.b[0] = '\0';
		(void)account_describe(detect_cfg(d), ev, &sb);
		p->changes++;
		if (!p->change)
			p->change = strdup(sb.b);
		break;
	}
	}
	p->n_events += n;
	alert_touch(p->a, detect_now(d));
	(void)alert_add_evidence(p->a, &ev->origin);
}

static bool same_session(const struct pending *p, const struct event *ev)
{
	if (ev->kind == EV_SESSION_CLOSE)
		return sv_starts(ev->program, "sshd") && (p->pid <= 0 || ev->pid <= 0 || p->pid == ev->pid);
	/* a disconnect names the address */
	return addr_equal(&p->source, &ev->source) && (p->pid <= 0 || ev->pid <= 0 || p->pid == ev->pid);
}

void follow_feed(struct detect *d, struct follow *f, const struct event *ev, const struct dctx *x, uint32_t habit)
{
	struct acct_entry *ac;
	uint16_t host = x->host;
	uint32_t n = x->n;

	if (list_empty(&f->pending))
		return;
	switch (ev->kind) {
	case EV_SUDO_REFUSED:
	case EV_SUDO_FAILURE:
	case EV_SU_FAILURE:
	case EV_SUDO_COMMAND:
	case EV_SU_SUCCESS:
		ac = ev->user.n ? detect_acct(d, host, ev->user, false) : NULL;
		if (ac && part_of(f, ac)->pend)
			note(d, part_of(f, ac)->pend, ev, n, habit);
		return;
	case EV_ACCOUNT_CHANGE:
	case EV_KEY_CHANGE:
		/* the change names the account changed, not who changed it: any
		 * unusual session open on that host takes it */
		list_for_each(l, &f->pending) {
			struct pending *p = list_entry(l, struct pending, link);
			if (p->ac->host == host)
				note(d, p, ev, n, 0);
		}
		return;
	case EV_SESSION_CLOSE:
	case EV_DISCONNECT:
		ac = ev->user.n ? detect_acct(d, host, ev->user, false) : NULL;
		if (ac && part_of(f, ac)->pend && same_session(part_of(f, ac)->pend, ev))
			follow_close(d, f, ac);
		return;
	default:
		return;
	}
}

void follow_close(struct detect *d, struct follow *f, struct acct_entry *ac)
{
	struct pending *p = ac ? part_of(f, ac)->pend : NULL;
	struct alert *a;

	if (!p)
		return;
	list_unlink(&p->link);
	part_of(f, ac)->pend = NULL;
	ac->followed = false;
	a = p->a;
	p->a = NULL;
	if (p->n_events) {
		/* privilege the account uses every day is no escalation: only
		 * failed attempts, a sudo command or su it never used before, or
		 * an account change raise the severity */
		bool gained = p->new_ok || p->changes;
		bool tried = p->refused || p->sudo_fail || p->su_fail;
		struct sbuf sb = { .n = 0 };
		sb.b[0] = '\0';
		if (p->refused || p->sudo_fail || p->su_fail) {
			privesc_describe(&sb, p->refused, p->refused_detail, p->sudo_fail, p->su_fail, p->su_fail_target);
			(void)alert_add_why(a, "then, in the same session, tried to gain privilege: %s", sb.b);
		}
		if (p->sudo_ok || p->su_ok) {
			sb.n = 0;
			sb.b[0] = '\0';
			if (p->sudo_ok) {
				sb_printf(&sb, "sudo ran %u command%s", p->sudo_ok, p->sudo_ok == 1 ? "" : "s");
				if (p->first_cmd)
					sb_printf(&sb, " (first: %s)", p->first_cmd);
			}
			if (p->su_ok) {
				sb_printf(&sb, "%ssu succeeded ×%u", p->sudo_ok ? ", " : "", p->su_ok);
				if (p->su_target)
					sb_printf(&sb, " (to %s)", p->su_target);
			}
			if (p->new_ok)
				(void)alert_add_why(a, "then, in the same session, gained privilege: %s; never before by this "
						       "account: %s",
						    sb.b, p->first_new ? p->first_new : "?");
			else
				(void)alert_add_why(a,
						    "then, in the same session, used privilege as the account does: %s "
						    "(each used at least %u time%s before)",
						    sb.b, p->habit_min, p->habit_min == 1 ? "" : "s");
		}
		if (p->changes)
			(void)alert_add_why(a, "then, during the session, %s%s", p->change ? p->change : "an account changed",
					    p->changes > 1 ? " (and more account changes)" : "");
		if (gained)
			a->severity = SEV_CRITICAL;
		else if (tried)
			a->severity = MAX(a->severity, SEV_HIGH);
		a->count += p->n_events;
	}
	pending_free(p);
	detect_emit(d, a);
}

int64_t follow_due(const struct follow *f)
{
	struct list *l = list_oldest(&f->pending);
	return l ? list_entry(l, struct pending, link)->deadline : INT64_MAX;
}

void follow_sweep(struct detect *d, struct follow *f, int64_t now)
{
	struct list *l;
	while ((l = list_oldest(&f->pending))) {
		struct pending *p = list_entry(l, struct pending, link);
		if (now <= p->deadline)
			break;
		follow_close(d, f, p->ac);
	}
}
