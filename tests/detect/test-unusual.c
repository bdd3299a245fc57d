/* Unusual login: each broken habit with its exact why, minimum history,
 * and baselines persisted through a fake store (linked with --wrap). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "helpers.h"
#include "store/store.h"

/* ---- the fake store behind --wrap ---- */

struct store {
	int unused;
};
static struct store fake_store;
static struct {
	char host[64], user[64];
	char *blob;
} rows[16];
static size_t n_rows, n_puts, n_gets;
static bool foreach_empty; /* pretend the bulk load found nothing: exercise get */

int __wrap_store_baseline_get(struct store *s, const char *host, const char *user, char **ret_blob);
int __wrap_store_baseline_put(struct store *s, const char *host, const char *user, const char *blob);
int __wrap_store_baseline_foreach(struct store *s,
				  int (*fn)(void *ud, const char *host, const char *user, const char *blob), void *ud);

int __wrap_store_baseline_get(struct store *s, const char *host, const char *user, char **ret_blob)
{
	assert_ptr_equal(s, &fake_store);
	n_gets++;
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].host, host) == 0 && strcmp(rows[i].user, user) == 0) {
			*ret_blob = strdup(rows[i].blob);
			return 1;
		}
	return 0;
}

int __wrap_store_baseline_put(struct store *s, const char *host, const char *user, const char *blob)
{
	assert_ptr_equal(s, &fake_store);
	n_puts++;
	for (size_t i = 0; i < n_rows; i++)
		if (strcmp(rows[i].host, host) == 0 && strcmp(rows[i].user, user) == 0) {
			free(rows[i].blob);
			rows[i].blob = strdup(blob);
			return 0;
		}
	assert_true(n_rows < 16);
	snprintf(rows[n_rows].host, sizeof(rows[n_rows].host), "%s", host);
	snprintf(rows[n_rows].user, sizeof(rows[n_rows].user), "%s", user);
	rows[n_rows++].blob = strdup(blob);
	return 0;
}

int __wrap_store_baseline_foreach(struct store *s,
				  int (*fn)(void *ud, const char *host, const char *user, const char *blob), void *ud)
{
	assert_ptr_equal(s, &fake_store);
	if (foreach_empty)
		return 0;
	for (size_t i = 0; i < n_rows; i++) {
		int r = fn(ud, rows[i].host, rows[i].user, rows[i].blob);
		if (r < 0)
			return r;
	}
	return 0;
}

static void store_reset(void)
{
	for (size_t i = 0; i < n_rows; i++)
		free(rows[i].blob);
	n_rows = n_puts = n_gets = 0;
	foreach_empty = false;
}

/* ---- probes ---- */

#define DAY17 (17 * DAY_S)

/* Feeds the history and one probe; returns the unusual alerts collected. */
static size_t probe(struct event ev, struct collect *c, struct alert **ret)
{
	struct detect_config *cfg;
	struct detect *d = tdetect(NULL, c, &cfg, NULL);
	history(d, "bob");
	assert_int_equal(c->n, 0);
	feed(d, ev);
	detect_finish(d);
	/* keep the alerts, free the rest */
	struct collect keep = *c;
	c->n = 0;
	tdone(d, cfg, c);
	*c = keep;
	return count_kind(c, AK_UNUSUAL_LOGIN, ret);
}

static void free_collect(struct collect *c)
{
	for (size_t i = 0; i < c->n; i++)
		alert_free(c->v[i]);
	c->n = 0;
}

static void test_usual_login_is_quiet(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a;
	assert_int_equal(probe(login(DAY17 + 9 * HOUR_S + 600, "bob", "198.51.100.99", AM_PUBLICKEY, "SHA256:AAAA"), &c,
			       &a),
			 0);
	assert_int_equal(c.n, 0);
}

static void test_method(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a = NULL;
	assert_int_equal(probe(login(DAY17 + 10 * HOUR_S, "bob", "198.51.100.10", AM_PASSWORD, NULL), &c, &a), 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->n_why, 1);
	assert_string_equal(a->why[0], "password, though 34 of 34 earlier logins used publickey");
	assert_string_equal(a->user, "bob");
	assert_string_equal(a->host, "web1");
	assert_int_equal(a->count, 1);
	assert_int_equal(a->evidence_total, 1);
	free_collect(&c);
}

