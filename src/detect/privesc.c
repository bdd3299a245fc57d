/*
 * Privilege-escalation attempts: sudo refusals ("user NOT in sudoers",
 * command not allowed), wrong sudo passwords and failed su, per account
 * (host + user). One alert per episode (the account's attempts with gaps
 * shorter than the window), at its end. A few wrong passwords followed by
 * a successful sudo or su are a user mistyping and are forgotten; a
 * refusal never is.
 *
 * The privilege events of an account whose unusual login is being followed
 * (the acct_entry.followed fact, written by unusual.c) belong to that
 * story and are not counted here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "core/list.h"
#include "detect/shared.h"

#define DETAIL_MAX 80

struct pacct {
	struct list link; /* on the detector's open episodes, by last attempt */
	int64_t first, last;
	uint32_t refused, sudo_fail, su_fail;
	char *detail; /* first refusal reason */
	char *target; /* first su target */
	struct evid evid;
};

struct privesc {
	const struct detect_config *cfg;
	struct detector_env env;
	struct list open;
	int64_t gap_us;
};

static void reset(struct pacct *p)
{
	p->refused = p->sudo_fail = p->su_fail = 0;
	p->evid = (struct evid){ 0 };
	free(p->detail);
	free(p->target);
	p->detail = p->target = NULL;
}

static void privesc_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct privesc *P = st;
	const struct detect_config *c = P->cfg;
	struct acct_entry *ac;
	struct pacct *p;
	uint32_t n = x->n;

	if (ev->user.n == 0)
		return;
	if (ev->kind == EV_SUDO_COMMAND || ev->kind == EV_SU_SUCCESS) {
		ac = detect_acct(d, x->host, ev->user, false);
		if (!ac || ac->followed)
			return;
		p = acct_part(ac, &P->env);
		if (list_linked(&p->link) && p->refused == 0 && p->sudo_fail + p->su_fail <= c->pe_forgive) {
			list_unlink(&p->link);
			reset(p);
		}
		return;
	}
	ac = detect_acct(d, x->host, ev->user, true);
	if (!ac || ac->followed)
		return;
	p = acct_part(ac, &P->env);
	if (!list_linked(&p->link)) {
		reset(p);
		p->first = detect_now(d);
	}
	list_push(&P->open, &p->link);
	p->last = detect_now(d);
	evid_add(&p->evid, x->ref);
	switch (ev->kind) {
	case EV_SUDO_REFUSED:
		p->refused += n;
		if (!p->detail && ev->detail.n)
			p->detail = strndup(ev->detail.p, MIN(ev->detail.n, (size_t)DETAIL_MAX));
		break;
	case EV_SUDO_FAILURE:
		p->sudo_fail += n;
		break;
	default:
		p->su_fail += n;
		if (!p->target && ev->target.n)
			p->target = strndup(ev->target.p, MIN(ev->target.n, (size_t)DETAIL_MAX));
		break;
	}
}

/* "sudo refused ×3 (user NOT in sudoers), sudo wrong password ×2, su failed ×1 (to root)" */
void privesc_describe(struct sbuf *sb, uint32_t refused, const char *detail, uint32_t sudo_fail, uint32_t su_fail,
		      const char *target)
{
	const char *sep = "";
	if (refused) {
		sb_printf(sb, "sudo refused ×%u", refused);
		if (detail)
			sb_printf(sb, " (%s)", detail);
		sep = ", ";
	}
	if (sudo_fail) {
		sb_printf(sb, "%ssudo wrong password ×%u", sep, sudo_fail);
		sep = ", ";
	}
	if (su_fail) {
		sb_printf(sb, "%ssu failed ×%u", sep, su_fail);
		if (target)
			sb_printf(sb, " (to %s)", target);
	}
}

static void privesc_close(struct detect *d, struct privesc *P, struct acct_entry *ac, struct pacct *p)
{
	const struct detect_config *c = P->cfg;
	uint32_t total;
	struct sbuf sb = { .n = 0 };
	struct alert *a;

	if (!list_linked(&p->link))
		return;
	list_unlink(&p->link);
	total = p->refused + p->sudo_fail + p->su_fail;
	if (p->refused < c->pe_min_refused && p->sudo_fail + p->su_fail < c->pe_min_failures) {
		reset(p);
		return;
	}
	a = alert_new(AK_PRIVILEGE_ESCALATION, total >= c->pe_high ? SEV_HIGH : SEV_MEDIUM);
	if (a) {
		detect_alert_host(d, a, ac->host);
		(void)alert_set_user(a, sv_make(ac->name, ac->name_len));
		alert_touch(a, p->first);
		alert_touch(a, p->last);
		a->count = total;
		sb.b[0] = '\0';
		privesc_describe(&sb, p->refused, p->detail, p->sudo_fail, p->su_fail, p->target);
		(void)alert_add_why(a, "%s", sb.b);
		(void)evid_to_alert(d, &p->evid, a);
		detect_emit(d, a);
	}
	reset(p);
}

static void privesc_sweep(struct detect *d, void *st, int64_t now)
{
	struct privesc *P = st;
	struct list *l;
	while ((l = list_oldest(&P->open))) {
		struct pacct *p = list_entry(l, struct pacct, link);
		if (now - p->last <= P->gap_us)
			break;
		privesc_close(d, P, acct_of_part(p, &P->env), p);
	}
}

static int64_t privesc_due(const void *st)
{
	const struct privesc *P = st;
	struct list *l = list_oldest(&P->open);
	if (!l)
		return INT64_MAX;
	int64_t last = list_entry(l, struct pacct, link)->last;
	return last > INT64_MAX - P->gap_us ? INT64_MAX : last + P->gap_us;
}

static void privesc_acct_drop(struct detect *d, void *st, struct acct_entry *e, void *part, enum part_drop why)
{
	struct pacct *p = part;
	(void)why;
	privesc_close(d, st, e, p);
	list_unlink(&p->link);
	free(p->detail);
	free(p->target);
	p->detail = p->target = NULL;
}

static int privesc_init(struct detect *d, const struct detector_env *env, void **ret)
{
	struct privesc *P = calloc(1, sizeof(*P));
	if (!P)
		return -ENOMEM;
	P->cfg = detect_cfg(d);
	P->env = *env;
	P->gap_us = (int64_t)P->cfg->pe_window * USEC_PER_SEC;
	list_init(&P->open);
	*ret = P;
	return 0;
}

static void privesc_free(struct detect *d, void *st)
{
	(void)d;
	free(st);
}

static bool privesc_enabled(const struct detect_config *c)
{
	return c->pe_enabled;
}

static uint32_t privesc_keep(const struct detect_config *c)
{
	return c->pe_window;
}

static int64_t privesc_min_gap(const struct detect_config *c)
{
	return (int64_t)c->pe_window * USEC_PER_SEC;
}

const struct detector_ops privesc_ops = {
	.name = "privilege_escalation",
	.kinds = KIND_BIT(EV_SUDO_FAILURE) | KIND_BIT(EV_SU_FAILURE) | KIND_BIT(EV_SUDO_REFUSED) |
		 KIND_BIT(EV_SUDO_COMMAND) | KIND_BIT(EV_SU_SUCCESS),
	.acct_size = sizeof(struct pacct),
	.init = privesc_init,
	.feed = privesc_feed,
	.sweep = privesc_sweep,
	.due = privesc_due,
	.min_gap = privesc_min_gap,
	.acct_drop = privesc_acct_drop,
	.acct_keep = privesc_keep,
	.enabled = privesc_enabled,
	.free_state = privesc_free,
};
