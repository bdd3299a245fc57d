/* Brute force, fast and slow: thresholds, one alert per episode, what counts as an attempt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "detect/hours-ring.h"

static void failures(struct detect *d, int n, int64_t start, int64_t step, const char *user, const char *src)
{
	(void)d;
	for (int i = 0; i < n; i++)
		q(tev(EV_AUTH_FAILURE, start + i * step, user, src, (uint16_t)(40000 + i)));
}

static void test_threshold(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* just below: 9 in 4 minutes */
	failures(d, 9, 0, 30, "root", "203.0.113.9");
	/* just above, from another source: 10 in 4.5 minutes */
	failures(d, 10, 0, 30, "root", "203.0.113.10");
	qfeed(d);
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->count, 10);
	assert_string_equal(a->user, "root");
	assert_string_equal(a->host, "web1");
	char ab[ADDR_STRLEN];
	assert_string_equal(addr_format(&a->source, ab), "203.0.113.10");
	assert_int_equal(a->first_us, (T0 + 0) * 1000000);
	assert_int_equal(a->last_us, (T0 + 270) * 1000000);
	assert_why(a, "10 failed login attempts in 5 min, up to 10 within 10 min (threshold: 10; high from 100)");
	assert_why(a, "all for user root");
	assert_int_equal(a->n_evidence, 8);
	assert_int_equal(a->evidence_total, 10);
	assert_string_equal(a->evidence[0].file, "auth.log");
	tdone(d, cfg, &c);
}

/* Evidence is kept as (file, line) in 8 bytes: lines from several files
 * come back with their own file, and a line number too large for that
 * form is counted without being kept. */
static void test_evidence_files_and_huge_lines(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	for (int i = 0; i < 10; i++) {
		struct event ev = tev(EV_AUTH_FAILURE, i * 10, "root", "203.0.113.20", (uint16_t)(40000 + i));
		ev.origin.file = i < 5 ? "a.log" : "b.log";
		ev.origin.line = i < 5 ? (uint64_t)i + 1 : i == 5 ? (UINT64_C(1) << 40) + 3 : (uint64_t)100 + i;
		feed(d, ev);
	}
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->evidence_total, 10);
	assert_int_equal(a->n_evidence, 8);
	for (int i = 0; i < 5; i++) {
		assert_string_equal(a->evidence[i].file, "a.log");
		assert_int_equal(a->evidence[i].line, i + 1);
	}
	for (int i = 5; i < 8; i++) {
		assert_string_equal(a->evidence[i].file, "b.log");
		assert_int_equal(a->evidence[i].line, 101 + i);
	}
	tdone(d, cfg, &c);
}

static void test_spread_out_is_not_fast(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	/* 12 failures, one every 2 minutes: never 10 within 10 minutes */
	failures(d, 12, 0, 120, "root", "203.0.113.9");
	qfeed(d);
	detect_finish(d);
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);
}

static void test_one_alert_per_episode_and_high(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	failures(d, 150, 0, 2, "admin", "198.51.100.7");
	qfeed(d);
	/* still in the episode: nothing yet */
	assert_int_equal(c.n, 0);
	/* an hour and more of quiet ends it: the next event (any kind) flushes it */
	feed(d, tev(EV_SESSION_OPEN, 298 + 3601, "bob", NULL, 0));
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->count, 150);
	assert_int_equal(a->evidence_total, 150);
	assert_why(a, "150 failed login attempts in 5 min, up to 150 within 10 min (threshold: 10; high from 100)");
	/* a second burst from the same source later is a second episode */
	failures(d, 10, 5 * HOUR_S, 1, "admin", "198.51.100.7");
	qfeed(d);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 2);
	assert_int_equal(a->count, 10);
	tdone(d, cfg, &c);
}