static void test_network(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a = NULL;
	assert_int_equal(probe(login(DAY17 + 9 * HOUR_S + 1800, "bob", "203.0.113.5", AM_PUBLICKEY, "SHA256:AAAA"), &c, &a),
			 1);
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_int_equal(a->n_why, 1);
	assert_string_equal(a->why[0], "from 203.0.113.0/24, a network none of 34 earlier logins came from (usual: "
				       "198.51.100.0/24 ×30, 192.0.2.0/24 ×4)");
	char ab[ADDR_STRLEN];
	assert_string_equal(addr_format(&a->source, ab), "203.0.113.5");
	free_collect(&c);
}

static void test_hour(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a = NULL;
	assert_int_equal(probe(login(DAY17 + 3 * HOUR_S + 12 * MIN_S, "bob", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA"),
			       &c, &a),
			 1);
	assert_int_equal(a->n_why, 1);
	assert_string_equal(a->why[0], "at 03:12 UTC, 5 h 48 min from the nearest hour of 34 earlier logins (usual "
				       "09:00–18:00)");
	free_collect(&c);
	/* within the tolerance of a usual hour: quiet */
	assert_int_equal(probe(login(DAY17 + 8 * HOUR_S, "bob", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA"), &c, &a),
			 0);
}

static void test_key(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a = NULL;
	assert_int_equal(probe(login(DAY17 + 9 * HOUR_S, "bob", "198.51.100.10", AM_PUBLICKEY, "SHA256:BBBB"), &c, &a), 1);
	assert_int_equal(a->n_why, 1);
	assert_string_equal(a->why[0], "with key SHA256:BBBB, never used before by this account (34 earlier publickey "
				       "logins used 1 other key)");
	free_collect(&c);
}

static void test_all_habits_high(void **state)
{
	(void)state;
	struct collect c;
	struct alert *a = NULL;
	assert_int_equal(probe(login(DAY17 + 3 * HOUR_S, "bob", "2001:db8:77::5", AM_KBDINT, NULL), &c, &a), 1);
	assert_int_equal(a->severity, SEV_HIGH);
	assert_int_equal(a->n_why, 3);
	assert_string_equal(a->why[0], "keyboard-interactive, though 34 of 34 earlier logins used publickey");
	assert_string_equal(a->why[1], "from 2001:db8:77::/48, a network none of 34 earlier logins came from (usual: "
				       "198.51.100.0/24 ×30, 192.0.2.0/24 ×4)");
	assert_string_equal(a->why[2], "at 03:00 UTC, 6 h from the nearest hour of 34 earlier logins (usual 09:00–18:00)");
	free_collect(&c);
}

static void test_minimum_history(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	/* 4 logins on one day: short of both minimums (5 logins, 2 days), not judged */
	for (int i = 0; i < 4; i++)
		feed(d, login(9 * HOUR_S + i * 60, "gus", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA"));
	feed(d, login(10 * HOUR_S, "gus", "203.0.113.5", AM_PASSWORD, NULL));
	detect_finish(d);
	assert_int_equal(c.n, 0);
	tdone(d, cfg, &c);

	/* Issue 19: a young history (one minimum reached, not the other) is
	 * judged, at most medium, and says it is young. eve: 6 logins on one
	 * day, then one by password from elsewhere (two broken habits: high on
	 * a grown history); frank: 4 logins over 2 days, then a new network. */
	d = tdetect(NULL, &c, &cfg, NULL);
	for (int i = 0; i < 6; i++)
		feed(d, login(9 * HOUR_S + i * 60, "eve", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA"));
	feed(d, login(10 * HOUR_S, "eve", "203.0.113.5", AM_PASSWORD, NULL));
	for (int i = 0; i < 4; i++)
		feed(d, login(DAY_S + 9 * HOUR_S + i * (DAY_S / 4), "frank", "198.51.100.10", AM_PUBLICKEY,
			      "SHA256:AAAA"));
	feed(d, login(2 * DAY_S + 10 * HOUR_S, "frank", "203.0.113.6", AM_PUBLICKEY, "SHA256:AAAA"));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, NULL), 2);
	a = c.v[0];
	assert_string_equal(a->user, "eve");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_why(a, "the account's history is young: 6 logins over 1 day (habits are trusted from 5 logins over 2 "
		      "days), so at most medium");
	a = c.v[1];
	assert_string_equal(a->user, "frank");
	assert_int_equal(a->severity, SEV_MEDIUM);
	assert_why(a, "the account's history is young: 4 logins over 2 days (habits are trusted from 5 logins over 2 "
		      "days), so at most medium");
	tdone(d, cfg, &c);

	/* with min_logins 4, frank's history is grown: nothing said of it */
	d = tdetect("unusual_login: {min_logins: 4}\n", &c, &cfg, NULL);
	for (int i = 0; i < 4; i++)
		feed(d, login(DAY_S + i * (DAY_S / 2), "frank", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA"));
	feed(d, login(3 * DAY_S + 14 * HOUR_S, "frank", "198.51.100.10", AM_PASSWORD, NULL));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_int_equal(a->n_why, 1);
	tdone(d, cfg, &c);
}

/* Issue 19: hours are judged by how far the login is from the hours the
 * account logs in at (round the clock, with the tolerance), not by an hour
 * never seen. Usual 11:00–17:00: 09:48 is a little early (1 h 12 min from
 * 11:00, the tolerance 1 h): low, alone; 02:30 is far: medium. */
static void test_hour_distance(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	for (int day = 0; day < 6; day++) {
		feed(d, login(day * DAY_S + 11 * HOUR_S + 5 * MIN_S, "hana", "198.51.100.10", AM_PUBLICKEY, "SHA256:H"));
		feed(d, login(day * DAY_S + 16 * HOUR_S + 40 * MIN_S, "hana", "198.51.100.10", AM_PUBLICKEY, "SHA256:H"));
	}
	feed(d, login(6 * DAY_S + 9 * HOUR_S + 48 * MIN_S, "hana", "198.51.100.10", AM_PUBLICKEY, "SHA256:H"));
	feed(d, login(6 * DAY_S + 10 * HOUR_S + 30 * MIN_S, "hana", "198.51.100.10", AM_PUBLICKEY, "SHA256:H"));
	feed(d, login(7 * DAY_S + 2 * HOUR_S + 30 * MIN_S, "hana", "198.51.100.10", AM_PUBLICKEY, "SHA256:H"));
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, NULL), 2);
	a = c.v[0];
	assert_int_equal(a->severity, SEV_LOW);
	assert_string_equal(a->why[0], "at 09:48 UTC, 1 h 12 min from the nearest hour of 12 earlier logins (usual "
				       "11:00–17:00), a little outside them");
	a = c.v[1];
	assert_int_equal(a->severity, SEV_MEDIUM);
	/* (09:48 and 10:30 were learned: the usual hours begin at 09:00) */
	assert_string_equal(a->why[0], "at 02:30 UTC, 6 h 30 min from the nearest hour of 14 earlier logins (usual "
				       "09:00–17:00)");
	tdone(d, cfg, &c);
}

/* A user name holding a NUL byte is no account: no baseline is learned
 * for it (the store keys baselines by the name as text), so nothing is
 * judged unusual, and the name is never read past its end. */
static void test_name_with_a_nul(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("unusual_login: {min_logins: 4}\n", &c, &cfg, NULL);
	for (int i = 0; i < 5; i++) {
		struct event ev = login(DAY_S + i * (DAY_S / 2), "x", "198.51.100.10", AM_PUBLICKEY, "SHA256:AAAA");
		ev.user = sv_make("ro\0ot", 5);
		feed(d, ev);
	}
	struct event ev = login(4 * DAY_S + 3 * HOUR_S, "x", "203.0.113.5", AM_PASSWORD, NULL);
	ev.user = sv_make("ro\0ot", 5);
	feed(d, ev);
	detect_finish(d);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, NULL), 0);
	tdone(d, cfg, &c);
}

static void test_session_close_releases(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);
	history(d, "bob");
	struct event ev = login(DAY17 + 10 * HOUR_S, "bob", "198.51.100.10", AM_PASSWORD, NULL);
	ev.pid = 4242;
	feed(d, ev);
	assert_int_equal(c.n, 0); /* held for correlation */
	/* another session of bob closing does not release it */
	struct event close = tev(EV_SESSION_CLOSE, DAY17 + 10 * HOUR_S + 60, "bob", NULL, 0);
	close.pid = 4343;
	feed(d, close);
	assert_int_equal(c.n, 0);
	close.pid = 4242;
	close.origin.line++;
	feed(d, close);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, NULL), 1);
	assert_int_equal(c.n, 1);
	tdone(d, cfg, &c);
}

