/* Unit tests for src/trace: sessions, attribution, verdicts, JSON. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <jansson.h>

#include "scenario.h"
#include "trace/trace.h"

struct fixture {
	char *dir, *db;
	struct store *s;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char *err = NULL;
	assert_non_null(f);
	f->dir = tmpdir_new();
	f->db = path_join(f->dir, "moat.db");
	assert_int_equal(store_open(f->db, &f->s, &err), 0);
	assert_int_equal(scenario_write(f->s), 0);
	store_free(f->s);
	/* trace reads through a read-only handle, as 'moat trace' does. */
	assert_int_equal(store_open_readonly(f->db, &f->s, &err), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_free(f->s);
	tmpdir_remove(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static struct trace *run(struct fixture *f, enum trace_by by, const char *v)
{
	struct trace_query q = { .by = by, .value = v, .since_us = INT64_MIN, .until_us = INT64_MAX };
	struct trace *t = NULL;
	char *err = NULL;
	int r = trace_build(f->s, &q, &t, &err);
	if (r < 0)
		fail_msg("trace_build: %d %s", r, err ? err : "");
	return t;
}

static json_t *as_json(const struct trace *t)
{
	char *s = NULL;
	size_t n = 0;
	json_error_t je;
	FILE *m = open_memstream(&s, &n);
	assert_non_null(m);
	trace_write_json(m, t);
	fclose(m);
	json_t *j = json_loads(s, 0, &je);
	if (!j)
		fail_msg("invalid JSON (%s at %d): %s", je.text, je.position, s);
	free(s);
	return j;
}

static char *as_text(const struct trace *t)
{
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	assert_non_null(m);
	trace_write_text(m, t, false);
	fclose(m);
	return s;
}

static size_t count_kind(const struct trace_session *ss, enum event_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < ss->n_events; i++)
		n += ss->events[i]->kind == k;
	return n;
}

/* A login that sudo-fails three times and su-fails once. */
static void test_refused_session(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_USER, "alice");

	assert_true(trace_found(t));
	assert_int_equal(t->n_sessions, 1);
	const struct trace_session *ss = &t->sessions[0];
	assert_string_equal(ss->id, "web-1:4242:1772334005");
	assert_string_equal(ss->user, "alice");
	assert_string_equal(ss->source, "203.0.113.7");
	assert_int_equal(ss->method, AM_PASSWORD);
	assert_true(ss->closed);
	assert_int_equal(ss->end_us - ss->start_us, 14 * 60 * 1000000LL);
	assert_false(ss->priv.gained);
	assert_int_equal(ss->priv.sudo_refused, 3);
	assert_int_equal(ss->priv.su_failed, 1); /* two lines, one su run */
	assert_int_equal(ss->priv.sudo_failed, 0);
	assert_string_equal(ss->verdict,
			    "no privilege gained: sudo refused \u00d73, su refused \u00d71; session closed after 14 min");
	/* The timeline: the login, session, 3 sudo, 2 su lines, bob's group
	 * change (another session's doing), 2 disconnects, the close. (The
	 * wrong password before the login is a failed login: kept packed per
	 * source, it is counted in the header, "after N failed attempts from
	 * this source", not listed in the session.) */
	assert_int_equal(ss->n_events, 11);
	assert_int_equal(ss->n_other_changes, 1);
	assert_int_equal(count_kind(ss, EV_ACCOUNT_CHANGE), 1);
	assert_int_equal(ss->events[0]->kind, EV_AUTH_SUCCESS);
	assert_int_equal(count_kind(ss, EV_SUDO_REFUSED), 3);
	assert_int_equal(ss->events[ss->n_events - 1]->kind, EV_SESSION_CLOSE);
	/* Failures before it from the same source, any user. */
	assert_int_equal(ss->before.passwords, 4);
	assert_int_equal(ss->before.invalid_users, 1);
	assert_int_equal(ss->before.users, 3); /* oracle, root, alice */
	assert_int_equal(ss->n_changes, 0);
	assert_int_equal(ss->n_unexplained, 0);
	/* "Invalid user oracle" and the failed password after it on the same
	 * connection are one attempt: 4 attempts in 5 lines. */
	assert_int_equal(ss->before.attempts, 5);
	assert_int_equal(ss->before.tries, 4);
	assert_string_equal(ss->brief, "no privilege gained: sudo refused \u00d73, su refused \u00d71; after 4 failed "
				       "attempts from this source");
	assert_null(ss->logind_new);
	assert_null(ss->logind_removed);
	/* The user's own failed login is counted at the top. */
	assert_int_equal(t->failures.passwords, 1);
	assert_int_equal(t->n_outside, 0);
	assert_string_equal(t->verdict, "no privilege gained in 1 session: sudo refused \u00d73, su refused \u00d71");

	json_t *j = as_json(t);
	json_t *s0 = json_array_get(json_object_get(j, "sessions"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "subject"), "by")), "user");
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "subject"), "value")), "alice");
	assert_string_equal(json_string_value(json_object_get(s0, "id")), "web-1:4242:1772334005");
	assert_string_equal(json_string_value(json_object_get(s0, "start")), "2026-03-01T03:00:05Z");
	assert_string_equal(json_string_value(json_object_get(s0, "end")), "2026-03-01T03:14:05Z");
	assert_int_equal(json_integer_value(json_object_get(s0, "duration_s")), 840);
	assert_string_equal(json_string_value(json_object_get(s0, "method")), "password");
	json_t *p = json_object_get(s0, "privilege");
	assert_true(json_is_false(json_object_get(p, "gained")));
	assert_true(json_is_null(json_object_get(p, "how")));
	json_t *at = json_object_get(p, "attempts");
	assert_int_equal(json_integer_value(json_object_get(at, "sudo_refused")), 3);
	assert_int_equal(json_integer_value(json_object_get(at, "sudo_failed")), 0);
	assert_int_equal(json_integer_value(json_object_get(at, "su_failed")), 1);
	assert_int_equal(json_array_size(json_object_get(s0, "events")), 11);
	assert_int_equal(json_array_size(json_object_get(s0, "account_changes")), 0);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s0, "other_account_changes"), 0)),
			    "user mallory added to group sudo");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(s0, "failures_before"), "failed_attempts")),
			 4);
	assert_true(json_is_null(json_object_get(s0, "logind_session")));
	assert_true(json_is_null(json_object_get(s0, "logind_removed")));
	char *txt = as_text(t);
	assert_non_null(strstr(txt, "usermod[5200]  user mallory added to group sudo (on the host, after another "
				    "session's sudo/su)\n"));
	assert_non_null(strstr(txt, "\nsession web-1:4242:1772334005  alice from 203.0.113.7 (password) on web-1, after 4 "
				    "failed attempts from this source\n"));
	/* sshd's two logout lines are one line of the timeline (JSON keeps both). */
	assert_non_null(strstr(txt, "\n  2026-03-01 03:14:05 UTC  sshd[4242]  disconnected user alice from 203.0.113.7\n"
				    "  2026-03-01 03:14:05 UTC  sshd[4242]  session closed for alice\n"));
	assert_null(strstr(txt, "disconnected from 203.0.113.7"));
	free(txt);
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(s0, "events"), 1),
							       "kind")),
			    "session_open");
	assert_string_equal(json_string_value(json_object_get(s0, "verdict")), ss->verdict);
	assert_string_equal(json_string_value(json_object_get(j, "verdict")), t->verdict);
	json_decref(j);
	trace_free(t);
}

