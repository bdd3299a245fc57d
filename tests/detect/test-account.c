/* Account, group and key changes. */
#include <string.h>

#include "helpers.h"

static struct event chg(enum account_op op, int64_t t, const char *user, const char *group)
{
	struct event ev = tev(EV_ACCOUNT_CHANGE, t, user, NULL, 0);
	ev.program = SV_LIT("usermod");
	ev.acct = op;
	ev.target = sv_cstr(group);
	return ev;
}

static void test_changes(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect(NULL, &c, &cfg, NULL);

	feed(d, chg(ACCT_USER_ADD, 0, "svc", NULL));
	feed(d, chg(ACCT_GROUP_MEMBER_ADD, 1, "svc", "docker"));
	feed(d, chg(ACCT_GROUP_MEMBER_ADD, 2, "svc", "audio"));
	feed(d, chg(ACCT_PASSWORD_CHANGE, 3, "svc", NULL));
	feed(d, chg(ACCT_PASSWORD_CHANGE, 4, "root", NULL));
	struct event k = tev(EV_KEY_CHANGE, 5, "svc", NULL, 0);
	feed(d, k);
	detect_finish(d);
	assert_int_equal(c.n, 6);
	for (size_t i = 0; i < c.n; i++) {
		assert_int_equal(c.v[i]->kind, AK_ACCOUNT_CHANGE);
		assert_int_equal(c.v[i]->evidence_total, 1);
	}
	assert_int_equal(c.v[0]->severity, SEV_MEDIUM);
	assert_string_equal(c.v[0]->why[0], "account svc was created");
	assert_int_equal(c.v[1]->severity, SEV_HIGH);
	assert_string_equal(c.v[1]->why[0], "svc was added to group docker, a privileged group");
	assert_string_equal(c.v[1]->why[1], "members of docker can gain root or read secrets on this host");
	assert_int_equal(c.v[2]->severity, SEV_LOW);
	assert_string_equal(c.v[2]->why[0], "svc was added to group audio");
	assert_int_equal(c.v[3]->severity, SEV_LOW);
	assert_int_equal(c.v[4]->severity, SEV_MEDIUM);
	assert_string_equal(c.v[4]->why[0], "the password of root was changed");
	assert_int_equal(c.v[5]->severity, SEV_MEDIUM);
	assert_string_equal(c.v[5]->why[0], "the authorized SSH keys of svc changed");
	tdone(d, cfg, &c);
}

static void test_configured_groups(void **state)
{
	(void)state;
	struct detect_config *cfg;
	struct collect c;
	struct detect *d = tdetect("account_change: {privileged_groups: [audio]}\n", &c, &cfg, NULL);
	feed(d, chg(ACCT_GROUP_MEMBER_ADD, 1, "svc", "docker"));
	feed(d, chg(ACCT_GROUP_MEMBER_ADD, 2, "svc", "audio"));
	detect_finish(d);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.v[0]->severity, SEV_LOW);
	assert_int_equal(c.v[1]->severity, SEV_HIGH);
	tdone(d, cfg, &c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_changes),
		cmocka_unit_test(test_configured_groups),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