static void test_invalid_user_pair_counts_once(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);

	/* "Invalid user oracle from A port P" + "Failed password for invalid user oracle from A port P": 9 attempts */
	for (int i = 0; i < 9; i++) {
		feed(d, tev(EV_INVALID_USER, i * 10, "oracle", "192.0.2.50", (uint16_t)(50000 + i)));
		struct event ev = tev(EV_AUTH_FAILURE, i * 10 + 1, "oracle", "192.0.2.50", (uint16_t)(50000 + i));
		ev.flags |= EVF_INVALID_USER;
		feed(d, ev);
	}
	qfeed(d);
	detect_finish(d);
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);

	d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	for (int i = 0; i < 10; i++) {
		feed(d, tev(EV_INVALID_USER, i * 10, "oracle", "192.0.2.50", (uint16_t)(50000 + i)));
		feed(d, tev(EV_AUTH_FAILURE, i * 10 + 1, "oracle", "192.0.2.50", (uint16_t)(50000 + i)));
		/* a second password in the same connection is a second attempt */
		if (i == 0)
			feed(d, tev(EV_AUTH_FAILURE, 2, "oracle", "192.0.2.50", 50000));
	}
	qfeed(d);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 11);
	/* the evidence is one line per attempt counted: the Failed line repeating
	 * an "Invalid user" line adds nothing */
	assert_int_equal(a->evidence_total, 11);
	tdone(d, cfg, &c);
}

static void test_repeat_count_and_max_auth(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* "PAM 5 more authentication failures" style: one line standing for 5 */
	struct event ev = tev(EV_AUTH_FAILURE, 0, "root", "192.0.2.1", 1000);
	ev.count = 5;
	feed(d, ev);
	/* four more failures, then "maximum authentication attempts exceeded" capping the last */
	failures(d, 4, 10, 1, "root", "192.0.2.1");
	qfeed(d);
	feed(d, tev(EV_MAX_AUTH, 13, "root", "192.0.2.1", 40003));
	qfeed(d);
	detect_finish(d);
	assert_int_equal(c.n, 0); /* 9 attempts */
	tdone(d, cfg, &c);

	d = tdetect(NULL, &c, &cfg, NULL);
	ev = tev(EV_AUTH_FAILURE, 0, "root", "192.0.2.1", 1000);
	ev.count = 5;
	feed(d, ev);
	failures(d, 4, 10, 1, "root", "192.0.2.1");
	qfeed(d);
	/* a cap with no failure before it (another connection) does count */
	feed(d, tev(EV_MAX_AUTH, 20, "root", "192.0.2.1", 999));
	qfeed(d);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 10);
	tdone(d, cfg, &c);
}

static void test_mistyping_user_not_blamed(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* 20 days: every morning alice mistypes twice, then logs in */
	for (int day = 0; day < 20; day++) {
		int64_t t = day * DAY_S + 8 * HOUR_S;
		failures(d, 2, t, 5, "alice", "192.0.2.77");
		q(tev(EV_AUTH_SUCCESS, t + 15, "alice", "192.0.2.77", 40100));
		/* and once more in the evening */
		failures(d, 2, t + 9 * HOUR_S, 5, "alice", "192.0.2.77");
		q(tev(EV_AUTH_SUCCESS, t + 9 * HOUR_S + 15, "alice", "192.0.2.77", 40100));
	}
	qfeed(d);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, NULL), 0);
	assert_int_equal(count_kind(&c, AK_LOGIN_AFTER_FAILURES, NULL), 0);
	tdone(d, cfg, &c);
}

static void test_slow_brute_force(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* one try every two hours for three days: 36 tries over 36 hours */
	failures(d, 36, 0, 2 * HOUR_S, "root", "203.0.113.200");
	/* below: 29 tries every two hours */
	failures(d, 29, 0, 2 * HOUR_S, "root", "203.0.113.201");
	/* enough tries but in too few hours: 30 tries within 5 hours (6 per hour, never 10 in 10 min) */
	failures(d, 30, 0, 10 * MIN_S, "root", "203.0.113.202");
	qfeed(d);
	detect_finish(d);
	if (c.n != 1)
		dump_alerts(&c);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	char ab[ADDR_STRLEN];
	assert_string_equal(addr_format(&a->source, ab), "203.0.113.200");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->count, 36);
	assert_why(a, "slow brute force: 36 failed login attempts spread over 36 distinct hours within 3 days "
		      "(threshold: 30 over 6 hours)");
	assert_why(a, "36 attempts in all over 70 h, for 1 user name");
	tdone(d, cfg, &c);
}

/* The slow window slides by clock hour: an hour that leaves it takes its
 * failures along, and the hours still inside keep theirs, whether the
 * source came back one hour later or several. Window 4 h: hour 0 has 3
 * failures, hours 3 and 4 one each (hour 0 has left by hour 4: 2 in the
 * window), hour 5 three (3 + 1 + 1 over hours 3-5: the alert). */