/* A login that gains root with sudo, and adds a user to sudo. */
static void test_gained_session(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_USER, "bob");

	assert_int_equal(t->n_sessions, 1);
	const struct trace_session *ss = &t->sessions[0];
	assert_true(ss->priv.gained);
	assert_int_equal(ss->priv.how->kind, EV_SUDO_COMMAND);
	assert_int_equal(ss->priv.sudo_failed, 1); /* pam_unix + sudo's line: one try */
	assert_int_equal(ss->priv.sudo_ok, 1);
	assert_string_equal(ss->priv.how_text, "sudo to root at 03:12:09 UTC (COMMAND=/bin/bash)");
	assert_int_equal(ss->n_changes, 1);
	assert_string_equal(ss->verdict, "PRIVILEGE GAINED: sudo to root at 03:12:09 UTC (COMMAND=/bin/bash); also sudo "
					 "wrong password \u00d71; account changes during the session: user mallory "
					 "added to group sudo; session closed after 10 min");
	assert_int_equal(t->n_gained, 1);
	assert_string_equal(t->verdict, "PRIVILEGE GAINED in 1 of 1 session: sudo to root at 03:12:09 UTC "
					"(COMMAND=/bin/bash) (session web-1:4300:1772334600); account changes during "
					"1 session");

	json_t *j = as_json(t);
	json_t *s0 = json_array_get(json_object_get(j, "sessions"), 0);
	json_t *p = json_object_get(s0, "privilege");
	assert_true(json_is_true(json_object_get(p, "gained")));
	assert_string_equal(json_string_value(json_object_get(p, "how")), "sudo to root at 03:12:09 UTC (COMMAND=/bin/bash)");
	assert_string_equal(json_string_value(json_object_get(json_object_get(p, "event"), "command")), "/bin/bash");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(p, "attempts"), "sudo_failed")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(s0, "account_changes"), 0)),
			    "user mallory added to group sudo");
	assert_true(json_is_true(json_object_get(j, "privilege_gained")));
	json_decref(j);

	char *txt = as_text(t);
	assert_non_null(strstr(txt, "session web-1:4300:1772334600  bob from 198.51.100.20 (publickey) on web-1\n"));
	assert_non_null(strstr(txt, "sudo[5101]  sudo by bob as root on pts/1: /bin/bash\n"));
	assert_non_null(strstr(txt, "usermod[5200]  user mallory added to group sudo\n"));
	assert_non_null(strstr(txt, "verdict: PRIVILEGE GAINED: sudo to root at 03:12:09 UTC"));
	free(txt);
	trace_free(t);
}

/* Two sessions of one user at once: the terminal tells them apart; what it
 * cannot decide goes to both. */
static void test_concurrent_sessions(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_USER, "carol");

	assert_int_equal(t->n_sessions, 2);
	const struct trace_session *s1 = &t->sessions[0], *s2 = &t->sessions[1];
	assert_string_equal(s1->source, "192.0.2.10");
	assert_string_equal(s2->source, "192.0.2.11");
	assert_int_equal(s1->end_us - s1->start_us, 3600 * 1000000LL);
	assert_int_equal(s2->end_us - s2->start_us, 40 * 60 * 1000000LL);

	/* s1 (pts/0): sudo refused at 10:05, su at 10:30, the tty-less refusal. */
	assert_true(s1->priv.gained);
	assert_int_equal(s1->priv.how->kind, EV_SU_SUCCESS);
	assert_int_equal(s1->priv.sudo_refused, 2);
	assert_int_equal(s1->priv.sudo_ok, 0);
	assert_int_equal(count_kind(s1, EV_SUDO_COMMAND), 0);
	assert_int_equal(s1->n_shared, 1);
	/* s2 (pts/1): the sudo at 10:20 and the shared refusal. */
	assert_true(s2->priv.gained);
	assert_int_equal(s2->priv.how->kind, EV_SUDO_COMMAND);
	assert_int_equal(s2->priv.sudo_refused, 1);
	assert_int_equal(count_kind(s2, EV_SU_SUCCESS), 0);
	assert_int_equal(s2->n_shared, 1);
	assert_string_equal(s1->verdict, "PRIVILEGE GAINED: su to root succeeded at 10:30:00 UTC; also sudo refused "
					 "\u00d72; session closed after 1 h 00 min; 1 sudo/su line falls in another "
					 "session of this user too (shown in both)");
	assert_string_equal(s2->verdict, "PRIVILEGE GAINED: sudo to root at 10:20:00 UTC (COMMAND=/usr/bin/id); also "
					 "sudo refused \u00d71; session closed after 40 min; 1 sudo/su line falls in another "
					 "session of this user too (shown in both)");
	assert_int_equal(t->n_gained, 2);

	json_t *j = as_json(t);
	json_t *ev = json_object_get(json_array_get(json_object_get(j, "sessions"), 1), "events");
	size_t n_shared = 0;
	for (size_t i = 0; i < json_array_size(ev); i++)
		n_shared += json_is_true(json_object_get(json_array_get(ev, i), "shared"));
	assert_int_equal(n_shared, 1);
	json_decref(j);
	trace_free(t);
}

