/*
 * register: replaying the ledger into exceptions, matching them to
 * findings and judging them on the live host (see register.h).
 */
#include "exceptions/register.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/array.h"
#include "core/macro.h"
#include "core/timeutil.h"
#include "exposure/exposure.h"

static const char *const justifications[] = {
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
};

bool exc_justification_valid(const char *j)
{
	for (size_t i = 0; j && i < ELEMENTSOF(justifications); i++)
		if (strcmp(j, justifications[i]) == 0)
			return true;
	return false;
}

const char *exc_scope_name(enum exc_scope s)
{
	return s == EXC_ADVISORY ? "advisory" : s == EXC_PACKAGE ? "package" : "host";
}

const char *exc_kind_name(enum exc_kind k)
{
	return k == EXC_NOT_AFFECTED ? "not-affected" : "accept";
}

const char *exc_state_name(enum exc_state s)
{
	static const char *const n[] = { "holding", "bare", "broken", "review_due", "expired", "revoked" };
	return (unsigned)s < ELEMENTSOF(n) ? n[s] : "unknown";
}

int64_t exc_now(void)
{
	const char *e = getenv("MOAT_NOW");
	int64_t us;
	if (!e || !*e)
		return (int64_t)time(NULL);
	return time_parse_rfc3339(e, &us) < 0 ? -1 : us / 1000000;
}

static void exception_done(struct exception *e)
{
	free(e->advisory);
	free(e->package);
	free(e->justification);
	free(e->reason);
	free(e->owner);
	free(e->added_by);
	for (size_t i = 0; i < e->n_controls; i++)
		free(e->controls[i]);
	for (size_t i = 0; i < e->n_acks; i++) {
		free(e->acks[i].by);
		free(e->acks[i].reason);
	}
	free(e->revoked_by);
	free(e->revoke_reason);
}

struct exc_register *register_free(struct exc_register *r)
{
	if (!r)
		return NULL;
	for (size_t i = 0; i < r->n; i++)
		exception_done(&r->v[i]);
	free(r->v);
	free(r);
	return NULL;
}

