/* End to end: the real binary ($MOAT_BIN) runs 'moat trace' on a store
 * built by this test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fcntl.h>
#include <jansson.h>
#include <sys/wait.h>

#include "scenario.h"

struct fixture {
	char *dir, *db;
};

struct result {
	int status;
	char *out, *err;
};

static char *read_all(int fd)
{
	size_t n = 0, cap = 4096;
	char *b = malloc(cap);
	ssize_t k;
	assert_non_null(b);
	while ((k = read(fd, b + n, cap - n - 1)) > 0) {
		n += (size_t)k;
		if (cap - n < 2) {
			cap *= 2;
			b = realloc(b, cap);
			assert_non_null(b);
		}
	}
	b[n] = '\0';
	return b;
}

/* Runs $MOAT_BIN with argv (NULL-terminated) and an optional environment
 * override; collects the exit status and both outputs. */
static struct result run_moat(const char *const *args, const char *moat_db_env)
{
	const char *bin = getenv("MOAT_BIN");
	int out[2], err[2];
	struct result res = { 0 };
	const char *argv[32] = { "moat" };
	size_t n = 1;

	if (!bin)
		fail_msg("MOAT_BIN is not set");
	for (; args[n - 1] && n < ELEMENTSOF(argv) - 1; n++)
		argv[n] = args[n - 1];
	argv[n] = NULL;
	assert_int_equal(pipe(out), 0);
	assert_int_equal(pipe(err), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(out[0]);
		close(err[0]);
		if (moat_db_env)
			setenv("MOAT_DB", moat_db_env, 1);
		execv(bin, (char *const *)argv);
		_exit(127);
	}
	close(out[1]);
	close(err[1]);
	/* Outputs here are small: reading one after the other cannot fill
	 * the other pipe. */
	res.out = read_all(out[0]);
	res.err = read_all(err[0]);
	close(out[0]);
	close(err[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	res.status = WEXITSTATUS(st);
	return res;
}

static void result_free(struct result *r)
{
	free(r->out);
	free(r->err);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct store *s = NULL;
	char *err = NULL;
	assert_non_null(f);
	f->dir = tmpdir_new();
	f->db = path_join(f->dir, "state/moat.db");
	assert_int_equal(store_open(f->db, &s, &err), 0);
	assert_int_equal(scenario_write(s), 0);
	store_free(s);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	tmpdir_remove(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static void test_user_text(void **state)
{
	struct fixture *f = *state;
	struct result r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "alice", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "trace user alice: "));
	assert_non_null(strstr(r.out, "session web-1:4242:1772334005  alice from 203.0.113.7 (password) on web-1, after 4 "
				      "failed attempts from this source\n"));
	assert_non_null(strstr(r.out, "  verdict: no privilege gained: sudo refused \u00d73, su refused \u00d71; "
				      "session closed after 14 min\n"));
	assert_non_null(strstr(r.out, "overall: no privilege gained in 1 session"));
	assert_null(strchr(r.out, '\033')); /* not a TTY: no colour */
	result_free(&r);

	/* --color forces colour; the verdict of a gain is red. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "bob", "--color", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\033[1;31mPRIVILEGE GAINED: sudo to root at 03:12:09 UTC (COMMAND=/bin/bash)"));
	result_free(&r);
}

static void test_json_and_fail_on(void **state)
{
	struct fixture *f = *state;
	json_error_t je;
	struct result r = run_moat(
		(const char *[]){ "trace", "--db", f->db, "--user", "bob", "--json", "--fail-on", "privilege", NULL },
		NULL);
	assert_int_equal(r.status, 1);
	json_t *j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	json_t *s0 = json_array_get(json_object_get(j, "sessions"), 0);
	assert_string_equal(json_string_value(json_object_get(s0, "id")), "web-1:4300:1772334600");
	assert_true(json_is_true(json_object_get(json_object_get(s0, "privilege"), "gained")));
	assert_int_equal(json_integer_value(json_object_get(s0, "duration_s")), 600);
	json_decref(j);
	result_free(&r);

	/* alice gained nothing: --fail-on privilege is satisfied (exit 0). */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "alice", "--fail-on", "privilege", NULL }, NULL);
	assert_int_equal(r.status, 0);
	result_free(&r);
	/* bob's session changed an account. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "bob", "--fail-on", "change", NULL }, NULL);
	assert_int_equal(r.status, 1);
	result_free(&r);
}

static void test_source_and_session(void **state)
{
	struct fixture *f = *state;
	struct result r = run_moat((const char *[]){ "trace", "--db", f->db, "--source", "203.0.113.99", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "412 failed passwords for 37 users"));
	assert_non_null(strstr(r.out, "session web-1:9000:1772330400  admin"));
	result_free(&r);

	r = run_moat((const char *[]){ "trace", "--db", f->db, "--session", "web-1:6100:1772359800", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "sudo by carol as root on pts/1: /usr/bin/id"));
	assert_null(strstr(r.out, "su to root by carol")); /* that was the other session */
	result_free(&r);