static void test_open_session(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_USER, "dave");

	assert_int_equal(t->n_sessions, 1);
	assert_false(t->sessions[0].closed);
	assert_int_equal(t->n_open, 1);
	assert_string_equal(t->sessions[0].verdict, "no privilege gained; session still open (no logout seen)");
	assert_string_equal(t->verdict, "no privilege gained in 1 session; 1 session still open (no logout seen)");
	json_t *j = as_json(t);
	json_t *s0 = json_array_get(json_object_get(j, "sessions"), 0);
	assert_true(json_is_null(json_object_get(s0, "end")));
	assert_true(json_is_null(json_object_get(s0, "duration_s")));
	assert_int_equal(json_integer_value(json_object_get(j, "sessions_open")), 1);
	json_decref(j);
	trace_free(t);
}

/* A source: hundreds of failures become one sentence, then its session. */
static void test_source_summary(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_SOURCE, "203.0.113.99");

	assert_int_equal(t->failures.passwords, 412);
	assert_int_equal(t->failures.users, 37);
	assert_false(t->failures.by_source);
	assert_int_equal(t->failures.noise, 1);
	/* failures, preauth close, login, session open, disconnect, session
	 * close (the pam_unix session lines name no address: the attempt
	 * stage gives them their connection's) */
	assert_int_equal(t->n_events, 412 + 1 + 4);
	assert_int_equal(t->n_sessions, 1);
	assert_string_equal(t->sessions[0].user, "admin");
	assert_int_equal(t->sessions[0].before.passwords, 412);
	assert_string_equal(t->sessions[0].verdict, "no privilege gained; session closed after 1 min");
	assert_string_equal(t->verdict, "no privilege gained in 1 session; logged in as admin; from this source: 412 "
					"failed passwords for 37 users, 1 pre-auth line (closed, probes, protocol "
					"errors) between 2026-03-01 01:00:00 UTC and 2026-03-01 01:59:00 UTC");
	assert_int_equal(t->n_logged_in_as, 1);
	assert_string_equal(t->logged_in_as[0], "admin");
	assert_int_equal(t->sessions[0].before.tries, 412);

	char *txt = as_text(t);
	assert_non_null(strstr(txt, "failed logins and probes: 412 failed passwords for 37 users, 1 pre-auth line "
				    "(closed, probes, protocol errors) between 2026-03-01 01:00:00 UTC and "
				    "2026-03-01 01:59:00 UTC\n"));
	/* Summarised, not listed one per line. */
	assert_null(strstr(txt, "failed password for user05"));
	free(txt);

	json_t *j = as_json(t);
	json_t *fl = json_object_get(j, "failures");
	assert_int_equal(json_integer_value(json_object_get(fl, "passwords")), 412);
	assert_int_equal(json_integer_value(json_object_get(fl, "users")), 37);
	assert_int_equal(json_integer_value(json_object_get(fl, "failed_attempts")), 412);
	assert_null(json_object_get(fl, "events"));
	assert_int_equal(json_array_size(json_object_get(j, "logged_in_as")), 1);
	assert_string_equal(json_string_value(json_array_get(json_object_get(j, "logged_in_as"), 0)), "admin");
	json_decref(j);
	trace_free(t);

	/* A few failures are listed one by one. */
	t = run(f, TRACE_SOURCE, "::ffff:203.0.113.7");
	assert_int_equal(t->failures.events, 5);
	assert_int_equal(t->n_sessions, 1);
	txt = as_text(t);
	assert_non_null(strstr(txt, "  invalid user oracle from 203.0.113.7\n"));
	free(txt);
	trace_free(t);
}

static void test_session_by_id(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_SESSION, "web-1:4300:1772334600");
	assert_int_equal(t->n_sessions, 1);
	assert_string_equal(t->sessions[0].user, "bob");
	assert_true(t->sessions[0].priv.gained);
	trace_free(t);

	t = run(f, TRACE_SESSION, "web-1:4300:1772334601");
	assert_false(trace_found(t));
	trace_free(t);

	struct trace_query q = { .by = TRACE_SESSION, .value = "web-1:x:1", .since_us = INT64_MIN,
				 .until_us = INT64_MAX };
	char *err = NULL;
	assert_int_equal(trace_build(f->s, &q, &t, &err), -EINVAL);
	assert_non_null(strstr(err, "not a session id"));
	free(err);

	char *h = NULL;
	int32_t pid;
	int64_t start;
	assert_int_equal(trace_session_id_parse("fe80::1:22:1700000000", &h, &pid, &start), 0);
	assert_string_equal(h, "fe80::1");
	assert_int_equal(pid, 22);
	assert_int_equal(start, 1700000000);
	free(h);
	assert_int_equal(trace_session_id_parse(":1:2", &h, &pid, &start), -EINVAL);
	assert_int_equal(trace_session_id_parse("h:1:", &h, &pid, &start), -EINVAL);
	assert_int_equal(trace_session_id_parse("h:-1:5", &h, &pid, &start), -EINVAL);
	assert_int_equal(trace_session_id_parse("h15", &h, &pid, &start), -EINVAL);
}

static void test_unknown_and_window(void **state)
{
	struct fixture *f = *state;
	struct trace *t = run(f, TRACE_USER, "zed");
	assert_false(trace_found(t));
	assert_int_equal(t->n_sessions, 0);
	assert_string_equal(t->verdict, "no login session in the store");
	json_t *j = as_json(t);
	assert_true(json_is_false(json_object_get(j, "found")));
	json_decref(j);
	trace_free(t);

	/* --until before bob's sudo: the login is seen, the gain is not. */
	struct trace_query q = { .by = TRACE_USER, .value = "bob", .since_us = INT64_MIN,
				 .until_us = T("2026-03-01T03:12:00Z") };
	char *err = NULL;
	assert_int_equal(trace_build(f->s, &q, &t, &err), 0);
	assert_int_equal(t->n_sessions, 1);
	assert_false(t->sessions[0].priv.gained);
	assert_false(t->sessions[0].closed);
	trace_free(t);
}