static void test_slow_window_slides(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("brute_force: {enabled: false}\n"
				   "slow_brute_force: {window: 4h, threshold: 5, min_hours: 2}\n",
				   &c, &cfg, NULL);
	/* hour boundaries of the clock, not of T0 */
	int64_t h0 = (T0 / HOUR_S + 1) * HOUR_S - T0;

	failures(d, 3, h0 + 60, 60, "root", "203.0.113.210");
	failures(d, 1, h0 + 3 * HOUR_S + 60, 60, "root", "203.0.113.210");
	failures(d, 1, h0 + 4 * HOUR_S + 60, 60, "root", "203.0.113.210");
	qfeed(d);
	assert_int_equal(c.n, 0);
	failures(d, 3, h0 + 5 * HOUR_S + 60, 60, "root", "203.0.113.210");
	qfeed(d);
	detect_finish(d);
	if (c.n != 1)
		dump_alerts(&c);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_why(a, "slow brute force: 5 failed login attempts spread over 3 distinct hours within 4 h "
		      "(threshold: 5 over 2 hours)");
	tdone(d, cfg, &c);
}

/* A source that comes back every two hours makes a one-attempt burst each
 * time: its slow episode still has every attempt, each user name once
 * and its first lines in order. */
static void test_slow_names_and_lines(void **state)
{
	(void)state;
	static const char *const users[] = { "root", "admin", "oracle" };
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	uint64_t lines[36];

	for (int i = 0; i < 36; i++) {
		struct event ev = tev(EV_AUTH_FAILURE, i * 2 * HOUR_S, users[i % 3], "203.0.113.210", (uint16_t)(41000 + i));
		lines[i] = ev.origin.line;
		feed(d, ev);
	}
	detect_finish(d);
	if (c.n != 1)
		dump_alerts(&c);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 36);
	assert_why(a, "36 attempts in all over 70 h, for 3 user names");
	assert_int_equal(a->evidence_total, 36);
	assert_int_equal(a->n_evidence, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(a->evidence[i].line, lines[i]);
	tdone(d, cfg, &c);
}

/* More user names than a source remembers: the count says so. */
static void test_slow_names_beyond_the_cap(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("limits: {max_names_per_source: 4}\npassword_spray: {min_users: 2, high_users: 4}\n", &c,
				   &cfg, NULL);
	char names[36][8];

	for (int i = 0; i < 36; i++) {
		snprintf(names[i], sizeof(names[i]), "u%d", i);
		feed(d, tev(EV_AUTH_FAILURE, i * 2 * HOUR_S, names[i], "203.0.113.211", (uint16_t)(41000 + i)));
	}
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_why(a, "36 attempts in all over 70 h, for more than 4 user names");
	tdone(d, cfg, &c);
}

/* A first attempt that alone reaches the threshold is reported like any
 * burst: its user, its line. */
static void test_first_attempt_alone_alerts(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect("brute_force: {threshold: 1}\n", &c, &cfg, NULL);
	struct event ev = tev(EV_AUTH_FAILURE, 0, "root", "203.0.113.212", 41000);

	feed(d, ev);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 1);
	assert_string_equal(a->user, "root");
	assert_why(a, "1 failed login attempts in 0 s, up to 1 within 10 min (threshold: 1; high from 100)");
	assert_int_equal(a->n_evidence, 1);
	assert_int_equal(a->evidence[0].line, ev.origin.line);
	tdone(d, cfg, &c);
}

/* A user name cut to nothing (a NUL first) still counts as a name tried,
 * though there is nothing to show of it; when the burst's first attempt
 * has it, the burst's second attempt must not lose it. */
static void test_name_cut_to_nothing_first(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	struct event ev = tev(EV_AUTH_FAILURE, 0, "x", "203.0.113.213", 41000);

	ev.user = sv_make("\0evil", 5);
	feed(d, ev);
	for (int i = 1; i < 10; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 10, "root", "203.0.113.213", (uint16_t)(41000 + i)));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 10);
	assert_why(a, "for 2 different user names: root, …");
	tdone(d, cfg, &c);
}

/* Attempts that name no user (a failed key exchange with a source): a
 * brute force without a user, and no name to show. */
static void test_attempts_without_a_user(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	for (int i = 0; i < 12; i++) {
		struct event ev = tev(EV_PROTOCOL_ERROR, i * 10, NULL, "203.0.113.214", (uint16_t)(41000 + i));
		ev.detail = SV_LIT("Unable to negotiate: no matching key exchange method found");
		feed(d, ev);
	}
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 12);
	assert_null(a->user);
	tdone(d, cfg, &c);
}

