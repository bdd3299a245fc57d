/*
 * Account and group changes (shadow-utils) and authorized_keys changes:
 * rare, so one alert per event. Adding a user to a privileged group
 * (account_change.privileged_groups) is high; a new account or new keys
 * medium; the rest low (root's password: medium).
 */
#include <string.h>

#include "detect/detector.h"

#define NAME_SHOWN 64

static bool privileged(const struct detect_config *c, struct sv group)
{
	for (uint32_t i = 0; i < c->n_groups; i++)
		if (sv_eq(group, c->groups[i]))
			return true;
	return false;
}

/* Describes the change in a few words (also used by the correlation). */
enum severity account_describe(const struct detect_config *c, const struct event *ev, struct sbuf *sb)
{
	int un = (int)MIN(ev->user.n, (size_t)NAME_SHOWN), tn = (int)MIN(ev->target.n, (size_t)NAME_SHOWN);
	const char *u = ev->user.p ? ev->user.p : "", *t = ev->target.p ? ev->target.p : "";

	if (ev->kind == EV_KEY_CHANGE) {
		sb_printf(sb, "the authorized SSH keys of %.*s changed", un, u);
		return SEV_MEDIUM;
	}
	switch (ev->acct) {
	case ACCT_USER_ADD:
		sb_printf(sb, "account %.*s was created", un, u);
		return SEV_MEDIUM;
	case ACCT_USER_DEL:
		sb_printf(sb, "account %.*s was deleted", un, u);
		return SEV_LOW;
	case ACCT_USER_MOD:
		sb_printf(sb, "account %.*s was modified", un, u);
		return SEV_LOW;
	case ACCT_GROUP_ADD:
		sb_printf(sb, "group %.*s was created", tn ? tn : un, tn ? t : u);
		return SEV_LOW;
	case ACCT_GROUP_DEL:
		sb_printf(sb, "group %.*s was deleted", tn ? tn : un, tn ? t : u);
		return SEV_LOW;
	case ACCT_GROUP_MEMBER_ADD:
		if (privileged(c, ev->target)) {
			sb_printf(sb, "%.*s was added to group %.*s, a privileged group", un, u, tn, t);
			return SEV_HIGH;
		}
		sb_printf(sb, "%.*s was added to group %.*s", un, u, tn, t);
		return SEV_LOW;
	case ACCT_GROUP_MEMBER_DEL:
		sb_printf(sb, "%.*s was removed from group %.*s", un, u, tn, t);
		return SEV_LOW;
	case ACCT_PASSWORD_CHANGE:
		sb_printf(sb, "the password of %.*s was changed", un, u);
		return sv_eq(ev->user, "root") ? SEV_MEDIUM : SEV_LOW;
	default:
		sb_printf(sb, "an account change for %.*s", un, u);
		return SEV_LOW;
	}
}

static void account_feed(struct detect *d, void *st, const struct event *ev, const struct dctx *x)
{
	struct sbuf sb = { .n = 0 };
	uint16_t host = x->host;
	enum severity sev;
	struct alert *a;
	(void)st;

	sb.b[0] = '\0';
	sev = account_describe(detect_cfg(d), ev, &sb);
	a = alert_new(AK_ACCOUNT_CHANGE, sev);
	if (!a)
		return;
	detect_alert_host(d, a, host);
	(void)alert_set_user(a, ev->user);
	alert_touch(a, detect_now(d));
	a->count = 1;
	(void)alert_add_why(a, "%s", sb.b);
	if (ev->detail.n)
		(void)alert_add_why(a, "details: %.*s", (int)MIN(ev->detail.n, (size_t)200), ev->detail.p);
	if (ev->acct == ACCT_GROUP_MEMBER_ADD && sev == SEV_HIGH)
		(void)alert_add_why(a, "members of %.*s can gain root or read secrets on this host",
				    (int)MIN(ev->target.n, (size_t)NAME_SHOWN), ev->target.p);
	(void)alert_add_evidence(a, &ev->origin);
	detect_emit(d, a);
}

static bool account_enabled(const struct detect_config *c)
{
	return c->ac_enabled;
}

const struct detector_ops account_ops = {
	.name = "account_change",
	.kinds = KIND_BIT(EV_ACCOUNT_CHANGE) | KIND_BIT(EV_KEY_CHANGE),
	.feed = account_feed,
	.enabled = account_enabled,
};