/* Hostile names come out escaped in text and valid in JSON. */
static void test_hostile_text(void **state)
{
	struct fixture *f = *state;
	store_free(f->s);
	char *err = NULL;
	assert_int_equal(store_open(f->db, &f->s, &err), 0);
	struct sc sc = { .s = f->s };
	static const char evil[] = "ev\033[2Jil\n\xff\"";
	static const struct sudo_arg cmd = { "pts/9", "root", "/bin/sh -c \"\033]0;owned\a\"", 0 };
	sc_add(&sc, "2026-03-02T00:00:00Z", "sshd", 100, EV_AUTH_SUCCESS, evil, "192.0.2.99", m_password,
	       (const void *)(uintptr_t)1);
	sc_add(&sc, "2026-03-02T00:00:10Z", "sudo", 101, EV_SUDO_COMMAND, evil, NULL, m_sudo, &cmd);
	assert_int_equal(sc.failures, 0);

	struct trace *t = run(f, TRACE_USER, evil);
	assert_int_equal(t->n_sessions, 1);
	assert_true(t->sessions[0].priv.gained);
	char *txt = as_text(t);
	assert_null(strchr(txt, '\033'));
	assert_null(strchr(txt, '\a'));
	assert_null(strstr(txt, "\xff"));
	assert_non_null(strstr(txt, "ev\\x1b[2Jil\\x0a\\xff\""));
	free(txt);
	json_t *j = as_json(t); /* parses: valid UTF-8 JSON */
	const char *u = json_string_value(json_object_get(json_array_get(json_object_get(j, "sessions"), 0), "user"));
	assert_non_null(u);
	assert_memory_equal(u, "ev\033[2Jil\n", 9);
	json_decref(j);
	trace_free(t);
}

static void m_user_add(struct event *ev, const void *arg)
{
	(void)arg;
	ev->acct = ACCT_USER_ADD;
}

/* An account change in an unprivileged session that no sudo/su explains
 * (an exploit leaves no sudo line): the session answers for it, loudly. */
static void test_unexplained_change(void **state)
{
	struct fixture *f = *state;
	char *err = NULL;
	store_free(f->s);
	assert_int_equal(store_open(f->db, &f->s, &err), 0);
	struct sc sc = { .s = f->s };
	sc_add(&sc, "2026-03-03T08:00:00Z", "sshd", 300, EV_AUTH_SUCCESS, "eve", "192.0.2.77", m_password,
	       (const void *)(uintptr_t)2222);
	sc_add(&sc, "2026-03-03T08:05:00Z", "useradd", 301, EV_ACCOUNT_CHANGE, "backdoor", NULL, m_user_add, NULL);
	sc_add(&sc, "2026-03-03T08:07:30Z", "sshd", 300, EV_SESSION_CLOSE, "eve", NULL, NULL, NULL);
	assert_int_equal(sc.failures, 0);

	struct trace *t = run(f, TRACE_USER, "eve");
	assert_int_equal(t->n_sessions, 1);
	assert_int_equal(t->sessions[0].n_changes, 1);
	assert_int_equal(t->sessions[0].n_unexplained, 1);
	assert_string_equal(t->sessions[0].verdict, "no privilege gained; account changes during the session with no "
						    "sudo/su seen before them: user backdoor added; session closed "
						    "after 7 min");
	assert_int_equal(t->n_with_changes, 1);
	char *txt = as_text(t);
	assert_non_null(strstr(txt, "useradd[301]  user backdoor added (no sudo/su seen before it!)\n"));
	free(txt);
	trace_free(t);
}


/* The store, reopened for writing more events (trace reads through the
 * same handle afterwards). */
static struct sc writable(struct fixture *f)
{
	char *err = NULL;
	store_free(f->s);
	assert_int_equal(store_open(f->db, &f->s, &err), 0);
	return (struct sc){ .s = f->s };
}

static struct trace *run_q(struct fixture *f, const struct trace_query *q)
{
	struct trace *t = NULL;
	char *err = NULL;
	int r = trace_build(f->s, q, &t, &err);
	if (r < 0)
		fail_msg("trace_build: %d %s", r, err ? err : "");
	return t;
}

struct more {
	const char *detail, *target;
	uint16_t port;
};

static void m_more(struct event *ev, const void *arg)
{
	const struct more *m = arg;
	if (m->detail)
		ev->detail = sv_cstr(m->detail);
	if (m->target)
		ev->target = sv_cstr(m->target);
	if (m->port)
		ev->port = m->port;
}

static void m_detail(struct event *ev, const void *arg)
{
	ev->detail = sv_cstr(arg);
}

/* A JSON session's string field. */
static const char *jss(json_t *j, size_t i, const char *k)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(j, "sessions"), i), k));
}