/* The slow window's ring is emptied a word at a time over the range (the
 * plain way, hours-ring.c), or with every byte of the ring tested at once
 * (hours-ring-sse2.c): for every ring size the second takes (1 to 127
 * hours), every start and every length (0 too), both leave the same bytes
 * and take the same sum and count off. */
static void test_hours_clear_ways(void **state)
{
	uint64_t rnd = 0x2545f4914f6cdd1dULL;
	unsigned long runs = 0;
	(void)state;
	for (uint32_t nh = 1; nh <= 127; nh++) {
		size_t room = (nh + 7) / 8 * 8;
		uint8_t *a = calloc(1, room), *b = calloc(1, room);
		assert_non_null(a);
		assert_non_null(b);
		for (uint32_t from = 0; from < nh; from++) {
			for (uint32_t n = 0; n <= nh; n++) {
				uint32_t sum_a = 0, nz_a = 0;
				for (uint32_t i = 0; i < nh; i++) {
					rnd ^= rnd << 13;
					rnd ^= rnd >> 7;
					rnd ^= rnd << 17;
					/* a third empty, some full (255) */
					a[i] = (uint8_t)(rnd % 3 == 0 ? 0 : rnd % 7 == 0 ? 255 : rnd >> 24);
					sum_a += a[i];
					nz_a += a[i] != 0;
				}
				uint32_t sum_b = sum_a, nz_b = nz_a, sum0 = sum_a, nz0 = nz_a, gone = 0, gone_nz = 0;
				for (uint32_t k = 0; k < n; k++) {
					gone += a[(from + k) % nh];
					gone_nz += a[(from + k) % nh] != 0;
				}
				memcpy(b, a, room);
				hours_clear_plain(a, nh, from, n, &sum_a, &nz_a);
				hours_clear_sse2(b, nh, from, n, &sum_b, &nz_b);
				if (memcmp(a, b, room) != 0 || sum_a != sum_b || nz_a != nz_b)
					fail_msg("ring of %u, %u from %u: sums %u/%u, counts %u/%u", nh, n, from, sum_a, sum_b,
						 nz_a, nz_b);
				/* what was taken off is what the range held */
				assert_int_equal(sum_a, sum0 - gone);
				assert_int_equal(nz_a, nz0 - gone_nz);
				/* and the range is empty, the rest as it was */
				for (uint32_t k = 0; k < n; k++)
					assert_int_equal(a[(from + k) % nh], 0);
				runs++;
			}
		}
		free(a);
		free(b);
	}
	print_message("hours clear: %lu rings compared\n", runs);
	assert_true(runs > 300000);
}

static void test_deterministic(void **state)
{
	(void)state;
	char first[8192] = "", second[8192] = "";
	for (int run = 0; run < 2; run++) {
		struct detect_config *cfg;
		struct collect c;
		struct detect *d = tdetect(NULL, &c, &cfg, NULL);
		char *out = run ? second : first;
		failures(d, 12, 0, 1, "a", "192.0.2.1");
		failures(d, 12, 5, 1, "b", "192.0.2.2");
		failures(d, 12, 3, 1, "c", "192.0.2.3");
		qfeed(d);
	detect_finish(d);
		for (size_t i = 0; i < c.n; i++) {
			char ab[ADDR_STRLEN];
			strcat(out, addr_format(&c.v[i]->source, ab));
			strcat(out, ";");
		}
		tdone(d, cfg, &c);
	}
	assert_string_equal(first, "192.0.2.1;192.0.2.3;192.0.2.2;");
	assert_string_equal(first, second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_evidence_files_and_huge_lines),
		cmocka_unit_test(test_spread_out_is_not_fast),
		cmocka_unit_test(test_one_alert_per_episode_and_high),
		cmocka_unit_test(test_invalid_user_pair_counts_once),
		cmocka_unit_test(test_repeat_count_and_max_auth),
		cmocka_unit_test(test_mistyping_user_not_blamed),
		cmocka_unit_test(test_slow_brute_force),
		cmocka_unit_test(test_slow_window_slides),
		cmocka_unit_test(test_slow_names_and_lines),
		cmocka_unit_test(test_slow_names_beyond_the_cap),
		cmocka_unit_test(test_first_attempt_alone_alerts),
		cmocka_unit_test(test_name_cut_to_nothing_first),
		cmocka_unit_test(test_attempts_without_a_user),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_hours_clear_ways),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
