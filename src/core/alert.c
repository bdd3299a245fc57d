#include "core/alert.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[AK_MAX] = {
	[AK_BRUTE_FORCE] = "brute_force",
	[AK_PASSWORD_SPRAY] = "password_spray",
	[AK_DISTRIBUTED_ATTACK] = "distributed_attack",
	[AK_LOGIN_AFTER_FAILURES] = "login_after_failures",
	[AK_UNUSUAL_LOGIN] = "unusual_login",
	[AK_PRIVILEGE_ESCALATION] = "privilege_escalation",
	[AK_ACCOUNT_CHANGE] = "account_change",
	[AK_FORGED_ENTRY] = "forged_entry",
	[AK_EXCEPTION_CONTROL_FAILED] = "exception_control_failed",
	[AK_EXCEPTION_EXPIRED] = "exception_expired",
	[AK_EXCEPTION_REVIEW_DUE] = "exception_review_due",
};

static const char *const sev_names[SEV_MAX] = { "low", "medium", "high", "critical" };

struct alert *alert_new(enum alert_kind kind, enum severity sev)
{
	struct alert *a = calloc(1, sizeof(*a));
	if (!a)
		return NULL;
	a->kind = kind;
	a->severity = sev;
	a->first_us = INT64_MAX;
	a->last_us = INT64_MIN;
	return a;
}

struct alert *alert_free(struct alert *a)
{
	if (!a)
		return NULL;
	free(a->host);
	free(a->user);
	for (unsigned i = 0; i < a->n_why; i++)
		free(a->why[i]);
	for (unsigned i = 0; i < a->n_evidence; i++)
		free(a->evidence[i].file);
	free(a);
	return NULL;
}

static int set_str(char **dst, struct sv v)
{
	char *s;
	if (v.n == 0)
		return 0;
	s = sv_dup(v);
	if (!s)
		return -ENOMEM;
	free(*dst);
	*dst = s;
	return 0;
}

int alert_set_host(struct alert *a, struct sv host)
{
	return set_str(&a->host, host);
}

int alert_set_user(struct alert *a, struct sv user)
{
	return set_str(&a->user, user);
}

int alert_add_why(struct alert *a, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int r;
	if (a->n_why >= ALERT_WHY_MAX)
		return 0;
	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0)
		return -ENOMEM;
	a->why[a->n_why++] = s;
	return 0;
}

int alert_add_evidence(struct alert *a, const struct origin *o)
{
	a->evidence_total++;
	if (a->n_evidence >= ALERT_EVIDENCE_MAX)
		return 0;
	char *f = strdup(o->file ? o->file : "-");
	if (!f)
		return -ENOMEM;
	a->evidence[a->n_evidence].file = f;
	a->evidence[a->n_evidence].line = o->line;
	a->n_evidence++;
	return 0;
}

void alert_touch(struct alert *a, int64_t t_us)
{
	if (t_us < a->first_us)
		a->first_us = t_us;
	if (t_us > a->last_us)
		a->last_us = t_us;
}

const char *alert_kind_name(enum alert_kind k)
{
	return (unsigned)k < AK_MAX ? kind_names[k] : "unknown";
}

const char *severity_name(enum severity s)
{
	return (unsigned)s < SEV_MAX ? sev_names[s] : "unknown";
}

int severity_from_name(const char *s)
{
	for (int i = 0; i < SEV_MAX; i++)
		if (strcmp(sev_names[i], s) == 0)
			return i;
	return -1;
}

int alert_kind_from_name(const char *s)
{
	for (int i = 0; i < AK_MAX; i++)
		if (strcmp(kind_names[i], s) == 0)
			return i;
	return -1;
}