static void test_persistence(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct alert *a = NULL;

	store_reset();
	/* first scan: learn */
	struct detect *d = tdetect(NULL, &c, &cfg, &fake_store);
	history(d, "bob");
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(n_puts, 1);
	assert_int_equal(n_rows, 1);
	assert_string_equal(rows[0].host, "web1");
	assert_string_equal(rows[0].user, "bob");
	assert_non_null(strstr(rows[0].blob, "\"n\":34,\"days\":17,"));
	assert_non_null(strstr(rows[0].blob, "[\"198.51.100.0/24\",30,"));
	assert_non_null(strstr(rows[0].blob, "\"methods\":{\"publickey\":34}"));
	tdone(d, cfg, &c);

	/* second scan: the baseline is loaded, the login judged and learned */
	d = tdetect(NULL, &c, &cfg, &fake_store);
	struct detect_stats st;
	detect_get_stats(d, &st);
	assert_int_equal(st.tracked_baselines, 1);
	feed(d, login(DAY17 + 10 * HOUR_S, "bob", "198.51.100.10", AM_PASSWORD, NULL));
	assert_int_equal(detect_finish(d), 0);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_string_equal(a->why[0], "password, though 34 of 34 earlier logins used publickey");
	assert_non_null(strstr(rows[0].blob, "\"n\":35,\"days\":18,"));
	assert_non_null(strstr(rows[0].blob, "\"password\":1"));
	tdone(d, cfg, &c);

	/* third scan: loaded on demand (get) when the bulk load did not have it */
	foreach_empty = true;
	n_gets = 0;
	d = tdetect(NULL, &c, &cfg, &fake_store);
	feed(d, login(DAY17 + 11 * HOUR_S, "bob", "203.0.113.9", AM_PUBLICKEY, "SHA256:AAAA"));
	detect_finish(d);
	assert_int_equal(n_gets, 1);
	assert_int_equal(count_kind(&c, AK_UNUSUAL_LOGIN, &a), 1);
	assert_string_equal(a->why[0], "from 203.0.113.0/24, a network none of 35 earlier logins came from (usual: "
				       "198.51.100.0/24 ×31, 192.0.2.0/24 ×4)");
	tdone(d, cfg, &c);

	/* a corrupt blob starts the account afresh: no alert, no crash */
	foreach_empty = false;
	free(rows[0].blob);
	rows[0].blob = strdup("{\"v\":1,\"n\":\"x\",\"hours\":[1,2]}");
	d = tdetect(NULL, &c, &cfg, &fake_store);
	feed(d, login(DAY17 + 12 * HOUR_S, "bob", "203.0.113.9", AM_PASSWORD, NULL));
	detect_finish(d);
	assert_int_equal(c.n, 0);
	assert_non_null(strstr(rows[0].blob, "\"n\":1,"));
	tdone(d, cfg, &c);
	store_reset();
}

