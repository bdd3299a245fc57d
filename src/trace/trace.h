/*
 * trace: "how far did they get?" — the timeline of a user, a source address
 * or one login session, from connection to logout, built from the events in
 * the store, with a verdict per session and overall that a person can act on.
 *
 * A session is an sshd login (EV_AUTH_SUCCESS) and what the same host+pid
 * logged after it (session open/close, disconnect): sshd's monitor, or
 * sshd-session since OpenSSH 9.8, keeps one pid for the whole connection.
 * Its id is "HOST:PID:START" (START = login time, seconds since the epoch).
 * sudo and su run under other pids: they are attached to the sessions of the
 * same user on the same host whose time window holds them; when windows of
 * that user overlap, the terminal decides (an event on pts/1 is not the
 * session already seen on pts/0), and what stays ambiguous is attached to
 * every candidate and marked shared — a privilege gain is never hidden.
 * Account and key changes on the host during a session are listed with it
 * (shadow-utils logs the account changed, not who changed it).
 *
 * systemd-logind's "New session N of user U." within a couple of seconds
 * after the login of U on that host belongs to the session (pam_systemd
 * registers it while sshd opens the session), and so does the first
 * "Removed session N." after it: logind removes a session when its last
 * process exits, so a removal long after the logout means something the
 * user started kept running (KillUserProcesses=no, Debian's default).
 *
 * PAM sessions of other services (cron, sudo, systemd-user, login …) are
 * routine for accounts like root: a user trace counts them per service
 * ("cron opened 412 sessions for root") unless the query is verbose.
 *
 * TRACE_RECENT is the first look: the most recent sessions of all users in
 * a time range (by default the last 24 h of store time, i.e. up to the
 * newest event stored), each with its verdict, and the failures in it.
 *
 * Memory is bounded: failures and pre-auth noise (attacker-driven volume)
 * are counted and summarised, only the first few are kept; sessions and
 * kept events have caps, and what was left out is counted.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/event.h"

struct store;

enum trace_by { TRACE_USER, TRACE_SOURCE, TRACE_SESSION, TRACE_RECENT };

struct trace_query {
	enum trace_by by;
	const char *value; /* user name, address (or logged host name), session id; NULL for TRACE_RECENT */
	int64_t since_us, until_us; /* inclusive; INT64_MIN / INT64_MAX = open (TRACE_RECENT with
				     * both open: the last TRACE_RECENT_US of store time) */
	bool verbose; /* list other services' PAM session lines one by one */
};

/* Failures and noise listed one by one up to this many, summarised beyond. */
#define TRACE_LIST_MAX 20
/* Caps (see above). */
#define TRACE_SESSIONS_MAX 2000
#define TRACE_EVENTS_MAX 200000
#define TRACE_USERS_MAX 10000
/* TRACE_RECENT: how far back by default, and how many sessions it builds. */
#define TRACE_RECENT_US (86400 * 1000000LL)
#define TRACE_RECENT_MAX 20
/* Distinct (service, user, by) groups of summarised PAM sessions; lines
 * beyond are counted in pam_other (a local user can log any service name). */
#define TRACE_PAM_GROUPS_MAX 32
/* Names listed in "logged in as …". */
#define TRACE_LOGGED_IN_AS_MAX 10

/* An owned copy of a stored event (strings "" when absent). */
struct trace_event {
	int64_t id, time_us;
	const char *host, *program, *user, *target, *source, *source_name, *key_type, *key_fp, *tty, *command,
		*detail, *file;
	int32_t pid;
	enum event_kind kind;
	enum auth_method method;
	enum account_op acct;
	uint32_t flags, count;
	uint16_t port;
	uint64_t line;
	unsigned n_sessions; /* sessions it was attached to (> 1: shared) */
	unsigned mark; /* internal */
};

/* Failed logins (and pre-auth noise) counted rather than kept. */
struct trace_failures {
	uint64_t events; /* lines */
	uint64_t attempts; /* sum of counts */
	uint64_t passwords; /* failed passwords (attempts) */
	uint64_t other_methods; /* failed publickey, keyboard-interactive … */
	uint64_t invalid_users; /* "Invalid user" lines */
	uint64_t refused; /* not allowed, root refused, max attempts */
	uint64_t noise; /* pre-auth closes, connects, protocol errors, drops */
	/* Failed attempts: like attempts, but an "Invalid user"/"not allowed"
	 * line and the failed password that follows it on the same connection
	 * are one attempt, as are a failure and the "maximum authentication
	 * attempts exceeded" after it (as the detectors count). */
	uint64_t tries;
	uint64_t users; /* distinct user names tried (sources, when by_source) */
	bool users_capped; /* more than TRACE_USERS_MAX: users is a floor */
	bool by_source; /* users counts sources (a user's failures) */
	int64_t first_us, last_us;
	const struct trace_event *kept[TRACE_LIST_MAX]; /* the first ones */
	unsigned n_kept;
};