struct exception *register_find(const struct exc_register *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcasecmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

void register_next_id(const struct exc_register *r, char out[EXC_ID_MAX])
{
	unsigned long max = 0;
	for (size_t i = 0; i < r->n; i++) {
		unsigned long v = strtoul(r->v[i].id + 1, NULL, 10);
		if (v > max)
			max = v;
	}
	snprintf(out, EXC_ID_MAX, "E%lu", max + 1);
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int64_t jdate(json_t *o, const char *k)
{
	const char *s = jstr(o, k);
	int64_t us;
	return s && time_parse_rfc3339(s, &us) == 0 ? us / 1000000 : 0;
}

/* Entries were verified (signatures, chain, keys) before: their fields were written by moat;
 * an entry that names an unknown exception or lacks a field changes nothing. */
static int replay(struct exc_register *r, const struct ledger_entry *en)
{
	json_t *b = en->body;
	const char *id = jstr(b, "id");
	if (!id)
		return 0;
	if (strcmp(en->kind, "exception-add") == 0) {
		if (register_find(r, id) || strlen(id) >= EXC_ID_MAX)
			return 0;
		if (array_reserve(&r->v, &r->cap, r->n + 1, sizeof(*r->v), 8) < 0)
			return -ENOMEM;
		struct exception *e = &r->v[r->n++];
		*e = (struct exception){ .seq = en->seq, .added_s = en->time_s, .changed_s = en->time_s };
		snprintf(e->id, sizeof(e->id), "%s", id);
		const char *scope = jstr(b, "scope");
		e->scope = scope && strcmp(scope, "host") == 0	  ? EXC_HOST
			   : scope && strcmp(scope, "package") == 0 ? EXC_PACKAGE
								    : EXC_ADVISORY;
		const char *kind = jstr(b, "exception_kind");
		e->kind = kind && strcmp(kind, "not-affected") == 0 ? EXC_NOT_AFFECTED : EXC_ACCEPT;
		e->advisory = dup_or_null(jstr(b, "advisory"));
		e->package = dup_or_null(jstr(b, "package"));
		e->justification = dup_or_null(jstr(b, "justification"));
		e->reason = dup_or_null(jstr(b, "reason"));
		e->owner = dup_or_null(jstr(b, "owner"));
		e->added_by = dup_or_null(en->by);
		e->until_s = jdate(b, "until");
		e->review_s = jdate(b, "review");
		json_t *ctl = json_object_get(b, "controls"), *c;
		size_t i;
		json_array_foreach(ctl, i, c)
		{
			if (json_is_string(c) && e->n_controls < EXC_CONTROLS_MAX)
				e->controls[e->n_controls++] = strdup(json_string_value(c));
		}
		return 0;
	}
	struct exception *e = register_find(r, id);
	if (!e || e->revoked)
		return 0;
	if (strcmp(en->kind, "exception-renew") == 0) {
		int64_t u = jdate(b, "until"), rv = jdate(b, "review");
		if (u)
			e->until_s = u;
		e->review_s = rv; /* a renewal sets the next review, or none */
		const char *reason = jstr(b, "reason");
		if (reason) {
			free(e->reason);
			e->reason = strdup(reason);
		}
		e->changed_s = en->time_s;
	} else if (strcmp(en->kind, "exception-revoke") == 0) {
		e->revoked = true;
		e->revoked_s = en->time_s;
		e->revoked_by = dup_or_null(en->by);
		e->revoke_reason = dup_or_null(jstr(b, "reason"));
	} else if (strcmp(en->kind, "control-ack") == 0) {
		json_t *ci = json_object_get(b, "control");
		if (!json_is_integer(ci) || json_integer_value(ci) < 1 || (size_t)json_integer_value(ci) > e->n_controls ||
		    e->n_acks >= EXC_CONTROLS_MAX)
			return 0;
		struct exc_ack *a = &e->acks[e->n_acks++];
		a->control = (size_t)json_integer_value(ci) - 1;
		a->until_s = jdate(b, "until");
		a->by = dup_or_null(en->by);
		a->reason = dup_or_null(jstr(b, "reason"));
	}
	return 0;
}

int register_from_ledger(const struct ledger *l, struct exc_register **ret)
{
	struct exc_register *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < ledger_count(l); i++)
		if (replay(r, ledger_get(l, i)) < 0) {
			register_free(r);
			return -ENOMEM;
		}
	*ret = r;
	return 0;
}

/* ---- matching ---- */

static bool has_alias(const char *aliases, const char *id)
{
	size_t n = strlen(id);
	for (const char *p = aliases; p && *p;) {
		size_t l = strcspn(p, " ");
		if (l == n && strncasecmp(p, id, n) == 0)
			return true;
		p += l;
		while (*p == ' ')
			p++;
	}
	return false;
}

static bool package_matches(const char *pkg, const struct finding *f)
{
	if (strcmp(pkg, f->source) == 0)
		return true;
	for (size_t b = 0; b < f->n_binaries; b++)
		if (strcmp(pkg, f->binaries[b]->name) == 0)
			return true;
	return false;
}

bool exception_covers(const struct exception *e, const struct finding *f)
{
	switch (e->scope) {
	case EXC_HOST:
		return true;
	case EXC_PACKAGE:
		return e->package && package_matches(e->package, f);
	default:
		if (!e->advisory || (strcasecmp(e->advisory, f->advisory) != 0 && !has_alias(f->aliases, e->advisory)))
			return false;
		return !e->package || package_matches(e->package, f);
	}
}

/* ---- evaluation ---- */

static int add_package(struct exc_eval *ev, size_t *cap, const char *name)
{
	for (size_t i = 0; i < ev->n_packages; i++)
		if (strcmp(ev->packages[i], name) == 0)
			return 0;
	if (array_reserve(&ev->packages, cap, ev->n_packages + 1, sizeof(char *), 8) < 0)
		return -ENOMEM;
	char *d = strdup(name);
	if (!d)
		return -ENOMEM;
	ev->packages[ev->n_packages++] = d;
	return 0;
}

/* The binary packages (name:arch as dpkg writes list files) of a finding. */
static int add_finding_packages(struct exc_eval *ev, size_t *cap, const struct finding *f)
{
	for (size_t b = 0; b < f->n_binaries; b++) {
		char name[300];
		const struct inv_pkg *p = f->binaries[b];
		if (p->arch[0] && strcmp(p->arch, "all") != 0)
			snprintf(name, sizeof(name), "%s:%s", p->name, p->arch);
		else
			snprintf(name, sizeof(name), "%s", p->name);
		int r = add_package(ev, cap, name);
		if (r < 0)
			return r;
	}
	return 0;
}

void exc_evaluation_done(struct exc_evaluation *ev)
{
	for (size_t i = 0; i < ev->n; i++) {
		for (size_t k = 0; k < ev->v[i].n_packages; k++)
			free(ev->v[i].packages[k]);
		free(ev->v[i].packages);
	}
	free(ev->v);
	free(ev->finding_exc);
	*ev = (struct exc_evaluation){ 0 };
}

static bool acked(const struct exception *e, size_t control, int64_t now_s)
{
	for (size_t i = 0; i < e->n_acks; i++)
		if (e->acks[i].control == control && e->acks[i].until_s > now_s)
			return true;
	return false;
}

int register_evaluate(const struct exc_register *r, struct exposure_result *ex, const char *proc, int64_t now_s,
		      struct exc_evaluation *ret)
{
	struct exc_evaluation ev = { 0 };
	size_t nf = ex ? ex->match.n : 0;
	ev.v = calloc(r->n ? r->n : 1, sizeof(*ev.v));
	ev.finding_exc = malloc((nf ? nf : 1) * sizeof(size_t));
	if (!ev.v || !ev.finding_exc) {
		exc_evaluation_done(&ev);
		return -ENOMEM;
	}
	for (size_t i = 0; i < nf; i++)
		ev.finding_exc[i] = SIZE_MAX;
	struct control_host host = {
		.reach = ex ? ex->reach : NULL,
		.inv = ex ? ex->inv : NULL,
		.proc = proc ? proc : "/proc",
	};
	for (size_t i = 0; i < r->n; i++) {
		const struct exception *e = &r->v[i];
		if (e->revoked)
			continue;
		struct exc_eval *x = &ev.v[ev.n++];
		size_t pcap = 0;
		x->e = e;
		/* the packages its controls speak of */
		if (e->package && ex && ex->inv) {
			/* a source name stands for its binaries; one not installed stands for itself (its
			 * controls then say so) */
			size_t before = x->n_packages;
			for (size_t k = 0; k < inventory_count(ex->inv); k++) {
				const struct inv_pkg *p = inventory_get(ex->inv, k);
				if (strcmp(p->name, e->package) == 0 || strcmp(p->source, e->package) == 0) {
					char name[300];
					if (p->arch[0] && strcmp(p->arch, "all") != 0)
						snprintf(name, sizeof(name), "%s:%s", p->name, p->arch);
					else
						snprintf(name, sizeof(name), "%s", p->name);
					if (add_package(x, &pcap, name) < 0)
						goto oom;
				}
			}
			if (x->n_packages == before && add_package(x, &pcap, e->package) < 0)
				goto oom;
		} else if (e->package && add_package(x, &pcap, e->package) < 0) {
			goto oom;
		}
		for (size_t k = 0; k < nf; k++) {
			const struct finding *f = &ex->match.v[k];
			if (f->status == FS_FIXED || !exception_covers(e, f))
				continue;
			x->n_findings++;
			/* the first exception in force that covers a finding speaks for it; an expired one
			 * only while no other does */
			bool live = e->until_s > now_s;
			size_t cur = ev.finding_exc[k];
			if (cur == SIZE_MAX || (live && ev.v[cur].e->until_s <= now_s))
				ev.finding_exc[k] = ev.n - 1;
			if (!e->package && add_finding_packages(x, &pcap, f) < 0)
				goto oom;
		}
		bool broken = false;
		for (size_t c = 0; c < e->n_controls; c++) {
			struct exc_control_result *cr = &x->controls[c];
			cr->state = control_check(e->controls[c], (const char *const *)x->packages, x->n_packages, &host,
						  cr->why, sizeof(cr->why));
			cr->acknowledged = cr->state != CONTROL_HOLDS && acked(e, c, now_s);
			if (cr->state != CONTROL_HOLDS && !cr->acknowledged)
				broken = true;
		}
		if (e->until_s <= now_s)
			x->state = EXC_EXPIRED;
		else if (broken)
			x->state = EXC_BROKEN;
		else if (e->review_s && e->review_s <= now_s)
			x->state = EXC_REVIEW_DUE;
		else
			x->state = e->n_controls ? EXC_HOLDING : EXC_BARE;
	}
	*ret = ev;
	return 0;
oom:
	exc_evaluation_done(&ev);
	return -ENOMEM;
}

/* ---- alerts ---- */

static void date_text(int64_t t_s, char *buf, size_t n)
{
	char t[TIME_STRLEN];
	time_format_rfc3339(t_s * 1000000, t);
	snprintf(buf, n, "%.10s", t);
}

static const char *subject(const struct exception *e, char *buf, size_t n)
{
	if (e->scope == EXC_HOST)
		snprintf(buf, n, "the host freeze");
	else if (e->scope == EXC_PACKAGE)
		snprintf(buf, n, "package %.80s", e->package);
	else
		snprintf(buf, n, "%.40s%s%.80s", e->advisory, e->package ? " on " : "", e->package ? e->package : "");
	return buf;
}

size_t register_alerts(const struct exc_evaluation *ev, const char *host, int64_t now_s, const struct alert_sink *sink)
{
	size_t n = 0;
	for (size_t i = 0; i < ev->n; i++) {
		const struct exc_eval *x = &ev->v[i];
		const struct exception *e = x->e;
		char subj[200], until[16], review[16];
		enum alert_kind kind;
		enum severity sev;
		if (x->state == EXC_EXPIRED) {
			kind = AK_EXCEPTION_EXPIRED;
			sev = SEV_HIGH;
		} else if (x->state == EXC_BROKEN) {
			kind = AK_EXCEPTION_CONTROL_FAILED;
			sev = SEV_HIGH;
		} else if (x->state == EXC_REVIEW_DUE) {
			kind = AK_EXCEPTION_REVIEW_DUE;
			sev = SEV_MEDIUM;
		} else {
			continue;
		}
		struct alert *a = alert_new(kind, sev);
		if (!a)
			continue;
		subject(e, subj, sizeof(subj));
		date_text(e->until_s, until, sizeof(until));
		date_text(e->review_s, review, sizeof(review));
		if (host)
			(void)alert_set_host(a, sv_cstr(host));
		if (e->owner)
			(void)alert_set_user(a, sv_cstr(e->owner));
		alert_touch(a, now_s * 1000000);
		a->count = x->n_findings;
		if (x->state == EXC_EXPIRED)
			(void)alert_add_why(a, "exception %s for %s, accepted by %s, expired on %s: renew it or patch",
					    e->id, subj, e->owner ? e->owner : "?", until);
		else if (x->state == EXC_REVIEW_DUE)
			(void)alert_add_why(a, "exception %s for %s, accepted by %s until %s, was due for review on %s",
					    e->id, subj, e->owner ? e->owner : "?", until, review);
		for (size_t c = 0; c < e->n_controls; c++) {
			const struct exc_control_result *cr = &x->controls[c];
			if (cr->state == CONTROL_HOLDS)
				continue;
			(void)alert_add_why(a, "exception %s: '%s' %s%s: %s", e->id, e->controls[c],
					    cr->state == CONTROL_BROKEN ? "broken" : "cannot be verified",
					    cr->acknowledged ? " (acknowledged)" : "", cr->why);
		}
		(void)alert_add_why(a, "%zu exposed finding%s rest on it", x->n_findings, x->n_findings == 1 ? "" : "s");
		sink->emit(sink->userdata, a);
		n++;
	}
	return n;
}
