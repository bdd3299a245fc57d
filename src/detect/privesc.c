/*
 * Privilege-escalation attempts: sudo refusals ("user NOT in sudoers",
 * command not allowed), wrong sudo passwords and failed su, per account
 * (host + user). One alert per episode (the account's attempts with gaps
 * shorter than the window), at its end. A few wrong passwords followed by
 * a successful sudo or su are a user mistyping and are forgotten; a
 * refusal never is.
 */
#include <stdlib.h>
#include <string.h>

#include "detect/internal.h"

#define DETAIL_MAX 80

static void reset(struct acct *ac)
{
	ac->pe_refused = ac->pe_sudo_fail = ac->pe_su_fail = 0;
	ac->pe_evid = (struct evid){ 0 };
	free(ac->pe_detail);
	free(ac->pe_target);
	ac->pe_detail = ac->pe_target = NULL;
}

void privesc_feed(struct detect *d, const struct event *ev, uint16_t host, uint32_t n)
{
	const struct detect_config *c = d->cfg;
	struct acct *ac;

	if (!c->pe_enabled || ev->user.n == 0)
		return;
	if (ev->kind == EV_SUDO_COMMAND || ev->kind == EV_SU_SUCCESS) {
		ac = detect_acct(d, host, ev->user, false);
		if (ac && dl_linked(&ac->pe) && ac->pe_refused == 0 &&
		    ac->pe_sudo_fail + ac->pe_su_fail <= c->pe_forgive) {
			dl_unlink(&ac->pe);
			reset(ac);
		}
		return;
	}
	ac = detect_acct(d, host, ev->user, true);
	if (!ac)
		return;
	if (!dl_linked(&ac->pe)) {
		reset(ac);
		ac->pe_first = d->now_us;
	}
	dl_push(&d->pe_open, &ac->pe);
	ac->pe_last = d->now_us;
	evid_add(&ac->pe_evid, d->ref);
	switch (ev->kind) {
	case EV_SUDO_REFUSED:
		ac->pe_refused += n;
		if (!ac->pe_detail && ev->detail.n)
			ac->pe_detail = strndup(ev->detail.p, MIN(ev->detail.n, (size_t)DETAIL_MAX));
		break;
	case EV_SUDO_FAILURE:
		ac->pe_sudo_fail += n;
		break;
	default:
		ac->pe_su_fail += n;
		if (!ac->pe_target && ev->target.n)
			ac->pe_target = strndup(ev->target.p, MIN(ev->target.n, (size_t)DETAIL_MAX));
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

void privesc_close(struct detect *d, struct acct *ac)
{
	const struct detect_config *c = d->cfg;
	uint32_t total;
	struct sbuf sb = { .n = 0 };
	struct alert *a;

	if (!dl_linked(&ac->pe))
		return;
	dl_unlink(&ac->pe);
	total = ac->pe_refused + ac->pe_sudo_fail + ac->pe_su_fail;
	if (ac->pe_refused < c->pe_min_refused && ac->pe_sudo_fail + ac->pe_su_fail < c->pe_min_failures) {
		reset(ac);
		return;
	}
	a = alert_new(AK_PRIVILEGE_ESCALATION, total >= c->pe_high ? SEV_HIGH : SEV_MEDIUM);
	if (a) {
		detect_alert_host(d, a, ac->host);
		(void)alert_set_user(a, sv_make(ac->name, ac->name_len));
		alert_touch(a, ac->pe_first);
		alert_touch(a, ac->pe_last);
		a->count = total;
		sb.b[0] = '\0';
		privesc_describe(&sb, ac->pe_refused, ac->pe_detail, ac->pe_sudo_fail, ac->pe_su_fail, ac->pe_target);
		(void)alert_add_why(a, "%s", sb.b);
		(void)evid_to_alert(d, &ac->pe_evid, a);
		detect_emit(d, a);
	}
	reset(ac);
}

void privesc_sweep(struct detect *d, int64_t now)
{
	int64_t gap = (int64_t)d->cfg->pe_window * USEC_PER_SEC;
	struct dlink *l;
	while ((l = dl_oldest(&d->pe_open))) {
		struct acct *ac = container_of(l, struct acct, pe);
		if (now - ac->pe_last <= gap)
			break;
		privesc_close(d, ac);
	}
}