struct trace_privilege {
	bool gained;
	const struct trace_event *how; /* the first successful sudo or su */
	char *how_text; /* "sudo to root at 03:12:09 (COMMAND=/bin/bash)" */
	uint64_t sudo_ok, su_ok; /* invocations */
	uint64_t sudo_refused, sudo_failed, su_failed;
};

struct trace_session {
	char *id; /* HOST:PID:START */
	const char *host, *user, *source; /* borrowed from the login event */
	int32_t pid;
	enum auth_method method;
	int64_t start_us, end_us; /* end_us valid when closed */
	bool closed;
	const struct trace_event *login;
	const struct trace_event **events; /* the timeline, time order */
	size_t n_events;
	struct trace_failures before; /* failures from the same source before the login */
	struct trace_privilege priv;
	/* Account and key changes on the host in the window that this session
	 * answers for: its own sudo/su preceded them, or no sudo/su of anyone
	 * explains them (n_unexplained of them: an exploit leaves no sudo line). */
	const struct trace_event **changes;
	size_t n_changes, n_unexplained;
	/* Changes in the window that followed another session's sudo/su. */
	const struct trace_event **other_changes;
	size_t n_other_changes;
	unsigned n_shared; /* attached events that also belong to another session */
	/* logind's session (also in events), when seen: NULL when not. */
	const struct trace_event *logind_new, *logind_removed;
	char *verdict;
	char *brief; /* the verdict for a list: no duration, but the failures before it */
	/* internal */
	bool hidden; /* a sibling built only to compete for sudo/su lines */
	int64_t window_end_us;
	char *tty;
	size_t cap_events, cap_changes, cap_other_changes;
};

/* Other services' PAM sessions of the subject, counted (see above). */
struct trace_pam_sessions {
	char *service; /* "cron", "sudo", "systemd-user" … */
	char *user; /* whose session it is */
	char *by; /* who opened it, when logged (sudo: the caller), else "" */
	uint64_t opened, closed; /* lines */
	int64_t first_us, last_us;
};

struct trace {
	enum trace_by by;
	char *subject; /* "" for TRACE_RECENT */
	int64_t since_us, until_us; /* as asked; TRACE_RECENT: the range it looked at */
	bool recent_default; /* TRACE_RECENT over the last 24 h of store time */
	bool verbose;
	uint64_t n_events; /* events about the subject */
	int64_t first_us, last_us;
	struct trace_failures failures; /* the subject's failed logins */
	const struct trace_event **outside; /* the subject's other events in no session */
	size_t n_outside;
	struct trace_privilege outside_priv; /* sudo/su in no traced session */
	struct trace_session *sessions;
	size_t n_sessions;
	uint64_t sessions_dropped, events_dropped; /* over the caps */
	uint64_t sessions_earlier; /* TRACE_RECENT: logins in the range older than the list */
	size_t n_gained, n_open, n_with_changes;
	struct trace_pam_sessions *pam; /* summarised, unless verbose */
	size_t n_pam;
	uint64_t pam_other; /* PAM session lines beyond TRACE_PAM_GROUPS_MAX groups */
	/* The accounts the sessions logged in as, in login order (at most
	 * TRACE_LOGGED_IN_AS_MAX; n_logged_in_as counts them all). */
	const char *logged_in_as[TRACE_LOGGED_IN_AS_MAX];
	size_t n_logged_in_as;
	char *verdict;
	struct trace_pool *pool; /* internal: owned events by id */
};

/* Builds the trace. Returns 0 and *ret (even when nothing matched: see
 * trace_found), or a negative errno with *ret_err (caller frees). */
int trace_build(struct store *s, const struct trace_query *q, struct trace **ret, char **ret_err);
struct trace *trace_free(struct trace *t);
static inline void trace_freep(struct trace **t)
{
	trace_free(*t);
}

/* True when the store knew anything about the subject (TRACE_RECENT: held
 * any event in the range). */
bool trace_found(const struct trace *t);

/* Splits "HOST:PID:START". Returns 0, or -EINVAL when malformed.
 * *ret_host is a copy (caller frees). */
int trace_session_id_parse(const char *id, char **ret_host, int32_t *ret_pid, int64_t *ret_start_s);

/* Output: text for a person (colour optional; attacker text escaped) or
 * one JSON object. In text, a session header says "after N failed attempts
 * from this source" when its source failed in the day before the login, and
 * sshd's two logout lines ("Received disconnect …", "Disconnected from user
 * …": same pid, same second) are one line; JSON keeps every event.
 * TRACE_RECENT's text is a list, newest first, with how to drill down; its
 * JSON has the same shape as any trace. */
void trace_write_text(FILE *f, const struct trace *t, bool color);
void trace_write_json(FILE *f, const struct trace *t);
