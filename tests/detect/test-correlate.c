/* Correlation: an unusual login and what followed in its session make one alert. */
#include <string.h>

#include "helpers.h"

#define DAY17 (17 * DAY_S)

static struct event sess(enum event_kind k, int64_t t, const char *user)
{
	struct event ev = tev(k, t, user, NULL, 0);
	ev.program = k == EV_SU_FAILURE || k == EV_SU_SUCCESS ? SV_LIT("su") : SV_LIT("sudo");
	ev.pid = 7000;
	if (k == EV_SUDO_REFUSED)
		ev.detail = SV_LIT("user NOT in sudoers");
	if (k == EV_SU_FAILURE || k == EV_SU_SUCCESS)
		ev.target = SV_LIT("root");
	if (k == EV_SUDO_COMMAND) {
		ev.target = SV_LIT("root");
		ev.command = SV_LIT("/bin/bash");
	}
	return ev;
}

static struct event unusual_login(int64_t t)
{
	struct event ev = login(t, "bob", "198.51.100.10", AM_PASSWORD, NULL); /* one broken habit: medium */
	ev.pid = 4242;
	return ev;
}

static struct event close_session(int64_t t)
{
	struct event ev = tev(EV_SESSION_CLOSE, t, "bob", NULL, 0);
	ev.pid = 4242;
	return ev;
}

static void test_attempts_make_one_high_alert(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	int64_t t = DAY17 + 10 * HOUR_S;

	history(d, "bob");
	feed(d, unusual_login(t));
	feed(d, sess(EV_SUDO_REFUSED, t + 60, "bob"));
	feed(d, sess(EV_SUDO_REFUSED, t + 70, "bob"));
	feed(d, sess(EV_SUDO_REFUSED, t + 80, "bob"));
	feed(d, sess(EV_SU_FAILURE, t + 90, "bob"));
	assert_int_equal(c.n, 0);
	feed(d, close_session(t + 120));
	assert_int_equal(c.n, 1);
	detect_finish(d);
	assert_int_equal(c.n, 1); /* no separate privilege_escalation alert */
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->count, 5);
	assert_int_equal(a->evidence_total, 5);
	assert_int_equal(a->first_us, (T0 + t) * 1000000);
	assert_int_equal(a->last_us, (T0 + t + 90) * 1000000);
	assert_string_equal(a->why[0], "password, though 34 of 34 earlier logins used publickey");
	assert_why(a, "then, in the same session, tried to gain privilege: sudo refused ×3 (user NOT in sudoers), su "
		      "failed ×1 (to root)");
	tdone(d, cfg, &c);
}

static void test_gained_privilege_is_critical(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	int64_t t = DAY17 + 10 * HOUR_S;

	history(d, "bob");
	feed(d, unusual_login(t));
	feed(d, sess(EV_SUDO_FAILURE, t + 30, "bob"));
	feed(d, sess(EV_SUDO_COMMAND, t + 40, "bob"));
	struct event chg = tev(EV_ACCOUNT_CHANGE, t + 50, "backdoor", NULL, 0);
	chg.acct = ACCT_USER_ADD;
	chg.program = SV_LIT("useradd");
	feed(d, chg);
	detect_finish(d);
	/* one correlated critical alert, plus the account change on its own */
	assert_int_equal(c.n, 2);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_int_equal(a->severity, SEV_CRITICAL);
	assert_why(a, "then, in the same session, tried to gain privilege: sudo wrong password ×1");
	assert_why(a, "then, in the same session, gained privilege: sudo ran 1 command (first: /bin/bash); never before "
		      "by this account: /bin/bash");
	assert_why(a, "then, during the session, account backdoor was created");
	assert_int_equal(count_kind(&c, AK_ACCOUNT_CHANGE, NULL), 1);
	assert_int_equal(count_kind(&c, AK_PRIVILEGE_ESCALATION, NULL), 0);
	tdone(d, cfg, &c);
}

/* ops logs in by key from src at t (sshd pid), and a minute later runs
 * command through sudo (NULL: the sudo password is wrong). */
