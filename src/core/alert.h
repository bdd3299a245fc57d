/*
 * alert: what a person reads. Alerts are rare, so they own their strings
 * (heap copies); detectors build them with alert_new() and the helpers
 * below, then hand them to an alert_sink which takes ownership.
 */
#pragma once

#include <stdint.h>

#include "core/addr.h"
#include "core/event.h"
#include "core/macro.h"

enum alert_kind {
	AK_BRUTE_FORCE,
	AK_PASSWORD_SPRAY,
	AK_DISTRIBUTED_ATTACK,
	AK_LOGIN_AFTER_FAILURES,
	AK_UNUSUAL_LOGIN,
	AK_PRIVILEGE_ESCALATION,
	AK_ACCOUNT_CHANGE,
	AK_FORGED_ENTRY, /* a journal entry claiming a program that did not write it (source/journal.h) */
	/* exceptions (moat exposure, moat exception verify): an accepted risk that needs a person */
	AK_EXCEPTION_CONTROL_FAILED,
	AK_EXCEPTION_EXPIRED,
	AK_EXCEPTION_REVIEW_DUE,
	AK_MAX
};

enum severity { SEV_LOW, SEV_MEDIUM, SEV_HIGH, SEV_CRITICAL, SEV_MAX };

/* Evidence kept per alert; the total is always counted. */
#define ALERT_EVIDENCE_MAX 20
#define ALERT_WHY_MAX 16

struct evidence {
	char *file;
	uint64_t line;
};

struct alert {
	enum alert_kind kind;
	enum severity severity;
	char *host; /* may be NULL */
	struct addr source; /* ADDR_NONE when none */
	char *user; /* may be NULL */
	int64_t first_us, last_us;
	uint64_t count;
	char *why[ALERT_WHY_MAX];
	unsigned n_why;
	struct evidence evidence[ALERT_EVIDENCE_MAX];
	unsigned n_evidence;
	uint64_t evidence_total;
};

/* Returns a zeroed alert of that kind and severity (NULL on OOM). */
struct alert *alert_new(enum alert_kind kind, enum severity sev);
/* Frees everything; NULL is a no-op; returns NULL. */
struct alert *alert_free(struct alert *a);
static inline void alert_freep(struct alert **a)
{
	alert_free(*a);
}

/* Copy host / user from views (empty view leaves NULL). Return 0 or -ENOMEM. */
int alert_set_host(struct alert *a, struct sv host);
int alert_set_user(struct alert *a, struct sv user);
/* Appends one sentence (printf-style); silently ignores beyond ALERT_WHY_MAX.
 * Returns 0 or -ENOMEM. */
int alert_add_why(struct alert *a, const char *fmt, ...) _printf_(2, 3);
/* Counts one more piece of evidence, keeping the first ALERT_EVIDENCE_MAX. */
int alert_add_evidence(struct alert *a, const struct origin *o);
/* Widens first/last to include t. */
void alert_touch(struct alert *a, int64_t t_us);

const char *alert_kind_name(enum alert_kind k); /* "brute_force" … */
const char *severity_name(enum severity s); /* "low" … "critical" */
int severity_from_name(const char *s); /* -1 when unknown */
int alert_kind_from_name(const char *s);

/* Where detectors deliver alerts. emit takes ownership of a. */
struct alert_sink {
	void (*emit)(void *userdata, struct alert *a);
	void *userdata;
};
