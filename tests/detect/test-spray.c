/* Password spraying: many user names from one source, few tries each. */
#include <stdio.h>
#include <string.h>

#include "detect/burst.h"
#include "helpers.h"

static const char *const names[] = { "root", "admin", "oracle", "test", "ubuntu", "postgres", "git", "pi" };

static void test_spray_threshold(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	/* below: 4 names, one try each, 10 minutes apart */
	for (int i = 0; i < 4; i++)
		q(tev(EV_AUTH_FAILURE, i * 600, names[i], "192.0.2.10", 1000));
	/* above: 5 names within the hour, one try each */
	for (int i = 0; i < 5; i++)
		q(tev(EV_AUTH_FAILURE, i * 600, names[i], "192.0.2.11", 1000));
	qfeed(d);
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_PASSWORD_SPRAY, &a), 1);
	char ab[ADDR_STRLEN];
	assert_string_equal(addr_format(&a->source, ab), "192.0.2.11");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->count, 5);
	assert_null(a->user);
	assert_why(a, "5 different user names tried in 40 min with 5 attempts, about 1 per name; up to 5 names within "
		      "1 h (threshold: 5; high from 50)");
	assert_why(a, "user names tried: root, admin, oracle, …");
	tdone(d, cfg, &c);
}

static void test_names_outside_window_do_not_add_up(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("password_spray: {window: 30m}\nslow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	/* 6 names but 20 minutes apart: never 5 within 30 minutes */
	for (int i = 0; i < 6; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 1200, names[i], "192.0.2.12", 1000));
	detect_finish(d);
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);
}

static void test_many_tries_per_name_is_brute_force(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	/* 6 names × 5 tries in 5 minutes: a brute force with a user list */
	for (int i = 0; i < 30; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 10, names[i % 6], "192.0.2.13", 1000));
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 30);
	assert_why(a, "for 6 different user names: root, admin, oracle, …");
	tdone(d, cfg, &c);
}

static void test_spray_high_and_bounded(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	static char buf[300][24];
	struct detect *d = tdetect("limits: {max_names_per_source: 16}\npassword_spray: {high_users: 16}\n", &c, &cfg, NULL);
	/* 300 distinct names, one each, within 50 minutes: only 16 kept, so
	 * at least 16 different names (never more than could be told apart) */
	for (int i = 0; i < 300; i++) {
		snprintf(buf[i], sizeof(buf[i]), "user%03d", i);
		feed(d, tev(EV_AUTH_FAILURE, i * 10, buf[i], "2001:db8::66", 1000));
	}
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_PASSWORD_SPRAY, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->count, 300);
	assert_why(a, "user names tried: user000, user001, user002, …");
	assert_non_null(strstr(a->why[0], "at least 16 different user names tried in 50 min with 300 attempts, about 1 "
					  "per name"));
	tdone(d, cfg, &c);
}

/* Issue 19: 1,000 names tried 1,000 times each was "936064 different user
 * names", and a password spray. Here 200 names, each tried 20 times round
 * robin over more than two hours (longer than the spray window): the name
 * set (64) cannot hold them, so the count stops at what it could tell
 * apart and says "at least"; and the names it kept were tried 20 times
 * each, which is a brute force with a user list, not a spray. */
static void test_names_counted_once(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	static char buf[200][24];
	struct detect *d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	for (int i = 0; i < 200; i++)
		snprintf(buf[i], sizeof(buf[i]), "name%03d", i);
	for (int i = 0; i < 4000; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 2, buf[i % 200], "198.51.100.200", 1000));
	detect_finish(d);
	assert_int_equal(c.n, 1);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_int_equal(a->count, 4000);
	assert_why(a, "for at least 64 different user names: name000, name001, name002, …");
	tdone(d, cfg, &c);

	/* the same names within the window and the cap: exact */
	d = tdetect("slow_brute_force: {enabled: false}\n", &c, &cfg, NULL);
	for (int i = 0; i < 600; i++)
		feed(d, tev(EV_AUTH_FAILURE, i * 2, buf[i % 40], "198.51.100.201", 1000));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_BRUTE_FORCE, &a), 1);
	assert_why(a, "for 40 different user names: name000, name001, name002, …");
	tdone(d, cfg, &c);
}

/* The sample of a name kept for the reader: its first SAMPLE_LEN bytes,
 * cut at a NUL, as a C string; for every length up to past SAMPLE_LEN and
 * a NUL at every place (or none), from a buffer of exactly that length
 * (ASan: no byte past the name is read). */
static void test_copy_name(void **state)
{
	(void)state;
	for (size_t n = 0; n <= SAMPLE_LEN + 8; n++) {
		for (size_t z = 0; z <= n; z++) { /* z == n: no NUL */
			char *name = test_malloc(n ? n : 1), dst[SAMPLE_LEN + 1], want[SAMPLE_LEN + 1];
			size_t keep = n < SAMPLE_LEN ? n : SAMPLE_LEN;
			for (size_t i = 0; i < n; i++)
				name[i] = (char)('a' + (i * 5 + n) % 26);
			if (z < n)
				name[z] = '\0';
			memset(dst, 'X', sizeof(dst));
			spray_copy_name(dst, sv_make(n ? name : NULL, n));
			memcpy(want, name, keep);
			want[keep] = '\0';
			if (z < keep)
				want[z] = '\0';
			assert_string_equal(dst, want);
			test_free(name);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spray_threshold),
		cmocka_unit_test(test_names_outside_window_do_not_add_up),
		cmocka_unit_test(test_many_tries_per_name_is_brute_force),
		cmocka_unit_test(test_spray_high_and_bounded),
		cmocka_unit_test(test_names_counted_once),
		cmocka_unit_test(test_copy_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