static void ops_login_sudo(struct detect *d, int64_t t, const char *src, int32_t pid, const char *command)
{
	struct event ev = login(t, "ops", src, AM_PUBLICKEY, "SHA256:OPS");
	ev.pid = pid;
	feed(d, ev);
	if (!command) {
		feed(d, sess(EV_SUDO_FAILURE, t + 60, "ops"));
		return;
	}
	ev = sess(EV_SUDO_COMMAND, t + 60, "ops");
	ev.command = sv_cstr(command);
	feed(d, ev);
}

/* Issue 19: privilege the account uses every day raises nothing. An
 * admin logs in at about 09:30 on 8 days and restarts nginx with sudo each
 * time; one day at 07:15 (a little early: low on its own), the same sudo:
 * still low, saying it is the account's habit. The next day, a login from a
 * new network (medium) that runs a shell through sudo, never run before:
 * critical; and one with a wrong sudo password: high. */
static void test_habitual_privilege(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	for (int day = 0; day < 8; day++)
		ops_login_sudo(d, day * DAY_S + 9 * HOUR_S + 30 * MIN_S, "198.51.100.20", 100 + day,
			       "/usr/bin/systemctl restart nginx");
	ops_login_sudo(d, 8 * DAY_S + 7 * HOUR_S + 15 * MIN_S, "198.51.100.20", 200, "/usr/bin/systemctl restart nginx");
	/* from a new network, a shell through sudo */
	ops_login_sudo(d, 9 * DAY_S + 9 * HOUR_S + 30 * MIN_S, "203.0.113.77", 201, "/bin/bash");
	/* again from a new network, a wrong sudo password */
	ops_login_sudo(d, 10 * DAY_S + 9 * HOUR_S + 30 * MIN_S, "192.0.2.99", 202, NULL);
	detect_finish(d);

	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, NULL), 3);
	a = c.v[0];
	assert_int_equal(a->severity, SEV_LOW);
	assert_string_equal(a->why[0], "at 07:15 UTC, 1 h 45 min from the nearest hour of 8 earlier logins (usual "
				       "09:00–10:00), a little outside them");
	assert_why(a, "then, in the same session, used privilege as the account does: sudo ran 1 command (first: "
		      "/usr/bin/systemctl restart nginx) (each used at least 8 times before)");
	a = c.v[1];
	assert_int_equal(a->severity, SEV_CRITICAL);
	assert_why(a, "then, in the same session, gained privilege: sudo ran 1 command (first: /bin/bash); never before "
		      "by this account: /bin/bash");
	a = c.v[2];
	assert_int_equal(a->severity, SEV_HIGH);
	assert_why(a, "then, in the same session, tried to gain privilege: sudo wrong password ×1");
	tdone(d, cfg, &c);
}

static void test_after_the_window_is_separate(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	int64_t t = DAY17 + 10 * HOUR_S;

	history(d, "bob");
	feed(d, unusual_login(t));
	/* 31 minutes later: the unusual login went out alone */
	feed(d, sess(EV_SUDO_REFUSED, t + 31 * MIN_S, "bob"));
	assert_int_equal(c.n, 1);
	detect_finish(d);
	assert_int_equal(c.n, 2);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->n_why, 1);
	assert_int_equal(count_kind(&c, AK_PRIVILEGE_ESCALATION, &a), 1);
	assert_string_equal(a->why[0], "sudo refused ×1 (user NOT in sudoers)");
	tdone(d, cfg, &c);
}

static void test_disabled_correlation(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("correlation: {enabled: false}\n", &c, &cfg, NULL);
	int64_t t = DAY17 + 10 * HOUR_S;
	history(d, "bob");
	feed(d, unusual_login(t));
	assert_int_equal(c.n, 1); /* not held */
	feed(d, sess(EV_SUDO_REFUSED, t + 60, "bob"));
	detect_finish(d);
	assert_int_equal(c.n, 2);
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_attempts_make_one_high_alert),
		cmocka_unit_test(test_gained_privilege_is_critical),
		cmocka_unit_test(test_habitual_privilege),
		cmocka_unit_test(test_after_the_window_is_separate),
		cmocka_unit_test(test_disabled_correlation),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