/* logind's New/Removed lines go with the SSH login they belong to. */
static void test_logind(void **state)
{
	struct fixture *f = *state;
	struct sc sc = writable(f);
	static const struct more rx = { "disconnected by user", NULL, 2222 }, dx = { "Disconnected", NULL, 2222 };

	/* frank logs in; logind registers session 7 (and grace's 8 at the
	 * same moment); later a console login of frank (9): not this one. */
	sc_add(&sc, "2026-03-04T09:00:00Z", "sshd", 800, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_password,
	       (const void *)(uintptr_t)2222);
	sc_add(&sc, "2026-03-04T09:00:00.040000Z", "sshd", 800, EV_SESSION_OPEN, "frank", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-04T09:00:00.100000Z", "systemd-logind", 412, EV_LOGIND_NEW, "frank", NULL, m_detail, "7");
	sc_add(&sc, "2026-03-04T09:00:00.150000Z", "systemd-logind", 412, EV_LOGIND_NEW, "grace", NULL, m_detail, "8");
	sc_add(&sc, "2026-03-04T09:05:00Z", "systemd-logind", 412, EV_LOGIND_NEW, "frank", NULL, m_detail, "9");
	sc_add(&sc, "2026-03-04T09:10:00Z", "sshd", 800, EV_DISCONNECT, "", "192.0.2.5", m_more, &rx);
	sc_add(&sc, "2026-03-04T09:10:00Z", "sshd", 800, EV_DISCONNECT, "frank", "192.0.2.5", m_more, &dx);
	sc_add(&sc, "2026-03-04T09:10:00Z", "sshd", 800, EV_SESSION_CLOSE, "frank", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-04T09:10:00.005000Z", "systemd-logind", 412, EV_LOGIND_REMOVED, "", NULL, m_detail, "8");
	sc_add(&sc, "2026-03-04T09:10:00.010000Z", "systemd-logind", 412, EV_LOGIND_REMOVED, "", NULL, m_detail, "7");
	/* A session whose processes outlive the logout by hours. */
	sc_add(&sc, "2026-03-04T12:00:00Z", "sshd", 810, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_pubkey, NULL);
	sc_add(&sc, "2026-03-04T12:00:01Z", "systemd-logind", 412, EV_LOGIND_NEW, "frank", NULL, m_detail, "10");
	sc_add(&sc, "2026-03-04T12:10:00Z", "sshd", 810, EV_SESSION_CLOSE, "frank", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-04T15:00:00Z", "systemd-logind", 412, EV_LOGIND_REMOVED, "", NULL, m_detail, "10");
	/* logind's ids start again after a reboot: the removal of "3" is the
	 * second session's, the first one's was never logged. */
	sc_add(&sc, "2026-03-05T08:00:00Z", "sshd", 820, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_pubkey, NULL);
	sc_add(&sc, "2026-03-05T08:00:00Z", "systemd-logind", 412, EV_LOGIND_NEW, "frank", NULL, m_detail, "3");
	sc_add(&sc, "2026-03-05T08:05:00Z", "sshd", 820, EV_SESSION_CLOSE, "frank", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-05T10:00:00Z", "sshd", 830, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_pubkey, NULL);
	sc_add(&sc, "2026-03-05T10:00:00.500000Z", "systemd-logind", 99, EV_LOGIND_NEW, "frank", NULL, m_detail, "3");
	sc_add(&sc, "2026-03-05T10:05:00Z", "sshd", 830, EV_SESSION_CLOSE, "frank", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-05T10:05:00.010000Z", "systemd-logind", 99, EV_LOGIND_REMOVED, "", NULL, m_detail, "3");
	/* No logout from sshd, but logind saw the session end. */
	sc_add(&sc, "2026-03-06T08:00:00Z", "sshd", 840, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_pubkey, NULL);
	sc_add(&sc, "2026-03-06T08:00:00.100000Z", "systemd-logind", 99, EV_LOGIND_NEW, "frank", NULL, m_detail, "11");
	sc_add(&sc, "2026-03-06T09:00:00Z", "systemd-logind", 99, EV_LOGIND_REMOVED, "", NULL, m_detail, "11");
	assert_int_equal(sc.failures, 0);

	struct trace *t = run(f, TRACE_USER, "frank");
	assert_int_equal(t->n_sessions, 5);
	const struct trace_session *s0 = &t->sessions[0], *s1 = &t->sessions[1], *s2 = &t->sessions[2],
				   *s3 = &t->sessions[3], *s4 = &t->sessions[4];
	assert_non_null(s0->logind_new);
	assert_string_equal(s0->logind_new->detail, "7");
	assert_non_null(s0->logind_removed);
	assert_string_equal(s0->logind_removed->detail, "7");
	assert_int_equal(s0->logind_removed->time_us, T("2026-03-04T09:10:00.010000Z"));
	/* login, open, New, 2 disconnects, close, Removed */
	assert_int_equal(s0->n_events, 7);
	assert_string_equal(s0->verdict, "no privilege gained; session closed after 10 min");
	assert_string_equal(s1->logind_removed->detail, "10");
	assert_string_equal(s1->verdict, "no privilege gained; session closed after 10 min; its processes ran on for "
					 "2 h 50 min after the logout (logind session 10)");
	assert_string_equal(s1->brief, "no privilege gained; its processes ran on for 2 h 50 min after the logout "
				       "(logind session 10)");
	assert_string_equal(s2->logind_new->detail, "3");
	assert_null(s2->logind_removed);
	assert_string_equal(s3->logind_new->detail, "3");
	assert_int_equal(s3->logind_removed->time_us, T("2026-03-05T10:05:00.010000Z"));
	assert_false(s4->closed);
	assert_string_equal(s4->logind_removed->detail, "11");
	trace_free(t);

	t = run(f, TRACE_SESSION, "web-1:840:1772784000");
	assert_int_equal(t->n_sessions, 1);
	assert_string_equal(t->sessions[0].verdict, "no privilege gained; session still open (no logout seen; logind "
						    "removed session 11 at 09:00:00 UTC)");
	trace_free(t);

	t = run(f, TRACE_USER, "frank");
	/* Only the console login's New line is outside; grace's is not frank's. */
	assert_int_equal(t->n_outside, 1);
	assert_string_equal(t->outside[0]->detail, "9");
	char *txt = as_text(t);
	assert_non_null(strstr(txt, "\n  2026-03-04 09:00:00 UTC  systemd-logind[412]  logind session 7 started "
				    "for frank\n"));
	assert_non_null(strstr(txt, "\n  2026-03-04 09:10:00 UTC  sshd[800]  disconnected user frank from 192.0.2.5 port "
				    "2222 [disconnected by user]\n"
				    "  2026-03-04 09:10:00 UTC  sshd[800]  session closed for frank [sshd]\n"
				    "  2026-03-04 09:10:00 UTC  systemd-logind[412]  logind session 7 removed\n"));
	assert_non_null(strstr(txt, "\noutside any login session (1 event):\n"
				    "  2026-03-04 09:05:00 UTC  systemd-logind[412]  logind session 9 started for frank\n"));
	assert_null(strstr(txt, "session 8"));
	free(txt);
	json_t *j = as_json(t);
	assert_string_equal(jss(j, 0, "logind_session"), "7");
	assert_string_equal(jss(j, 0, "logind_removed"), "2026-03-04T09:10:00.010000Z");
	assert_int_equal(json_array_size(json_object_get(json_array_get(json_object_get(j, "sessions"), 0), "events")), 7);
	assert_string_equal(jss(j, 2, "logind_session"), "3");
	assert_true(json_is_null(json_object_get(json_array_get(json_object_get(j, "sessions"), 2), "logind_removed")));
	json_decref(j);
	trace_free(t);

	/* A New line more than 2 s after the login is not the session's. */
	sc = writable(f);
	sc_add(&sc, "2026-03-09T08:00:00Z", "sshd", 850, EV_AUTH_SUCCESS, "frank", "192.0.2.5", m_pubkey, NULL);
	sc_add(&sc, "2026-03-09T08:00:02.500000Z", "systemd-logind", 99, EV_LOGIND_NEW, "frank", NULL, m_detail, "12");
	assert_int_equal(sc.failures, 0);
	t = run(f, TRACE_SESSION, "web-1:850:1773043200");
	assert_int_equal(t->n_sessions, 1);
	assert_null(t->sessions[0].logind_new);
	trace_free(t);
}

/* cron's sessions of root: one line, unless verbose. */
static void test_pam_sessions(void **state)
{
	struct fixture *f = *state;
	struct sc sc = writable(f);
	char ts[40], svc[16];
	static const struct more sudo_pam = { "sudo", "root", 0 };

	assert_int_equal(store_begin(f->s), 0);
	for (int i = 0; i < 412; i++) {
		snprintf(ts, sizeof(ts), "2026-03-07T%02d:%02d:00Z", i / 60, i % 60);
		sc_add(&sc, ts, "CRON", 20000 + i, EV_SESSION_OPEN, "root", NULL, m_detail, "cron");
		snprintf(ts, sizeof(ts), "2026-03-07T%02d:%02d:01Z", i / 60, i % 60);
		sc_add(&sc, ts, "CRON", 20000 + i, EV_SESSION_CLOSE, "root", NULL, m_detail, "cron");
	}
	assert_int_equal(store_commit(f->s), 0);
	sc_add(&sc, "2026-03-07T10:00:00Z", "sshd", 900, EV_AUTH_SUCCESS, "root", "192.0.2.9", m_pubkey, NULL);
	sc_add(&sc, "2026-03-07T10:00:00Z", "sshd", 900, EV_SESSION_OPEN, "root", NULL, m_detail, "sshd");
	sc_add(&sc, "2026-03-07T10:30:00Z", "sshd", 900, EV_SESSION_CLOSE, "root", NULL, m_detail, "sshd");
	/* sudo's PAM session is root's, opened by carol (user carol, target root). */
	sc_add(&sc, "2026-03-07T11:00:00Z", "sudo", 950, EV_SESSION_OPEN, "carol", NULL, m_more, &sudo_pam);
	/* More services than groups: the rest is counted. */
	for (int i = 0; i < 40; i++) {
		snprintf(svc, sizeof(svc), "svc%02d", i);
		sc_add(&sc, "2026-03-07T12:00:00Z", "login", 30000 + i, EV_SESSION_OPEN, "henry", NULL, m_detail, svc);
	}
	assert_int_equal(sc.failures, 0);

	struct trace *t = run(f, TRACE_USER, "root");
	assert_int_equal(t->n_events, 824 + 3 + 2); /* cron, the login, the scenario's 2 failures */
	assert_int_equal(t->n_sessions, 1);
	assert_int_equal(t->n_outside, 0);
	assert_int_equal(t->n_pam, 1);
	assert_string_equal(t->pam[0].service, "cron");
	assert_string_equal(t->pam[0].user, "root");
	assert_string_equal(t->pam[0].by, "");
	assert_int_equal(t->pam[0].opened, 412);
	assert_int_equal(t->pam[0].closed, 412);
	assert_int_equal(t->pam[0].first_us, T("2026-03-07T00:00:00Z"));
	assert_int_equal(t->pam[0].last_us, T("2026-03-07T06:51:01Z"));
	assert_string_equal(t->sessions[0].verdict, "no privilege gained; session closed after 30 min");
	char *txt = as_text(t);
	assert_non_null(strstr(txt, "\n\nPAM sessions of other services (824 lines, counted; -v lists them):\n"
				    "  cron opened 412 sessions for root between 2026-03-07 00:00:00 UTC and "
				    "2026-03-07 06:51:01 UTC\n\noverall: "));
	assert_null(strstr(txt, "CRON[")); /* not one by one */
	free(txt);
	json_t *j = as_json(t);
	json_t *g = json_array_get(json_object_get(j, "pam_sessions"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "pam_sessions")), 1);
	assert_string_equal(json_string_value(json_object_get(g, "service")), "cron");
	assert_string_equal(json_string_value(json_object_get(g, "user")), "root");
	assert_null(json_object_get(g, "by"));
	assert_int_equal(json_integer_value(json_object_get(g, "opened")), 412);
	assert_int_equal(json_integer_value(json_object_get(g, "closed")), 412);
	assert_string_equal(json_string_value(json_object_get(g, "first")), "2026-03-07T00:00:00Z");
	assert_string_equal(json_string_value(json_object_get(g, "last")), "2026-03-07T06:51:01Z");
	assert_string_equal(json_string_value(json_object_get(g, "summary")), "cron opened 412 sessions for root");
	assert_int_equal(json_integer_value(json_object_get(j, "pam_sessions_other")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "outside")), 0);
	json_decref(j);
	trace_free(t);

	/* -v: every line, outside any login session. */
	struct trace_query q = { .by = TRACE_USER, .value = "root", .since_us = INT64_MIN, .until_us = INT64_MAX,
				 .verbose = true };
	t = run_q(f, &q);
	assert_int_equal(t->n_pam, 0);
	assert_int_equal(t->n_outside, 824);
	txt = as_text(t);
	assert_non_null(strstr(txt, "\noutside any login session (824 events):\n"
				    "  2026-03-07 00:00:00 UTC  CRON[20000]  session opened for root [cron]\n"
				    "  2026-03-07 00:00:01 UTC  CRON[20000]  session closed for root [cron]\n"));
	assert_null(strstr(txt, "PAM sessions of other services"));
	free(txt);
	j = as_json(t);
	assert_int_equal(json_array_size(json_object_get(j, "outside")), 824);
	assert_int_equal(json_array_size(json_object_get(j, "pam_sessions")), 0);
	json_decref(j);
	trace_free(t);

	/* sudo's session for root, by carol, in carol's trace. */
	t = run(f, TRACE_USER, "carol");
	assert_int_equal(t->n_pam, 1);
	txt = as_text(t);
	assert_non_null(strstr(txt, "\n  sudo opened 1 session for root by carol at 2026-03-07 11:00:00 UTC\n"));
	free(txt);
	j = as_json(t);
	g = json_array_get(json_object_get(j, "pam_sessions"), 0);
	assert_string_equal(json_string_value(json_object_get(g, "by")), "carol");
	assert_string_equal(json_string_value(json_object_get(g, "summary")), "sudo opened 1 session for root by carol");
	json_decref(j);
	trace_free(t);

	t = run(f, TRACE_USER, "henry");
	assert_int_equal(t->n_pam, TRACE_PAM_GROUPS_MAX);
	assert_int_equal(t->pam_other, 40 - TRACE_PAM_GROUPS_MAX);
	txt = as_text(t);
	assert_non_null(strstr(txt, "(40 lines, counted; -v lists them):\n  svc00 opened 1 session for henry at "
				    "2026-03-07 12:00:00 UTC\n"));
	assert_non_null(strstr(txt, "\n  8 more lines of other services and users\n"));
	free(txt);
	trace_free(t);
}

/* "after N failed attempts": the previous 24 h from the source, a marker
 * line and its failure (or a failure and "maximum attempts") as one. */
static void test_failed_before(void **state)
{
	struct fixture *f = *state;
	struct sc sc = writable(f);
	static const struct more p1 = { NULL, NULL, 1111 }, p2 = { NULL, NULL, 1112 };

	/* admin again from the sprayer, 3 h after the first login. */
	sc_add(&sc, "2026-03-01T05:00:00Z", "sshd", 9100, EV_AUTH_SUCCESS, "root", "203.0.113.99", m_password,
	       (const void *)(uintptr_t)31500);
	sc_add(&sc, "2026-03-01T05:01:00Z", "sshd", 9100, EV_SESSION_CLOSE, "root", NULL, m_detail, "sshd");
	/* 3 failures and sshd's "maximum attempts" on one connection, an
	 * invalid user and its failure on another. */
	for (int i = 0; i < 3; i++)
		sc_add(&sc, "2026-03-02T06:00:00Z", "sshd", 990, EV_AUTH_FAILURE, "root", "198.51.100.99", m_password,
		       (const void *)(uintptr_t)1111);
	sc_add(&sc, "2026-03-02T06:00:01Z", "sshd", 990, EV_MAX_AUTH, "root", "198.51.100.99", m_more, &p1);
	sc_add(&sc, "2026-03-02T06:00:05Z", "sshd", 991, EV_INVALID_USER, "x", "198.51.100.99", m_more, &p2);
	sc_add(&sc, "2026-03-02T06:00:06Z", "sshd", 991, EV_AUTH_FAILURE, "x", "198.51.100.99", m_password,
	       (const void *)(uintptr_t)1112);
	sc_add(&sc, "2026-03-02T06:05:00Z", "sshd", 992, EV_AUTH_SUCCESS, "deploy", "198.51.100.99", m_pubkey, NULL);
	sc_add(&sc, "2026-03-02T06:06:00Z", "sshd", 992, EV_SESSION_CLOSE, "deploy", NULL, m_detail, "sshd");
	assert_int_equal(sc.failures, 0);

	struct trace *t = run(f, TRACE_SOURCE, "203.0.113.99");
	assert_int_equal(t->n_sessions, 2);
	assert_int_equal(t->sessions[0].before.tries, 412);
	assert_int_equal(t->sessions[1].before.tries, 412); /* the same day's failures, again */
	assert_string_equal(t->sessions[1].brief, "no privilege gained; after 412 failed attempts from this source");
	assert_int_equal(t->n_logged_in_as, 2);
	assert_string_equal(t->verdict, "no privilege gained in 2 sessions; logged in as admin, root; from this source: "
					"412 failed passwords for 37 users, 1 pre-auth line (closed, probes, protocol "
					"errors) between 2026-03-01 01:00:00 UTC and 2026-03-01 01:59:00 UTC");
	char *txt = as_text(t);
	assert_non_null(strstr(txt, "\nsession web-1:9100:1772341200  root from 203.0.113.99 (password) on web-1, after "
				    "412 failed attempts from this source\n"));
	free(txt);
	json_t *j = as_json(t);
	json_t *as = json_object_get(j, "logged_in_as");
	assert_int_equal(json_array_size(as), 2);
	assert_string_equal(json_string_value(json_array_get(as, 0)), "admin");
	assert_string_equal(json_string_value(json_array_get(as, 1)), "root");
	json_decref(j);
	trace_free(t);

	t = run(f, TRACE_SOURCE, "198.51.100.99");
	assert_int_equal(t->n_sessions, 1);
	assert_int_equal(t->failures.attempts, 6);
	assert_int_equal(t->failures.tries, 4);
	assert_int_equal(t->sessions[0].before.tries, 4);
	txt = as_text(t);
	assert_non_null(strstr(txt, "deploy from 198.51.100.99 (publickey) on web-1, after 4 failed attempts from this "
				    "source\n"));
	free(txt);
	trace_free(t);

	/* A login with no failure before it says nothing of the kind. */
	t = run(f, TRACE_USER, "bob");
	assert_int_equal(t->sessions[0].before.tries, 0);
	txt = as_text(t);
	assert_null(strstr(txt, "failed attempt"));
	free(txt);
	trace_free(t);
}

/* No subject: the newest sessions of the last 24 h of store time. */
static void test_recent(void **state)
{
	struct fixture *f = *state;
	struct trace_query q = { .by = TRACE_RECENT, .since_us = INT64_MIN, .until_us = INT64_MAX };
	int64_t first = 0, last = 0;

	assert_int_equal(store_event_time_range(f->s, &first, &last), 1);
	assert_int_equal(first, T("2026-03-01T01:00:00Z"));
	assert_int_equal(last, T("2026-03-01T12:00:00Z"));

	struct trace *t = run_q(f, &q);
	assert_true(trace_found(t));
	assert_true(t->recent_default);
	assert_int_equal(t->since_us, T("2026-02-28T12:00:00Z"));
	assert_int_equal(t->until_us, T("2026-03-01T12:00:00Z"));
	assert_int_equal(t->n_sessions, 6);
	assert_int_equal(t->sessions_earlier, 0);
	assert_int_equal(t->n_gained, 3);
	assert_string_equal(t->sessions[0].user, "admin");
	assert_string_equal(t->sessions[5].user, "dave");
	char *txt = as_text(t);
	assert_string_equal(
		txt,
		"recent login sessions: 6 in the last 24 h of store time (2026-02-28 12:00:00 UTC to 2026-03-01 12:00:00 UTC, "
		"the newest event stored), newest first\n"
		"\n"
		"  SESSION                USER   FROM           METHOD     DURATION    VERDICT\n"
		"  web-1:7000:1772366400  dave   192.0.2.50     publickey  still open  no privilege gained\n"
		"  web-1:6100:1772359800  carol  192.0.2.11     password   40 min      PRIVILEGE GAINED: sudo to root at "
		"10:20:00 UTC (COMMAND=/usr/bin/id); also sudo refused \u00d71\n"
		"  web-1:6000:1772359200  carol  192.0.2.10     password   1 h 00 min  PRIVILEGE GAINED: su to root "
		"succeeded at 10:30:00 UTC; also sudo refused \u00d72\n"
		"  web-1:4300:1772334600  bob    198.51.100.20  publickey  10 min      PRIVILEGE GAINED: sudo to root at "
		"03:12:09 UTC (COMMAND=/bin/bash); also sudo wrong password \u00d71; account changes during the session: "
		"user mallory added to group sudo\n"
		"  web-1:4242:1772334005  alice  203.0.113.7    password   14 min      no privilege gained: sudo refused "
		"\u00d73, su refused \u00d71; after 4 failed attempts from this source\n"
		"  web-1:9000:1772330400  admin  203.0.113.99   password   1 min       no privilege gained; after 412 "
		"failed attempts from this source\n"
		"\n"
		"failed logins and probes: 416 failed passwords, 1 invalid-user probe from 2 sources, 1 pre-auth line "
		"(closed, probes, protocol errors) between 2026-03-01 01:00:00 UTC and 2026-03-01 03:00:00 UTC\n"
		"\n"
		"overall: PRIVILEGE GAINED in 3 of 6 sessions: sudo to root at 03:12:09 UTC (COMMAND=/bin/bash) (session "
		"web-1:4300:1772334600); logged in as admin, alice, bob, carol, dave; failed logins: 416 failed "
		"passwords, 1 invalid-user probe from 2 sources, 1 pre-auth line (closed, probes, protocol errors) "
		"between 2026-03-01 01:00:00 UTC and 2026-03-01 03:00:00 UTC; account changes during 1 session; 1 session "
		"still open (no logout seen)\n"
		"\n"
		"to drill down:\n"
		"  moat trace --session ID     one session's timeline (ids above)\n"
		"  moat trace --user NAME      everything one account did\n"
		"  moat trace --source ADDR    everything from one address\n"
		"  moat trace --since TIME     this list for another time (with --until)\n");
	free(txt);
	json_t *j = as_json(t);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "subject"), "by")), "recent");
	assert_true(json_is_null(json_object_get(json_object_get(j, "subject"), "value")));
	assert_string_equal(json_string_value(json_object_get(j, "since")), "2026-02-28T12:00:00Z");
	assert_string_equal(json_string_value(json_object_get(j, "until")), "2026-03-01T12:00:00Z");
	assert_int_equal(json_array_size(json_object_get(j, "sessions")), 6);
	assert_string_equal(jss(j, 0, "id"), "web-1:9000:1772330400");
	assert_int_equal(json_integer_value(json_object_get(j, "sessions_earlier")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "logged_in_as")), 5);
	assert_true(json_is_true(json_object_get(j, "privilege_gained")));
	json_decref(j);
	trace_free(t);

	/* A time of one's own. */
	q.since_us = T("2026-03-01T03:00:00Z");
	q.until_us = T("2026-03-01T03:30:00Z");
	t = run_q(f, &q);
	assert_false(t->recent_default);
	assert_int_equal(t->n_sessions, 2);
	txt = as_text(t);
	assert_non_null(strstr(txt, "recent login sessions: 2 between 2026-03-01 03:00:00 UTC and 2026-03-01 03:30:00 UTC, "
				    "newest first\n"));
	free(txt);
	assert_string_equal(t->verdict, "PRIVILEGE GAINED in 1 of 2 sessions: sudo to root at 03:12:09 UTC "
					"(COMMAND=/bin/bash) (session web-1:4300:1772334600); logged in as alice, bob; "
					"failed logins: 1 failed password from 1 source between 2026-03-01 03:00:00 UTC and "
					"2026-03-01 03:00:00 UTC; account changes during 1 session");
	trace_free(t);

	/* More logins than the list holds: the newest, and a count. */
	struct sc sc = writable(f);
	char ts[40];
	for (int i = 0; i < 25; i++) {
		snprintf(ts, sizeof(ts), "2026-03-08T%02d:%02d:00Z", i * 10 / 60, i * 10 % 60);
		sc_add(&sc, ts, "sshd", 1000 + i, EV_AUTH_SUCCESS, "ivan", "192.0.2.77", m_pubkey, NULL);
		snprintf(ts, sizeof(ts), "2026-03-08T%02d:%02d:00Z", i * 10 / 60, i * 10 % 60 + 1);
		sc_add(&sc, ts, "sshd", 1000 + i, EV_SESSION_CLOSE, "ivan", NULL, m_detail, "sshd");
	}
	assert_int_equal(sc.failures, 0);
	q.since_us = INT64_MIN;
	q.until_us = INT64_MAX;
	t = run_q(f, &q);
	assert_int_equal(t->n_sessions, TRACE_RECENT_MAX);
	assert_int_equal(t->sessions_earlier, 5);
	assert_int_equal(t->sessions[0].start_us, T("2026-03-08T00:50:00Z"));
	assert_string_equal(t->verdict, "no privilege gained in 20 sessions; logged in as ivan; 5 earlier sessions in "
					"that time not traced here");
	txt = as_text(t);
	assert_non_null(strstr(txt, "recent login sessions: the 20 most recent of 25 in the last 24 h of store time "
				    "(2026-03-07 04:01:00 UTC to 2026-03-08 04:01:00 UTC, the newest event stored), newest "
				    "first\n"));
	assert_non_null(strstr(txt, "\n  web-1:1024:1772942400  ivan  192.0.2.77  publickey  1 min     no privilege "
				    "gained\n"));
	assert_non_null(strstr(txt, "\n  … and 5 earlier sessions (narrow the time with --since/--until)\n"));
	free(txt);
	json_t *j2 = as_json(t);
	assert_int_equal(json_integer_value(json_object_get(j2, "sessions_earlier")), 5);
	assert_int_equal(json_array_size(json_object_get(j2, "sessions")), 20);
	json_decref(j2);
	trace_free(t);
}

/* An empty store: nothing found, no error. */
static void test_recent_empty(void **state)
{
	(void)state;
	char *dir = tmpdir_new(), *db = path_join(dir, "empty.db"), *err = NULL;
	struct store *s = NULL;
	struct trace *t = NULL;
	int64_t a = 7, b = 7;
	struct trace_query q = { .by = TRACE_RECENT, .since_us = INT64_MIN, .until_us = INT64_MAX };

	assert_int_equal(store_open(db, &s, &err), 0);
	assert_int_equal(store_event_time_range(s, &a, &b), 0);
	assert_int_equal(a, 7); /* untouched */
	assert_int_equal(trace_build(s, &q, &t, &err), 0);
	assert_false(trace_found(t));
	assert_int_equal(t->n_sessions, 0);
	assert_null(t->verdict);
	trace_free(t);
	store_free(s);
	free(db);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_refused_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_gained_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_summary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_session_by_id, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_window, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unexplained_change, setup, teardown),
		cmocka_unit_test_setup_teardown(test_logind, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pam_sessions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent, setup, teardown),
		cmocka_unit_test(test_recent_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
