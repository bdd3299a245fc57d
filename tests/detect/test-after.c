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
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