	/* Time window: --since after everything alice did. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "alice", "--since", "2026-03-02", NULL },
		     NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no events for user alice in the store"));
	assert_non_null(strstr(r.out, "in that time range"));
	result_free(&r);
	/* --until with a date alone covers that whole day. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "dave", "--until", "2026-03-01", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "session web-1:7000:"));
	result_free(&r);
}

static void test_unknown_and_errors(void **state)
{
	struct fixture *f = *state;
	struct result r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "zed", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no events for user zed in the store"));
	assert_non_null(strstr(r.out, "scan logs first: moat scan"));
	result_free(&r);

	/* The default path comes from $MOAT_DB. */
	r = run_moat((const char *[]){ "trace", "--user", "alice", NULL }, f->db);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "session web-1:4242:1772334005"));
	result_free(&r);

	char *missing = path_join(f->dir, "nothing/here.db");
	r = run_moat((const char *[]){ "trace", "--db", missing, "--user", "alice", NULL }, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "no store at"));
	assert_int_equal(access(missing, F_OK), -1); /* trace creates nothing */
	result_free(&r);
	free(missing);

	char *junk = path_join(f->dir, "junk.db");
	int fd = open(junk, O_CREAT | O_WRONLY, 0600);
	for (int i = 0; i < 200; i++)
		assert_int_equal(write(fd, "not sqlite at all\n", 18), 18);
	close(fd);
	r = run_moat((const char *[]){ "trace", "--db", junk, "--user", "alice", NULL }, NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "not a database"));
	result_free(&r);
	free(junk);

	static const char *const bad[][8] = {
		{ "trace", "--user", "a", "--source", "1.2.3.4", NULL },
		{ "trace", "--since", "2026-03-02", "--until", "2026-03-01", NULL },
		{ "trace", "--user", "a", "--since", "tomorrow", NULL },
		{ "trace", "--user", "a", "--fail-on", "high", NULL },
		{ "trace", "--user", "a", "--color=sometimes", NULL },
		{ "trace", "alice", NULL },
		{ "trace", "--session", "nonsense", NULL },
	};
	for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
		const char *args[10] = { 0 };
		size_t n = 0;
		for (; bad[i][n]; n++)
			args[n] = bad[i][n];
		args[n++] = "--db";
		args[n++] = f->db;
		r = run_moat(args, NULL);
		if (r.status != 2)
			fail_msg("case %zu: exit %d, stderr %s", i, r.status, r.err);
		assert_true(strlen(r.err) > 0);
		result_free(&r);
	}

	r = run_moat((const char *[]){ "trace", "--help", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Examples:"));
	assert_non_null(strstr(r.out, "moat trace --user alice"));
	assert_non_null(strstr(r.out, "  -v, --verbose      list other services' PAM session lines one by one\n"));
	assert_non_null(strstr(r.out, "usage: moat trace [--user NAME | --source ADDR | --session ID] [OPTIONS]\n"));
	result_free(&r);
}

static void m_cron(struct event *ev, const void *arg)
{
	(void)arg;
	ev->detail = SV_LIT("cron");
}

/* No subject: the first look; -v: PAM sessions one by one. */
static void test_recent_and_verbose(void **state)
{
	struct fixture *f = *state;
	json_error_t je;
	struct result r = run_moat((const char *[]){ "trace", "--db", f->db, NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_string_equal(r.err, "");
	assert_non_null(strstr(r.out, "recent login sessions: 6 in the last 24 h of store time (2026-02-28 12:00:00 UTC to "
				      "2026-03-01 12:00:00 UTC, the newest event stored), newest first\n"));
	assert_non_null(strstr(r.out, "\n  web-1:4242:1772334005  alice  203.0.113.7    password   14 min      no "
				      "privilege gained: sudo refused \u00d73, su refused \u00d71; after 4 failed attempts "
				      "from this source\n"));
	assert_non_null(strstr(r.out, "\nto drill down:\n  moat trace --session ID     one session's timeline (ids "
				      "above)\n"));
	result_free(&r);

	/* bob and carol gained root in the listed sessions. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--fail-on", "privilege", "--json", NULL }, NULL);
	assert_int_equal(r.status, 1);
	json_t *j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(json_object_get(j, "subject"), "by")), "recent");
	assert_int_equal(json_array_size(json_object_get(j, "sessions")), 6);
	json_decref(j);
	result_free(&r);

	/* Another time: --since/--until choose it. */
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--since", "2026-03-01T11:00:00Z", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "recent login sessions: 1 since 2026-03-01 11:00:00 UTC\n"));
	assert_non_null(strstr(r.out, "  web-1:7000:1772366400  dave  192.0.2.50  publickey  still open  no privilege "
				      "gained\n"));
	result_free(&r);
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--since", "2026-03-05", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no events in the store "));
	assert_non_null(strstr(r.out, " in that time range (scan logs first"));
	result_free(&r);

	/* cron's sessions of root: one line, or each with -v. */
	struct store *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(f->db, &s, &err), 0);
	struct sc sc = { .s = s };
	sc_add(&sc, "2026-03-01T04:00:00Z", "CRON", 100, EV_SESSION_OPEN, "root", NULL, m_cron, NULL);
	sc_add(&sc, "2026-03-01T04:00:01Z", "CRON", 100, EV_SESSION_CLOSE, "root", NULL, m_cron, NULL);
	sc_add(&sc, "2026-03-01T05:00:00Z", "CRON", 101, EV_SESSION_OPEN, "root", NULL, m_cron, NULL);
	assert_int_equal(sc.failures, 0);
	store_free(s);
	r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "root", NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\nPAM sessions of other services (3 lines, counted; -v lists them):\n  cron opened "
				      "2 sessions for root between 2026-03-01 04:00:00 UTC and 2026-03-01 05:00:00 UTC\n"));
	assert_null(strstr(r.out, "CRON["));
	result_free(&r);
	for (int i = 0; i < 2; i++) {
		r = run_moat((const char *[]){ "trace", "--db", f->db, "--user", "root", i ? "--verbose" : "-v", NULL },
			     NULL);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "\noutside any login session (3 events):\n  2026-03-01 04:00:00 UTC  CRON[100]  "
					      "session opened for root [cron]\n"));
		assert_null(strstr(r.out, "PAM sessions of other services"));
		result_free(&r);
	}

	/* An empty store. */
	char *empty = path_join(f->dir, "empty.db");
	assert_int_equal(store_open(empty, &s, &err), 0);
	store_free(s);
	r = run_moat((const char *[]){ "trace", "--db", empty, NULL }, NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "no events in the store "));
	assert_non_null(strstr(r.out, "(scan logs first: moat scan /var/log/auth.log*)\n"));
	result_free(&r);
	free(empty);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_user_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_json_and_fail_on, setup, teardown),
		cmocka_unit_test_setup_teardown(test_source_and_session, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_and_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_recent_and_verbose, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
