/*
 * register: the exceptions in force, derived from the ledger (the
 * decisions are the ledger; the register is their replay): who accepted
 * which risk, why, until when, resting on which controls, and what became
 * of it (renewed, revoked, a control failure acknowledged).
 *
 * An exception covers an advisory or CVE id (optionally on one package), a
 * package (source or binary name), or the whole host (a freeze). It never
 * hides a finding: "moat exposure" shows it as accepted (and by whom),
 * and an exception whose date passed, whose review is due or whose
 * control broke is an alert.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/alert.h"
#include "exceptions/controls.h"
#include "exceptions/ledger.h"

struct exposure_result;
struct finding;

enum exc_scope { EXC_ADVISORY, EXC_PACKAGE, EXC_HOST };
/* accept: the host is affected and the risk accepted (OpenVEX "affected");
 * not-affected: the vulnerable code cannot be reached here (OpenVEX "not_affected") */
enum exc_kind { EXC_ACCEPT, EXC_NOT_AFFECTED };

#define EXC_CONTROLS_MAX 16
#define EXC_ID_MAX 16

struct exc_ack {
	size_t control; /* index into controls */
	int64_t until_s;
	char *by, *reason;
};

struct exception {
	char id[EXC_ID_MAX]; /* "E1" */
	enum exc_scope scope;
	enum exc_kind kind;
	char *advisory; /* EXC_ADVISORY: "CVE-2024-6387", "DSA-5650-1" */
	char *package; /* EXC_PACKAGE, or an advisory limited to one package; NULL */
	char *justification; /* not-affected: an OpenVEX justification; NULL */
	char *reason, *owner;
	int64_t until_s, review_s; /* review 0: none */
	int64_t added_s, changed_s;
	char *added_by; /* the signing key's name */
	uint64_t seq; /* the ledger entry that added it */
	char *controls[EXC_CONTROLS_MAX];
	size_t n_controls;
	struct exc_ack acks[EXC_CONTROLS_MAX];
	size_t n_acks;
	bool revoked;
	char *revoked_by, *revoke_reason;
	int64_t revoked_s;
};

struct exc_register {
	struct exception *v;
	size_t n, cap;
};

/* Replays the ledger's entries. Returns 0 or -ENOMEM. */
int register_from_ledger(const struct ledger *l, struct exc_register **ret);
struct exc_register *register_free(struct exc_register *r);
static inline void register_freep(struct exc_register **r)
{
	register_free(*r);
}
/* By id ("E3", case-insensitive), or NULL. */
struct exception *register_find(const struct exc_register *r, const char *id);
/* The next free id. */
void register_next_id(const struct exc_register *r, char out[EXC_ID_MAX]);

const char *exc_scope_name(enum exc_scope s); /* "advisory", "package", "host" */
const char *exc_kind_name(enum exc_kind k); /* "accept", "not-affected" */

/* The OpenVEX justifications, for not-affected judgements. */
bool exc_justification_valid(const char *j);

/* The state of one exception now. */
enum exc_state {
	EXC_HOLDING, /* in force, every control holds */
	EXC_BARE, /* in force, no controls: bare risk acceptance */
	EXC_BROKEN, /* in force, a control does not hold (and no acknowledgement covers it) */
	EXC_REVIEW_DUE, /* in force, its review date has come */
	EXC_EXPIRED, /* past its date */
	EXC_REVOKED,
};
const char *exc_state_name(enum exc_state s); /* "holding", "bare", "broken", … */

struct exc_control_result {
	enum control_state state;
	bool acknowledged; /* a failure acknowledged until a date not yet past */
	char why[320];
};

struct exc_eval {
	const struct exception *e;
	enum exc_state state;
	struct exc_control_result controls[EXC_CONTROLS_MAX];
	size_t n_findings; /* exposed findings it covers */
	char **packages; /* the binary packages its controls were checked on */
	size_t n_packages;
};

/* Every exception not revoked, evaluated at now: controls checked on the
 * live host (ex's reach snapshot, inventory and /proc), findings matched.
 * ex may be NULL (no advisories): advisory exceptions without a package
 * then have no packages to check processes on. Writes each exposed
 * finding's covering exception index into finding_exc (SIZE_MAX: none;
 * sized ex->match.n). Returns 0 and *ret (n entries), or -ENOMEM. */
struct exc_evaluation {
	struct exc_eval *v;
	size_t n;
	size_t *finding_exc;
};
int register_evaluate(const struct exc_register *r, struct exposure_result *ex, const char *proc, int64_t now_s,
		      struct exc_evaluation *ret);
void exc_evaluation_done(struct exc_evaluation *ev);

/* Does exception e cover finding f? */
bool exception_covers(const struct exception *e, const struct finding *f);

/* The alerts for evaluated exceptions that need a person: a broken
 * control, a passed date, a review due. host: for the alerts' host field
 * (NULL none). Calls sink->emit for each. Returns how many. */
size_t register_alerts(const struct exc_evaluation *ev, const char *host, int64_t now_s, const struct alert_sink *sink);

/* The "now" of decisions and expiry: $MOAT_NOW when set (RFC 3339 or a
 * date; for tests and replays), else the clock. -1 when $MOAT_NOW does not
 * parse. */
int64_t exc_now(void);
