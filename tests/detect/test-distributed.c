/* Distributed attack: one account, many sources. */
#include <stdio.h>
#include <string.h>

#include "helpers.h"

static char addrs[64][24];

static void test_distributed(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	for (int i = 0; i < 64; i++)
		snprintf(addrs[i], sizeof(addrs[i]), "198.51.100.%d", i + 1);
	/* below: 9 sources fail for "deploy", 2 tries each, in 45 minutes */
	for (int i = 0; i < 18; i++)
		q(tev(EV_AUTH_FAILURE, i * 150, "deploy", addrs[i / 2], 1000));
	/* above: 10 sources fail for "backup" */
	for (int i = 0; i < 10; i++)
		q(tev(EV_AUTH_FAILURE, i * 300, "backup", addrs[20 + i], 1000));
	qfeed(d);
	detect_finish(d);
	if (c.n != 1)
		dump_alerts(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_DISTRIBUTED_ATTACK, &a), 1);
	assert_string_equal(a->user, "backup");
	assert_int_equal(a->source.family, ADDR_NONE);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->count, 10);
	assert_int_equal(a->evidence_total, 10);
	assert_why(a, "10 different addresses failed to log in as this account within 1 h (threshold: 10; high from 50)");
	assert_why(a, "10 failed attempts in 45 min, from 198.51.100.21, 198.51.100.22, 198.51.100.23, …");
	tdone(d, cfg, &c);
}

static void test_sources_outside_window(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	/* 12 sources, but 10 minutes apart: at most 6 within any hour */
	for (int i = 0; i < 12; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 600 + (i >= 6 ? 1 : 0), "backup", addrs[i], 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_DISTRIBUTED_ATTACK, NULL), 0);
	tdone(d, cfg, &c);
}

static void test_distributed_high(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("distributed: {high_sources: 20}\n", &c, &cfg, NULL);
	for (int i = 0; i < 64; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 30, "root", addrs[i], 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_DISTRIBUTED_ATTACK, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->count, 64);
	tdone(d, cfg, &c);
}

/* The peak counts every source active at once, up to what the set holds:
 * one source at a time grows it while the set has room, and a full set
 * says "at least" (sources it could not keep). */
static void test_distributed_peak_and_cap(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("distributed: {min_sources: 5, high_sources: 8}\n", &c, &cfg, NULL);
	/* 7 sources a minute apart, each trying twice: the peak follows the
	 * set as it grows */
	for (int i = 0; i < 14; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 30, "deploy", addrs[i / 2], 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_DISTRIBUTED_ATTACK, &a), 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_why(a, "7 different addresses failed to log in as this account within 1 h (threshold: 5; high from 8)");
	tdone(d, cfg, &c);

	d = tdetect("limits: {max_sources_per_account: 8}\ndistributed: {min_sources: 5, high_sources: 8}\n", &c,
		    &cfg, NULL);
	/* 12 sources in 11 minutes (the set keeps 8), then one every 5
	 * minutes for two hours (replacing those that left the window) */
	for (int i = 0; i < 12; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 60, "root", addrs[i], 1000));
	for (int i = 0; i < 24; i++)
		feed(d, tev(EV_AUTH_FAILURE, 660 + (i + 1) * 300, "root", addrs[12 + i], 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_DISTRIBUTED_ATTACK, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->count, 36);
	assert_why(a, "at least 8 different addresses failed to log in as this account within 1 h (threshold: 5; high from 8)");
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_distributed),
		cmocka_unit_test(test_sources_outside_window),
		cmocka_unit_test(test_distributed_high),
		cmocka_unit_test(test_distributed_peak_and_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
