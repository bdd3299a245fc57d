/* Login after failures: from a source that just failed, or for an account that failed elsewhere. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static void test_source_failed_then_success(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* 3 failures for bob, then bob gets in: more than a mistype (2) */
	for (int i = 0; i < 3; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 20, "bob", "203.0.113.5", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 120, "bob", "203.0.113.5", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, &a), 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_string_equal(a->user, "bob");
	assert_int_equal(a->count, 4);
	assert_why(a, "logged in after 3 failed login attempts from 203.0.113.5 in the 2 min before");
	assert_int_equal(a->evidence_total, 4);
	tdone(d, cfg, &c);
}

static void test_mistype_twice_is_fine(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	feed(d, tev(EV_AUTH_FAILURE, 0, "bob", "203.0.113.5", 1000));
	feed(d, tev(EV_AUTH_FAILURE, 5, "bob", "203.0.113.5", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 10, "bob", "203.0.113.5", 1000));
	detect_finish(d);
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);
}

static void test_brute_force_then_success_is_high(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	static const char *const users[] = { "root", "admin", "bob" };
	for (int i = 0; i < 30; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 5, users[i % 3], "203.0.113.66", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 200, "bob", "203.0.113.66", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_why(a, "logged in after 30 failed login attempts from 203.0.113.66 in the 3 min before, which was brute "
		      "forcing");
	assert_why(a, "that address had tried 3 different user names");
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, NULL), 1);
	tdone(d, cfg, &c);
}

static void test_account_failed_from_other_sources(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	feed(d, tev(EV_AUTH_FAILURE, 0, "carol", "192.0.2.1", 1000));
	feed(d, tev(EV_AUTH_FAILURE, 60, "carol", "192.0.2.2", 1000));
	feed(d, tev(EV_AUTH_FAILURE, 120, "carol", "192.0.2.3", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 600, "carol", "198.51.100.9", 1000));
	/* a success for an account with only two failures elsewhere: nothing */
	feed(d, tev(EV_AUTH_FAILURE, 700, "dave", "192.0.2.1", 1000));
	feed(d, tev(EV_AUTH_FAILURE, 760, "dave", "192.0.2.2", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 800, "dave", "198.51.100.9", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, &a), 1);
	assert_string_equal(a->user, "carol");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_why(a, "the account had 3 failed logins from 3 other addresses in the last 1 h");
	assert_why(a, "it was being guessed by password, the method of this login (3 failures in a row)");
	tdone(d, cfg, &c);
}

/* Issue 19: an admin's key login from the office after someone else's
 * password guessing from the internet is not a login after failures: the
 * failures could not be the same actor (another source, another method). */
static void test_other_actor_is_not_blamed(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	for (int i = 0; i < 6; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 30, "admin", i % 2 ? "203.0.113.20" : "203.0.113.21", 1000));
	feed(d, login(600, "admin", "198.51.100.9", AM_PUBLICKEY, "SHA256:office"));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, NULL), 0);
	tdone(d, cfg, &c);
}

/* One alert per episode: the account's later logins, from the guessing
 * source or elsewhere, are not reported again while the same failures are
 * behind them; a new run of failures is a new episode. */
static void test_one_alert_per_episode(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);

	/* a source guesses frank's password and logs in, three times */
	for (int i = 0; i < 4; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 10, "frank", "203.0.113.30", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 60, "frank", "203.0.113.30", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 300, "frank", "203.0.113.30", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 900, "frank", "203.0.113.30", 1000));
	/* grace is guessed from three sources, then logs in from two others */
	for (int i = 0; i < 3; i++)
		feed(d, tev(EV_AUTH_FAILURE, 1000 + i * 10, "grace", i ? "192.0.2.41" : "192.0.2.40", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 1200, "grace", "198.51.100.50", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 1500, "grace", "198.51.100.51", 1000));
	/* hours later, a new run of guesses for grace, and a login after it */
	for (int i = 0; i < 3; i++)
		feed(d, tev(EV_AUTH_FAILURE, 3 * HOUR_S + i * 10, "grace", "192.0.2.42", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 3 * HOUR_S + 100, "grace", "198.51.100.50", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, NULL), 3);
	size_t frank = 0, grace = 0;
	for (size_t i = 0; i < c.n; i++) {
		a = c.v[i];
		if (a->kind != AK_LOGIN_AFTER_FAILURES)
			continue;
		frank += strcmp(a->user, "frank") == 0;
		grace += strcmp(a->user, "grace") == 0;
	}
	assert_int_equal(frank, 1);
	assert_int_equal(grace, 2);
	tdone(d, cfg, &c);
}

static void test_old_failures_do_not_count(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	for (int i = 0; i < 5; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 10, "erin", "203.0.113.7", 1000));
	feed(d, tev(EV_AUTH_SUCCESS, 2 * HOUR_S, "erin", "203.0.113.7", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, NULL), 0);
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_source_failed_then_success),
		cmocka_unit_test(test_mistype_twice_is_fine),
		cmocka_unit_test(test_brute_force_then_success_is_high),
		cmocka_unit_test(test_account_failed_from_other_sources),
		cmocka_unit_test(test_old_failures_do_not_count),
		cmocka_unit_test(test_other_actor_is_not_blamed),
		cmocka_unit_test(test_one_alert_per_episode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