static void test_bounded_networks(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	static char addrs[40][24];
	store_reset();
	struct detect *d = tdetect("unusual_login: {max_networks: 4, check_network: true, check_hour: false}\n", &c,
				   &cfg, &fake_store);
	for (int i = 0; i < 40; i++) {
		snprintf(addrs[i], sizeof(addrs[i]), "10.%d.%d.1", i, i);
		feed(d, login(i * 3 * HOUR_S, "gina", addrs[i], AM_PUBLICKEY, "SHA256:AAAA"));
	}
	detect_finish(d);
	/* every login from a new network after the history is unusual; the baseline kept only 4 */
	assert_true(count_kind(&c, AK_UNUSUAL_LOGIN, NULL) > 30);
	size_t nets = 0;
	for (const char *p = rows[0].blob; (p = strstr(p, "/24\"")); p++)
		nets++;
	assert_int_equal(nets, 4);
	assert_non_null(strstr(rows[0].blob, "\"nets_dropped\":36"));
	tdone(d, cfg, &c);
	store_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_usual_login_is_quiet),
		cmocka_unit_test(test_method),
		cmocka_unit_test(test_network),
		cmocka_unit_test(test_hour),
		cmocka_unit_test(test_hour_distance),
		cmocka_unit_test(test_key),
		cmocka_unit_test(test_all_habits_high),
		cmocka_unit_test(test_minimum_history),
		cmocka_unit_test(test_name_with_a_nul),
		cmocka_unit_test(test_session_close_releases),
		cmocka_unit_test(test_persistence),
		cmocka_unit_test(test_bounded_networks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
